"""Can a UNet of the demo model's size learn to draw the person a caption names, and for how
many people?

    python -m e4t_server.demo.capacity_probe --model server/e4t_server/demo/weights/face-domain \\
        --people 256 --contexts 1 --steps 700 --out data/capacity-256

A fresh UNet with the model's UNet config is trained from scratch next to the model's frozen
VAE, text tower and tokenizer (the base run's optimizer, min-SNR weights and EMA) on the first
``--people`` train people, 4 renders each, cycling through the first ``--contexts`` prompt
contexts, every caption naming every trait (10 % empty; ``--keep`` or ``--random-keep``
name fewer). The base model itself learns from
random partial captions in random contexts; this probe takes those hardships away to see what
the UNet's size and training length alone allow.

Then ``--read`` of the trained people and as many held-out people get 2 generations each in the
first prompt context with every trait in words and 2 with "a face" (the same noise), read by the
identity metric against the person's input photo. Trained people tell whether the UNet draws
the people it saw; held-out people whether the trait words generalize to new ones.

Writes ``capacity.json`` (settings, wall time, scores), ``train.png`` and ``heldout.png`` (a row
per person: input photo, 2 × traits in words, 2 × "a face") and the trained UNet (``unet/``)
into ``--out``. ``--reread`` scores the UNet of an earlier run in ``--out`` again;
``--model-unet`` trains nothing and reads the model's own UNet the same way.
``--unet-width`` and ``--unet-layers`` size the fresh UNet differently from the model's (as
``train_base``'s flags do), and ``--device cuda`` trains and generates on a GPU.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)
from PIL import Image

from e4t_server.demo.base_model import RESOLUTION, check_unet_size
from e4t_server.demo.base_probe import OWN, PLAIN, load_base, read_pictures, worded_and_plain
from e4t_server.demo.dataset import render_samples, split_seeds
from e4t_server.demo.faces import identity_from_seed
from e4t_server.demo.identity import IdentityMetric
from e4t_server.demo.imaging import picture_grid
from e4t_server.demo.scenes import PROMPT_CONTEXTS, input_photo
from e4t_server.demo.train_base import BaseTrainingSettings, Pictures, device_of, train_unet
from e4t_server.demo.training import resolve_device
from e4t_server.engine.components import BaseComponents, stable_diffusion_pipeline

REPORT_FILE = "capacity.json"
UNET_DIR = "unet"
SAMPLES = 2
READ_FACTORS = ("hair_style", "hair_colour")


@dataclass(frozen=True)
class CapacitySettings:
    """One probe run (saved in the report)."""

    people: int = 256
    contexts: int = 1
    steps: int = 700
    batch: int = 64
    images_per_person: int = 4
    read: int = 16
    """Trained people read, and as many held-out people."""
    seed: int = 0
    keep: float | None = 1.0
    """Each trait is named in a caption with this probability; ``None``: a fresh random one per
    caption, as in the base run."""
    unet_width: int | None = None
    """Channels of the fresh UNet's first block (the other two have twice as many);
    ``None``: the model's own UNet config."""
    unet_layers: int | None = None
    """ResNet layers per block of the fresh UNet; ``None``: the model's own."""

    def check(self) -> None:
        """Refuse settings no run can use (``ValueError``), before anything is trained."""
        if not 1 <= self.contexts <= len(PROMPT_CONTEXTS):
            raise ValueError(f"--contexts must be 1 to {len(PROMPT_CONTEXTS)}, got {self.contexts}")
        if min(self.people, self.steps, self.batch, self.images_per_person) < 1:
            raise ValueError("people, steps, batch and images per person must be ≥ 1")
        if self.keep is not None and not 0 <= self.keep <= 1:
            raise ValueError(f"--keep must be between 0 and 1, got {self.keep}")
        if self.read < 2:  # the gap's interval needs a spread
            raise ValueError(f"--read must be at least 2, got {self.read}")
        if self.read > self.people:
            raise ValueError(f"cannot read {self.read} of {self.people} trained people")
        if self.unet_width is not None or self.unet_layers is not None:
            width = 16 if self.unet_width is None else self.unet_width
            check_unet_size(width, 1 if self.unet_layers is None else self.unet_layers)

    def unet_config(self, model_config: dict[str, object]) -> dict[str, object]:
        """The fresh UNet's config: the model's, resized where the settings say so."""
        config = dict(model_config)
        if self.unet_width is not None:
            width = self.unet_width
            config["block_out_channels"] = (width, 2 * width, 2 * width)
        if self.unet_layers is not None:
            config["layers_per_block"] = self.unet_layers
        return config

    def training(self) -> BaseTrainingSettings:
        """The base run's UNet settings, with this probe's length and batch."""
        return BaseTrainingSettings(
            seed=self.seed, unet_steps=self.steps, unet_batch=self.batch, checkpoint_every=0
        )


