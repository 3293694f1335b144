"""Who may see and do what: every page needs a signed-in op; acts need an agent, merchant
edits an admin. A refusal says which role it takes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from console.config import Role
from console.rendering import render
from console.session import Op, current_op


class SignInNeeded(Exception):
    pass


class RoleRefused(Exception):
    def __init__(self, needed: Role) -> None:
        super().__init__(needed.value)
        self.needed = needed


def require(request: Request, role: Role = Role.VIEWER) -> Op:
    op = current_op(request)
    if op is None:
        raise SignInNeeded()
    if not op.may(role):
        raise RoleRefused(role)
    return op


def sign_in_redirect(request: Request) -> Response:
    if getattr(request.state, "session_expired", False):
        return render(
            request, "signed_out.html", {"problem": request.state.t("session_ended")}, 401
        )
    return RedirectResponse("/auth/sign-in", status_code=303)


def role_refusal(request: Request, err: RoleRefused) -> Response:
    t = request.state.t
    return render(
        request,
        "error.html",
        {"heading": t("refused_heading"), "text": t("needs_role", role=t("role_" + err.needed))},
        status_code=403,
    )
