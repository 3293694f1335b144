"""What `cancelflow dev` prints once it is up: the stack's addresses and commands to try."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from workers.settings import Settings

DEV_NAMESPACE = "default"


@dataclass
class StackAddresses:
    temporal_address: str = ""
    temporal_ui: str = ""
    database: str = ""
    smtp: str = ""
    mail_dir: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)


def describe(a: StackAddresses, s: Settings, request_file: Path, case_id: str) -> str:
    """The block `cancelflow dev` prints: every address, and the commands to try a case."""
    rows = [
        ("Temporal UI", a.temporal_ui),
        (
            "Temporal",
            f"{a.temporal_address} (namespace {DEV_NAMESPACE}, task queue {s.temporal.task_queue})",
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
