"""All configuration, from environment variables (prefix CANCELFLOW_, nested with __).

Any setting can also come from a file, as container platforms provide secrets: set
CANCELFLOW_<NAME>_FILE to its path (CANCELFLOW_PORTAL__SECRET_KEY_FILE=/run/secrets/portal).
Processes get their settings through settings_for_process(), which refuses unsafe ones.

Temporal's own connection follows the SDK's envconfig conventions instead
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE, config file),
so the same worker points at a dev server, a cluster or Temporal Cloud.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from activities.config import EmailSettings, SmtpSettings
from console.config import ConsoleSettings
from domain.reply_token import MIN_SECRET_CHARS
from integrations.config import WebhookSettings
from portal.config import MailGatewaySettings, PortalSettings
from storage.config import ArchiveSettings, CaseListSettings, ErasureSettings
from workers.observability.config import OpsSettings


class DigestSettings(BaseModel):
    """When the daily ops digest goes out (CANCELFLOW_DIGEST__*)."""

    hour: int = Field(default=7, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    time_zone: str = "Europe/Stockholm"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not an IANA time zone such as Europe/Stockholm or UTC"
            ) from None
        return value


class CodecSettings(BaseModel):
    """Payload encryption. keys: 'id:base64key,id2:base64key2'; the first one encrypts."""

    keys: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8081
    # Origins of the Temporal UI allowed to call the codec server (CORS); empty means the
    # local dev UI (http://localhost:<dev_ui_port>).
    allowed_origins: list[str] = Field(default_factory=list)
    # Callers of the codec server prove themselves with it: `Authorization: Bearer <token>`,
    # or the token as the endpoint's first path segment (what the Temporal UI can be given).
    auth_token: SecretStr | None = None
    # Explicit, logged opt-out: without keys, processes refuse to start unless this is set.
    allow_plaintext: bool = False
    # A data key per case (docs/privacy.md): what makes erasing a case erase its payloads.
    # Off only to measure the cost of it against the ring's key alone (cancelflow bench).
    case_keys: bool = True


class TemporalSettings(BaseModel):
    task_queue: str = "cancelflow"
    # Only used by `cancelflow dev` to start its own dev server.
    dev_port: int = 7233
    dev_ui_port: int = 8233
    # Worker Deployment Versioning: set build_id (one per release, e.g. the image tag) and the
    # worker polls as version <deployment_name>.<build_id>; unset, it polls unversioned.
    deployment_name: str = "cancelflow"
    build_id: str | None = None
    # Measured (docs/BENCHMARKS.md, "Cache size"): a cached case holds about 0.18 MB; 500
    # keeps a worker near 250 MB however many cases wait. An evicted case replays its short
    # history at its next task.
    max_cached_workflows: int = Field(default=500, ge=0)
    # Concurrent activity tasks (mostly SMTP sends): a batch of reminders falling due together
    # must not hold up the timers and workflow tasks behind it.
    max_concurrent_activities: int = Field(default=100, ge=1)


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
    # `cancelflow dev` only: the page listing what its mail sink received.
    dev_mail_port: int = Field(default=8025, ge=0, le=65535)
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    mail_gateway: MailGatewaySettings = Field(default_factory=MailGatewaySettings)
    codec: CodecSettings = Field(default_factory=CodecSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    erasure: ErasureSettings = Field(default_factory=ErasureSettings)
    case_list: CaseListSettings = Field(default_factory=CaseListSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = _FileSettingsSource(settings_cls)
        return (init_settings, env_settings, files, dotenv_settings, file_secret_settings)

    @model_validator(mode="after")
    def _dev_stack_secrets(self) -> Settings:
        """Secrets `cancelflow dev` generated under var_dir replace the public development
        values, so every process of a local stack (the CLI in another shell) shares them."""
        generated = read_dev_secrets(self.var_dir)
        if generated is None:
            return self
        unset = [
            *insecure_defaults(self),
            *([CODEC_AUTH_TOKEN] if not self.codec.auth_token else []),
        ]
        paths = setting_variables()
        for variable in unset:
            if variable in generated and variable in paths:
                *parents, leaf = paths[variable]
                if not parents:
                    setattr(self, leaf, SecretStr(generated[variable]))
                    continue
                owner: BaseModel = self
                for part in parents[:-1]:
                    owner = getattr(owner, part)
                model = getattr(owner, parents[-1])
                value = SecretStr(generated[variable])
                setattr(owner, parents[-1], model.model_copy(update={leaf: value}))
        return self


DEV_KEY_FILE = "codec-keys"
DEV_SECRETS_FILE = "dev-secrets.json"
CODEC_AUTH_TOKEN = "CANCELFLOW_CODEC__AUTH_TOKEN"
# Read by the CLI itself, not a setting.
OTHER_VARIABLES = frozenset({"CANCELFLOW_DEBUG"})
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class SettingsRefused(ValueError):
    """Settings a process must not start with; one line per problem, each naming the variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def setting_variables() -> dict[str, tuple[str, ...]]:
    """Every CANCELFLOW_* variable that sets something -> the path of that setting."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(model: type[BaseModel], prefix: str, path: tuple[str, ...]) -> None:
        for name, field in model.model_fields.items():
            if field.validation_alias is not None:
                continue  # read under its own name (DATABASE_URL)
            variable = f"{prefix}{name.upper()}"
            found[variable] = (*path, name)
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                walk(field.annotation, variable + "__", (*path, name))

    walk(Settings, "CANCELFLOW_", ())
    return found


def dotenv_variables() -> dict[str, str]:
    """The variables of the .env file Settings reads (in the working directory), if any."""
    from dotenv import dotenv_values

    path = Path(str(Settings.model_config.get("env_file") or ".env"))
    if not path.is_file():
        return {}
    return {name: value or "" for name, value in dotenv_values(path).items()}


def unknown_variables(environ: Mapping[str, str], where: str = "") -> list[str]:
    """A line for each CANCELFLOW_* variable that sets nothing, with the nearest real one;
    `where` names the source when it is not the environment (" (in .env)")."""
    known = setting_variables()
    valid = set(known) | {f"{v}_FILE" for v in known} | OTHER_VARIABLES
    lines = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("CANCELFLOW_") or upper in valid:
            continue
        nearest = difflib.get_close_matches(upper, sorted(valid), n=1, cutoff=0.6)
        hint = f"; did you mean {nearest[0]}?" if nearest else ""
        lines.append(f"{name}{where}: not a cancelflow setting, so it would be ignored{hint}")
    return lines


def _values_from_files(environ: Mapping[str, str]) -> dict[str, Any]:
    """CANCELFLOW_<NAME>_FILE=path -> the setting NAME, read from that file."""
    known = setting_variables()
    values: dict[str, Any] = {}
    problems = []
    for name, path in environ.items():
        setting = name.upper().removesuffix("_FILE")
        if not name.upper().endswith("_FILE") or setting not in known:
            continue
        if any(other.upper() == setting for other in environ):
            problems.append(f"{name}: {setting} is set too; set one of them")
            continue
        try:
            text = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{name}: cannot read {path} ({getattr(err, 'strerror', err)})")
            continue
        *parents, leaf = known[setting]
        target = values
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = text
    if problems:
        raise SettingsRefused(problems)
    return values


class _FileSettingsSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        # A _FILE variable in .env works as it does in the environment (which wins).
        return _values_from_files({**dotenv_variables(), **os.environ})


def read_dev_secrets(var_dir: Path) -> dict[str, str] | None:
    """variable -> value of the secrets `cancelflow dev` made under var_dir, if it did."""
    path = var_dir / DEV_SECRETS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        problem = f"{path}: damaged; delete it and `cancelflow dev` makes a new one"
        raise SettingsRefused([problem]) from None


def ensure_dev_secrets(var_dir: Path) -> None:
    """The local stack's own random secrets under var/ (owner-only): one for each secret
    with a public development value, made on the first start (and when a new one appears)."""
    path = var_dir / DEV_SECRETS_FILE
    known = read_dev_secrets(var_dir) or {}
    wanted = [*insecure_defaults(Settings.model_construct()), CODEC_AUTH_TOKEN]
    missing = [variable for variable in wanted if variable not in known]
    if not missing:
        return
    data = known | {variable: secrets.token_urlsafe(32) for variable in missing}
    var_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".new")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    partial.replace(path)


def warn_if_plaintext(settings: Settings) -> None:
    """The explicit opt-out, said out loud at every start of a process so it is never silent."""
    if settings.codec.allow_plaintext and not configured_key_text(settings):
        import structlog

        structlog.get_logger("cancelflow.settings").warning(
            "settings.plaintext_payloads",
            variable="CANCELFLOW_CODEC__ALLOW_PLAINTEXT",
            detail="payloads, customer identifiers included, go to Temporal unencrypted",
        )


def configured_key_text(settings: Settings) -> bool:
    """Whether a payload-encryption key is set, or the dev stack's key file exists."""
    keys = settings.codec.keys
    return (
        bool(keys is not None and keys.get_secret_value().strip())
        or (settings.var_dir / DEV_KEY_FILE).exists()
    )


