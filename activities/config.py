"""Configuration the email activities take (composed into workers.settings.Settings)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class SmtpSettings(BaseModel):
    """Outgoing mail. Empty host means: `cancelflow dev` starts its own mail sink."""

    host: str | None = None
    port: int = 1025
    starttls: bool = False
    use_tls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    # CA bundle (PEM) for a relay whose certificate a public CA did not sign.
    ca_file: str | None = None
    timeout_seconds: float = 30.0


class EmailSettings(BaseModel):
    from_address: str = "Minna cancellations <cancellations@cancelflow.localhost>"
    ops_address: str = "ops@cancelflow.localhost"
    message_id_domain: str = "cancelflow.localhost"
    # Merchants reply to reply+<token>@reply_domain; the mail gateway accepts those.
    reply_domain: str = "reply.cancelflow.localhost"
    support_address: str = "support@us.minnatechnologies.com"
    # Where ops open a case from their emails: the Temporal UI's page of its workflow.
    ops_case_link: str = "http://localhost:8233/namespaces/default/workflows/{workflow_id}"
    # Where a customer sends corrected details after 'no subscription found': the cancellation
    # service's own page (a URL). Unset: the customer email says to write to support_address.
    corrections_page: str | None = None
