"""The demo's input photos and prompt contexts, shared by ``e4t demo`` and the evaluation.

A concept is made from one photo-style render of a held-out identity, and it is then asked for
in contexts (style, background, lighting) unlike the photo's, so following the prompt and
keeping the identity are measured apart.
"""

from __future__ import annotations

from PIL import Image

from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.faces import caption, identity_from_seed, nuisance_from_seed, render

PROMPT_CONTEXTS: tuple[tuple[str, str, str], ...] = (
    ("photo", "blue", "bright"),
    ("sketch", "yellow", "warm"),
    ("pop-art", "green", "cool"),
    ("cartoon", "purple", "dim"),
)
"""(style, background, lighting) of the prompts."""

GUIDANCE_SCALE = 3.0
"""Classifier-free guidance for the demo model. Chosen on the base model alone (the trait-words
prompt kept identity best at 2–3; at SD's usual 7.5 this small model over-saturates), before
any concept was made, and used for every method alike."""


def input_photo(identity_seed: int, size: int = RESOLUTION) -> Image.Image:
    """The one picture a concept is made from: a photo-style render in random conditions."""
    nuisance = nuisance_from_seed(identity_seed, style="photo")
    return render(identity_from_seed(identity_seed), nuisance, size)[0]


def prompt_for(context: tuple[str, str, str], phrase: str) -> str:
    """The prompt for a context, with ``phrase`` where the person goes."""
    style, background, lighting = context
    nuisance = nuisance_from_seed(0, style=style, background=background, lighting=lighting)
    return caption(nuisance, placeholder=phrase)
