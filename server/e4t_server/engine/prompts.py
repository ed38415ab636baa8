"""Prompts with a concept: placeholder resolution, strict tokenization, embedding injection.

The placeholder token is added to a *copy* of the base tokenizer only (the base tokenizer and
text encoder stay stock). Its id lies past the text encoder's embedding table, so before the
text encoder runs it is swapped for the class word's id, and a temporary forward hook on the
token-embedding module overwrites those positions with the supplied embedding — one per batch
element, differentiable, so gradients reach the encoder during training.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn
from transformers import CLIPTextModel, CLIPTokenizer

from e4t_server.engine.config import CONCEPT_MARKER
from e4t_server.engine.errors import PromptMissingConceptError, PromptTooLongError


def resolve_concept_prompt(prompt: str, placeholder: str) -> str:
    """Replace ``{concept}`` with ``placeholder``; the result must mention the concept.

    Raises:
        PromptMissingConceptError: neither ``{concept}`` nor ``placeholder`` is in ``prompt``.
    """
    resolved = prompt.replace(CONCEPT_MARKER, placeholder)
    if placeholder not in resolved:
        raise PromptMissingConceptError(
            f"the prompt must mention the concept as {CONCEPT_MARKER} or {placeholder}: {prompt!r}"
        )
    return resolved


@dataclass(frozen=True)
class TokenizedPrompts:
    """Padded token ids ``(B, L)`` (placeholder already swapped out) and the placeholder mask."""

    input_ids: torch.Tensor
    placeholder_mask: torch.Tensor

    def to(self, device: torch.device) -> TokenizedPrompts:
        """The same prompts on ``device``."""
        return TokenizedPrompts(self.input_ids.to(device), self.placeholder_mask.to(device))


class PromptEncoder:
    """Tokenizes prompts that may hold the placeholder and encodes them with injected embeddings."""

    def __init__(
        self,
        tokenizer: CLIPTokenizer,
        text_encoder: CLIPTextModel,
        placeholder: str,
        class_token_id: int,
    ) -> None:
        self.text_encoder = text_encoder
        self.placeholder = placeholder
        self.class_token_id = class_token_id
        self.tokenizer = copy.deepcopy(tokenizer)
        self.tokenizer.add_tokens([placeholder])
        self.placeholder_id = cast(int, self.tokenizer.convert_tokens_to_ids(placeholder))
        self.max_length = int(tokenizer.model_max_length)

    def tokenize(self, prompts: Sequence[str]) -> TokenizedPrompts:
        """Tokenize ``prompts`` to the full context length.

        Raises:
            PromptTooLongError: a prompt needs more than ``model_max_length`` tokens.
        """
        rows = []
        for prompt in prompts:
            ids = self.tokenizer(prompt, truncation=False).input_ids
            if len(ids) > self.max_length:
                raise PromptTooLongError(
                    f"the prompt is {len(ids)} tokens, over the limit of {self.max_length}: "
                    f"{prompt[:80]!r}"
                )
            rows.append(ids + [self.tokenizer.pad_token_id] * (self.max_length - len(ids)))
        ids_tensor = torch.tensor(rows, dtype=torch.long)
        mask = ids_tensor == self.placeholder_id
        return TokenizedPrompts(ids_tensor.masked_fill(mask, self.class_token_id), mask)

    def encode(
        self, prompts: TokenizedPrompts, placeholder_embeddings: torch.Tensor | None
    ) -> torch.Tensor:
        """Text-encoder hidden states ``(B, L, D)`` with ``placeholder_embeddings[b]`` at every
        placeholder position of prompt ``b`` (``(B, D)``, or ``(D,)`` shared by all)."""
        device = self.text_encoder.device
        prompts = prompts.to(device)
        if placeholder_embeddings is None or not bool(prompts.placeholder_mask.any()):
            return self.text_encoder(prompts.input_ids)[0]
        embeddings = placeholder_embeddings.to(device=device, dtype=self.text_encoder.dtype)
        if embeddings.dim() == 1:
            embeddings = embeddings.expand(prompts.input_ids.shape[0], -1)
        with self._injected(prompts.placeholder_mask, embeddings):
            return self.text_encoder(prompts.input_ids)[0]

    @contextmanager
    def _injected(self, mask: torch.Tensor, embeddings: torch.Tensor) -> Iterator[None]:
        def inject(_module: nn.Module, _args: object, output: torch.Tensor) -> torch.Tensor:
            return torch.where(mask[..., None], embeddings[:, None, :], output)

        handle = self.text_encoder.get_input_embeddings().register_forward_hook(inject)
        try:
            yield
        finally:
            handle.remove()
