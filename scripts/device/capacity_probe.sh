#!/usr/bin/env bash
# One prepared GPU run of the capacity probe, for a lent device machine (the project never needs
# one; tests/demo/test_device_script.py runs this script on a CPU at a tiny size). From the
# repository root there, after scripts/device/fetch_wheels.sh here:
#
#   run(command="bash scripts/device/capacity_probe.sh", carry=[".whl"], timeout_s=540)
#
# It trains a wider UNet far longer than a CPU can (the question docs/demo-domain.md leaves
# open: does the UNet then draw a held-out person's hair *shape* from words?) and writes each
# run's report, held-out grid and log to $OUT. A 60-step calibration run of each size first
# measures the seconds per step and per reading on that machine; the run itself then takes as
# many steps as fit in RUN_LIMIT seconds (at most STEPS), and is cut at RUN_LIMIT regardless.
# Settings come from the environment; DEVICE=cpu with tiny sizes checks the script on a CPU,
# WHEELS=DIR names another wheel folder (one without wheels: use the Python as it is).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?OUT must name the folder whose files come back}"
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
PEOPLE=${PEOPLE:-2000}
STEPS=${STEPS:-20000}
BATCH=${BATCH:-128}
WIDTHS=${WIDTHS:-"64"}
LAYERS=${LAYERS:-2}
RUN_LIMIT=${RUN_LIMIT:-420}
EXTRA=${EXTRA:-}
# shellcheck source=scripts/device/python_env.sh
source scripts/device/python_env.sh
"$PYTHON" -c "import torch, diffusers, transformers; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'diffusers', diffusers.__version__, 'transformers', transformers.__version__)" || exit 1
work=$(mktemp -d)
status=0
probe() {  # OUT_DIR STEPS WIDTH FLAGS...: one capacity probe run, cut at RUN_LIMIT seconds
  local out=$1 steps=$2 width=$3
  shift 3
  # shellcheck disable=SC2086  # EXTRA holds several flags
  timeout "$RUN_LIMIT" "$PYTHON" -m e4t_server.demo.capacity_probe \
    --model server/e4t_server/demo/weights/face-domain --device "$DEVICE" \
    --people "$PEOPLE" --contexts 1 --steps "$steps" --batch "$BATCH" \
    --unet-width "$width" --unet-layers "$LAYERS" $EXTRA "$@" --out "$out"
}
for width in $WIDTHS; do
  calibration=$work/calibration-w$width
  probe "$calibration" 60 "$width" --read 2 >"$OUT/calibration-w$width.log" 2>&1 || exit 1
  steps=$("$PYTHON" - "$calibration/capacity.json" "$RUN_LIMIT" "$STEPS" <<'PY'
import json, sys
report, limit, most = json.load(open(sys.argv[1])), float(sys.argv[2]), int(sys.argv[3])
wall = report["wall_time"]
# the run reads 16 + 16 people where the calibration read 2 + 2; keep a 15 % margin
left = 0.85 * limit - wall["render_s"] - 8 * wall["read_s"]
print(max(60, min(most, int(left / (wall["unet_s"] / 60)))))
PY
  ) || exit 1
  name=w${width}-l${LAYERS}-p${PEOPLE}-s${steps}
  echo "width $width: $steps steps fit in $RUN_LIMIT s"
  probe "$work/$name" "$steps" "$width" >"$OUT/$name.log" 2>&1 || status=$?
  tail -n 3 "$OUT/$name.log"
  if [ -f "$work/$name/capacity.json" ]; then
    cp "$work/$name/capacity.json" "$OUT/$name.json"
    cp "$work/$name/heldout.png" "$OUT/$name-heldout.png"
  fi
done
exit "$status"
