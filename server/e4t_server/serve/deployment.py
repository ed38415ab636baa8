"""`DomainModelServer`: the Ray Serve deployment that hosts one domain model version.

Each replica loads its domain model once (from the blob store, sha256-verified, unpacked to a
local cache) and keeps concept artifacts in a per-replica multiplex cache keyed by
`{blob key}@{sha256}`, fetched and verified on first use.

Concurrency: a replica holds one model whose weight-offset slot can carry one concept at a time.
Every personalization and generation holds the engine's lock for "apply concept → run →
restore" (`Engine.using`), so concurrent requests for different concepts never mix offsets;
they queue, and each gets exactly the result it would get alone.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ray import serve

from e4t_registry.blobs import open_blob_store

CONCEPT_MODEL_ID = re.compile(
    r"(?P<key>tenants/[A-Za-z0-9/_.-]{1,400}\.safetensors)@(?P<sha>[0-9a-f]{64})"
)
MAX_CONCEPTS_PER_REPLICA = 16


@dataclass(frozen=True)
class BlobAccess:
    """How a replica reaches the blob store (the same store as the gateway)."""

    url: str
    access_key: str | None = None
    secret_key: str | None = None


@dataclass(frozen=True)
class ModelSource:
    """Where the domain model version lives and where replicas unpack it."""

    blob_key: str
    sha256: str
    cache_dir: str


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    negative_prompt: str
    steps: int
    guidance_scale: float
    seed: int
    image_count: int
    width: int | None
    height: int | None


def concept_model_id(blob_key: str, sha256: str) -> str:
    """The multiplexed model id of a concept artifact."""
    model_id = f"{blob_key}@{sha256}"
    if CONCEPT_MODEL_ID.fullmatch(model_id) is None:
        raise ValueError(f"not a concept artifact reference: {model_id!r}")
    return model_id


@serve.deployment(ray_actor_options={"num_cpus": 0.25}, max_ongoing_requests=16)
class DomainModelServer:
    """Personalizes concepts and generates images with one domain model version."""

    def __init__(self, blobs: BlobAccess, source: ModelSource) -> None:
        # Imported here so the gateway process, which only holds handles, never loads torch.
        from e4t_server.engine.domain_model import DomainModel
        from e4t_server.engine.generate import Engine
        from e4t_server.serve.model_store import materialize

        self.blobs = open_blob_store(
            blobs.url, access_key=blobs.access_key, secret_key=blobs.secret_key, environ={}
        )
        directory = materialize(self.blobs, source.blob_key, source.sha256, Path(source.cache_dir))
        self.engine = Engine(DomainModel.from_pretrained(directory))
        self.concept_loads = 0

    @serve.multiplexed(max_num_models_per_replica=MAX_CONCEPTS_PER_REPLICA)
    async def concept(self, model_id: str) -> Any:
        """The concept artifact for a multiplexed model id (fetched and verified once)."""
        from e4t_server.engine.artifact import ConceptArtifact

        match = CONCEPT_MODEL_ID.fullmatch(model_id)
        if match is None:
            raise ValueError(f"not a concept artifact reference: {model_id!r}")
        data = await asyncio.to_thread(self.blobs.get, match["key"], expected_sha256=match["sha"])
        self.concept_loads += 1
        return ConceptArtifact.from_bytes(data)

    async def personalize(
        self, image: bytes, steps: int, seed: int
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream `{"step", "total"}` progress events, then `{"artifact": bytes, ...metadata}`."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        def report(step: int, total: int, loss: float) -> None:
            loop.call_soon_threadsafe(events.put_nowait, {"step": step, "total": total})

        def run() -> Any:
            # Engine.personalize holds the engine lock: generation waits while the model is tuned.
            return self.engine.personalize(image, steps=steps, seed=seed, progress=report)

        work = asyncio.ensure_future(asyncio.to_thread(run))
        while not work.done() or not events.empty():
            getter = asyncio.ensure_future(events.get())
            done, _ = await asyncio.wait({work, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
            else:
                getter.cancel()
        artifact = work.result()
        metadata = artifact.metadata
        yield {
            "artifact": artifact.to_bytes(),
            "steps": metadata.steps,
            "seed": metadata.seed,
            "class_word": metadata.class_word,
            "freeze_timestep": metadata.freeze_timestep,
            "loss_curve": list(metadata.loss_curve),
            "domain_fingerprint": metadata.domain_fingerprint,
        }

    async def generate(self, params: GenerationParams) -> dict[str, Any]:
        """PNG bytes for the concept named by the request's multiplexed model id."""
        loads_before = self.concept_loads
        concept = await self.concept(serve.get_multiplexed_model_id())
        cache_hit = self.concept_loads == loads_before

        def run() -> list[bytes]:
            encoded = []
            for index in range(params.image_count):  # image i uses seed + i (docs/api.md)
                (picture,) = self.engine.generate(
                    params.prompt,
                    concept=concept,
                    negative_prompt=params.negative_prompt,
                    steps=params.steps,
                    guidance_scale=params.guidance_scale,
                    seed=params.seed + index,
                    num_images=1,
                    width=params.width,
                    height=params.height,
                )
                buffer = io.BytesIO()
                picture.save(buffer, format="PNG")
                encoded.append(buffer.getvalue())
            return encoded

        pngs = await asyncio.to_thread(run)
        return {"pngs": pngs, "cache_hit": cache_hit}
