"""Configuration of the portal and the mail gateway (composed into workers.settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class PortalSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    # The address merchants see in emails; defaults to http://host:port.
    public_url: str | None = None
    secret_key: SecretStr = SecretStr("dev-only-change-me-portal-secret-key-0123456789")
    link_valid_days: int = 120
    internal_api_key: SecretStr = SecretStr("dev-internal-key")
    max_body_bytes: int = 64 * 1024

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class MailGatewaySettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 2525
    max_message_bytes: int = 5 * 1024 * 1024
    # Certificate and key (PEM files) to offer STARTTLS to sending servers; replies can quote
    # customer details, so set these wherever the gateway is reachable from the internet.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    hostname: str = "cancelflow-mail-gateway"
    # What makes a reply from a merchant's contact verified (so it pauses the chase): "dkim",
    # its From header and a valid DKIM signature of the From address's domain (or a parent);
    # "from_header", the From header alone, which anyone can forge. Unset: "dkim" in every
    # process but `cancelflow dev`, where it is "from_header" so replies typed into the local
    # stack count (workers.settings.settings_for_process decides).
    sender_authentication: Literal["dkim", "from_header"] | None = None
    # The DKIM check's bound (DNS key lookups); past it the reply is stored unverified.
    dkim_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