def training_pictures(settings: CapacitySettings, workers: int) -> Pictures:
    """The probe's pictures, captioned with the pictured person's traits."""
    samples = render_samples(
        split_seeds("train", settings.people),
        images_per_identity=settings.images_per_person,
        seed=settings.seed,
        size=RESOLUTION,
        workers=workers,
        contexts=PROMPT_CONTEXTS[: settings.contexts],
    )
    return Pictures(samples, keep=settings.keep)


def train_fresh_unet(
    base: BaseComponents, pictures: Pictures, settings: CapacitySettings
) -> tuple[UNet2DConditionModel, float]:
    """A UNet with ``base.unet``'s config (resized as ``settings`` say) trained from scratch on
    ``base``'s device; returns its EMA weights and the last-50-step mean loss."""
    torch.manual_seed(settings.seed)
    unet = UNet2DConditionModel.from_config(settings.unet_config(dict(base.unet.config)))
    unet.to(device_of(base.unet))
    ema = copy.deepcopy(unet)
    outcome = train_unet(
        unet.train(),
        ema,
        base.vae,
        base.text_encoder,
        base.tokenizer,
        pictures,
        settings.training(),
    )
    return ema.eval(), outcome.loss


@dataclass(frozen=True)
class SplitScores:
    """Means over the generations of one split's people (``own``: every trait in words)."""

    hair_style_own: float
    hair_style_plain: float
    hair_colour_own: float
    hair_colour_plain: float
    skin_tone_error_own: float
    """Mean absolute error of the metric's skin tone reading (0 light … 1 deep)."""
    skin_tone_error_plain: float
    similarity_own: float
    similarity_plain: float
    similarity_gap: float
    """Mean over people of (own − plain) similarity."""
    similarity_gap_ci95: float
    """Half-width of the gap's 95 % interval over people (normal approximation)."""


@torch.no_grad()
def read_split(
    pipeline: StableDiffusionPipeline, metric: IdentityMetric, identity_seeds: list[int]
) -> tuple[SplitScores, list[list[Image.Image]]]:
    """Generate and read every person of ``identity_seeds`` in the first prompt context; also
    returns a row of pictures per person (input photo, own, plain)."""
    similarity: dict[str, list[float]] = {OWN: [], PLAIN: []}
    agreement: dict[tuple[str, str], list[bool]] = {
        (kind, factor): [] for kind in (OWN, PLAIN) for factor in READ_FACTORS
    }
    skin_errors: dict[str, list[float]] = {OWN: [], PLAIN: []}
    gaps, rows = [], []
    for identity_seed in identity_seeds:
        person = identity_from_seed(identity_seed)
        photo = input_photo(identity_seed)
        source = metric.embed([photo])[0]
        pictures = worded_and_plain(
            pipeline, person, PROMPT_CONTEXTS[0], samples=SAMPLES, seed=identity_seed
        )
        means = {}
        for kind, images in pictures.items():
            reading = read_pictures(metric, images, source, person, READ_FACTORS)
            similarity[kind] += reading.similarity
            skin_errors[kind] += [
                abs(tone - person.skin_tone) for tone in reading.amounts["skin_tone"]
            ]
            means[kind] = float(np.mean(reading.similarity))
            for factor in READ_FACTORS:
                agreement[kind, factor] += reading.agreement[factor]
        gaps.append(means[OWN] - means[PLAIN])
        rows.append([photo, *pictures[OWN], *pictures[PLAIN]])
    spread = float(np.std(gaps, ddof=1))
    scores = SplitScores(
        hair_style_own=_mean(agreement[OWN, "hair_style"]),
        hair_style_plain=_mean(agreement[PLAIN, "hair_style"]),
        hair_colour_own=_mean(agreement[OWN, "hair_colour"]),
        hair_colour_plain=_mean(agreement[PLAIN, "hair_colour"]),
        skin_tone_error_own=_mean(skin_errors[OWN]),
        skin_tone_error_plain=_mean(skin_errors[PLAIN]),
        similarity_own=_mean(similarity[OWN]),
        similarity_plain=_mean(similarity[PLAIN]),
        similarity_gap=_mean(gaps),
        similarity_gap_ci95=1.96 * spread / math.sqrt(len(gaps)),
    )
    return scores, rows


def _mean(values: list[float] | list[bool]) -> float:
    return round(float(np.mean(values)), 4)


