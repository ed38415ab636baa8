"""Assemble a ``train_base`` output from a model's components and a UNet trained elsewhere.

    python -m e4t_server.demo.seed_base --model server/e4t_server/demo/weights/face-domain \\
        --unet data/capacity/unet --out data/seeded-base

A ``capacity_probe`` UNet is trained beside a model's frozen VAE, text tower and tokenizer, so
the model with that UNet swapped in is a base model whose UNet already learned something;
``train_base --continue-from`` can then train it further in the base run's harder setting
(partial captions, every prompt context) instead of starting from noise. A UNet that such a
continuation trained (with the same VAE and text tower) seeds the base model it belongs to.

``--model`` is a domain model directory or a ``train_base`` output. Writes ``stable-diffusion/``,
``clip-vision/`` and ``base_training.json`` (where both parts came from, with their reports)
into ``--out``. Refuses a UNet that does not fit the model's VAE and text tower.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from e4t_server.demo.base_probe import load_base
from e4t_server.demo.capacity_probe import REPORT_FILE as PROBE_REPORT_FILE
from e4t_server.demo.train_base import REPORT_FILE, save_base
from e4t_server.engine.components import BaseComponents
from e4t_server.engine.domain_model import ModelLoadError, load_component


def seed_base(model: Path, unet_dir: Path, out: Path) -> dict[str, object]:
    """Write ``model``'s components with the UNet in ``unet_dir`` as a ``train_base`` output in
    ``out``; returns the report. ``ValueError`` (nothing written) if the parts do not fit."""
    if (out / REPORT_FILE).exists():
        raise ValueError(f"{out} already holds a base model")
    try:
        base = load_base(model)
        unet = load_component(UNet2DConditionModel, unet_dir, None)
    except ModelLoadError as error:
        raise ValueError(str(error)) from error
    check_fits(base, unet)
    out.mkdir(parents=True, exist_ok=True)
    save_base(replace(base, unet=unet.eval()), out)
    report: dict[str, object] = {
        "seeded": {
            "model": str(model),
            "model_report": _report_beside(model / REPORT_FILE),
            "unet": str(unet_dir),
            "unet_report": _unet_report(unet_dir),
        },
        "vae_scaling_factor": base.vae.config["scaling_factor"],
        "unet_steps_done": 0,
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def check_fits(base: BaseComponents, unet: UNet2DConditionModel) -> None:
    """The UNet must read the VAE's latents and the text tower's hidden states."""
    wanted = {
        "in_channels": base.vae.config["latent_channels"],
        "out_channels": base.vae.config["latent_channels"],
        "cross_attention_dim": base.text_encoder.config.hidden_size,
        "sample_size": base.unet.config["sample_size"],
    }
    found = {name: unet.config[name] for name in wanted}
    if found != wanted:
        raise ValueError(f"the UNet has {found}, but the model needs {wanted}")


def _report_beside(path: Path) -> object:
    """The JSON report at ``path``, or ``None`` where that part came without one."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _unet_report(unet_dir: Path) -> object:
    """The report of the run that trained the UNet: a capacity probe's or a ``train_base``
    run's beside its ``unet/`` (``None`` where there is neither)."""
    for name in (PROBE_REPORT_FILE, REPORT_FILE):
        if (unet_dir.parent / name).is_file():
            return _report_beside(unet_dir.parent / name)
    return None


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--unet", type=Path, required=True, help="a saved diffusers UNet")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    try:
        seed_base(args.model, args.unet, args.out)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
