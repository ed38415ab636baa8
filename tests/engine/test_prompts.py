"""Prompt resolution, strict length checks and per-sample embedding injection."""

from __future__ import annotations

import pytest
import torch

from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.errors import PromptMissingConceptError, PromptTooLongError
from e4t_server.engine.prompts import resolve_concept_prompt


def test_concept_marker_becomes_placeholder() -> None:
    assert resolve_concept_prompt("a photo of {concept}", "<c>") == "a photo of <c>"
    assert resolve_concept_prompt("a photo of <c>", "<c>") == "a photo of <c>"


def test_prompt_without_concept_is_rejected() -> None:
    with pytest.raises(PromptMissingConceptError):
        resolve_concept_prompt("a photo of a face", "<c>")


def test_too_long_prompt_is_rejected_not_truncated(domain_model: DomainModel) -> None:
    encoder = domain_model.prompt_encoder
    words = ["photo"] * (encoder.max_length - 2)  # exactly fits with start/end tokens
    encoder.tokenize([" ".join(words)])
    with pytest.raises(PromptTooLongError):
        encoder.tokenize([" ".join([*words, "photo"])])


def test_placeholder_is_one_token_and_class_word_too(domain_model: DomainModel) -> None:
    prompts = domain_model.prompt_encoder.tokenize(["a photo of <concept>"])
    assert int(prompts.placeholder_mask.sum()) == 1
    class_ids = domain_model.base.tokenizer("a photo of face").input_ids
    assert prompts.input_ids[0, : len(class_ids)].tolist() == class_ids


def test_each_sample_gets_its_own_embedding_and_gradients_flow(
    domain_model: DomainModel,
) -> None:
    encoder = domain_model.prompt_encoder
    prompts = encoder.tokenize(["a photo of <concept>"] * 2)
    width = domain_model.base.text_encoder.config.hidden_size
    embeddings = torch.randn(2, width, requires_grad=True)
    states = encoder.encode(prompts, embeddings)
    assert not torch.allclose(states[0], states[1])
    states[0].sum().backward()
    assert embeddings.grad is not None
    assert embeddings.grad[0].abs().sum() > 0 and embeddings.grad[1].abs().sum() == 0


def test_class_embedding_injection_equals_class_word_prompt(domain_model: DomainModel) -> None:
    encoder = domain_model.prompt_encoder
    injected = encoder.encode(
        encoder.tokenize(["a photo of <concept>"]), domain_model.class_word_embedding
    )
    plain = encoder.encode(encoder.tokenize(["a photo of face"]), None)
    assert torch.equal(injected, plain)
    token_embeddings = domain_model.base.text_encoder.get_input_embeddings()
    assert isinstance(token_embeddings, torch.nn.Embedding)
    weight = token_embeddings.weight
    assert weight.shape[0] == len(domain_model.base.tokenizer)  # the base table was not resized
