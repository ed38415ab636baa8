#!/usr/bin/env bash
# The main job: sets up the environment, then runs the whole service on the embedded default
# (SQLite + blob directory + in-process Ray) and personalizes one face through the SDK
# (`e4t demo`). Output PNGs go to outputs/demo (override with E4T_DEMO_OUT or --out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export RAY_AUTH_MODE=disabled
e4t demo --out "${E4T_DEMO_OUT:-outputs/demo}" "$@"
