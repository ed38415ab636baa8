"""Captions of the demo domain: traits are named, dropped at random, and fit the text encoder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from e4t_server.demo.captions import (
    DEMO_WORDS,
    described_face,
    training_caption,
    trait_phrases,
)
from e4t_server.demo.faces import identity_from_seed, nuisance_from_seed
from e4t_server.engine.tokenizer import build_offline_tokenizer


def test_every_trait_is_named_when_all_are_kept() -> None:
    identity = identity_from_seed(7)
    text = described_face(identity, np.random.default_rng(0), keep=1.0)
    assert text.startswith("a face with ")
    assert all(phrase in text for phrase in trait_phrases(identity))
    hair = "bald" if identity.hair_style == "bald" else f"{identity.hair_style} hair"
    assert hair in text


def test_no_trait_leaves_the_class_phrase() -> None:
    assert described_face(identity_from_seed(7), np.random.default_rng(0), keep=0.0) == "a face"


def test_the_caption_names_the_context() -> None:
    nuisance = nuisance_from_seed(3, style="sketch", background="blue", lighting="warm")
    text = training_caption(identity_from_seed(1), nuisance, np.random.default_rng(0), keep=0.5)
    assert text.startswith("a sketch of a face")
    assert text.endswith("blue background, warm lighting")


def test_the_longest_caption_fits_the_text_encoder_and_each_word_is_one_token() -> None:
    with tempfile.TemporaryDirectory() as directory:
        tokenizer = build_offline_tokenizer(Path(directory), DEMO_WORDS)
    for word in DEMO_WORDS:
        assert len(tokenizer(word, add_special_tokens=False).input_ids) == 1, word
    nuisance = nuisance_from_seed(0, style="pop-art", background="purple", lighting="bright")
    longest = max(
        (
            training_caption(identity_from_seed(seed), nuisance, np.random.default_rng(0), 1.0)
            for seed in range(200)
        ),
        key=len,
    )
    assert len(tokenizer(longest).input_ids) <= tokenizer.model_max_length


def test_the_vocabulary_does_not_depend_on_the_hash_seed() -> None:
    script = "from e4t_server.demo.captions import DEMO_WORDS; print(DEMO_WORDS)"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
