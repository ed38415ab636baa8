"""The prepared GPU script for the capacity probe, run on the CPU at a tiny size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "device" / "capacity_probe.sh"


def test_the_script_calibrates_then_fits_its_run_in_the_limit_and_returns_its_files(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "OUT": str(tmp_path),
        "DEVICE": "cpu",
        "PYTHON": sys.executable,
        "WHEELS": str(
            tmp_path / "no-wheels"
        ),  # the cp312 wheels a device needs would not load here
        "PEOPLE": "4",
        "STEPS": "100",
        "BATCH": "4",
        "WIDTHS": "16",
        "LAYERS": "1",
        "EXTRA": "--read 2 --threads 1",
        "RUN_LIMIT": "300",
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "width 16: 100 steps fit in 300 s" in done.stdout
    name = "w16-l1-p4-s100"
    assert {path.name for path in tmp_path.iterdir()} == {
        "calibration-w16.log",
        f"{name}.log",
        f"{name}.json",
        f"{name}-heldout.png",
    }
    report = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
    assert report["settings"]["unet_width"] == 16 and report["settings"]["steps"] == 100
    assert report["device"] == "cpu"


def test_the_script_needs_to_know_where_its_files_go(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "OUT"}
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0 and "OUT must name" in done.stderr
