"""Configuration of the ops console (composed into workers.settings as `console`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr


class Role(StrEnum):
    """What an op may do; each role includes the ones before it."""

    VIEWER = "viewer"
    AGENT = "agent"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


DEV_SESSION_SECRET = "dev-only-change-me-console-session-secret-0123456789"


class ConsoleSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    # The address ops open (behind the internal load balancer); defaults to http://host:port.
    # The OpenID Connect redirect URI is <public_url>/auth/callback.
    public_url: str | None = None
    # The company's OpenID Connect provider; the process refuses to start without one
    # (outside `cancelflow dev`, which signs a local op in without a provider).
    issuer: str | None = None
    client_id: str = "cancelflow-ops-console"
    client_secret: SecretStr | None = None
    scopes: str = "openid profile email"
    # The ID token (or userinfo) claim that carries the op's groups or roles, a string or a
    # list, and which of its values grant which role (the highest one wins).
    role_claim: str = "cancelflow_roles"
    role_values: dict[Role, list[str]] = Field(
        default_factory=lambda: {role: [role.value] for role in Role}
    )
    # Signs the session cookie; the session itself ends this long after sign-in.
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    session_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Secure cookies (HTTPS only). Only `cancelflow dev`, on http://127.0.0.1, turns it off.
    secure_cookies: bool = True
    # Links to a case in the Temporal UI: <temporal_ui_url>/namespaces/<ns>/workflows/<id>.
    temporal_ui_url: str | None = None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def roles_of(self, claim: object) -> Role | None:
        """The highest role the claim's values grant, or None."""
        values = (
            {claim} if isinstance(claim, str) else set(claim) if isinstance(claim, list) else set()
        )
        granted = [role for role, wanted in self.role_values.items() if values & set(wanted)]
        return max(granted, key=lambda role: role.rank, default=None)
