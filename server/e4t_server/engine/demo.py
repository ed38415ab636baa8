"""End-to-end demo of the engine on tiny, untrained components.

    python -m e4t_server.engine.demo --out DIR

Builds a tiny model from configs, domain-tunes it briefly on a few generated images,
personalizes one image, generates PNGs from a few prompts and prints their paths. The weights
are random (nothing can be downloaded here), so the pictures are noise-like: the demo shows the
pipeline working end to end, not image quality.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from e4t_server.engine.data import InMemoryDataset
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain
from e4t_server.engine.generate import Engine
from e4t_server.engine.personalize import personalize
from e4t_server.engine.tiny import build_tiny_components, synthetic_image, tiny_domain_config

UNTRAINED_NOTICE = (
    "NOTE: these images come from UNTRAINED weights (tiny randomly initialised components, "
    "domain-tuned for a few steps on synthetic blobs). They show that the E4T pipeline runs end "
    "to end; they are not meant to look like anything."
)
PROMPTS = (
    "a photo of {concept}",
    "a watercolor portrait of {concept}",
    "a cartoon drawing of {concept} on the beach",
)


def run_demo(
    out: Path,
    *,
    tuning_steps: int = 8,
    personalization_steps: int = 10,
    generation_steps: int = 10,
) -> list[Path]:
    """Run the whole demo, writing PNGs, the concept artifact and README.txt into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    config = tiny_domain_config()
    model = DomainModel.from_components(build_tiny_components(config.class_word), config)

    domain_images = [synthetic_image(seed) for seed in range(8)]
    losses = tune_domain(
        model,
        InMemoryDataset(domain_images, config.resolution),
        steps=tuning_steps,
        batch_size=4,
        lr=1e-2,
        seed=0,
    )
    print(f"domain tuning: {tuning_steps} steps, loss {losses[0]:.3f} -> {losses[-1]:.3f}")

    subject = synthetic_image(1000)
    subject.save(out / "input.png")
    concept = personalize(model, subject, steps=personalization_steps, seed=0, lr=1e-2)
    (out / "concept.safetensors").write_bytes(concept.to_bytes())
    curve = concept.metadata.loss_curve
    print(
        f"personalization: {len(curve)} steps, loss {curve[0]:.3f} -> {curve[-1]:.3f}, "
        f"artifact {len(concept.to_bytes())} bytes, sha256 {concept.sha256[:16]}…"
    )

    engine = Engine(model)
    paths = []
    for index, prompt in enumerate(PROMPTS):
        images = engine.generate(
            prompt, concept=concept, steps=generation_steps, seed=index, num_images=2
        )
        for number, image in enumerate(images):
            path = out / f"prompt{index}_image{number}.png"
            image.save(path)
            paths.append(path)
    lines = [
        UNTRAINED_NOTICE,
        "",
        "prompts:",
        *(f"  prompt{i}: {p}" for i, p in enumerate(PROMPTS)),
    ]
    (out / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the PNGs")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(UNTRAINED_NOTICE)
    started = time.perf_counter()
    paths = run_demo(args.out)
    for path in paths:
        print(path)
    print(f"done in {time.perf_counter() - started:.1f}s; see {args.out / 'README.txt'}")


if __name__ == "__main__":
    main()
