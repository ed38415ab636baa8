#!/usr/bin/env bash
# The main job: sets up the environment, then registers a concept from one image and generates
# images of it on the embedded default. Output PNGs go to outputs/demo (override with --out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export RAY_AUTH_MODE=disabled
python -m e4t_server.engine.demo --out "${E4T_DEMO_OUT:-outputs/demo}" "$@"
