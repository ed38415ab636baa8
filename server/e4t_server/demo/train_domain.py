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
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.captions import CLASS_WORD, fully_described_face
from e4t_server.demo.dataset import render_samples, split_seeds
from e4t_server.demo.faces import caption
from e4t_server.demo.train_base import SD_DIR, VISION_DIR
from e4t_server.demo.training import check_same_settings, log_progress, resolve_device
from e4t_server.engine.config import DomainConfig, RegularizationWeights
from e4t_server.engine.data import InMemoryDataset
from e4t_server.engine.domain_model import DomainModel, num_train_timesteps
from e4t_server.engine.domain_tuning import latest_checkpoint_step, tune_domain

REPORT_FILE = "domain_training.json"
CHECKPOINT_DIR = "tuning-checkpoints"
RUN_FILE = "run.json"
"""Beside the checkpoints: the base, settings and finished calls of the run they belong to."""
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
    description_weight: float = 0.0
    """Weight of the description teacher: the encoder's word is taught to act like the words
    naming every trait of the person (``fully_described_face``); 0 trains without it."""
    init_from: str | None = None
    """A domain model to go on tuning (its encoder and offsets), instead of fresh ones on the
    base; its config is kept but for the domain tuning's λ_emb and ``encoder_timestep``."""
    encoder_timestep: int | None = None
    """The timestep the encoder reads its picture at, in every step and when a concept is frozen
    (the config's ``freeze_timestep`` with ``fixed_encoder_timestep``); ``None``: the step's
    own timestep, as in the paper."""


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
        descriptions=(
            [fully_described_face(identity) for identity in samples.identities]
            if settings.description_weight > 0
            else None
        ),
    )


def train_domain(
    base: Path,
    out: Path,
    settings: DomainTrainingSettings,
    workers: int = 2,
    device: torch.device | None = None,
    checkpoint_every: int = 0,
    stop_after: int | None = None,
    resume: bool = False,
) -> dict[str, object]:
    """Domain-tune a model on ``base`` on ``device`` (default: CPU) and save it to ``out``;
    returns the report (``steps_done`` says how far the run got; a stopped call returns only
    that and its ``calls``).

    With ``checkpoint_every`` or ``stop_after`` the tuning state is kept in
    ``out/tuning-checkpoints`` (every ``checkpoint_every`` steps and where the call ends);
    ``stop_after`` ends this call after that many steps without writing the model, and
    ``resume`` goes on from the latest checkpoint exactly as if the run had not stopped. The
    checkpoints are deleted once the model is written."""
    checkpoints = out / CHECKPOINT_DIR
    earlier = starting_record(out, base, settings, resume)
    keep = resume or checkpoint_every > 0 or stop_after is not None
    done = latest_checkpoint_step(checkpoints) if resume else 0
    last = settings.steps if stop_after is None else min(settings.steps, done + stop_after)
    started = time.perf_counter()
    dataset = face_dataset(settings, workers)
    render_s = time.perf_counter() - started
    model = starting_model(base, settings).to(device or torch.device("cpu"))
    if keep:
        checkpoints.mkdir(parents=True, exist_ok=True)
        _write_json(checkpoints / RUN_FILE, earlier)
    tuning = time.perf_counter()
    losses = tune_domain(
        model,
        dataset,
        steps=last,
        batch_size=settings.batch_size,
        lr=settings.lr,
        seed=settings.seed,
        checkpoint_dir=checkpoints if keep else None,
        checkpoint_every=checkpoint_every,
        progress=lambda step, _, loss: log_progress(
            "domain", step, settings.steps, loss, tuning, resumed_at=done
        ),
        timestep_range=settings.timestep_range,
        description_weight=settings.description_weight,
    )
    calls = [*earlier["calls"], {"steps": [done, last], "tuning_s": time.perf_counter() - tuning}]
    if last < settings.steps:
        _write_json(checkpoints / RUN_FILE, {**earlier, "calls": calls})
        return {"steps_done": last, "calls": calls}
    model.save_pretrained(out)
    report: dict[str, object] = {
        "settings": asdict(settings),
        "pictures": len(dataset),
        "loss_first_50": float(np.mean(losses[:50])),
        "loss_last_50": float(np.mean(losses[-50:])),
        "wall_time": {
            "render_s": round(render_s, 1),
            "tuning_s": round(sum(call["tuning_s"] for call in calls), 1),
            "total_s": round(time.perf_counter() - started, 1),
        },
        "threads": torch.get_num_threads(),
        "device": str(model.device),
        "fingerprint": model.fingerprint(),
    }
    if len(calls) > 1:  # the times of calls killed before they stopped are not known
        report["calls"] = [
            {"steps": call["steps"], "tuning_s": round(call["tuning_s"], 1)} for call in calls
        ]
    _write_json(out / REPORT_FILE, report)
    shutil.rmtree(checkpoints, ignore_errors=True)
    report["steps_done"] = last
    return report


