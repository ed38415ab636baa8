#!/usr/bin/env bash
# Creates .venv (if missing) and installs the four e4t packages in editable mode plus the dev tools.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch is pinned exactly: an unpinned torch pulls a multi-GB CUDA build.
python -m pip install -q -c constraints.txt hatchling editables "torch==2.13.0"
python -m pip install -q -c constraints.txt --no-build-isolation -r requirements-dev.txt \
    -e ./sdk -e ./registry -e ./server -e ./cli
