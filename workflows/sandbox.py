"""The workflow sandbox as every worker (and replayer) must configure it."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# Deterministic libraries the domain uses that import lazily (holidays loads a country's
# calendar on first use; email_validator its rules): load them outside the sandbox once.
PASSTHROUGH_MODULES = (
    "holidays",
    "dateutil",
    "email_validator",
    "idna",
    "pydantic",
    "cryptography",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
