"""Sign-in by OpenID Connect (authorization code with PKCE, authlib's client), the op's
session, and the local sign-in of `cancelflow dev`.

The session is Starlette's signed cookie (itsdangerous): it holds the op (subject, name,
email, role, issuer), when the session ends and the form token. It ends `session_minutes`
after sign-in whatever the op does meanwhile; sign-out empties it and, when the provider
offers it, ends the provider's session too (RP-initiated logout).
"""

from __future__ import annotations

import getpass
import ipaddress
from typing import Any

import httpx
import structlog
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.config import ConsoleSettings, Role
from console.context import context_of
from console.csrf import require_form_token
from console.rendering import render
from console.session import Op, start_session

log = structlog.get_logger("cancelflow.console.auth")

router = APIRouter(prefix="/auth")

PROVIDER = "company"


def oauth_client(settings: ConsoleSettings) -> Any:
    """The provider's client from its discovery document (fetched at first sign-in)."""
    assert settings.issuer is not None
    oauth = OAuth()
    oauth.register(
        PROVIDER,
        client_id=settings.client_id,
        client_secret=(
            settings.client_secret.get_secret_value() if settings.client_secret else None
        ),
        server_metadata_url=settings.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256"},
    )
    return oauth.create_client(PROVIDER)


def _refusal(request: Request, reason: str, status: int = 400) -> Response:
    return render(request, "signed_out.html", {"problem": reason}, status_code=status)


@router.get("/sign-in")
async def sign_in(request: Request) -> Response:
    ctx = context_of(request)
    if ctx.oauth is None:
        if ctx.dev_sign_in:
            return RedirectResponse("/auth/dev", status_code=303)
        return _refusal(request, request.state.t("err_no_provider"), 503)
    redirect_uri = f"{ctx.settings.base_url}/auth/callback"
    try:
        response: Response = await ctx.oauth.authorize_redirect(request, redirect_uri)
    except httpx.HTTPError as err:
        # The discovery document is read at the first sign-in: the provider may be down.
        log.warning("console.provider_unreachable", error=type(err).__name__)
        return _refusal(request, request.state.t("err_provider_unreachable"), 503)
    return response


@router.get("/callback")
async def callback(request: Request) -> Response:
    ctx = context_of(request)
    t = request.state.t
    if ctx.oauth is None:
        return _refusal(request, t("err_no_provider"), 503)
    if "error" in request.query_params:
        return _refusal(request, t("err_provider", error=request.query_params["error"]))
    # RFC 9207: a provider that names itself in the response must be ours (mix-up defence).
    issuer = request.query_params.get("iss")
    if issuer is not None and issuer.rstrip("/") != (ctx.settings.issuer or "").rstrip("/"):
        log.warning("console.sign_in_refused", reason="another issuer in the response")
        return _refusal(request, t("err_other_issuer"))
    try:
        token = await ctx.oauth.authorize_access_token(request)
    except OAuthError as err:
        log.warning("console.sign_in_refused", reason=err.error)
        return _refusal(request, t("err_sign_in", reason=err.error))
    except Exception as err:  # noqa: BLE001 - a token that fails validation, whatever the library raises
        log.warning("console.sign_in_refused", reason=type(err).__name__)
        return _refusal(request, t("err_token", reason=type(err).__name__))
    claims = dict(token.get("userinfo") or {})
    op = op_from_claims(ctx.settings, claims)
    if op is None:
        log.warning("console.sign_in_refused", reason="no role", subject=claims.get("sub"))
        return _refusal(request, t("err_no_role", claim=ctx.settings.role_claim), 403)
    start_session(request, op, token.get("id_token"))
    return RedirectResponse("/", status_code=303)


def op_from_claims(settings: ConsoleSettings, claims: dict[str, Any]) -> Op | None:
    """The op the validated ID token's claims describe, or None when they grant no role."""
    role = settings.roles_of(claims.get(settings.role_claim))
    if role is None or not claims.get("sub"):
        return None
    email = claims.get("email")
    return Op(
        subject=str(claims["sub"]),
        name=str(claims.get("name") or claims.get("preferred_username") or claims["sub"]),
        email=str(email) if email else None,
        role=role,
        issuer=str(claims.get("iss") or settings.issuer),
    )


@router.post("/sign-out")
async def sign_out(request: Request, csrf_token: str = Form("")) -> Response:
    require_form_token(request, csrf_token)
    ctx = context_of(request)
    id_token = request.session.get("id_token")
    request.session.clear()
    if ctx.oauth is not None:
        metadata = await ctx.oauth.load_server_metadata()
        if metadata.get("end_session_endpoint"):
            logout = await ctx.oauth.create_logout_url(
                post_logout_redirect_uri=f"{ctx.settings.base_url}/auth/signed-out",
                id_token_hint=id_token,
            )
            return RedirectResponse(logout["url"], status_code=303)
    return RedirectResponse("/auth/signed-out", status_code=303)


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html", {"problem": None})


# --- cancelflow dev ------------------------------------------------------------------------------


def _from_this_machine(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/dev")
async def dev_sign_in_page(request: Request) -> Response:
    if not (context_of(request).dev_sign_in and _from_this_machine(request)):
        return _refusal(request, request.state.t("err_no_dev_sign_in"), 404)
    return render(request, "dev_sign_in.html", {"roles": list(Role), "user": getpass.getuser()})


@router.post("/dev")
async def dev_sign_in(request: Request, role: str = Form("admin")) -> Response:
    if not (context_of(request).dev_sign_in and _from_this_machine(request)):
        return _refusal(request, request.state.t("err_no_dev_sign_in"), 404)
    user = getpass.getuser()
    chosen = Role(role) if role in {r.value for r in Role} else Role.VIEWER
    op = Op(subject=user, name=user, email=f"{user}@localhost", role=chosen, issuer="local")
    start_session(request, op)
    return RedirectResponse("/", status_code=303)
