"""The settings page's "answers by email" section: the merchant's opt-in to let its verified
email replies record themselves (#19), off by default, with the confidence they must pass.

Its own route and words, so the profile form and its page styling stay as they are.
"""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from domain.common import describe_validation_error
from domain.merchant import Merchant
from portal.context import Ctx
from portal.merchant_settings.deps import SCtx
from portal.merchant_settings.forms import changed_fields
from portal.merchant_settings.i18n import MESSAGES
from portal.merchant_settings.pages import guarded, render_settings, router, save_settings

FIELDS = ("auto_record_replies", "auto_record_threshold")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "auto_heading": "Answers by email",
        "auto_intro": "When you reply to a request by email, we read your reply and suggest "
        "the answer it gives. Our staff confirm it, or you can let clear replies record "
        "themselves: only from a verified sender address of yours, only when the reading is "
        "at least as sure as the level below, and never 'other reason' (we always read those).",
        "auto_record": "Record clear email replies without waiting for our staff",
        "auto_threshold": "How sure the reading must be (0.50 to 0.99; higher is stricter)",
        "auto_save": "Update email answers",
    },
    "sv": {
        "auto_heading": "Svar via e-post",
        "auto_intro": "När ni svarar på en begäran via e-post läser vi svaret och föreslår det "
        "svar det ger. Vår personal bekräftar det, eller så kan ni låta tydliga svar registreras "
        "av sig själva: bara från en verifierad avsändaradress hos er, bara när tolkningen är "
        "minst så säker som nivån nedan, och aldrig 'annan anledning' (de läser vi alltid).",
        "auto_record": "Registrera tydliga e-postsvar utan att vänta på vår personal",
        "auto_threshold": "Hur säker tolkningen måste vara (0,50 till 0,99; högre är strängare)",
        "auto_save": "Uppdatera svar via e-post",
    },
}
for _locale, _words in WORDS.items():
    MESSAGES[_locale].update(_words)


def read_auto_record(
    current: Merchant, enabled: bool, threshold: str
) -> tuple[Merchant | None, dict[str, str]]:
    """(the merchant with the section's values, {}) or (None, {field: message})."""
    data: dict[str, Any] = current.model_dump(mode="json")
    data["auto_record_replies"] = enabled
    data["auto_record_threshold"] = threshold.strip().replace(",", ".")
    try:
        return Merchant.model_validate(data), {}
    except ValidationError as err:
        problem = describe_validation_error(err)[0]
        return None, {problem["field"]: f"{problem['field']}: {problem['message']}"}


@router.post("/replies")
async def save_auto_record(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form(""),
    auto_record_replies: str = Form("", max_length=8),
    auto_record_threshold: str = Form("0.9", max_length=8),
) -> Response:
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    before = signed.merchant
    updated, errors = read_auto_record(before, auto_record_replies == "on", auto_record_threshold)
    if updated is None:
        return await render_settings(request, ctx, sctx, signed, status=422, errors=errors)
    changes = changed_fields(before, updated, FIELDS)
    return await save_settings(request, ctx, sctx, signed, updated, changes)