# A floor, not a measure: the estimate (character frequencies times length) is an upper
# bound on a secret's real entropy, so anything under it is certainly too weak.
MIN_SECRET_BITS = 80


def _secrets(settings: Settings) -> list[tuple[str, SecretStr, bool]]:
    """(variable, value, is a key ring 'newest,older,...') of each secret a process needs."""
    return [
        ("CANCELFLOW_PORTAL__SECRET_KEY", settings.portal.secret_key, True),
        ("CANCELFLOW_PORTAL__INTERNAL_API_KEY", settings.portal.internal_api_key, False),
        ("CANCELFLOW_WEBHOOKS__SECRETS_KEY", settings.webhooks.secrets_key, False),
    ]


def _development_values() -> frozenset[str]:
    defaults = Settings.model_construct()
    return frozenset(value.get_secret_value() for _, value, _ in _secrets(defaults))


def estimated_bits(secret: str) -> float:
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


def secret_problems(settings: Settings) -> Iterator[str]:
    """A line per unsafe secret: each key of a ring is checked as the ring's parser reads it
    (split on commas, stripped), so a public development key cannot hide at its end, behind
    a space or as a duplicate."""
    public = _development_values()
    fix = f"set it (or {{variable}}_FILE) to a new secret, for example the output of: {MAKE_SECRET}"
    for variable, value, is_ring in _secrets(settings):
        raw = value.get_secret_value()
        parts = raw.split(",") if is_ring else [raw]
        seen: dict[str, int] = {}
        for position, part in enumerate(parts, start=1):
            key = part.strip()
            where = f"key {position} of {len(parts)}: " if len(parts) > 1 else ""
            problem = None
            if key in public or (not is_ring and raw.strip() in public):
                problem = "still the development value"
            elif not key:
                problem = "empty"
            elif key in seen:
                problem = f"the same as key {seen[key]}"
            elif key != part or any(c.isspace() for c in key):
                problem = "has spaces or other whitespace in it"
            elif len(key) < MIN_SECRET_CHARS:
                problem = f"shorter than {MIN_SECRET_CHARS} characters"
            elif estimated_bits(key) < MIN_SECRET_BITS:
                problem = f"too predictable (under {MIN_SECRET_BITS} bits of entropy)"
            seen.setdefault(key, position)
            if problem is not None:
                yield f"{variable}: {where}{problem}; {fix.format(variable=variable)}"


