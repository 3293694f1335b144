"""The portal's words in English and Swedish. The outcomes' labels (the merchant guide's own
words) and their fields' come from domain/outcomes.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.common import SUPPORTED_LOCALES, Locale
from domain.outcomes import GROUP_LABELS, OUTCOMES, answer_fields
from domain.wording import format_date, identifier_label

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "portal_name": "Minna cancellation portal",
        "page_title": "Reply to cancellation request",
        "intro": "A customer has asked us to cancel their subscription with {merchant}. "
        "Please tell us the outcome, whether the cancellation succeeded or not.",
        "request_heading": "Cancellation request",
        "reference": "Reference",
        "subscription": "Subscription",
        "account_reference": "Account reference",
        "requested_on": "Requested on",
        "customer_heading": "Customer details",
        "outcome_legend": "The subscription…",
        "reason_legend": "Reason",
        "send": "Send",
        "errors_heading": "Please correct the following",
        "err_choice_required": "Choose what happened to the subscription.",
        "err_reason_required": "Choose why the subscription could not be cancelled.",
        "err_date_required": "Enter a date.",
        "err_date_invalid": "Enter a real date as year-month-day, for example 2026-12-31.",
        "err_cancelled_after_today": "The date the cancellation was performed cannot be "
        "after today ({today}).",
        "err_contract_before_today": "The date the binding contract expires cannot be "
        "before today ({today}).",
        "err_message_required": "Write a message explaining the other reason.",
        "err_message_too_long": "The message can be at most {limit} characters (it has {length}).",
        "err_message_control": "The message contains an invisible control character that "
        "cannot be stored; please remove it (copy the text through a plain editor).",
        "err_form_expired": "This form has expired or was sent from another page. "
        "Please check your answer and press Send again.",
        "recorded_heading": "Thank you, your answer has been recorded",
        "already_recorded_heading": "An answer to this request has been recorded",
        "recorded_intro": "This is what we recorded for reference {reference}:",
        "recorded_on": "Recorded on",
        "recorded_via": "Received",
        "channel_portal": "through the cancellation portal",
        "channel_api": "through the API",
        "channel_email": "by email",
        "channel_ops": "by Minna support",
        "outcome": "Outcome",
        "refused_heading": "Your answer was not recorded",
        "refused_different": "A different answer was already recorded on {date}, {channel}. "
        "It cannot be replaced here; if it is wrong, write to {support}.",
        "refused_closed": "This request is closed and no longer takes answers. If something "
        "is wrong, write to {support}.",
        "refused_other": "We could not record the answer: {reason}",
        "closed_heading": "This request is closed",
        "closed_text": "This cancellation request no longer takes answers. If you have "
        "questions, write to {support}.",
        "link_invalid_heading": "This link is not valid",
        "link_invalid_text": "We could not find a cancellation request for this link. "
        "Check that you opened the whole link from the email.",
        "link_expired_heading": "This link has expired",
        "link_expired_text": "The link in the email expired on {date}.",
        "link_stale_heading": "This link is for an earlier request",
        "link_stale_text": "We have since sent a new cancellation email for this customer. "
        "Please use the link in the most recent email.",
        "link_erased_heading": "This request is no longer available",
        "link_erased_text": "The customer's personal data for this request has been erased. "
        "There is nothing more to do.",
        "by_email_instead": "You can still answer by email: reply to the cancellation email "
        "you received from us, or write to {support} and mention the "
        "reference in the email.",
        "unavailable_heading": "The portal is unavailable right now",
        "unavailable_text": "Please try again in a few minutes.",
        "language": "Language",
        "who_legend": "Who is answering (optional)",
        "agent_name": "Your name",
        "agent_name_hint": "Kept in the request's history, so your colleagues can see who "
        "answered. Not shared with the customer.",
        "ticket": "Your ticket or case number",
        "ticket_hint": "Your own reference for this request, if you have one.",
        "err_agent_too_long": "Your name can be at most {limit} characters.",
        "err_agent_control": "Your name contains an invisible control character; please remove it.",
        "err_ticket_too_long": "The ticket number can be at most {limit} characters.",
        "err_ticket_control": "The ticket number contains an invisible control character; "
        "please remove it.",
        "chars_remaining": "You have {count} characters remaining",
        "chars_over": "You have {count} characters too many",
        "chars_limit": "You can enter up to {limit} characters.",
        "recorded_ticket": "Your reference",
        "private_message_note": "Your message is for Minna only: it is not shared with the "
        "customer.",
        "home_title": "Minna cancellation portal",
        "home_intro": "Minna cancels subscriptions on behalf of consumers. Merchants use "
        "this portal to answer our cancellation requests.",
        "home_reply": "To answer a cancellation request, open the link in the email we sent "
        "you (\u201cReply to cancellation request\u201d). Each request has its own link.",
        "home_settings": "Sign in to your merchant settings",
        "home_settings_text": "Change the identifiers you need, your contact addresses, "
        "webhooks and API keys.",
        "home_support": "Questions? Write to {support}.",
    },
    "sv": {
        "portal_name": "Minnas uppsägningsportal",
        "page_title": "Svara på uppsägningsbegäran",
        "intro": "En kund har bett oss säga upp sitt abonnemang hos {merchant}. "
        "Berätta för oss hur det gick, både om uppsägningen lyckades och om den "
        "inte gjorde det.",
        "request_heading": "Uppsägningsbegäran",
        "reference": "Referens",
        "subscription": "Abonnemang",
        "account_reference": "Kontoreferens",
        "requested_on": "Begärd den",
        "customer_heading": "Kunduppgifter",
        "outcome_legend": "Abonnemanget…",
        "reason_legend": "Orsak",
        "send": "Skicka",
        "errors_heading": "Rätta följande",
        "err_choice_required": "Välj vad som hände med abonnemanget.",
        "err_reason_required": "Välj varför abonnemanget inte kunde sägas upp.",
        "err_date_required": "Ange ett datum.",
        "err_date_invalid": "Ange ett riktigt datum som år-månad-dag, till exempel 2026-12-31.",
        "err_cancelled_after_today": "Datumet då uppsägningen genomfördes kan inte vara "
        "efter i dag ({today}).",
        "err_contract_before_today": "Datumet då bindningstiden löper ut kan inte vara "
        "före i dag ({today}).",
        "err_message_required": "Skriv ett meddelande som förklarar den andra orsaken.",
        "err_message_too_long": "Meddelandet får vara högst {limit} tecken (det har {length}).",
        "err_message_control": "Meddelandet innehåller ett osynligt kontrolltecken som inte kan "
        "sparas; ta bort det (kopiera texten via en enkel textredigerare).",
        "err_form_expired": "Formuläret har gått ut eller skickades från en annan sida. "
        "Kontrollera ditt svar och tryck på Skicka igen.",
        "recorded_heading": "Tack, ditt svar har registrerats",
        "already_recorded_heading": "Ett svar på den här begäran har registrerats",
        "recorded_intro": "Det här registrerade vi för referens {reference}:",
        "recorded_on": "Registrerat",
        "recorded_via": "Mottaget",
        "channel_portal": "via uppsägningsportalen",
        "channel_api": "via API:t",
        "channel_email": "via e-post",
        "channel_ops": "av Minnas support",
        "outcome": "Utfall",
        "refused_heading": "Ditt svar registrerades inte",
        "refused_different": "Ett annat svar registrerades redan {date}, {channel}. Det kan "
        "inte ersättas här; om det är fel, skriv till {support}.",
        "refused_closed": "Den här begäran är avslutad och tar inte emot fler svar. Om något "
        "är fel, skriv till {support}.",
        "refused_other": "Vi kunde inte registrera svaret: {reason}",
        "closed_heading": "Den här begäran är avslutad",
        "closed_text": "Den här uppsägningsbegäran tar inte emot fler svar. Om du har frågor, "
        "skriv till {support}.",
        "link_invalid_heading": "Länken är inte giltig",
        "link_invalid_text": "Vi hittade ingen uppsägningsbegäran för den här länken. "
        "Kontrollera att du öppnade hela länken från e-postmeddelandet.",
        "link_expired_heading": "Länken har gått ut",
        "link_expired_text": "Länken i e-postmeddelandet gick ut {date}.",
        "link_stale_heading": "Länken gäller en tidigare begäran",
        "link_stale_text": "Vi har sedan dess skickat ett nytt uppsägningsmeddelande för den "
        "här kunden. Använd länken i det senaste meddelandet.",
        "link_erased_heading": "Den här begäran är inte längre tillgänglig",
        "link_erased_text": "Kundens personuppgifter för den här begäran har raderats. "
        "Du behöver inte göra något mer.",
        "by_email_instead": "Du kan fortfarande svara via e-post: svara på "
        "uppsägningsmeddelandet du fick från oss, eller skriv till "
        "{support} och ange referensen i meddelandet.",
        "unavailable_heading": "Portalen är inte tillgänglig just nu",
        "unavailable_text": "Försök igen om några minuter.",
        "language": "Språk",
        "who_legend": "Vem svarar (frivilligt)",
        "agent_name": "Ditt namn",
        "agent_name_hint": "Sparas i begärans historik så att dina kollegor ser vem som "
        "svarade. Delas inte med kunden.",
        "ticket": "Ert ärende- eller ticketnummer",
        "ticket_hint": "Er egen referens för den här begäran, om ni har en.",
        "err_agent_too_long": "Ditt namn får vara högst {limit} tecken.",
        "err_agent_control": "Ditt namn innehåller ett osynligt kontrolltecken; ta bort det.",
        "err_ticket_too_long": "Ärendenumret får vara högst {limit} tecken.",
        "err_ticket_control": "Ärendenumret innehåller ett osynligt kontrolltecken; ta bort det.",
        "chars_remaining": "Du har {count} tecken kvar",
        "chars_over": "Du har {count} tecken för mycket",
        "chars_limit": "Du kan skriva upp till {limit} tecken.",
        "recorded_ticket": "Er referens",
        "private_message_note": "Ditt meddelande är bara till Minna: det delas inte med kunden.",
        "home_title": "Minnas uppsägningsportal",
        "home_intro": "Minna säger upp abonnemang åt konsumenter. Handlare använder den här "
        "portalen för att svara på våra uppsägningsbegäranden.",
        "home_reply": "Öppna länken i mejlet vi skickade (\u201dSvara på "
        "uppsägningsbegäran\u201d) för att svara på en begäran. Varje begäran har en egen "
        "länk.",
        "home_settings": "Logga in till era handlarinställningar",
        "home_settings_text": "Ändra uppgifterna ni behöver, era kontaktadresser, webhooks "
        "och API-nycklar.",
        "home_support": "Frågor? Skriv till {support}.",
    },
}


def _outcome_words(locale: Locale) -> dict[str, str]:
    """The outcomes' and their fields' words, as domain/outcomes.py defines them."""
    words = {spec.outcome.value: spec.label[locale] for spec in OUTCOMES.values()}
    words |= {
        f"next_{spec.outcome.value}": spec.merchant_next[locale] for spec in OUTCOMES.values()
    }
    words |= {group.value: label[locale] for group, label in GROUP_LABELS.items()}
    for answer_field in answer_fields():
        words[answer_field.name] = answer_field.text.label[locale]
        if answer_field.text.hint is not None:
            words[f"{answer_field.name}_hint"] = answer_field.text.hint[locale]
    return words


for _locale in SUPPORTED_LOCALES:
    MESSAGES[_locale].update(_outcome_words(_locale))


LANGUAGE_NAMES: dict[str, str] = {"en": "English", "sv": "Svenska"}


def choose_locale(requested: str | None, fallback: str) -> Locale:
    for candidate in (requested, fallback):
        if candidate in SUPPORTED_LOCALES:
            return candidate
    return "en"


class Translator:
    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self._messages = MESSAGES[locale]

    def __call__(self, key: str, **values: Any) -> str:
        text = self._messages.get(key) or MESSAGES["en"][key]
        return text.format(**values) if values else text

    def date(self, value: date) -> str:
        return format_date(value, self.locale)

    def identifier(self, name: str) -> str:
        # The same words as the email the merchant got.
        return identifier_label(name, self.locale)
