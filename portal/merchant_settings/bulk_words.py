"""The open-requests and bulk pages' words in English and Swedish, and the reasons a row or
a file was refused put into the merchant's language.

The reasons come from the case's validator and the domain's rules in English; each known
form is matched here and said again in Swedish, values kept. An unknown form stays English.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.bulk_answers import UPLOAD_REFUSALS, RowProblem, UploadRefused
from domain.case import CaseState, CaseStatus
from domain.common import Locale
from domain.wording import MONTHS
from portal.merchant_settings.i18n import SettingsTranslator

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "requests_title": "Open requests",
        "view_waiting": "Waiting for your answer",
        "view_follow_up": "Answered, follow-up pending",
        "filter_legend": "Show",
        "age_label": "Requested",
        "age_all": "any time",
        "age_older": "{days} or more days ago",
        "apply": "Show",
        "reference": "Reference",
        "subscription": "Subscription",
        "requested": "Requested",
        "age_days": "{days} days",
        "next_step": "Next step",
        "status": "Status",
        "select": "Select",
        "select_case": "Select {reference}",
        "reply": "Reply",
        "none_here": "No requests here.",
        "next_page": "Older requests",
        "first_page": "Newest requests",
        "answer_heading": "Answer the selected requests",
        "answer_intro": "One answer for every request you selected. Each request still "
        "checks the answer itself, and the results page says what each one did.",
        "outcome_label": "Outcome",
        "choose": "Choose…",
        "date_label": "Date (the customer's access until, the cancellation, or the contract's "
        "end, as the outcome asks)",
        "message_label": "Message (for 'other reason'; never shown to the customer)",
        "send_selected": "Send answer to selected requests",
        "err_none_selected": "Select at least one request.",
        "err_too_many": "Select at most {limit} requests at once.",
        "err_outcome": "Choose an outcome.",
        "err_date": "Enter the date as YYYY-MM-DD, for example 2026-12-31.",
        "err_message": "Write a message explaining the other reason.",
        "spreadsheet_heading": "Answer with a spreadsheet",
        "spreadsheet_intro": "Download the requests waiting for your answer, fill in the "
        "columns outcome, access_until, cancelled_on, contract_ends_on and message "
        "(dates as YYYY-MM-DD), and upload the file. Rows you leave empty are left out.",
        "download_csv": "Download open requests (CSV)",
        "upload_label": "Filled-in file (CSV, up to {rows} rows)",
        "upload": "Upload and answer",
        "upload_refused": "The file was not used and nothing was recorded: {reason}.",
        "recent_batches": "Recent batches",
        "batch_title": "Answers in bulk",
        "batch_running": "Answering… {done} done, {refused} refused, {left} left of {total}.",
        "batch_done": "Done: {recorded} recorded, {already} already recorded, "
        "{refused} refused of {total}.",
        "batch_blank": "{count} rows had no outcome and were left out.",
        "batch_same_file": "You uploaded this same file on {when}. Nothing is recorded twice: "
        "rows answered then show as already recorded.",
        "refresh": "Refresh",
        "results_heading": "Results",
        "results_csv": "Download the results (CSV)",
        "only_refused": "Show refused rows only",
        "all_rows": "Show all rows",
        "row": "Row",
        "case_id": "Case",
        "result": "Result",
        "reason": "Reason",
        "result_recorded": "recorded",
        "result_already_recorded": "already recorded (the same answer)",
        "result_refused": "refused",
        "result_pending": "waiting",
        "back_to_requests": "Back to the open requests",
        "column": "column {column}",
        "status_awaiting": "waiting",
        "status_reminded": "reminded",
        "status_escalated": "escalated",
        "status_needs_triage": "your email reply is being read",
        "status_answered": "answered",
        "status_follow_up": "follow-up",
        "status_starting": "being sent",
        "step_reminder": "reminder {number} on {when}",
        "step_escalation": "escalation to our team on {when}",
        "step_new_request": "a new request on {when}, when the contract allows it",
        "step_correction": "the customer may correct their details until {when}",
        "step_triage": "our team is reading your email reply; no reminders meanwhile",
        "step_answered": "the customer is being told your answer",
        "step_starting": "the request is being sent",
        "settings_link": "Settings",
        "open_requests_link": "Open requests and answers in bulk",
    },
    "sv": {
        "requests_title": "Öppna begäranden",
        "view_waiting": "Väntar på ert svar",
        "view_follow_up": "Besvarade, uppföljning pågår",
        "filter_legend": "Visa",
        "age_label": "Begärd",
        "age_all": "när som helst",
        "age_older": "för {days} dagar sedan eller mer",
        "apply": "Visa",
        "reference": "Referens",
        "subscription": "Abonnemang",
        "requested": "Begärd",
        "age_days": "{days} dagar",
        "next_step": "Nästa steg",
        "status": "Status",
        "select": "Välj",
        "select_case": "Välj {reference}",
        "reply": "Svara",
        "none_here": "Inga begäranden här.",
        "next_page": "Äldre begäranden",
        "first_page": "Nyaste begäranden",
        "answer_heading": "Svara på de valda begärandena",
        "answer_intro": "Ett svar för varje begäran ni valt. Varje begäran kontrollerar "
        "ändå svaret själv, och resultatsidan visar vad som hände med var och en.",
        "outcome_label": "Utfall",
        "choose": "Välj…",
        "date_label": "Datum (kundens tillgång till och med, uppsägningen eller "
        "bindningstidens slut, som utfallet kräver)",
        "message_label": "Meddelande (för 'annan orsak'; visas aldrig för kunden)",
        "send_selected": "Skicka svar till valda begäranden",
        "err_none_selected": "Välj minst en begäran.",
        "err_too_many": "Välj högst {limit} begäranden åt gången.",
        "err_outcome": "Välj ett utfall.",
        "err_date": "Ange datumet som ÅÅÅÅ-MM-DD, till exempel 2026-12-31.",
        "err_message": "Skriv ett meddelande som förklarar den andra orsaken.",
        "spreadsheet_heading": "Svara med ett kalkylblad",
        "spreadsheet_intro": "Ladda ner begärandena som väntar på ert svar, fyll i "
        "kolumnerna outcome, access_until, cancelled_on, contract_ends_on och message "
        "(datum som ÅÅÅÅ-MM-DD) och ladda upp filen. Rader ni lämnar tomma tas inte med.",
        "download_csv": "Ladda ner öppna begäranden (CSV)",
        "upload_label": "Ifylld fil (CSV, högst {rows} rader)",
        "upload": "Ladda upp och svara",
        "upload_refused": "Filen användes inte och inget registrerades: {reason}.",
        "recent_batches": "Senaste omgångar",
        "batch_title": "Svar i omgång",
        "batch_running": "Svarar… {done} klara, {refused} avvisade, {left} kvar av {total}.",
        "batch_done": "Klart: {recorded} registrerade, {already} redan registrerade, "
        "{refused} avvisade av {total}.",
        "batch_blank": "{count} rader saknade utfall och togs inte med.",
        "batch_same_file": "Ni laddade upp samma fil {when}. Inget registreras två gånger: "
        "rader som besvarades då visas som redan registrerade.",
        "refresh": "Uppdatera",
        "results_heading": "Resultat",
        "results_csv": "Ladda ner resultaten (CSV)",
        "only_refused": "Visa bara avvisade rader",
        "all_rows": "Visa alla rader",
        "row": "Rad",
        "case_id": "Ärende",
        "result": "Resultat",
        "reason": "Orsak",
        "result_recorded": "registrerat",
        "result_already_recorded": "redan registrerat (samma svar)",
        "result_refused": "avvisat",
        "result_pending": "väntar",
        "back_to_requests": "Tillbaka till öppna begäranden",
        "column": "kolumn {column}",
        "status_awaiting": "väntar",
        "status_reminded": "påmind",
        "status_escalated": "eskalerad",
        "status_needs_triage": "ert e-postsvar läses",
        "status_answered": "besvarad",
        "status_follow_up": "uppföljning",
        "status_starting": "skickas",
        "step_reminder": "påminnelse {number} den {when}",
        "step_escalation": "eskalering till vårt team den {when}",
        "step_new_request": "en ny begäran den {when}, när avtalet tillåter det",
        "step_correction": "kunden kan rätta sina uppgifter till och med {when}",
        "step_triage": "vårt team läser ert e-postsvar; inga påminnelser under tiden",
        "step_answered": "kunden får veta ert svar",
        "step_starting": "begäran skickas",
        "settings_link": "Inställningar",
        "open_requests_link": "Öppna begäranden och svar i omgång",
    },
}

UPLOAD_REFUSALS_SV: dict[str, str] = {
    "too_large": "filen är {size} byte; gränsen är {limit} byte",
    "not_text": "filen är ingen textfil (den innehåller NUL-byte)",
    "not_utf8": "filen är inte UTF-8-text (byte {position} är inte giltig UTF-8); "
    "spara den som 'CSV UTF-8'",
    "empty": "filen är tom",
    "not_csv": "rad {row}: filen är inte giltig CSV ({error})",
    "missing_columns": "första raden måste namnge kolumnerna; saknas: {columns}",
    "duplicate_columns": "kolumner som finns två gånger: {columns}",
    "too_many_rows": "filen har {rows} rader; gränsen är {limit}",
    "extra_cells": "rad {row} har {cells} celler men första raden namnger {columns} kolumner",
    "no_answers": "ingen rad har ett utfall: fyll i kolumnen outcome på raderna ni besvarar",
}
assert set(UPLOAD_REFUSALS_SV) == set(UPLOAD_REFUSALS)

# (English form, Swedish form): the reasons of the case's validator and the domain's rules.
_REASONS_SV: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"you have no case '(?P<case>.*)'"), "ni har inget ärende '{case}'"),
    (
        re.compile(
            r"an answer was already recorded on (?P<at>\S+) through (?P<channel>\w+) "
            r"\((?P<outcome>\w+)\); a different answer cannot replace it"
        ),
        "ett annat svar registrerades redan {at} via {channel} ({outcome}); det kan inte ersättas",
    ),
    (
        re.compile(r"the case is (?P<status>\w+); it no longer takes answers"),
        "ärendet är {status}; det tar inte längre emot svar",
    ),
    (
        re.compile(r"the customer withdrew the request on (?P<at>\S+); no answer is needed"),
        "kunden återkallade begäran {at}; inget svar behövs",
    ),
    (
        re.compile(r"must be a date written YYYY-MM-DD, such as '?2026-12-31'?"),
        "måste vara ett datum skrivet ÅÅÅÅ-MM-DD, till exempel 2026-12-31",
    ),
    (
        re.compile(r"must be empty for the outcome (?P<outcome>\w+)"),
        "måste vara tom för utfallet {outcome}",
    ),
    (
        re.compile(r"is required for the outcome (?P<outcome>\w+)"),
        "måste anges för utfallet {outcome}",
    ),
    (re.compile(r"is required when an answer is given"), "måste anges när ett svar ges"),
    (re.compile(r"must be one of: (?P<values>.+)"), "måste vara ett av: {values}"),
    (re.compile(r"is required(: one of (?P<values>.+))?|Field required"), "måste anges"),
    (
        re.compile(
            r"the date the cancellation was performed \((?P<day>[\d-]+)\) cannot be after the "
            r"date of the answer \((?P<answered>[\d-]+)\)"
        ),
        "datumet då uppsägningen genomfördes ({day}) kan inte vara efter svarsdatumet ({answered})",
    ),
    (
        re.compile(
            r"the date the binding contract expires \((?P<day>[\d-]+)\) cannot be before the "
            r"date of the answer \((?P<answered>[\d-]+)\)"
        ),
        "datumet då bindningstiden löper ut ({day}) kan inte vara före svarsdatumet ({answered})",
    ),
    (
        re.compile(r"a message explaining the other reason is required"),
        "ett meddelande som förklarar den andra orsaken krävs",
    ),
    (
        re.compile(r"must be at most (?P<limit>\d+) characters \(it has (?P<length>\d+)\)"),
        "får vara högst {limit} tecken (det har {length})",
    ),
    (re.compile(r"Extra inputs are not permitted"), "är inget fält i ett svar"),
    (
        re.compile(r"the case could not be reached; send this answer again later"),
        "ärendet kunde inte nås; skicka svaret igen senare",
    ),
]


def reason_in(text: str, locale: Locale) -> str:
    if locale == "en":
        return text
    for pattern, swedish in _REASONS_SV:
        found = pattern.fullmatch(text)
        if found:
            return swedish.format(**{k: v or "" for k, v in found.groupdict().items()})
    return text


class BulkTranslator(SettingsTranslator):
    """The settings pages' translator with the open-requests and bulk pages' words on top."""

    def __init__(self, locale: Locale) -> None:
        super().__init__(locale)
        self._bulk = WORDS[locale]

    def __call__(self, key: str, **values: Any) -> str:
        text = self._bulk.get(key) or WORDS["en"].get(key)
        if text is None:
            return super().__call__(key, **values)
        return text.format(**values) if values else text

    def problem(self, problem: RowProblem | None) -> str:
        """A row's reason: each field problem as 'column x: ...', else the detail."""
        if problem is None:
            return ""
        if problem.errors:
            return "; ".join(
                f"{self('column', column=e.field)}: {reason_in(e.message, self.locale)}"
                for e in problem.errors
            )
        return reason_in(problem.detail, self.locale)

    def upload_refusal(self, refusal: UploadRefused) -> str:
        if self.locale == "sv":
            return UPLOAD_REFUSALS_SV[refusal.key].format(**refusal.values)
        return str(refusal)

    def moment(self, when: datetime, zone: str) -> str:
        """'14 Dec, 09:00 Stockholm': the day and the merchant's clock, the zone named."""
        local = when.astimezone(ZoneInfo(zone))
        month = MONTHS[self.locale][local.month - 1][:3]
        if self.locale == "en":
            month = month.capitalize()
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        year = "" if local.year == datetime.now(local.tzinfo).year else f" {local.year}"
        return f"{local.day} {month}{year}, {local:%H:%M} {city}"

    def next_step(self, state: CaseState, zone: str) -> str:
        """What happens next to the request, and when, in the merchant's words and clock."""
        status = state.status
        due = state.next_action_at
        if status is CaseStatus.NEEDS_TRIAGE:
            return self("step_triage")
        if status is CaseStatus.STARTING:
            return self("step_starting")
        if status is CaseStatus.FOLLOW_UP:
            when = state.follow_up_at or due
            if when is None:
                return ""
            outcome = state.answer.outcome.value if state.answer else ""
            key = "step_new_request" if outcome == "binding_contract" else "step_correction"
            return self(key, when=self.moment(when, zone))
        if status is CaseStatus.ANSWERED or state.answer is not None:
            return self("step_answered")
        if due is None:
            return ""
        # The chase order: reminder 1, reminder 2, escalation, then reminder 3, 4, ...
        done = state.chase_steps_done
        if done == 2:
            return self("step_escalation", when=self.moment(due, zone))
        number = done + 1 if done < 2 else done
        return self("step_reminder", number=number, when=self.moment(due, zone))

    def status(self, status: str | CaseStatus) -> str:
        return self(f"status_{CaseStatus(status).value}")
