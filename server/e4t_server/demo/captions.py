"""Captions of the demo face domain and the vocabulary of its offline tokenizer.

The base text-to-image model learns from captions that name the context (style, background,
lighting) and, like web captions of real portraits, *some* visible traits of the person ("with
blonde curly hair and round glasses"). Each trait is mentioned at random, so the model also
learns to draw a plausible face for whatever a prompt leaves out; "a face" alone gives a random
person, which is the no-personalization baseline.
"""

from __future__ import annotations

import numpy as np

from e4t_server.demo.faces import (
    BACKGROUNDS,
    CATEGORICAL_FACTORS,
    LIGHTINGS,
    IdentityFactors,
    NuisanceFactors,
    caption,
)

CLASS_WORD = "face"

_HAIR_COLOUR_WORDS = {name: name.replace("-", " ") for name in CATEGORICAL_FACTORS["hair_colour"]}
_BEARD_PHRASES = {"stubble": "stubble", "moustache": "a moustache", "full": "a full beard"}
_SKIN_WORDS = ("light", "medium", "dark")

DEMO_WORDS: tuple[str, ...] = (
    CLASS_WORD,
    *[
        "a",
        "of",
        "with",
        "and",
        "photo",
        "sketch",
        "cartoon",
        "drawing",
        "pop",
        "art",
        "portrait",
        "background",
        "lighting",
    ],
    *BACKGROUNDS,
    *LIGHTINGS,
    # dict.fromkeys, not a set: a set's order changes with the hash seed, and the vocabulary too
    *dict.fromkeys(word for name in _HAIR_COLOUR_WORDS.values() for word in name.split()),
    *CATEGORICAL_FACTORS["hair_style"],
    *[
        "hair",
        "glasses",
        "jaw",
        "eyes",
        "skin",
        "stubble",
        "moustache",
        "full",
        "beard",
        "freckles",
        "earrings",
        "smiling",
    ],
    *CATEGORICAL_FACTORS["jaw"],
    *CATEGORICAL_FACTORS["eye_colour"],
    *_SKIN_WORDS,
)
"""Words that become single tokens of the demo tokenizer (the class word first)."""


def trait_phrases(identity: IdentityFactors) -> list[str]:
    """Every visible trait of ``identity`` as a short phrase, e.g. ``"blonde curly hair"``."""
    hair = _HAIR_COLOUR_WORDS[identity.hair_colour]
    phrases = ["bald" if identity.hair_style == "bald" else f"{hair} {identity.hair_style} hair"]
    if identity.glasses != "none":
        phrases.append(f"{identity.glasses} glasses")
    if identity.beard != "none":
        phrases.append(_BEARD_PHRASES[identity.beard])
    skin = _SKIN_WORDS[min(2, int(identity.skin_tone * 3))]
    phrases += [f"{skin} skin", f"{identity.jaw} jaw", f"{identity.eye_colour} eyes"]
    if identity.freckles == "yes":
        phrases.append("freckles")
    if identity.earrings == "yes":
        phrases.append("earrings")
    if identity.mouth_shape == "smile":
        phrases.append("smiling")
    return phrases


def described_face(identity: IdentityFactors, rng: np.random.Generator, keep: float) -> str:
    """``"a face"`` followed by each trait phrase kept with probability ``keep``."""
    kept = [phrase for phrase in trait_phrases(identity) if rng.random() < keep]
    if not kept:
        return f"a {CLASS_WORD}"
    listed = kept[0] if len(kept) == 1 else ", ".join(kept[:-1]) + " and " + kept[-1]
    return f"a {CLASS_WORD} with {listed}"


def fully_described_face(identity: IdentityFactors) -> str:
    """``"a face with ..."`` naming every trait of ``identity`` (what a text prompt alone can
    say about a person)."""
    return described_face(identity, np.random.default_rng(0), keep=1.0)


def training_caption(
    identity: IdentityFactors, nuisance: NuisanceFactors, rng: np.random.Generator, keep: float
) -> str:
    """The caption of one training picture for the base model (context + some traits)."""
    return caption(nuisance, placeholder=described_face(identity, rng, keep))
