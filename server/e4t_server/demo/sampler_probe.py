"""Which sampler settings suit the demo base model? Scored on validation people.

    python -m e4t_server.demo.sampler_probe --model server/e4t_server/demo/weights/face-domain \\
        --setting 3,0,25 --setting 1.5,1,25 --setting 3,0,25,context

A setting is ``GUIDANCE,ETA,STEPS`` (DDIM's eta: 0 deterministic, 1 ancestral), optionally
followed by ``,context``: the negative prompt is then the same context with "a face" instead of
the empty prompt, so guidance pushes only on what the person's words add. For each validation
person and each prompt context, 2 images are generated with every trait of the person in words
and 2 with "a face" (same noise). Columns: identity similarity to the person's input photo,
the identity metric's hair-style and hair-colour agreement with the person, and the context
metric's adherence of the trait-worded images. Validation people are those of
``demo.personalization_sweep``: no training and no evaluation has seen them.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import (
    StableDiffusionPipeline,
)

from e4t_server.demo.base_probe import OWN, PLAIN, load_base, read_pictures, worded_and_plain
from e4t_server.demo.context import ContextMetric
from e4t_server.demo.dataset import split_seeds
from e4t_server.demo.faces import identity_from_seed
from e4t_server.demo.identity import IdentityMetric
from e4t_server.demo.personalization_sweep import VALIDATION_START
from e4t_server.demo.scenes import PROMPT_CONTEXTS, input_photo
from e4t_server.engine.components import BaseComponents, stable_diffusion_pipeline

IMAGES_PER_PROMPT = 2


@dataclass(frozen=True)
class SamplerSetting:
    """How images are sampled: guidance scale, DDIM eta, steps, and the negative prompt."""

    guidance: float
    eta: float
    steps: int
    context_negative: bool = False
    """Negative prompt = the context with "a face" (guide only the trait words), not ""."""

    @classmethod
    def parse(cls, text: str) -> SamplerSetting:
        """``"3,0,25"`` or ``"3,0,25,context"``."""
        parts = text.split(",")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "context"):
            raise ValueError(f"expected GUIDANCE,ETA,STEPS[,context], got {text!r}")
        try:
            setting = cls(float(parts[0]), float(parts[1]), int(parts[2]), len(parts) == 4)
        except ValueError as error:
            raise ValueError(f"not numbers in {text!r}: {error}") from error
        if not 0 <= setting.guidance < math.inf or not 0 <= setting.eta <= 1 or setting.steps < 1:
            raise ValueError(f"need finite guidance ≥ 0, 0 ≤ eta ≤ 1 and steps ≥ 1, got {text!r}")
        return setting

    def label(self) -> str:
        negative = "context" if self.context_negative else "empty"
        return f"| {self.guidance:g} | {self.eta:g} | {self.steps} | {negative} |"


@dataclass(frozen=True)
class SamplerScores:
    """Means over every generated image of one setting."""

    identity_own: float
    identity_plain: float
    hair_style_own: float
    hair_style_plain: float
    hair_colour_own: float
    background: float
    style: float
    lighting: float
    seconds: float


@dataclass(frozen=True)
class SamplerProbe:
    """The base model's pipeline and both metrics, loaded once for every setting scored."""

    pipeline: StableDiffusionPipeline
    identity: IdentityMetric
    context: ContextMetric

    @classmethod
    def load(cls, base: BaseComponents) -> SamplerProbe:
        pipeline = stable_diffusion_pipeline(base)
        pipeline.set_progress_bar_config(disable=True)
        return cls(pipeline, IdentityMetric.load(), ContextMetric.load())

    @torch.no_grad()
    def score(self, setting: SamplerSetting, people: int) -> SamplerScores:
        """Generate and score the trait-worded and "a face" images of ``people`` validation
        people."""
        started = time.perf_counter()
        similarity: dict[str, list[float]] = {OWN: [], PLAIN: []}
        hair_style: dict[str, list[bool]] = {OWN: [], PLAIN: []}
        hair_colour: list[bool] = []
        adherence: dict[str, list[bool]] = {"background": [], "style": [], "lighting": []}
        for identity_seed in split_seeds("train", people, start=VALIDATION_START):
            person = identity_from_seed(identity_seed)
            source = self.identity.embed([input_photo(identity_seed)])[0]
            for index, scene in enumerate(PROMPT_CONTEXTS):
                pictures = worded_and_plain(
                    self.pipeline,
                    person,
                    scene,
                    samples=IMAGES_PER_PROMPT,
                    seed=identity_seed * 10 + index,
                    steps=setting.steps,
                    guidance=setting.guidance,
                    eta=setting.eta,
                    guide_words_only=setting.context_negative,
                )
                for kind, images in pictures.items():
                    reading = read_pictures(
                        self.identity, images, source, person, ("hair_style", "hair_colour")
                    )
                    similarity[kind] += reading.similarity
                    hair_style[kind] += reading.agreement["hair_style"]
                    if kind == OWN:
                        hair_colour += reading.agreement["hair_colour"]
                style, background, lighting = scene
                for image in pictures[OWN]:
                    found = self.context.adherence(
                        image, background=background, style=style, lighting=lighting
                    )
                    for name, present in found.items():
                        adherence[name].append(present)
        return SamplerScores(
            identity_own=_mean(similarity[OWN]),
            identity_plain=_mean(similarity[PLAIN]),
            hair_style_own=_mean(hair_style[OWN]),
            hair_style_plain=_mean(hair_style[PLAIN]),
            hair_colour_own=_mean(hair_colour),
            background=_mean(adherence["background"]),
            style=_mean(adherence["style"]),
            lighting=_mean(adherence["lighting"]),
            seconds=time.perf_counter() - started,
        )


def _mean(values: Sequence[float] | Sequence[bool]) -> float:
    return float(np.mean(values))


TABLE_HEADER = (
    "| guidance | eta | steps | negative prompt | identity, traits in words | identity, a face "
    "| hair style, traits | hair style, a face | hair colour, traits | background | style "
    "| lighting | s |\n|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table_row(setting: SamplerSetting, scores: SamplerScores) -> str:
    """One markdown row of :data:`TABLE_HEADER`."""
    return (
        f"{setting.label()} {scores.identity_own:.3f} | {scores.identity_plain:.3f} "
        f"| {scores.hair_style_own:.2f} | {scores.hair_style_plain:.2f} "
        f"| {scores.hair_colour_own:.2f} | {scores.background:.2f} | {scores.style:.2f} "
        f"| {scores.lighting:.2f} | {scores.seconds:.0f} |"
    )


def _setting_argument(text: str) -> SamplerSetting:
    try:
        return SamplerSetting.parse(text)
    except ValueError as error:  # argparse shows this message, not a generic one
        raise argparse.ArgumentTypeError(str(error)) from error


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a domain model directory")
    parser.add_argument(
        "--setting",
        action="append",
        type=_setting_argument,
        required=True,
        metavar="GUIDANCE,ETA,STEPS[,context]",
    )
    parser.add_argument("--people", type=int, default=20, help="validation people")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    probe = SamplerProbe.load(load_base(args.model))
    print(TABLE_HEADER, flush=True)
    for setting in args.setting:
        print(table_row(setting, probe.score(setting, args.people)), flush=True)


if __name__ == "__main__":
    main()
