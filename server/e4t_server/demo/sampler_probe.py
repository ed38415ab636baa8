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

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.base_probe import load_base
from e4t_server.demo.captions import CLASS_WORD, fully_described_face
from e4t_server.demo.context import ContextMetric
from e4t_server.demo.dataset import split_seeds
from e4t_server.demo.faces import identity_from_seed
from e4t_server.demo.identity import IdentityMetric, factor_embedding
from e4t_server.demo.personalization_sweep import VALIDATION_START
from e4t_server.demo.scenes import PROMPT_CONTEXTS, input_photo, prompt_for
from e4t_server.engine.components import BaseComponents, stable_diffusion_pipeline

PLAIN_PHRASE = f"a {CLASS_WORD}"
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


@torch.no_grad()
def score_setting(base: BaseComponents, setting: SamplerSetting, people: int) -> SamplerScores:
    """Generate and score the trait-worded and "a face" images of ``people`` validation people."""
    pipeline = stable_diffusion_pipeline(base)
    pipeline.set_progress_bar_config(disable=True)
    identity, context = IdentityMetric.load(), ContextMetric.load()
    started = time.perf_counter()
    similarity: dict[str, list[float]] = {"own": [], "plain": []}
    hair_style: dict[str, list[bool]] = {"own": [], "plain": []}
    hair_colour: list[bool] = []
    adherence: dict[str, list[bool]] = {"background": [], "style": [], "lighting": []}
    for identity_seed in split_seeds("train", people, start=VALIDATION_START):
        person = identity_from_seed(identity_seed)
        source = identity.embed([input_photo(identity_seed)])[0]
        for index, scene in enumerate(PROMPT_CONTEXTS):
            style, background, lighting = scene
            plain_prompt = prompt_for(scene, PLAIN_PHRASE)
            phrases = {"own": fully_described_face(person), "plain": PLAIN_PHRASE}
            for kind, phrase in phrases.items():
                negative = plain_prompt if setting.context_negative and kind == "own" else ""
                images = pipeline(
                    [prompt_for(scene, phrase)] * IMAGES_PER_PROMPT,
                    negative_prompt=[negative] * IMAGES_PER_PROMPT,
                    num_inference_steps=setting.steps,
                    guidance_scale=setting.guidance,
                    eta=setting.eta,
                    # the same noise for both phrases: the pair differs only in the words
                    generator=torch.Generator().manual_seed(identity_seed * 10 + index),
                    height=RESOLUTION,
                    width=RESOLUTION,
                ).images
                prediction = identity.predict(images)
                similarity[kind] += (factor_embedding(prediction) @ source).tolist()
                for labels in prediction.labels(identity.config):
                    hair_style[kind].append(labels["hair_style"] == person.hair_style)
                    if kind == "own":
                        hair_colour.append(labels["hair_colour"] == person.hair_colour)
                if kind == "own":
                    for image in images:
                        found = context.adherence(
                            image, background=background, style=style, lighting=lighting
                        )
                        for name, present in found.items():
                            adherence[name].append(present)
    return SamplerScores(
        identity_own=_mean(similarity["own"]),
        identity_plain=_mean(similarity["plain"]),
        hair_style_own=_mean(hair_style["own"]),
        hair_style_plain=_mean(hair_style["plain"]),
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
    base = load_base(args.model)
    print(TABLE_HEADER, flush=True)
    for setting in args.setting:
        print(table_row(setting, score_setting(base, setting, args.people)), flush=True)


if __name__ == "__main__":
    main()