def _unsafe(settings: Settings) -> Iterator[str]:
    yield from secret_problems(settings)
    if not (configured_key_text(settings) or settings.codec.allow_plaintext):
        yield (
            "CANCELFLOW_CODEC__KEYS: no payload-encryption key is set; make one with "
            "`cancelflow codec new-key KEY_ID` (or, to store customer data in Temporal in plain "
            "text, set CANCELFLOW_CODEC__ALLOW_PLAINTEXT=true)"
        )


def settings_for_process(
    *, development: bool = False, environ: Mapping[str, str] | None = None
) -> Settings:
    """The settings a process starts with, before it connects to anything.

    Refuses (SettingsRefused) misspelled CANCELFLOW_* variables, and outside `cancelflow dev`
    (development=True, which makes its own secrets under var_dir) secrets left at their
    development values and a missing payload-encryption key. Raises ValidationError for
    values that break a setting's rule. Sets the mail gateway's sender authentication when
    unset: "dkim", or "from_header" for the local stack.
    """
    environ = os.environ if environ is None else environ
    # Every source of variables gets the same check: the environment and the .env file.
    problems = unknown_variables(environ) + unknown_variables(dotenv_variables(), " (in .env)")
    if problems:
        raise SettingsRefused(problems)
    settings = Settings()
    if development:
        ensure_dev_secrets(settings.var_dir)
        return _sender_authentication(Settings(), "from_header")
    problems = list(_unsafe(settings))
    if problems:
        raise SettingsRefused(problems)
    return _sender_authentication(settings, "dkim")


def _sender_authentication(settings: Settings, default: Literal["dkim", "from_header"]) -> Settings:
    """The mail gateway's sender authentication, `default` unless set explicitly."""
    gateway = settings.mail_gateway
    if gateway.sender_authentication is not None:
        return settings
    update = {"sender_authentication": default}
    return settings.model_copy(update={"mail_gateway": gateway.model_copy(update=update)})


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


# --- the ops console (cancelflow ops-console) -----------------------------------------------------


def console_refusals(settings: Settings) -> list[str]:
    """Why `cancelflow ops-console` must not start with these settings (outside `cancelflow
    dev`): no sign-in provider, no client secret, or the session secret at its dev value."""
    from console.config import DEV_SESSION_SECRET

    console = settings.console
    problems = []
    if not console.issuer:
        problems.append(
            "CANCELFLOW_CONSOLE__ISSUER: not set; the ops console signs ops in only through "
            "the company's OpenID Connect provider (its issuer URL)"
        )
    if console.client_secret is None or not console.client_secret.get_secret_value():
        problems.append(
            "CANCELFLOW_CONSOLE__CLIENT_SECRET: not set; the console's client secret at the "
            "OpenID Connect provider (or CANCELFLOW_CONSOLE__CLIENT_SECRET_FILE)"
        )
    if console.session_secret.get_secret_value() == DEV_SESSION_SECRET:
        problems.append(
            "CANCELFLOW_CONSOLE__SESSION_SECRET: still the development value; set it (or "
            f"CANCELFLOW_CONSOLE__SESSION_SECRET_FILE) to a new secret, e.g. from: {MAKE_SECRET}"
        )
    if not console.secure_cookies:
        problems.append(
            "CANCELFLOW_CONSOLE__SECURE_COOKIES: false; outside cancelflow dev the session "
            "cookie is sent over HTTPS only"
        )
    return problems