def run_probe(
    model: Path,
    out: Path,
    settings: CapacitySettings,
    workers: int = 2,
    device: torch.device | None = None,
) -> dict[str, object]:
    """Train on ``device`` (default: CPU), read both splits, and write the report, the grids
    and the UNet into ``out``."""
    settings.check()
    started = time.perf_counter()
    base = load_base(model).to(device or torch.device("cpu"))
    pictures = training_pictures(settings, workers)
    rendered = time.perf_counter()
    unet, loss = train_fresh_unet(base, pictures, settings)
    trained = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    unet.save_pretrained(out / UNET_DIR, safe_serialization=True)
    report: dict[str, object] = {
        "model": str(model),
        "settings": asdict(settings),
        "pictures": len(pictures),
        "unet_parameters": sum(parameter.numel() for parameter in unet.parameters()),
        "final_unet_loss": round(loss, 5),
        "wall_time": {
            "render_s": round(rendered - started, 1),
            "unet_s": round(trained - rendered, 1),
        },
        "threads": torch.get_num_threads(),
        "device": str(device_of(unet)),
    }
    return _read_and_report(replace(base, unet=unet), settings, out, report)


def read_model_unet(model: Path, out: Path, settings: CapacitySettings) -> dict[str, object]:
    """The same reading of ``model``'s own UNet (nothing trained), to compare a probe run with
    the base model it stands beside."""
    settings.check()
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {
        "model": str(model),
        "settings": asdict(settings),
        "unet": "the model's own",
        "wall_time": {},
    }
    return _read_and_report(load_base(model), settings, out, report)


def reread(model: Path, out: Path) -> dict[str, object]:
    """Score the UNet an earlier run saved in ``out`` again (after the reading changed),
    with that run's settings; the training part of its report is kept."""
    path = out / REPORT_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ValueError(f"{out} holds no capacity probe run: {path} is missing") from error
    settings = CapacitySettings(**report["settings"])
    base = load_base(model)
    unet = UNet2DConditionModel.from_pretrained(out / UNET_DIR)
    return _read_and_report(replace(base, unet=unet.eval()), settings, out, report)


def _read_and_report(
    base: BaseComponents, settings: CapacitySettings, out: Path, report: dict[str, object]
) -> dict[str, object]:
    """Read both splits with ``base``'s UNet; write the grids and the report with the scores."""
    started = time.perf_counter()
    pipeline = stable_diffusion_pipeline(base)
    pipeline.set_progress_bar_config(disable=True)
    metric = IdentityMetric.load()
    scores = {}
    for split in ("train", "heldout"):
        split_scores, rows = read_split(pipeline, metric, split_seeds(split, settings.read))
        scores[split] = asdict(split_scores)
        picture_grid(rows).save(out / f"{split}.png")
    wall_time = dict(report["wall_time"])  # type: ignore[call-overload]
    wall_time["read_s"] = round(time.perf_counter() - started, 1)
    report = {**report, "scores": scores, "wall_time": wall_time}
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main() -> None:
    """Command-line entry point."""
    defaults = CapacitySettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--people", type=int, default=defaults.people)
    parser.add_argument("--contexts", type=int, default=defaults.contexts)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--batch", type=int, default=defaults.batch)
    parser.add_argument("--read", type=int, default=defaults.read)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--keep",
        type=float,
        default=defaults.keep,
        help="share of traits a caption names (default: all); --random-keep: as the base run",
    )
    parser.add_argument(
        "--random-keep", action="store_true", help="a fresh random share per caption"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--reread",
        action="store_true",
        help="score the UNet an earlier run saved in --out again, with that run's settings",
    )
    mode.add_argument(
        "--model-unet",
        action="store_true",
        help="train nothing: read the model's own UNet the same way, for comparison",
    )
    parser.add_argument(
        "--unet-width",
        type=int,
        help="channels of the fresh UNet's first block (default: the model's)",
    )
    parser.add_argument(
        "--unet-layers",
        type=int,
        help="ResNet layers per block of the fresh UNet (default: the model's)",
    )
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda[:N]: where the fresh UNet trains"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    settings = CapacitySettings(
        people=args.people,
        contexts=args.contexts,
        steps=args.steps,
        batch=args.batch,
        read=args.read,
        seed=args.seed,
        keep=None if args.random_keep else args.keep,
        unet_width=args.unet_width,
        unet_layers=args.unet_layers,
    )
    try:
        settings.check()
        device = resolve_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    sized = args.unet_width is not None or args.unet_layers is not None
    if sized and (args.reread or args.model_unet):
        parser.error(
            "--unet-width and --unet-layers size a fresh UNet; --reread and --model-unet train none"
        )
    if args.device != "cpu" and (args.reread or args.model_unet):
        parser.error("--device is where a fresh UNet trains; --reread and --model-unet train none")
    if not args.model.is_dir():
        parser.error(f"--model {args.model} is not a directory")
    torch.set_num_threads(args.threads)
    if args.model_unet:
        report = read_model_unet(args.model, args.out, settings)
    elif args.reread:
        try:
            report = reread(args.model, args.out)
        except ValueError as error:
            parser.error(str(error))
    else:
        workers = max(1, min(2, args.threads))
        report = run_probe(args.model, args.out, settings, workers, device)
    print(json.dumps({"scores": report["scores"], "wall_time": report["wall_time"]}))


if __name__ == "__main__":
    main()
