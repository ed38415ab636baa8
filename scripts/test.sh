#!/usr/bin/env bash
# Sets up the environment (scripts/setup.sh), lints, type-checks and runs the whole test suite.
# The test harness starts every server the tests need (PostgreSQL, SeaweedFS S3, Ray, gRPC).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export RAY_AUTH_MODE=disabled
ruff check .
ruff format --check .
mypy
pytest "$@"
