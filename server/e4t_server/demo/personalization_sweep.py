"""Choose each method's tuning settings on validation people, never on the evaluation's.

    python -m e4t_server.demo.personalization_sweep \\
        --model server/e4t_server/demo/weights/face-domain --out data/personalization-sweep

Validation people are ``train``-split identities far beyond any training run's (from index
900 000), so neither the base model, the domain tuning nor the evaluation has seen them. Each
:data:`VARIANTS` entry (a method with its steps, lr and, for E4T, embedding regularization)
makes a concept from the person's input photo (seed 0); the evaluation's generations and
identity metric score it. Rows are appended to ``sweep.jsonl`` (a stopped run resumes); the
printed table is paired against E4T's encoder alone.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch

from e4t_server.demo.baselines import lora_dreambooth, textual_inversion
from e4t_server.demo.dataset import split_seeds
from e4t_server.demo.evaluate import (
    ENCODER_ONLY,
    EvaluationSettings,
    Evaluator,
    Method,
    baseline_method,
    e4t_method,
)
from e4t_server.demo.results_file import append_row, ci95, finished, read_rows
from e4t_server.demo.scenes import input_photo
from e4t_server.demo.selection import add_only_option, selected
from e4t_server.engine.domain_model import DomainModel

RESULTS_FILE = "sweep.jsonl"
VALIDATION_START = 900_000


VARIANTS: dict[str, Method] = {
    ENCODER_ONLY: e4t_method(0),
    "E4T 15 steps, lr 1e-4, λ_emb 1e-1": e4t_method(15, 1e-4, 1e-1),
    "E4T 15 steps, lr 3e-4, λ_emb 1e-3": e4t_method(15, 3e-4, 1e-3),
    "E4T 15 steps, lr 1e-4, λ_emb 1e-3": e4t_method(15, 1e-4, 1e-3),
    "E4T 15 steps, lr 3e-5, λ_emb 1e-3": e4t_method(15, 3e-5, 1e-3),
    "E4T 5 steps, lr 1e-4, λ_emb 1e-3": e4t_method(5, 1e-4, 1e-3),
    # The domain tuning's own λ_emb: on the width-64 model the strong rate gained on average
    # but unevenly (docs/demo-domain.md), so it is searched on more people.
    "E4T 15 steps, lr 1e-4, λ_emb 1e-5": e4t_method(15, 1e-4, 1e-5),
    "E4T 15 steps, lr 3e-4, λ_emb 1e-5": e4t_method(15, 3e-4, 1e-5),
    "E4T 5 steps, lr 3e-4, λ_emb 1e-5": e4t_method(5, 3e-4, 1e-5),
    # lr 3e-4 gained at λ_emb 1e-5 and lr 1e-4 did not: a faster rate, to see where it peaks.
    "E4T 15 steps, lr 1e-3, λ_emb 1e-5": e4t_method(15, 1e-3, 1e-5),
    "E4T 5 steps, lr 1e-3, λ_emb 1e-5": e4t_method(5, 1e-3, 1e-5),
    # The encoder heads at the shipped rate, the weight offsets at LoRA's rates: LoRA moves the
    # same offsets 100x faster than E4T's single rate does, and gains where E4T's steps do not.
    "E4T 15 steps, lr 3e-5, offsets lr 1e-3": e4t_method(15, 3e-5, offsets_lr=1e-3),
    "E4T 15 steps, lr 3e-5, offsets lr 3e-3": e4t_method(15, 3e-5, offsets_lr=3e-3),
    "E4T 5 steps, lr 3e-5, offsets lr 3e-3": e4t_method(5, 3e-5, offsets_lr=3e-3),
    "E4T 5 steps, lr 3e-5, offsets lr 1e-2": e4t_method(5, 3e-5, offsets_lr=1e-2),
    # The baselines get the same search at the same 15-step budget, so that E4T is not
    # compared with untuned rivals.
    "Textual Inversion 15 steps, lr 5e-3": baseline_method(textual_inversion, 15, 5e-3),
    "Textual Inversion 15 steps, lr 2e-2": baseline_method(textual_inversion, 15, 2e-2),
    "Textual Inversion 15 steps, lr 5e-2": baseline_method(textual_inversion, 15, 5e-2),
    "LoRA-DreamBooth 15 steps, lr 1e-3": baseline_method(lora_dreambooth, 15, 1e-3),
    "LoRA-DreamBooth 15 steps, lr 3e-3": baseline_method(lora_dreambooth, 15, 3e-3),
    "LoRA-DreamBooth 15 steps, lr 1e-2": baseline_method(lora_dreambooth, 15, 1e-2),
}


def sweep(model_dir: Path, out: Path, identities: int, only: tuple[str, ...] = ()) -> Path:
    """Score every variant (or those whose names contain a text of ``only``) on
    ``identities`` validation people; returns the results file."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_FILE
    done = finished(results, "variant")
    model = DomainModel.from_pretrained(model_dir)
    evaluator = Evaluator(model, EvaluationSettings())
    for identity_seed in split_seeds("train", identities, start=VALIDATION_START):
        photo = input_photo(identity_seed)
        for name, make in VARIANTS.items():
            if (name, identity_seed) in done or not selected(name, only):
                continue
            made = make(model, photo, 0)
            images = evaluator.generations(made.artifact, "{concept}", seed=0)
            row = {"variant": name, "identity_seed": identity_seed, "seconds": made.seconds}
            row.update(evaluator.score(photo, images))
            append_row(results, row)
        print(f"identity {identity_seed} done", flush=True)
    return results


def paired_table(results: Path) -> str:
    """Markdown: mean identity similarity per variant and its paired difference to the encoder
    alone (± 95 % CI) over the people every variant has scored."""
    scores: dict[str, dict[int, float]] = {}
    for row in read_rows(results):
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
        lines.append(
            f"| {name} | {values.mean():.3f} | {difference.mean():+.3f} ± {ci95(difference):.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--identities", type=int, default=12)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    add_only_option(parser, "variants")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(paired_table(sweep(args.model, args.out, args.identities, tuple(args.only))))


if __name__ == "__main__":
    main()
