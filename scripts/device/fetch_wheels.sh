#!/usr/bin/env bash
# Download, into .whl/, the wheels a lent GPU machine (the `device` tool) lacks for the demo's
# training commands: its image has torch, numpy, pillow, peft and accelerate, but no diffusers,
# and older transformers and tokenizers than the project pins. Python 3.12, x86-64 Linux.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
wheels=(
  diffusers==0.42.1
  transformers==5.24.0
  tokenizers==0.23.3
  safetensors==0.8.0
  regex==2026.11.19
  importlib_metadata==10.2.0
)
mkdir -p .whl
for wheel in "${wheels[@]}"; do
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --dest .whl "$wheel"
done
du -sh .whl
