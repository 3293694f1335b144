#!/usr/bin/env bash
# Install cancelflow for production into a new venv, from the lock: no dev binaries, no test tools.
#   deploy/install.sh VENV [deps|project|all]
# deps: the locked, hash-checked dependencies (requirements/prod.txt); project: cancelflow itself
# (not editable, templates and migrations included). The Dockerfile runs the two phases as
# separate layers; a systemd host runs `all` from a checkout. Needs Python 3.11+ as $PYTHON or python3.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${1:?usage: deploy/install.sh VENV [deps|project|all]}"
PHASE="${2:-all}"
UV_VERSION="$(sed -n 's/^UV_VERSION=//p' run)"  # one pinned uv for ./run and production
# uv lives beside the target venv, not in it: the runtime needs no installer.
UV_HOME="${UV_HOME:-${VENV%/}.uv}"

if [[ ! -x "$VENV/bin/python" ]]; then
  "${PYTHON:-python3}" -m venv --without-pip "$VENV"
fi
if [[ "$("$UV_HOME/bin/uv" --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
  "${PYTHON:-python3}" -m venv "$UV_HOME"
  "$UV_HOME/bin/python" -m pip install --disable-pip-version-check --no-cache-dir -q "uv==$UV_VERSION"
fi
# Every module is compiled to bytecode at install (--compile-bytecode): production runs with
# PYTHONDONTWRITEBYTECODE=1 and the workflow sandbox re-imports workflows/cancellation.py for
# every new case, which without a .pyc means compiling it each time. SOURCE_DATE_EPOCH makes
# the .pyc files checked against the source's hash rather than its mtime, so copying the venv
# (the image's COPY --from, a restore) keeps them valid. tests/deploy/test_install.py checks.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-315532800}"
uv_pip() { "$UV_HOME/bin/uv" pip "$1" --python "$VENV/bin/python" --no-cache --compile-bytecode "${@:2}"; }

if [[ "$PHASE" == deps || "$PHASE" == all ]]; then
  uv_pip install --require-hashes -r requirements/prod.txt
fi
if [[ "$PHASE" == project || "$PHASE" == all ]]; then
  uv_pip install --no-deps .
fi
