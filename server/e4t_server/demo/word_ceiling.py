"""How much of a person one word can hold, given one photo or several pictures of them.

    python -m e4t_server.demo.word_ceiling \\
        --model server/e4t_server/demo/weights/face-domain --out data/word-ceiling --identities 24

On validation people (as :mod:`~e4t_server.demo.personalization_sweep`; ``--split heldout``:
the evaluation's held-out people, whose encoder rows it matches to 1e-4), a word embedding is
optimized Textual-Inversion style for a long time (300 steps) on each of three sets of pictures
— 8 pictures of the person in random contexts with captions naming the context and person masks,
the input photo with its caption and mask, and the input photo alone — and scored like the
evaluation against the input photo, beside E4T's encoder alone. If the words made from the one
photo score no more than the encoder, the encoder already takes from the photo what a word can
hold of it; the 8-picture word shows what the word and the UNet could hold given more of the
person. Rows are appended to ``ceiling.jsonl`` (a stopped run resumes); the printed table is
paired against the encoder alone.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.baselines import optimize_word
from e4t_server.demo.dataset import render_samples, split_seeds
from e4t_server.demo.evaluate import ENCODER_ONLY, EvaluationSettings, Evaluator, e4t_method
from e4t_server.demo.faces import caption, identity_from_seed, nuisance_from_seed, render
from e4t_server.demo.personalization_sweep import VALIDATION_START, paired_table
from e4t_server.demo.results_file import append_row, finished
from e4t_server.demo.scenes import input_photo
from e4t_server.demo.selection import add_only_option, selected
from e4t_server.engine.artifact import ConceptArtifact
from e4t_server.engine.data import InMemoryDataset
from e4t_server.engine.domain_model import DomainModel

RESULTS_FILE = "ceiling.jsonl"
WORD_STEPS = 300
WORD_LR = 5e-3
WORD_TIMESTEPS = (300, 1000)
"""Where the person decides the loss (as the shipped domain tuning's range)."""
VIEWS = 8
VIEWS_SEED = 11
"""Seed of the extra pictures' contexts; the input photo is never among them."""


def person_pictures(identity_seed: int, count: int = VIEWS) -> InMemoryDataset:
    """``count`` pictures of the person in random contexts, with captions and person masks."""
    samples = render_samples(
        [identity_seed], images_per_identity=count, seed=VIEWS_SEED, size=RESOLUTION, workers=1
    )
    return InMemoryDataset(
        [Image.fromarray(image) for image in samples.images],
        RESOLUTION,
        masks=[Image.fromarray(mask) for mask in samples.masks],
        captions=[caption(nuisance) for nuisance in samples.nuisances],
    )


def input_photo_dataset(identity_seed: int, informed: bool) -> InMemoryDataset:
    """The input photo alone; ``informed`` adds its caption and its person mask."""
    nuisance = nuisance_from_seed(identity_seed, style="photo")
    photo, mask = render(identity_from_seed(identity_seed), nuisance, RESOLUTION)
    if not informed:
        return InMemoryDataset([photo], RESOLUTION)
    return InMemoryDataset([photo], RESOLUTION, masks=[mask], captions=[caption(nuisance)])


def word_concept(model: DomainModel, dataset: InMemoryDataset) -> ConceptArtifact:
    """The long-optimized word of one set of pictures."""
    return optimize_word(
        model, dataset, steps=WORD_STEPS, lr=WORD_LR, timestep_range=WORD_TIMESTEPS
    )


def encoder_concept(model: DomainModel, identity_seed: int) -> ConceptArtifact:
    """E4T's encoder alone on the input photo (the evaluation's row of that name)."""
    return e4t_method(0)(model, input_photo(identity_seed), 0).artifact


VARIANTS: dict[str, Callable[[DomainModel, int], ConceptArtifact]] = {
    ENCODER_ONLY: encoder_concept,
    f"one word, {VIEWS} pictures of the person with captions and masks": lambda model, seed: (
        word_concept(model, person_pictures(seed))
    ),
    "one word, the input photo with its caption and mask": lambda model, seed: word_concept(
        model, input_photo_dataset(seed, informed=True)
    ),
    "one word, the input photo alone": lambda model, seed: word_concept(
        model, input_photo_dataset(seed, informed=False)
    ),
}
"""Each row's concept of one person, E4T's encoder first (the table pairs against it)."""


def people(split: str, count: int, first: int = 0) -> list[int]:
    """``count`` identity seeds from the ``first``-th on: validation people (``"validation"``)
    or the evaluation's held-out ones (``"heldout"``, the comparison's people)."""
    if split == "validation":
        return split_seeds("train", count, start=VALIDATION_START + first)
    return split_seeds("heldout", count, start=first)


def ceiling(
    model_dir: Path,
    out: Path,
    identity_seeds: list[int],
    only: tuple[str, ...] = (),
) -> Path:
    """Score E4T's encoder and every variant (or those ``only`` selects) on the people of
    ``identity_seeds``; returns the results file."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_FILE
    done = finished(results, "variant")
    model = DomainModel.from_pretrained(model_dir)
    evaluator = Evaluator(model, EvaluationSettings())
    for identity_seed in identity_seeds:
        photo = input_photo(identity_seed)
        for name, make in VARIANTS.items():
            if (name, identity_seed) in done or not selected(name, only):
                continue
            artifact = make(model, identity_seed)
            distance = (artifact.embedding.float() - model.class_word_embedding.float()).norm()
            row = {"variant": name, "identity_seed": identity_seed, "distance": float(distance)}
            row.update(evaluator.score(photo, evaluator.generations(artifact, "{concept}", 0)))
            append_row(results, row)
        print(f"identity {identity_seed} done", flush=True)
    return results


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--identities", type=int, default=24)
    parser.add_argument(
        "--split",
        choices=("validation", "heldout"),
        default="validation",
        help="validation people (default) or the evaluation's held-out people",
    )
    parser.add_argument(
        "--first", type=int, default=0, help="skip this many people of the split (to split a run)"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    add_only_option(parser, "variants")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = people(args.split, args.identities, args.first)
    print(paired_table(ceiling(args.model, args.out, seeds, tuple(args.only))))


if __name__ == "__main__":
    main()