def starting_model(base: Path, settings: DomainTrainingSettings) -> DomainModel:
    """Fresh encoder heads and offsets on ``base``, or those of ``settings.init_from``."""
    if settings.init_from is None:
        model = DomainModel.from_base(
            base / SD_DIR,
            base / VISION_DIR,
            demo_domain_config(settings.embedding_regularization),
            seed=settings.seed,
        )
    else:
        model = DomainModel.from_pretrained(Path(settings.init_from))
        model.config = replace(
            model.config,
            domain_regularization=replace(
                model.config.domain_regularization, embedding=settings.embedding_regularization
            ),
        )
    if settings.encoder_timestep is not None:
        model.config = replace(
            model.config, freeze_timestep=settings.encoder_timestep, fixed_encoder_timestep=True
        )
    return model


def starting_record(
    out: Path, base: Path, settings: DomainTrainingSettings, resume: bool
) -> dict[str, Any]:
    """The run record a call into ``out`` starts from: the stopped run's with ``resume``, a
    fresh one without (``ValueError`` where that call cannot start)."""
    if resume:
        return check_resumable(out, base, settings)
    if (out / CHECKPOINT_DIR).exists():
        raise ValueError(f"{out} holds a stopped run: pass --resume to go on with it")
    return {"base": str(base.resolve()), "settings": asdict(settings), "calls": []}


def check_resumable(out: Path, base: Path, settings: DomainTrainingSettings) -> dict[str, Any]:
    """What the stopped run in ``out`` recorded (``ValueError`` if there is none, or if ``base``
    or ``settings`` are not its own)."""
    try:
        earlier = json.loads((out / CHECKPOINT_DIR / RUN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ValueError(f"{out} holds no stopped run to resume") from error
    check_same_settings(earlier["settings"], settings)
    if earlier["base"] != str(base.resolve()):
        raise ValueError(f"the run in {out} tuned {earlier['base']}, not {base}")
    return dict(earlier)


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Command-line entry point."""
    defaults = DomainTrainingSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, help="output of train_base")
    parser.add_argument(
        "--init-from",
        type=Path,
        help="go on tuning this domain model's encoder and offsets (instead of --base)",
    )
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
        "--encoder-timestep",
        type=int,
        metavar="T",
        help="the encoder reads its picture noised to T in every step and when a concept is "
        "frozen (default: the step's own timestep, and the config's freeze timestep when frozen)",
    )
    parser.add_argument(
        "--embedding-regularization",
        type=float,
        default=defaults.embedding_regularization,
        help="λ_emb of the domain tuning",
    )
    parser.add_argument(
        "--description-weight",
        type=float,
        default=defaults.description_weight,
        help="weight of the description teacher (every trait of the person in words); 0: off",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=0,
        metavar="N",
        help="keep the tuning state every N steps, so a killed run can go on with --resume",
    )
    parser.add_argument(
        "--stop-after-steps",
        type=int,
        metavar="N",
        help="stop after N steps of this call, resumable with --resume",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on with the stopped run in --out from its last checkpoint (same flags)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = DomainTrainingSettings(
        seed=args.seed,
        identities=args.identities,
        steps=args.steps,
        timestep_range=None if args.timestep_range is None else tuple(args.timestep_range),
        other_views=args.other_views,
        embedding_regularization=args.embedding_regularization,
        description_weight=args.description_weight,
        init_from=None if args.init_from is None else str(args.init_from.resolve()),
        encoder_timestep=args.encoder_timestep,
    )
    try:  # every check before anything is rendered, trained or written
        device = resolve_device(args.device)
        base = check_options(args, settings)
    except ValueError as error:
        parser.error(str(error))
    workers = max(1, min(2, args.threads))
    report = train_domain(
        base,
        args.out,
        settings,
        workers,
        device,
        checkpoint_every=args.checkpoint_every,
        stop_after=args.stop_after_steps,
        resume=args.resume,
    )
    if report["steps_done"] != settings.steps:
        print(
            f"stopped after domain step {report['steps_done']} of {settings.steps}: "
            "run the same command with --resume to go on",
            file=sys.stderr,
        )
        return
    print(json.dumps(report["wall_time"]))
    print(f"wrote {args.out}")


def check_options(args: argparse.Namespace, settings: DomainTrainingSettings) -> Path:
    """Refuse what no run can do with these options (``ValueError``); returns the directory the
    run starts from (``--base``, or ``--init-from``'s domain model), which its record keeps."""
    if (args.base is None) == (args.init_from is None):
        raise ValueError("give either --base or --init-from")
    base = Path(args.base or args.init_from)
    if settings.embedding_regularization < 0:
        raise ValueError("--embedding-regularization must be >= 0")
    if settings.description_weight < 0:
        raise ValueError("--description-weight must be >= 0")
    if settings.encoder_timestep is not None:
        timesteps = num_train_timesteps(base if args.init_from else base / SD_DIR)
        if not 0 <= settings.encoder_timestep < timesteps:
            raise ValueError(f"--encoder-timestep must be in [0, {timesteps})")
    if args.checkpoint_every < 0:
        raise ValueError(f"--checkpoint-every must be >= 0, not {args.checkpoint_every}")
    if args.stop_after_steps is not None and args.stop_after_steps < 1:
        raise ValueError(f"--stop-after-steps must be at least 1, not {args.stop_after_steps}")
    starting_record(args.out, base, settings, args.resume)
    return base


if __name__ == "__main__":
    main()
