"""Who may see and do what: every page needs a signed-in op; acts need an agent, merchant
edits an admin. A refusal says which role it takes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.config import Role
from console.csrf import require_form_token
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


def form_by(role: Role) -> Callable[..., Awaitable[Op]]:
    """The guard of every form that changes something: the console's own form (its token,
    same origin), then the role. The token comes first: a post from elsewhere is refused as
    such, whoever is signed in."""

    async def guard(request: Request, csrf_token: str = Form("")) -> Op:
        require_form_token(request, csrf_token)
        return require(request, role)

    return guard


# Every act on a case, erasure included: agents and admins.
ActingOp = Annotated[Op, Depends(form_by(Role.AGENT))]
# Edits of the merchant directory: admins only.
AdminOp = Annotated[Op, Depends(form_by(Role.ADMIN))]


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
