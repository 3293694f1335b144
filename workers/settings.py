"""All configuration, from environment variables (prefix CANCELFLOW_, nested with __).

Temporal's own connection follows the SDK's envconfig conventions instead
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE, config file),
so the same worker points at a dev server, a cluster or Temporal Cloud.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.config import EmailSettings, SmtpSettings
from integrations.config import WebhookSettings
from portal.config import MailGatewaySettings, PortalSettings
from storage.archive import ArchiveSettings


class CodecSettings(BaseModel):
    """Payload encryption. keys: 'id:base64key,id2:base64key2'; the first one encrypts."""

    keys: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8081
    # Origins of the Temporal UI allowed to call the codec server (CORS); empty means the
    # local dev UI (http://localhost:<dev_ui_port>).
    allowed_origins: list[str] = Field(default_factory=list)


class TemporalSettings(BaseModel):
    task_queue: str = "cancelflow"
    # Only used by `cancelflow dev` to start its own dev server.
    dev_port: int = 7233
    dev_ui_port: int = 8233
    # Worker Deployment Versioning: set build_id (one per release, e.g. the image tag) and the
    # worker polls as version <deployment_name>.<build_id>; unset, it polls unversioned.
    deployment_name: str = "cancelflow"
    build_id: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CANCELFLOW_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    var_dir: Path = Field(default=Path("var"), description="Generated state: db, mail, logs")
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL URL; unset means embedded PostgreSQL under var_dir",
    )
    log_level: str = "INFO"
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    mail_gateway: MailGatewaySettings = Field(default_factory=MailGatewaySettings)
    codec: CodecSettings = Field(default_factory=CodecSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


def insecure_defaults(settings: Settings) -> list[str]:
    """Secrets still at their development defaults: fine for `cancelflow dev`, not beyond."""
    defaults = PortalSettings()
    found = []
    if settings.portal.secret_key == defaults.secret_key:
        found.append("CANCELFLOW_PORTAL__SECRET_KEY")
    if settings.portal.internal_api_key == defaults.internal_api_key:
        found.append("CANCELFLOW_PORTAL__INTERNAL_API_KEY")
    if settings.webhooks.secrets_key == WebhookSettings().secrets_key:
        found.append("CANCELFLOW_WEBHOOKS__SECRETS_KEY")
    return found


def warn_about_insecure_defaults(settings: Settings) -> None:
    import structlog

    for variable in insecure_defaults(settings):
        structlog.get_logger("cancelflow.settings").warning(
            "settings.development_default",
            variable=variable,
            detail="still the development default: set it before serving real merchants",
        )
