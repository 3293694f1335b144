"""Erasing a case's personal data from the console: through cases/erasure.py (the case's
ErasureWorkflow), as `cancelflow cases erase` and the intake API do.

Agents and admins may erase, as they may withdraw: it is an act on a case, and the customer's
request for it reaches ops, not the merchant directory. It cannot be undone, so the form
asks for a reason (kept with the erasure record) and a ticked confirmation. The result is
its own page, not the case page: once the key is gone, the case's history no longer reads.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from cases.client import CaseNotFound
from cases.erasure import erase_case
from console.access import ActingOp
from console.acts import MAX_KEPT_CHARS, problems_in, refuse
from console.context import context_of
from console.i18n import Translator
from console.rendering import render
from domain.erasure import ErasureReceipt, ErasureRequest

router = APIRouter(prefix="/cases/{case_id}")

CONFIRMED = "yes"


@router.post("/erase")
async def erase(
    request: Request, case_id: str, op: ActingOp, reason: str = Form(""), confirm: str = Form("")
) -> Response:
    t = request.state.t
    ctx = context_of(request)
    if confirm != CONFIRMED:
        return refuse(request, case_id, t("refused_erase", reason=t("err_erase_confirm")))
    try:
        asked = ErasureRequest(reason=reason.strip()[:MAX_KEPT_CHARS], requested_by=op.actor)
    except ValidationError as err:
        return refuse(request, case_id, t("refused_erase", reason=problems_in(err)))
    if ctx.task_queue is None:
        return refuse(request, case_id, t("refused_erase", reason=t("err_no_task_queue")))
    try:
        receipt = await erase_case(ctx.client, case_id, asked, ctx.task_queue)
    except CaseNotFound:
        return refuse(request, case_id, t("not_found_text", case=case_id))
    return render(request, "erased.html", {"case_id": case_id, "done": _said(t, receipt)})


def _said(t: Translator, receipt: ErasureReceipt) -> str:
    on = receipt.erased_at.date().isoformat()
    if receipt.already:
        # Asked again: acknowledged with the first erasure, not refused.
        return t("done_erase_already", on=on, by=receipt.erased_by)
    if receipt.withdrawn:
        return t("done_erase_withdrawn", on=on)
    return t("done_erase", on=on)
