"""The settings pages' words in English and Swedish (the reply pages' words stay in portal.i18n)."""

from __future__ import annotations

from typing import Any

from domain.common import Locale
from portal.i18n import MESSAGES as PORTAL_MESSAGES
from portal.i18n import Translator

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "settings_title": "Merchant settings",
        "sign_in_title": "Sign in to your merchant settings",
        "merchant_id": "Merchant ID",
        "email_address": "Email address",
        "send_link": "Email me a sign-in link",
        "link_sent_title": "Check your email",
        "confirm_title": "Sign in",
        "confirm_text": "Press the button to sign in as {email}.",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "link_unknown_title": "This sign-in link is not valid",
        "link_unknown_text": "Check that you opened the whole link from the email.",
        "link_used_title": "This sign-in link has already been used",
        "link_used_text": "A sign-in link works once. Ask for a new one.",
        "link_expired_title": "This sign-in link has expired",
        "link_expired_text": "A sign-in link works for {minutes} minutes. Ask for a new one.",
        "ask_new_link": "Ask for a new sign-in link",
        "signed_in_as": "Signed in as {email} for {merchant}.",
        "applies_to_new": "Changes apply to requests from now on; open requests keep the "
        "settings they started with.",
        "saved": "Your changes were saved.",
        "nothing_changed": "Nothing changed.",
        "errors_heading": "Please correct the following",
        "err_form_expired": "This form has expired. Please try again.",
        "profile_heading": "Requests and reminders",
        "identifiers_legend": "Identifiers you need to find the customer",
        "extra_identifiers": "Other identifiers you need",
        "contacts": "Contact addresses for requests and reminders",
        "language_label": "Language of our emails",
        "timezone": "Time zone",
        "notify_by": "How we notify you",
        "notify_email": "Email",
        "notify_webhook": "Webhooks instead of email",
        "notify_email_and_webhook": "Email and webhooks",
        "save": "Save",
        "webhooks_heading": "Webhooks",
        "webhooks_none": "No webhook endpoints yet.",
        "webhook_url": "Endpoint URL (https://…)",
        "webhook_events": "Events",
        "add_webhook": "Add endpoint",
        "remove": "Remove",
        "send_test": "Send test event",
        "secret_once": "Signing secret for {endpoint}. Store it now: it is shown only once.",
        "test_ok": "The endpoint answered HTTP {status}.",
        "test_failed": "The test event was not taken: {error}",
        "keys_heading": "API keys",
        "keys_none": "No API keys yet.",
        "key_label": "What the key is for",
        "create_key": "Create API key",
        "revoke": "Revoke",
        "revoked": "revoked",
        "key_once": "Your new API key. Store it now: it is shown only once.",
        "open_heading": "Open requests",
        "open_none": "No open requests.",
        "open_requests_page": "Open requests: waiting for your answer, answered with a "
        "follow-up pending; answer many at once or with a spreadsheet",
        "requested": "Requested",
        "age_days": "{days} days",
        "next_reminder": "Next step",
        "reply": "Reply",
        "sign_in_intro": "Enter one of the contact addresses we send cancellation requests "
        "to. We email a sign-in link to that address.",
        "contact_address": "Contact address",
        "contact_address_hint": "The address our cancellation requests and reminders come to.",
        "link_sent_text": "If {email} is one of our merchants' contact addresses, a sign-in "
        "link is on its way. It works once, for {minutes} minutes.",
        "err_sign_in_address": "Enter an email address, such as desk@example.com.",
        "err_cross_site": "This form was sent from another site, so nothing was done. "
        "Open this page again and use its own form.",
        "on_this_page": "On this page",
        "notify_by_hint": "This sets where we send new requests, reminders and withdrawals: "
        "to the contact addresses above, to your webhooks, or both.",
        "timezone_hint": "Dates and times in our emails and on these pages use this zone.",
        "identifiers_hint": "Names such as customer_number, separated by commas.",
        "contacts_hint": "One address per line; up to 10.",
        "err_identifiers_required": "Choose at least one identifier, or name your own below.",
        "err_identifier_name": "'{name}' cannot be used as an identifier name: use lower-case "
        "letters, digits and underscores, such as customer_number.",
        "err_contacts_required": "Enter at least one contact address.",
        "err_contacts_too_many": "Enter at most {limit} contact addresses.",
        "err_contact_invalid": "'{address}' is not an email address: write it as "
        "name@example.com, one address per line.",
        "err_timezone": "Choose your time zone from the list.",
        "err_choose_option": "Choose one of the options.",
        "err_field": "Check this field.",
        "err_url_required": "Enter the address of your endpoint, such as "
        "https://example.com/cancelflow.",
        "err_url_format": "Enter the full address of your endpoint, starting with https://, "
        "such as https://example.com/cancelflow.",
        "err_url_spaces": "The address cannot contain spaces.",
        "err_url_credentials": "Leave the user name and password out of the address.",
        "err_url_https": "The address must start with https://: we only send events over "
        "an encrypted connection.",
        "err_url_public": "Use an address on the public internet: we cannot send events to "
        "this machine or to a private network.",
        "err_url_too_long": "The address can be at most 2,000 characters.",
        "err_events": "Choose at least one event from the list.",
        "test_unresolved": "The test event was not sent: the host name {host} could not be "
        "found (DNS). Check the address.",
        "test_refused": "The test event was not delivered: {host} refused the connection. "
        "Check that your endpoint is running and reachable from the internet.",
        "test_timed_out": "The test event was not delivered: {host} did not answer within "
        "the time limit.",
        "test_not_public": "The test event was not sent: {host} resolves to an address that "
        "is not on the public internet.",
        "test_tls": "The test event was not delivered: the secure connection to {host} "
        "failed (certificate or TLS).",
        "test_http_error": "Your endpoint answered HTTP {status}: the test event was not "
        "accepted (we expect a 2xx answer).",
        "test_other": "The test event was not delivered: {error}",
        "confirm_revoke_title": "Revoke this API key?",
        "confirm_revoke_text": "Requests that use the key {api_key} ({label}) will be refused "
        "from the moment you revoke it. This cannot be undone.",
        "confirm_revoke": "Yes, revoke the key",
        "confirm_remove_title": "Remove this webhook endpoint?",
        "confirm_remove_text": "We will stop sending events to {url}. Its delivery record is kept.",
        "confirm_remove": "Yes, remove the endpoint",
        "cancel": "No, go back",
        "key_revoked": "The API key was revoked.",
        "webhook_removed": "The webhook endpoint was removed.",
        "change_at": "{when}",
        "ch_identifiers_added": "{who} added {names} to the identifiers you need.",
        "ch_identifiers_removed": "{who} removed {names} from the identifiers you need.",
        "ch_contacts_added": "{who} added the contact address {names}.",
        "ch_contacts_removed": "{who} removed the contact address {names}.",
        "ch_locale": "{who} changed the language of our emails from {old} to {new}.",
        "ch_timezone": "{who} changed the time zone from {old} to {new}.",
        "ch_notify_by": "{who} changed how we notify you from \u201c{old}\u201d to "
        "\u201c{new}\u201d.",
        "ch_setting": "{who} changed the setting {name}.",
        "ch_merchant_added": "{who} set up your merchant account.",
        "ch_webhook_added": "{who} added the webhook endpoint {url}.",
        "ch_webhook_removed": "{who} removed a webhook endpoint ({endpoint}).",
        "ch_key_created": "{who} created the API key {api_key} ({label}).",
        "ch_key_revoked": "{who} revoked the API key {api_key}.",
        "ch_other": "{who}: {what}.",
        "and": "and",
        "changes_heading": "Recent changes",
        "changes_none": "No changes recorded yet.",
    },
    "sv": {
        "settings_title": "Handlarinställningar",
        "sign_in_title": "Logga in till era handlarinställningar",
        "merchant_id": "Handlar-ID",
        "email_address": "E-postadress",
        "send_link": "Mejla mig en inloggningslänk",
        "link_sent_title": "Kontrollera din e-post",
        "confirm_title": "Logga in",
        "confirm_text": "Tryck på knappen för att logga in som {email}.",
        "sign_in": "Logga in",
        "sign_out": "Logga ut",
        "link_unknown_title": "Inloggningslänken är inte giltig",
        "link_unknown_text": "Kontrollera att du öppnade hela länken från e-postmeddelandet.",
        "link_used_title": "Inloggningslänken har redan använts",
        "link_used_text": "En inloggningslänk fungerar en gång. Be om en ny.",
        "link_expired_title": "Inloggningslänken har gått ut",
        "link_expired_text": "En inloggningslänk fungerar i {minutes} minuter. Be om en ny.",
        "ask_new_link": "Be om en ny inloggningslänk",
        "signed_in_as": "Inloggad som {email} för {merchant}.",
        "applies_to_new": "Ändringar gäller begäranden från och med nu; öppna begäranden "
        "behåller inställningarna de startade med.",
        "saved": "Dina ändringar sparades.",
        "nothing_changed": "Inget ändrades.",
        "errors_heading": "Rätta följande",
        "err_form_expired": "Formuläret har gått ut. Försök igen.",
        "profile_heading": "Begäranden och påminnelser",
        "identifiers_legend": "Uppgifter ni behöver för att hitta kunden",
        "extra_identifiers": "Andra uppgifter ni behöver",
        "contacts": "Kontaktadresser för begäranden och påminnelser",
        "language_label": "Språk i våra e-postmeddelanden",
        "timezone": "Tidszon",
        "notify_by": "Hur vi meddelar er",
        "notify_email": "E-post",
        "notify_webhook": "Webhooks i stället för e-post",
        "notify_email_and_webhook": "E-post och webhooks",
        "save": "Spara",
        "webhooks_heading": "Webhooks",
        "webhooks_none": "Inga webhook-adresser ännu.",
        "webhook_url": "Adress (https://…)",
        "webhook_events": "Händelser",
        "add_webhook": "Lägg till adress",
        "remove": "Ta bort",
        "send_test": "Skicka testhändelse",
        "secret_once": "Signeringsnyckel för {endpoint}. Spara den nu: den visas bara en gång.",
        "test_ok": "Adressen svarade HTTP {status}.",
        "test_failed": "Testhändelsen togs inte emot: {error}",
        "keys_heading": "API-nycklar",
        "keys_none": "Inga API-nycklar ännu.",
        "key_label": "Vad nyckeln är till för",
        "create_key": "Skapa API-nyckel",
        "revoke": "Återkalla",
        "revoked": "återkallad",
        "key_once": "Er nya API-nyckel. Spara den nu: den visas bara en gång.",
        "open_heading": "Öppna begäranden",
        "open_none": "Inga öppna begäranden.",
        "open_requests_page": "Öppna begäranden: väntar på ert svar, besvarade med "
        "uppföljning; svara på många på en gång eller med ett kalkylblad",
        "requested": "Begärd",
        "age_days": "{days} dagar",
        "next_reminder": "Nästa steg",
        "reply": "Svara",
        "sign_in_intro": "Ange en av kontaktadresserna vi skickar uppsägningsbegäranden "
        "till. Vi mejlar en inloggningslänk till den adressen.",
        "contact_address": "Kontaktadress",
        "contact_address_hint": "Adressen som våra uppsägningsbegäranden och påminnelser "
        "kommer till.",
        "link_sent_text": "Om {email} är en kontaktadress hos någon av våra handlare är en "
        "inloggningslänk på väg. Den fungerar en gång, i {minutes} minuter.",
        "err_sign_in_address": "Ange en e-postadress, till exempel kundtjanst@example.se.",
        "err_cross_site": "Formuläret skickades från en annan webbplats, så inget gjordes. "
        "Öppna sidan igen och använd dess eget formulär.",
        "on_this_page": "På den här sidan",
        "notify_by_hint": "Det här styr vart vi skickar nya begäranden, påminnelser och "
        "återkallelser: till kontaktadresserna ovan, till era webhooks eller till båda.",
        "timezone_hint": "Datum och tider i våra mejl och på de här sidorna följer den här zonen.",
        "identifiers_hint": "Namn som customer_number, åtskilda med komma.",
        "contacts_hint": "En adress per rad; högst 10.",
        "err_identifiers_required": "Välj minst en uppgift, eller ange en egen nedan.",
        "err_identifier_name": "'{name}' kan inte användas som namn på en uppgift: använd "
        "gemener, siffror och understreck, till exempel customer_number.",
        "err_contacts_required": "Ange minst en kontaktadress.",
        "err_contacts_too_many": "Ange högst {limit} kontaktadresser.",
        "err_contact_invalid": "'{address}' är ingen e-postadress: skriv den som "
        "namn@example.se, en adress per rad.",
        "err_timezone": "Välj er tidszon i listan.",
        "err_choose_option": "Välj ett av alternativen.",
        "err_field": "Kontrollera fältet.",
        "err_url_required": "Ange adressen till er mottagare, till exempel "
        "https://example.se/cancelflow.",
        "err_url_format": "Ange hela adressen till er mottagare, som börjar med https://, "
        "till exempel https://example.se/cancelflow.",
        "err_url_spaces": "Adressen får inte innehålla mellanslag.",
        "err_url_credentials": "Ta bort användarnamn och lösenord ur adressen.",
        "err_url_https": "Adressen måste börja med https://: vi skickar bara händelser över "
        "en krypterad anslutning.",
        "err_url_public": "Använd en adress på det publika internet: vi kan inte skicka "
        "händelser till den här datorn eller till ett privat nätverk.",
        "err_url_too_long": "Adressen får vara högst 2 000 tecken.",
        "err_events": "Välj minst en händelse i listan.",
        "test_unresolved": "Testhändelsen skickades inte: värdnamnet {host} hittades inte "
        "(DNS). Kontrollera adressen.",
        "test_refused": "Testhändelsen levererades inte: {host} vägrade anslutningen. "
        "Kontrollera att er mottagare är igång och nås från internet.",
        "test_timed_out": "Testhändelsen levererades inte: {host} svarade inte inom tidsgränsen.",
        "test_not_public": "Testhändelsen skickades inte: {host} pekar på en adress som inte "
        "finns på det publika internet.",
        "test_tls": "Testhändelsen levererades inte: den säkra anslutningen till {host} "
        "misslyckades (certifikat eller TLS).",
        "test_http_error": "Er mottagare svarade HTTP {status}: testhändelsen togs inte "
        "emot (vi väntar oss ett 2xx-svar).",
        "test_other": "Testhändelsen levererades inte: {error}",
        "confirm_revoke_title": "Återkalla API-nyckeln?",
        "confirm_revoke_text": "Anrop med nyckeln {api_key} ({label}) nekas från och med att ni "
        "återkallar den. Det går inte att ångra.",
        "confirm_revoke": "Ja, återkalla nyckeln",
        "confirm_remove_title": "Ta bort webhook-adressen?",
        "confirm_remove_text": "Vi slutar skicka händelser till {url}. Leveranshistoriken sparas.",
        "confirm_remove": "Ja, ta bort adressen",
        "cancel": "Nej, gå tillbaka",
        "key_revoked": "API-nyckeln återkallades.",
        "webhook_removed": "Webhook-adressen togs bort.",
        "change_at": "{when}",
        "ch_identifiers_added": "{who} lade till {names} bland uppgifterna ni behöver.",
        "ch_identifiers_removed": "{who} tog bort {names} från uppgifterna ni behöver.",
        "ch_contacts_added": "{who} lade till kontaktadressen {names}.",
        "ch_contacts_removed": "{who} tog bort kontaktadressen {names}.",
        "ch_locale": "{who} ändrade språket i våra mejl från {old} till {new}.",
        "ch_timezone": "{who} ändrade tidszonen från {old} till {new}.",
        "ch_notify_by": "{who} ändrade hur vi meddelar er från \u201d{old}\u201d till "
        "\u201d{new}\u201d.",
        "ch_setting": "{who} ändrade inställningen {name}.",
        "ch_merchant_added": "{who} skapade ert handlarkonto.",
        "ch_webhook_added": "{who} lade till webhook-adressen {url}.",
        "ch_webhook_removed": "{who} tog bort en webhook-adress ({endpoint}).",
        "ch_key_created": "{who} skapade API-nyckeln {api_key} ({label}).",
        "ch_key_revoked": "{who} återkallade API-nyckeln {api_key}.",
        "ch_other": "{who}: {what}.",
        "and": "och",
        "changes_heading": "Senaste ändringar",
        "changes_none": "Inga ändringar registrerade ännu.",
    },
}


class SettingsTranslator(Translator):
    """The portal's translator with the settings pages' words on top."""

    def __init__(self, locale: Locale) -> None:
        super().__init__(locale)
        self._own = MESSAGES[locale]

    def __call__(self, key: str, **values: Any) -> str:
        text = self._own.get(key) or MESSAGES["en"].get(key)
        if text is None:
            text = PORTAL_MESSAGES[self.locale].get(key) or PORTAL_MESSAGES["en"][key]
        return text.format(**values) if values else text
