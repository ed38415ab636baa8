"""Face datasets on disk (PNGs, masks, ``metadata.jsonl``) and in memory, with fixed splits.

Identities are split by seed range so that nothing used for evaluation is ever trained on:

* ``train``   — seeds 0 … 999 999: domain tuning of the diffusion model.
* ``heldout`` — seeds 1 000 000 … 1 999 999: evaluation (personalization targets, metric checks).
* ``metric``  — seeds 2 000 000 … 2 999 999: training the identity and context metrics, so the
  metrics share no identity with either the diffusion training data or the evaluation.

Usage: ``python -m e4t_server.demo.dataset --out data/faces --split train --identities 500``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from e4t_server.demo.faces import (
    IdentityFactors,
    NuisanceFactors,
    caption,
    class_caption,
    identity_from_seed,
    render,
    sample_nuisance,
)

SPLITS: dict[str, range] = {
    "train": range(0, 1_000_000),
    "heldout": range(1_000_000, 2_000_000),
    "metric": range(2_000_000, 3_000_000),
}
"""Identity seed range of each split; the ranges never overlap."""


def split_seeds(split: str, count: int, start: int = 0) -> list[int]:
    """Identity seeds ``start … start+count-1`` of a split."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {tuple(SPLITS)}")
    seeds = SPLITS[split][start : start + count]
    if len(seeds) != count:
        raise ValueError(f"split {split!r} has no {count} identities from index {start}")
    return list(seeds)


Context = tuple[str, str, str]
"""(style, background, lighting) of a picture."""


def picture_nuisance(
    seed: int, identity_seed: int, picture: int, context: Context | None = None
) -> NuisanceFactors:
    """Conditions of one picture; depends only on the dataset seed, identity and picture index.
    ``context`` fixes its style, background and lighting (the pose and light stay random)."""
    rng = np.random.default_rng([seed, identity_seed, picture])
    if context is None:
        return sample_nuisance(rng)
    style, background, lighting = context
    return sample_nuisance(rng, style=style, background=background, lighting=lighting)


@dataclass(frozen=True)
class Samples:
    """Rendered pictures in memory: ``images`` is uint8 (N, H, W, 3), ``masks`` uint8 (N, H, W)."""

    images: np.ndarray
    masks: np.ndarray
    identity_seeds: list[int]
    identities: list[IdentityFactors]
    nuisances: list[NuisanceFactors]


@dataclass(frozen=True)
class _Job:
    """One picture to render (picklable, for the worker processes)."""

    identity_seed: int
    seed: int
    picture: int
    size: int
    context: Context | None

    def nuisance(self) -> NuisanceFactors:
        return picture_nuisance(self.seed, self.identity_seed, self.picture, self.context)


def _render_one(job: _Job) -> tuple[np.ndarray, np.ndarray]:
    image, mask = render(identity_from_seed(job.identity_seed), job.nuisance(), job.size)
    return np.asarray(image), np.asarray(mask)


def _jobs(
    identity_seeds: Sequence[int],
    images_per_identity: int,
    seed: int,
    size: int,
    contexts: Sequence[Context] | None,
) -> list[_Job]:
    return [
        _Job(
            identity_seed,
            seed,
            picture,
            size,
            None if not contexts else contexts[picture % len(contexts)],
        )
        for identity_seed in identity_seeds
        for picture in range(images_per_identity)
    ]


def _render_all(jobs: list[_Job], workers: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if workers <= 1:
        return [_render_one(job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_render_one, jobs, chunksize=64)


def render_samples(
    identity_seeds: Sequence[int],
    *,
    images_per_identity: int,
    seed: int,
    size: int = 64,
    workers: int = 1,
    contexts: Sequence[Context] | None = None,
) -> Samples:
    """Render every identity ``images_per_identity`` times under random conditions, in memory.
    With ``contexts``, picture ``i`` of each identity is in ``contexts[i % len(contexts)]``."""
    jobs = _jobs(identity_seeds, images_per_identity, seed, size, contexts)
    rendered = _render_all(jobs, workers)
    return Samples(
        images=np.stack([image for image, _ in rendered]),
        masks=np.stack([mask for _, mask in rendered]),
        identity_seeds=[job.identity_seed for job in jobs],
        identities=[identity_from_seed(job.identity_seed) for job in jobs],
        nuisances=[job.nuisance() for job in jobs],
    )


def write_dataset(
    out_dir: str | Path,
    *,
    identities: int,
    images_per_identity: int,
    seed: int,
    size: int = 64,
    split: str = "train",
    workers: int = 1,
) -> Path:
    """Write a face dataset and return the path of its ``metadata.jsonl``.

    Args:
        out_dir: directory to create; gets ``images/``, ``masks/`` and ``metadata.jsonl``.
        identities: how many identities, the first ones of ``split``.
        images_per_identity: pictures of each identity, each under its own random conditions.
        seed: seed of the picture conditions (identities come from the split's seeds).
        size: image width and height in pixels.
        split: ``train``, ``heldout`` or ``metric`` (see the module docstring).
        workers: rendering processes.

    Each metadata line holds ``file``, ``mask`` (paths relative to ``out_dir``), ``identity_id``,
    ``identity_seed``, ``split``, ``factors``, ``nuisance``, ``caption`` (with the
    ``{concept}`` placeholder) and ``class_caption`` (with "a face").
    """
    root = Path(out_dir)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    samples = render_samples(
        split_seeds(split, identities),
        images_per_identity=images_per_identity,
        seed=seed,
        size=size,
        workers=workers,
    )
    metadata = root / "metadata.jsonl"
    with metadata.open("w") as lines:
        for index, identity_seed in enumerate(samples.identity_seeds):
            picture = index % images_per_identity
            identity_id = f"{split}-{identity_seed}"
            name = f"{identity_id}-{picture:03d}.png"
            Image.fromarray(samples.images[index]).save(root / "images" / name)
            Image.fromarray(samples.masks[index]).save(root / "masks" / name)
            nuisance = samples.nuisances[index]
            record = {
                "file": f"images/{name}",
                "mask": f"masks/{name}",
                "identity_id": identity_id,
                "identity_seed": identity_seed,
                "split": split,
                "factors": samples.identities[index].to_dict(),
                "nuisance": nuisance.to_dict(),
                "caption": caption(nuisance),
                "class_caption": class_caption(nuisance),
            }
            lines.write(json.dumps(record) + "\n")
    return metadata


def read_metadata(metadata: str | Path) -> list[dict[str, object]]:
    """The records of a ``metadata.jsonl`` written by ``write_dataset``."""
    with Path(metadata).open() as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry: write one split of the face dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--split", choices=tuple(SPLITS), default="train")
    parser.add_argument("--identities", type=int, default=500)
    parser.add_argument("--images-per-identity", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    metadata = write_dataset(
        args.out,
        identities=args.identities,
        images_per_identity=args.images_per_identity,
        seed=args.seed,
        size=args.size,
        split=args.split,
        workers=args.workers,
    )
    count = args.identities * args.images_per_identity
    print(f"wrote {count} images to {metadata.parent} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
