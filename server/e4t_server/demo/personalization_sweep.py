"""Choose E4T's personalization settings on validation people, never on the evaluation's.

    python -m e4t_server.demo.personalization_sweep \\
        --model server/e4t_server/demo/weights/face-domain --out data/personalization-sweep

Validation people are ``train``-split identities far beyond any training run's (from index
900 000), so neither the base model, the domain tuning nor the evaluation has seen them. Each
:data:`VARIANTS` entry (steps, lr, embedding regularization) makes a concept from the person's
input photo; the evaluation's generations and identity metric score it. Rows are appended to
``sweep.jsonl`` (a stopped run resumes); the printed table is paired against the encoder alone.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from e4t_server.demo.dataset import split_seeds
from e4t_server.demo.evaluate import EvaluationSettings, Evaluator
from e4t_server.demo.scenes import input_photo
from e4t_server.engine.config import RegularizationWeights
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.personalize import personalize

RESULTS_FILE = "sweep.jsonl"
VALIDATION_START = 900_000


@dataclass(frozen=True)
class Variant:
    """One personalization setting; ``embedding`` is λ_emb (λ_w is the config's)."""

    steps: int
    lr: float = 0.0
    embedding: float = 0.0


ENCODER_ONLY = "encoder only (0 steps)"
VARIANTS: dict[str, Variant] = {
    ENCODER_ONLY: Variant(steps=0),
    "15 steps, lr 1e-4, λ_emb 1e-1": Variant(15, 1e-4, 1e-1),
    "15 steps, lr 3e-4, λ_emb 1e-3": Variant(15, 3e-4, 1e-3),
    "15 steps, lr 1e-4, λ_emb 1e-3": Variant(15, 1e-4, 1e-3),
    "15 steps, lr 3e-5, λ_emb 1e-3": Variant(15, 3e-5, 1e-3),
    "5 steps, lr 1e-4, λ_emb 1e-3": Variant(5, 1e-4, 1e-3),
}


def sweep(model_dir: Path, out: Path, identities: int) -> Path:
    """Score every variant on ``identities`` validation people; returns the results file."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_FILE
    done = set()
    if results.is_file():
        for line in results.read_text().splitlines():
            row = json.loads(line)
            done.add((row["variant"], row["identity_seed"]))
    model = DomainModel.from_pretrained(model_dir)
    evaluator = Evaluator(model, EvaluationSettings())
    weights = model.config.personalization_regularization.weights
    for identity_seed in split_seeds("train", identities, start=VALIDATION_START):
        photo = input_photo(identity_seed)
        for name, variant in VARIANTS.items():
            if (name, identity_seed) in done:
                continue
            started = time.perf_counter()
            artifact = personalize(
                model,
                photo,
                steps=variant.steps,
                lr=variant.lr,
                regularization=RegularizationWeights(variant.embedding, weights),
                seed=0,
            )
            seconds = time.perf_counter() - started
            images = evaluator.generations(artifact, "{concept}", seed=0)
            row = {"variant": name, "identity_seed": identity_seed, "seconds": seconds}
            row.update(evaluator.score(photo, images))
            with results.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
        print(f"identity {identity_seed} done", flush=True)
    return results


def paired_table(results: Path) -> str:
    """Markdown: mean identity similarity per variant and its paired difference to the encoder
    alone (± 95 % CI) over the people every variant has scored."""
    scores: dict[str, dict[int, float]] = {}
    for line in results.read_text().splitlines():
        row = json.loads(line)
        scores.setdefault(row["variant"], {})[row["identity_seed"]] = row["identity"]
    people = sorted(set.intersection(*(set(by_person) for by_person in scores.values())))
    reference = np.array([scores[ENCODER_ONLY][p] for p in people])
    lines = [
        f"| variant ({len(people)} people) | identity similarity | − encoder only |",
        "|---|---:|---:|",
    ]
    for name, by_person in scores.items():
        values = np.array([by_person[p] for p in people])
        difference = values - reference
        half_width = 1.96 * difference.std(ddof=1) / np.sqrt(len(people)) if len(people) > 1 else 0
        lines.append(
            f"| {name} | {values.mean():.3f} | {difference.mean():+.3f} ± {half_width:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--identities", type=int, default=12)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(paired_table(sweep(args.model, args.out, args.identities)))


if __name__ == "__main__":
    main()
