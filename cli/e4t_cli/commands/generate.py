"""`e4t generate`: generate images of a concept, write PNGs and print their paths."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from e4t_cli.output import message, print_json
from e4t_cli.state import state_of


def generate(
    ctx: typer.Context,
    concept: Annotated[str, typer.Argument(help="Concept ID or name.")],
    prompt: Annotated[
        str,
        typer.Argument(help="Prompt with {concept}, e.g. 'a watercolor portrait of {concept}'."),
    ],
    n: Annotated[int, typer.Option("-n", "--count", min=1, max=4, help="Number of images.")] = 1,
    negative_prompt: Annotated[str, typer.Option(help="What to steer away from.")] = "",
    steps: Annotated[int, typer.Option(min=0, max=100, help="Denoising steps (default: 30).")] = 0,
    guidance: Annotated[
        float | None, typer.Option(min=0, max=20, help="Guidance scale (default: 7.5).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the first image.")] = None,
    width: Annotated[int, typer.Option(help="Width in pixels (default: native).")] = 0,
    height: Annotated[int, typer.Option(help="Height in pixels (default: native).")] = 0,
    out_dir: Annotated[
        Path, typer.Option("--out-dir", "-o", file_okay=False, help="Where to write the PNGs.")
    ] = Path("."),
) -> None:
    """Generate images of a concept; writes PNGs and prints their paths."""
    state = state_of(ctx)
    generation = state.client().images.generate(
        concept=concept,
        prompt=prompt,
        negative_prompt=negative_prompt,
        num_inference_steps=steps,
        guidance_scale=guidance,
        seed=seed,
        n=n,
        width=width,
        height=height,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = concept.rsplit("/", 1)[-1]
    paths = [image.save(out_dir / f"{stem}-{image.seed}.png") for image in generation]
    message(f"{len(paths)} image(s) from {generation.concept_version}")
    if state.json_output:
        print_json(
            [
                {
                    "path": str(path),
                    "seed": image.seed,
                    "width": image.width,
                    "height": image.height,
                }
                for path, image in zip(paths, generation, strict=True)
            ]
        )
    else:
        for path in paths:
            typer.echo(str(path))
