"""Domain-tune the demo base model on faces with the engine (E4T's once-per-domain stage).

    python -m e4t_server.demo.train_domain --base data/face-base --out data/face-domain

Renders pictures of ``train``-split identities with their person masks and context captions
("a sketch of {concept}, blue background, warm lighting"), then runs the engine's
:func:`~e4t_server.engine.domain_tuning.tune_domain`: the encoder learns to carry the identity
while the caption carries the context, and the masked loss ignores the backdrop. Writes the
domain model (a stock SD directory plus the E4T parts) and ``domain_training.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.captions import CLASS_WORD
from e4t_server.demo.dataset import render_samples, split_seeds
from e4t_server.demo.faces import caption
from e4t_server.demo.train_base import SD_DIR, VISION_DIR
from e4t_server.demo.training import log_progress, resolve_device
from e4t_server.engine.config import DomainConfig, RegularizationWeights
from e4t_server.engine.data import InMemoryDataset
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain

REPORT_FILE = "domain_training.json"
# Identities of the train split after those the base model's own run drew most of its pictures
# from; both are train-split identities, never held-out ones.
FIRST_IDENTITY = 3000


def demo_domain_config(embedding_regularization: float = 1e-4) -> DomainConfig:
    """The face domain's E4T settings at the demo model's size; ``embedding_regularization`` is
    the domain tuning's λ_emb."""
    return DomainConfig(
        class_word=CLASS_WORD,
        class_prompt="a photo of a {class_word}",
        prompt_templates=("a photo of {concept}",),
        resolution=RESOLUTION,
        encoder_hidden_size=128,
        offset_rank=4,
        # λ_emb is set by this tiny CLIP's scale: its token embeddings have norm ≈ 0.17 and
        # identity is worth a few per cent of the loss, so the engine's SD-scale 1e-2 pinned the
        # encoder's output to the class word (it moved it by 0.003). See docs/demo-domain.md.
        domain_regularization=RegularizationWeights(
            embedding=embedding_regularization, weights=1e-4
        ),
        personalization_regularization=RegularizationWeights(embedding=1e-3, weights=1e-3),
        personalization_steps=15,
        # Chosen on validation identities: higher rates lower identity similarity here.
        personalization_lr=3e-5,
        personalization_batch_size=4,
    )


@dataclass(frozen=True)
class DomainTrainingSettings:
    """Every knob of one run (saved in the report)."""

    seed: int = 0
    identities: int = 2000
    images_per_identity: int = 2
    steps: int = 2000
    batch_size: int = 16
    lr: float = 5e-4
    timestep_range: tuple[int, int] | None = None
    """Half-open range of training timesteps; ``None`` is all of them."""
    other_views: bool = False
    """The encoder reads another picture of the person than the one denoised (engine subjects)."""
    embedding_regularization: float = 1e-4
    """λ_emb of the domain tuning (saved in the model's config)."""


def face_dataset(settings: DomainTrainingSettings, workers: int) -> InMemoryDataset:
    """Train-split faces with person masks and context captions."""
    seeds = split_seeds("train", settings.identities, start=FIRST_IDENTITY)
    samples = render_samples(
        seeds,
        images_per_identity=settings.images_per_identity,
        seed=settings.seed + 1,
        size=RESOLUTION,
        workers=workers,
    )
    return InMemoryDataset(
        [Image.fromarray(image) for image in samples.images],
        RESOLUTION,
        masks=[Image.fromarray(mask) for mask in samples.masks],
        captions=[caption(nuisance) for nuisance in samples.nuisances],
        subjects=[str(seed) for seed in samples.identity_seeds] if settings.other_views else None,
    )


def train_domain(
    base: Path,
    out: Path,
    settings: DomainTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
) -> dict[str, object]:
    """Domain-tune a model on ``base`` on ``device`` (default: CPU) and save it to ``out``;
    returns the report."""
    started = time.perf_counter()
    dataset = face_dataset(settings, workers)
    render_s = time.perf_counter() - started
    model = DomainModel.from_base(
        base / SD_DIR,
        base / VISION_DIR,
        demo_domain_config(settings.embedding_regularization),
        seed=settings.seed,
    ).to(device or torch.device("cpu"))
    tuning = time.perf_counter()
    losses = tune_domain(
        model,
        dataset,
        steps=settings.steps,
        batch_size=settings.batch_size,
        lr=settings.lr,
        seed=settings.seed,
        progress=lambda step, total, loss: log_progress("domain", step, total, loss, tuning),
        timestep_range=settings.timestep_range,
    )
    tuning_s = time.perf_counter() - tuning
    model.save_pretrained(out)
    report: dict[str, object] = {
        "settings": asdict(settings),
        "pictures": len(dataset),
        "loss_first_50": float(np.mean(losses[:50])),
        "loss_last_50": float(np.mean(losses[-50:])),
        "wall_time": {
            "render_s": round(render_s, 1),
            "tuning_s": round(tuning_s, 1),
            "total_s": round(time.perf_counter() - started, 1),
        },
        "threads": torch.get_num_threads(),
        "device": str(model.device),
        "fingerprint": model.fingerprint(),
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main() -> None:
    """Command-line entry point."""
    defaults = DomainTrainingSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="output of train_base")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--identities", type=int, default=defaults.identities)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument(
        "--timestep-range",
        type=int,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=defaults.timestep_range,
        help="train only on timesteps LOW … HIGH-1 (default: all)",
    )
    parser.add_argument(
        "--other-views",
        action="store_true",
        help="the encoder reads another picture of the person than the one it denoises",
    )
    parser.add_argument(
        "--embedding-regularization",
        type=float,
        default=defaults.embedding_regularization,
        help="λ_emb of the domain tuning",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    args = parser.parse_args()
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    torch.set_num_threads(args.threads)
    settings = DomainTrainingSettings(
        seed=args.seed,
        identities=args.identities,
        steps=args.steps,
        timestep_range=None if args.timestep_range is None else tuple(args.timestep_range),
        other_views=args.other_views,
        embedding_regularization=args.embedding_regularization,
    )
    if settings.embedding_regularization < 0:
        parser.error("--embedding-regularization must be >= 0")
    workers = max(1, min(2, args.threads))
    report = train_domain(args.base, args.out, settings, workers, device)
    print(json.dumps(report["wall_time"]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
