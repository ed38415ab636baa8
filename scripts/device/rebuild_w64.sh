#!/usr/bin/env bash
# The shipped face domain's tuning redone on a lent GPU machine in one call: the steps of
# docs/demo-domain.md ("Rebuilding the width-64 candidate in pieces") after the base model,
# whose UNet is the shipped model's (weights/face-domain/unet, with its train_base report
# beside it); DOMAIN_FLAGS tries other tuning settings. From the repository root there, after
# scripts/device/fetch_wheels.sh here:
#
#   run(command="bash scripts/device/rebuild_w64.sh", carry=[".whl"], timeout_s=560)
#
# It seeds the base model from the committed UNet, domain-tunes it, then evaluates it until
# EVAL_LIMIT seconds are spent (evaluate appends a row per (method, person), so the rows it did
# not reach can be added later with the same command on the returned model). Back in $OUT: one
# log, the seeded base's and the domain tuning's reports, the evaluation's rows, and the domain
# model as a tar cut into 15 MiB parts (the device returns files of at most 16 MiB):
# `cat face-domain-w64.tar.part-* | tar -x` unpacks it.
# Settings come from the environment; DEVICE=cpu with tiny sizes checks the script on a CPU
# (tests/demo/test_device_script.py), WHEELS=DIR names another wheel folder (one without
# wheels: use the Python as it is).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?OUT must name the folder whose files come back}"
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
DOMAIN_STEPS=${DOMAIN_STEPS:-4000}
DOMAIN_PEOPLE=${DOMAIN_PEOPLE:-32000}
PEOPLE=${PEOPLE:-100}
EVAL_LIMIT=${EVAL_LIMIT:-240}
DOMAIN_FLAGS=${DOMAIN_FLAGS:-}
EVAL_FLAGS=${EVAL_FLAGS:-}
# shellcheck source=scripts/device/python_env.sh
source scripts/device/python_env.sh
log=$OUT/rebuild.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage() {  # NAME MODULE FLAGS...: one stage, its output appended to the log, timed
  local name=$1 module=$2
  shift 2
  echo "== $name: $module $*" >>"$log"
  local started=$SECONDS
  "$PYTHON" -m "e4t_server.demo.$module" "$@" >>"$log" 2>&1
  local status=$?
  echo "== $name: exit $status after $((SECONDS - started)) s" | tee -a "$log"
  return "$status"
}
"$PYTHON" -c "import torch, diffusers, transformers; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
  >>"$log" 2>&1 || exit 1
# shellcheck disable=SC2086  # the *_FLAGS variables hold several flags
{
  stage base seed_base --model server/e4t_server/demo/weights/face-domain \
    --unet server/e4t_server/demo/weights/face-domain/unet --out "$work/base" &&
    stage domain train_domain --base "$work/base" --out "$work/face-domain-w64" \
      --steps "$DOMAIN_STEPS" --identities "$DOMAIN_PEOPLE" --timestep-range 300 1000 \
      --embedding-regularization 1e-5 --encoder-timestep 100 --device "$DEVICE" $DOMAIN_FLAGS
} || exit 1
cp "$work/base/base_training.json" "$work/face-domain-w64/domain_training.json" "$OUT/"
tar -cf - -C "$work" face-domain-w64 | split -b 15M - "$OUT/face-domain-w64.tar.part-" || exit 1
# shellcheck disable=SC2086
timeout "$EVAL_LIMIT" "$PYTHON" -m e4t_server.demo.evaluate --model "$work/face-domain-w64" \
  --out "$work/eval" --identities "$PEOPLE" --device "$DEVICE" $EVAL_FLAGS >>"$log" 2>&1
echo "== evaluate: exit $? (124: cut at $EVAL_LIMIT s, rows so far kept)" | tee -a "$log"
if [ -f "$work/eval/results.jsonl" ]; then
  cp "$work/eval/results.jsonl" "$OUT/"
  wc -l <"$work/eval/results.jsonl" | xargs echo "evaluation rows:"
fi
