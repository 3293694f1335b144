"""The op's session: who is signed in (a signed cookie, Starlette's SessionMiddleware) and
until when. It ends `session_minutes` after sign-in whatever the op does meanwhile."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import structlog
from fastapi import Request

from console.config import Role
from console.context import context_of
from console.csrf import CSRF_KEY

log = structlog.get_logger("cancelflow.console.auth")

SESSION_KEY = "op"


def now() -> float:
    """The clock sessions end by (seconds since the epoch)."""
    return time.time()


@dataclass(frozen=True)
class Op:
    """The signed-in person: what the case history records as responded_by / by."""

    subject: str
    name: str
    email: str | None
    role: Role
    issuer: str

    @property
    def actor(self) -> str:
        """How the op is named in a case's history: ops:<email or subject>."""
        return f"ops:{self.email or self.subject}"

    def may(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    @property
    def may_act(self) -> bool:
        return self.may(Role.AGENT)

    @property
    def may_edit_merchants(self) -> bool:
        return self.may(Role.ADMIN)


def current_op(request: Request) -> Op | None:
    """The op of this request's session, or None (signed out, or the session has ended)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    if float(data.get("expires_at", 0)) <= now():
        request.session.clear()
        request.state.session_expired = True
        return None
    try:
        return Op(
            subject=str(data["subject"]),
            name=str(data["name"]),
            email=data.get("email"),
            role=Role(data["role"]),
            issuer=str(data["issuer"]),
        )
    except (KeyError, ValueError):
        request.session.clear()
        return None


def start_session(request: Request, op: Op, id_token: str | None = None) -> None:
    settings = context_of(request).settings
    request.session.clear()  # a new session id for the new op (no fixation)
    request.session[SESSION_KEY] = {
        "subject": op.subject,
        "name": op.name,
        "email": op.email,
        "role": op.role.value,
        "issuer": op.issuer,
        "expires_at": now() + settings.session_minutes * 60,
    }
    if id_token:
        request.session["id_token"] = id_token
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    log.info("console.signed_in", op=op.actor, role=op.role.value, issuer=op.issuer)
