"""Generation with a concept: frozen embedding + the concept's offsets on the domain model.

The encoder is not used here. Prompt embeddings are built with the placeholder's embedding
injected and handed to a stock ``StableDiffusionPipeline`` over the same components, so with
zero offsets and the class word's embedding the output equals stock diffusers with the class
word in the prompt.

Concurrency: a :class:`DomainModel` applies one set of offsets at a time. :class:`Engine`
serializes every use through one lock (``with engine.using(concept): ...``, and
:meth:`Engine.personalize`); all callers that share a model must go through the same engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from e4t_server.engine.artifact import ConceptArtifact
from e4t_server.engine.config import CONCEPT_MARKER
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.errors import ArtifactError, PromptError
from e4t_server.engine.personalize import personalize
from e4t_server.engine.prompts import resolve_concept_prompt


@dataclass(frozen=True)
class LoadedConcept:
    """A concept's tensors on the model's device, ready to copy into the offset slot."""

    embedding: torch.Tensor
    offsets: dict[str, torch.Tensor]


class ConceptCache:
    """A bounded LRU of loaded concepts keyed by artifact sha256."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the concept cache needs room for at least one concept")
        self.capacity = capacity
        self._entries: OrderedDict[str, LoadedConcept] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> LoadedConcept | None:
        """The entry for ``key`` (now the most recently used), or ``None``."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: LoadedConcept) -> None:
        """Insert ``entry``, evicting the least recently used entry when full."""
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


class Engine:
    """Generates images from a :class:`DomainModel`, switching concepts by tensor copies."""

    def __init__(self, model: DomainModel, *, cache_size: int = 32) -> None:
        """``model``'s domain tensors must not change while the engine uses it (its fingerprint
        is taken once here to check that artifacts belong to this model)."""
        self.model = model
        self.cache = ConceptCache(cache_size)
        self.fingerprint = model.fingerprint()
        self._slot = model.new_offsets()
        self._pipeline = model.pipeline()
        self._lock = threading.RLock()

    def personalize(self, image: bytes | Image.Image, **options: Any) -> ConceptArtifact:
        """:func:`~e4t_server.engine.personalize.personalize` on this engine's model, holding
        the lock (personalization also switches the model's active offsets while it runs)."""
        with self._lock:
            return personalize(self.model, image, **options)

    def load(self, concept: ConceptArtifact) -> LoadedConcept:
        """The concept's tensors on the device, from the cache or decoded once into it.

        Raises:
            ArtifactError: the artifact was made with another domain model or does not fit it.
        """
        if concept.metadata.domain_fingerprint != self.fingerprint:
            raise ArtifactError(
                "the concept was personalized with another domain model "
                f"({concept.metadata.domain_fingerprint[:12]}…, "
                f"this one is {self.fingerprint[:12]}…)"
            )
        width = self.model.class_word_embedding.shape[0]
        if tuple(concept.embedding.shape) != (width,):
            raise ArtifactError(
                f"the concept's embedding has shape {tuple(concept.embedding.shape)}, "
                f"this model needs ({width},)"
            )
        key = concept.sha256
        with self._lock:
            return self._cached(key, concept)

    def _cached(self, key: str, concept: ConceptArtifact) -> LoadedConcept:
        entry = self.cache.get(key)
        if entry is None:
            device, dtype = self.model.device, self.model.base.text_encoder.dtype
            entry = LoadedConcept(
                embedding=concept.embedding.to(device, dtype),
                offsets={name: t.to(device, dtype) for name, t in concept.offsets.items()},
            )
            self.cache.put(key, entry)
        return entry

    @contextmanager
    def using(self, concept: ConceptArtifact | None) -> Iterator[LoadedConcept | None]:
        """Hold the model with ``concept``'s offsets applied (or the domain's, for ``None``).

        The domain offsets are active again afterwards; other callers wait meanwhile.
        """
        with self._lock:
            entry = None if concept is None else self.load(concept)
            if entry is not None:
                try:
                    self._slot.load_lora_state_dict(entry.offsets)
                except (KeyError, ValueError) as error:
                    raise ArtifactError(f"the concept's offsets do not fit: {error}") from error
            hooks = self.model.hooks
            with hooks.activated(self.model.offsets if entry is None else self._slot):
                yield entry

    def generate(
        self,
        prompt: str,
        *,
        concept: ConceptArtifact | None = None,
        negative_prompt: str = "",
        steps: int = 25,
        guidance_scale: float = 7.5,
        seed: int = 0,
        num_images: int = 1,
        height: int | None = None,
        width: int | None = None,
    ) -> list[Image.Image]:
        """Sample ``num_images`` images for ``prompt`` (``{concept}`` marks the concept).

        Raises:
            PromptMissingConceptError: a concept is given but the prompt does not mention it.
            PromptTooLongError: the prompt is longer than the text encoder's context.
            PromptError: the prompt mentions a concept but none is given.
            ArtifactError: the concept belongs to another domain model.
        """
        arrays = self.generate_arrays(
            prompt,
            concept=concept,
            negative_prompt=negative_prompt,
            steps=steps,
            guidance_scale=guidance_scale,
            seed=seed,
            num_images=num_images,
            height=height,
            width=width,
        )
        return [Image.fromarray((array * 255).round().astype(np.uint8)) for array in arrays]

    @torch.no_grad()
    def generate_arrays(
        self,
        prompt: str,
        *,
        concept: ConceptArtifact | None = None,
        negative_prompt: str = "",
        steps: int = 25,
        guidance_scale: float = 7.5,
        seed: int = 0,
        num_images: int = 1,
        height: int | None = None,
        width: int | None = None,
    ) -> np.ndarray:
        """Like :meth:`generate` but returns float images in [0, 1], ``(N, H, W, 3)``."""
        placeholder = self.model.config.placeholder_token
        if concept is None:
            if CONCEPT_MARKER in prompt or placeholder in prompt:
                raise PromptError("the prompt mentions a concept but no concept was given")
            text = prompt
        else:
            text = resolve_concept_prompt(prompt, placeholder)
        negative_text = negative_prompt.replace(CONCEPT_MARKER, placeholder)
        encoder = self.model.prompt_encoder
        positive_ids = encoder.tokenize([text])
        negative_ids = encoder.tokenize([negative_text])
        resolution = self.model.config.resolution
        with self.using(concept) as entry:
            embedding = None if entry is None else entry.embedding
            output = self._pipeline(
                prompt_embeds=encoder.encode(positive_ids, embedding),
                negative_prompt_embeds=encoder.encode(negative_ids, embedding),
                num_inference_steps=steps,
                guidance_scale=guidance_scale,
                num_images_per_prompt=num_images,
                height=height or resolution,
                width=width or resolution,
                generator=torch.Generator().manual_seed(seed),
                output_type="np",
            )
        return np.asarray(output.images)
