"""The deployment files (Dockerfile, deploy/kubernetes, deploy/systemd) against the code they run.

What can be checked without a container engine or a cluster: schema validity, that every
CANCELFLOW_* variable they set is a real setting, that every command they run is a real CLI
command, and that stop timeouts exceed the SMTP timeout.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from pydantic import BaseModel

from activities.config import SmtpSettings
from tests.helpers.servers import REPO_ROOT
from workers.cli import command_at
from workers.settings import Settings

ROOT = REPO_ROOT
KUBERNETES = ROOT / "deploy" / "kubernetes"
SYSTEMD = ROOT / "deploy" / "systemd"
MANIFESTS = sorted(KUBERNETES.glob("*.yaml")) + sorted(KUBERNETES.glob("examples/*.yaml"))
UNITS = sorted(SYSTEMD.glob("*.service"))
DEPLOY_TEXT_FILES = [
    *MANIFESTS,
    *UNITS,
    ROOT / "deploy" / "cancelflow.env.example",
    ROOT / "Dockerfile",
]
SMTP_TIMEOUT = "CANCELFLOW_SMTP__TIMEOUT_SECONDS"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def all_documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in documents(path)]


def setting_variables(model: type[BaseModel] = Settings, prefix: str = "CANCELFLOW_") -> set[str]:
    """Every CANCELFLOW_* name the settings model reads, from its fields (nested with __)."""
    names = set()
    for name, field in model.model_fields.items():
        if field.validation_alias is not None:
            continue  # read under its own name, such as DATABASE_URL
        variable = f"{prefix}{name.upper()}"
        names.add(variable)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names |= setting_variables(field.annotation, variable + "__")
    return names


def test_manifests_are_schema_valid() -> None:
    assert {p.name for p in MANIFESTS} >= {
        "worker.yaml",
        "portal.yaml",
        "mail-gateway.yaml",
        "codec-server.yaml",
        "migrate-job.yaml",
        "configmap.yaml",
        "secret.yaml",
        "ops-console.yaml",
    }
    validate = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run(
        [str(validate), "--strict", *map(str, MANIFESTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_files_name_only_real_settings() -> None:
    known = setting_variables()
    assert "CANCELFLOW_SMTP__TIMEOUT_SECONDS" in known  # the walk reaches nested sections
    named: dict[str, set[str]] = {}
    for path in DEPLOY_TEXT_FILES:
        for variable in re.findall(r"\bCANCELFLOW_[A-Z0-9_]+", path.read_text()):
            named.setdefault(variable, set()).add(path.name)
    assert len(named) > 20
    # CANCELFLOW_<NAME>_FILE reads setting NAME from a file (workers/settings.py).
    known |= {f"{variable}_FILE" for variable in known}
    unknown = {v: sorted(files) for v, files in named.items() if v not in known}
    assert not unknown, f"not settings of workers/settings.py: {unknown}"


def test_configmap_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    (configmap,) = [d for d in all_documents() if d["kind"] == "ConfigMap"]
    for name, value in configmap["data"].items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.smtp.timeout_seconds == float(configmap["data"][SMTP_TIMEOUT])
    assert settings.codec.allowed_origins == ["https://temporal-ui.example.com"]
    assert settings.portal.host == "0.0.0.0"


def _resolve(args: list[str]) -> click.Command:
    for depth in range(1, len(args) + 1):
        found = command_at(*args[:depth])
        assert found is not None, f"`cancelflow {' '.join(args)}`: no command {args[depth - 1]!r}"
    command = command_at(*args)
    assert command is not None
    assert not isinstance(command, click.Group), f"`cancelflow {' '.join(args)}` is a group"
    return command


def process_commands() -> dict[str, list[str]]:
    """Every `cancelflow ...` command line the deployment files run, by where it is."""
    found: dict[str, list[str]] = {}
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert entrypoint and cmd
    assert yaml.safe_load(entrypoint.group(1)) == ["cancelflow"]
    found["Dockerfile CMD"] = yaml.safe_load(cmd.group(1))
    for doc in all_documents():
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            found[f"{doc['kind']} {doc['metadata']['name']}"] = container["args"]
    for unit in UNITS:
        (line,) = [ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart=")]
        binary, *args = shlex.split(line.removeprefix("ExecStart="))
        assert binary.endswith("/bin/cancelflow")
        found[unit.name] = args
    return found


@pytest.mark.parametrize("where", sorted(process_commands()))
def test_deploy_files_run_real_cli_commands(where: str) -> None:
    _resolve(process_commands()[where])


def test_every_process_has_an_image_command_a_manifest_and_a_unit() -> None:
    commands = {tuple(args) for args in process_commands().values()}
    for process in [
        ("worker",),
        ("portal",),
        ("mail-gateway",),
        ("codec", "serve"),
        ("db", "migrate"),
        ("ops-console",),
    ]:
        assert process in commands, process
    units = {u.name for u in UNITS}
    assert units == {
        "cancelflow-worker.service",
        "cancelflow-portal.service",
        "cancelflow-mail-gateway.service",
        "cancelflow-codec.service",
        "cancelflow-migrate.service",
        "cancelflow-ops-console.service",
    }


def test_image_runs_as_a_numeric_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", dockerfile, flags=re.M)
    assert len(stages) >= 3, "multi-stage: a build stage and a runtime stage"
    users = re.findall(r"^USER (\S+)$", stages[-1], re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    uid = int(users[-1].split(":")[0])
    for doc in all_documents():
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        if pod:
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] == uid
    assert "requirements/prod.txt" in dockerfile and "deploy/install.sh" in dockerfile


def test_stop_timeouts_exceed_the_smtp_timeout() -> None:
    (configmap,) = [d for d in all_documents() if d["kind"] == "ConfigMap"]
    timeout = float(configmap["data"].get(SMTP_TIMEOUT, SmtpSettings().timeout_seconds))
    pods = [d for d in all_documents() if d["kind"] == "Deployment"]
    assert len(pods) == 5
    for doc in pods:
        grace = doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > timeout, doc["metadata"]["name"]

    env = (ROOT / "deploy" / "cancelflow.env.example").read_text()
    match = re.search(rf"^{SMTP_TIMEOUT}=(\S+)$", env, re.M)
    unit_timeout = float(match.group(1)) if match else SmtpSettings().timeout_seconds
    for unit in UNITS:
        if unit.name == "cancelflow-migrate.service":
            continue  # a oneshot: bounded by TimeoutStartSec, not a stop
        match = re.search(r"^TimeoutStopSec=(\d+)$", unit.read_text(), re.M)
        assert match, unit.name
        assert int(match.group(1)) > unit_timeout, unit.name


def _unit_setting(unit: str, name: str, default: int) -> int:
    match = re.search(rf"^{name}=(-?\d+)$", (SYSTEMD / unit).read_text(), re.M)
    return int(match.group(1)) if match else default


def test_on_a_shared_host_the_worker_yields_the_cpu_to_the_portal() -> None:
    # systemd's defaults: nice 0, CPUWeight 100. Both, since CPUWeight divides the CPU between
    # services' cgroups and nice between processes where the cpu controller is off.
    worker, portal = "cancelflow-worker.service", "cancelflow-portal.service"
    assert _unit_setting(worker, "Nice", 0) > _unit_setting(portal, "Nice", 0)
    assert _unit_setting(worker, "CPUWeight", 100) < _unit_setting(portal, "CPUWeight", 100)
