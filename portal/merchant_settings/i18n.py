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
        "sign_in_intro": "Enter your merchant ID and one of the contact addresses we send "
        "cancellation requests to. We email a sign-in link to that address.",
        "merchant_id": "Merchant ID",
        "email_address": "Email address",
        "send_link": "Email me a sign-in link",
        "link_sent_title": "Check your email",
        "link_sent_text": "If {email} is a contact address of that merchant, a sign-in link "
        "is on its way. It works once, for {minutes} minutes.",
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
        "extra_identifiers": "Other identifiers you need (names such as customer_number, "
        "separated by commas)",
        "contacts": "Contact addresses for requests and reminders (one per line)",
        "language_label": "Language of our emails",
        "timezone": "Time zone (such as Europe/Stockholm)",
        "notify_by": "Tell us how to reach you",
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
        "changes_heading": "Recent changes",
        "changes_none": "No changes recorded yet.",
        "unknown_identifier": "'{name}' is not an identifier name: use lower-case letters, "
        "digits and underscores, such as customer_number",
    },
    "sv": {
        "settings_title": "Handlarinställningar",
        "sign_in_title": "Logga in till era handlarinställningar",
        "sign_in_intro": "Ange ert handlar-ID och en av kontaktadresserna vi skickar "
        "uppsägningsbegäranden till. Vi mejlar en inloggningslänk till den adressen.",
        "merchant_id": "Handlar-ID",
        "email_address": "E-postadress",
        "send_link": "Mejla mig en inloggningslänk",
        "link_sent_title": "Kontrollera din e-post",
        "link_sent_text": "Om {email} är en kontaktadress för den handlaren är en "
        "inloggningslänk på väg. Den fungerar en gång, i {minutes} minuter.",
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
        "extra_identifiers": "Andra uppgifter ni behöver (namn som customer_number, "
        "åtskilda med komma)",
        "contacts": "Kontaktadresser för begäranden och påminnelser (en per rad)",
        "language_label": "Språk i våra e-postmeddelanden",
        "timezone": "Tidszon (till exempel Europe/Stockholm)",
        "notify_by": "Hur vi når er",
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
        "changes_heading": "Senaste ändringar",
        "changes_none": "Inga ändringar registrerade ännu.",
        "unknown_identifier": "'{name}' är inget giltigt namn: använd gemener, siffror och "
        "understreck, till exempel customer_number",
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
