"""Training products committed so that a rebuild longer than one CPU session can go on."""

from __future__ import annotations

import json
from pathlib import Path

from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from e4t_server.demo import pretrained
from e4t_server.demo.base_probe import load_base
from e4t_server.demo.seed_base import check_fits
from e4t_server.engine.domain_model import load_component

PROBE_RUN = Path(__file__).resolve().parents[2] / "checkpoints" / "capacity-2000-w64-s4200"


def test_the_probe_unet_is_its_reported_run_and_fits_the_shipped_model() -> None:
    report = json.loads((PROBE_RUN / "capacity.json").read_text(encoding="utf-8"))
    settings = report["settings"]
    assert (settings["people"], settings["contexts"], settings["steps"]) == (2000, 1, 4200)
    assert settings["unet_width"] == 64 and settings["seed"] == 0
    unet = load_component(UNet2DConditionModel, PROBE_RUN / "unet", None)
    assert sum(parameter.numel() for parameter in unet.parameters()) == report["unet_parameters"]
    assert unet.config["block_out_channels"] == [64, 128, 128]
    check_fits(load_base(pretrained.face_domain_dir()), unet)  # seed_base can take it
