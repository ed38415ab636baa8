"""The text-tower probe: how far apart the base model's text tower keeps a caption's words."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import torch
from transformers import CLIPTextModel

from e4t_server.demo.base_model import build_towers, split_clip
from e4t_server.demo.captions import DEMO_WORDS
from e4t_server.demo.faces import CATEGORICAL_FACTORS
from e4t_server.demo.text_probe import CONTEXT_FACTORS, TRAIT_FACTORS, factor_captions, separation
from e4t_server.engine.tokenizer import build_offline_tokenizer


def _differing_span(a: list[str], b: list[str]) -> int:
    """How many words of ``a`` lie between the prefix and the suffix it shares with ``b``."""
    prefix = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    suffix = next((i for i, (x, y) in enumerate(zip(a[::-1], b[::-1], strict=False)) if x != y), 0)
    return len(a) - prefix - suffix


def test_each_caption_differs_only_in_the_factor_it_swaps() -> None:
    for factor in (*TRAIT_FACTORS, *CONTEXT_FACTORS):
        captions = [text.split() for text in factor_captions(factor, 1_000_000)]
        values = CONTEXT_FACTORS.get(factor) or CATEGORICAL_FACTORS[factor]
        assert len(captions) == len(values)
        assert len({" ".join(words) for words in captions}) == len(values), factor
        for a in captions:
            for b in captions:
                assert _differing_span(a, b) <= 3, (factor, a, b)


def test_words_with_one_embedding_are_not_separated_and_the_others_are() -> None:
    with tempfile.TemporaryDirectory() as directory:
        tokenizer = build_offline_tokenizer(Path(directory), DEMO_WORDS)
    text_encoder: CLIPTextModel = split_clip(build_towers(tokenizer, seed=0).clip)[0].eval()
    embedding = text_encoder.get_input_embeddings()
    assert isinstance(embedding, torch.nn.Embedding)
    embeddings = embedding.weight
    styles = [
        tokenizer.convert_tokens_to_ids(f"{s}</w>") for s in CATEGORICAL_FACTORS["hair_style"]
    ]
    with torch.no_grad():  # every hair style word now reads the same
        embeddings[styles] = embeddings[styles[0]].clone()
    blind = separation(text_encoder, tokenizer, "hair_style", people=3)
    assert blind.pairs > 0
    assert blind.word_distance < 1e-5 and math.isclose(blind.pooled_cosine, 1.0, abs_tol=1e-5)
    for factor in ("hair_colour", "background"):
        seen = separation(text_encoder, tokenizer, factor, people=3)
        assert seen.pairs > 0 and seen.word_distance > 0.05
