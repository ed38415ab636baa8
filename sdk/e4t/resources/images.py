"""`client.images`: generate images of a concept from a prompt."""

from __future__ import annotations

from e4t._calls import Unary, rpc
from e4t._names import Names
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import Concept, ConceptVersion, ImageGeneration
from e4t.v1 import image_service_pb2

_SERVICE = "ImageService"


def _generate(
    names: Names,
    concept: str | Concept,
    prompt: str,
    negative_prompt: str,
    num_inference_steps: int,
    guidance_scale: float | None,
    seed: int | None,
    n: int,
    width: int,
    height: int,
    concept_version: str | ConceptVersion,
) -> Unary[ImageGeneration]:
    concept_ref = concept.name if isinstance(concept, Concept) else concept
    request = image_service_pb2.GenerateImagesRequest(
        concept=names.under_tenant(concept_ref, "concepts"),
        concept_version=(
            concept_version.name if isinstance(concept_version, ConceptVersion) else concept_version
        ),
        prompt=prompt,
        negative_prompt=negative_prompt,
        num_inference_steps=num_inference_steps,
        guidance_scale=guidance_scale,
        seed=seed,
        image_count=n,
        width=width,
        height=height,
    )
    method = rpc(image_service_pb2, _SERVICE, "GenerateImages")
    return Unary(method, request, ImageGeneration.from_proto)


class Images(SyncResource):
    """Image generation (APP keys)."""

    def generate(
        self,
        *,
        concept: str | Concept,
        prompt: str,
        negative_prompt: str = "",
        num_inference_steps: int = 0,
        guidance_scale: float | None = None,
        seed: int | None = None,
        n: int = 1,
        width: int = 0,
        height: int = 0,
        concept_version: str | ConceptVersion = "",
    ) -> ImageGeneration:
        """Generates PNG images of an ACTIVE concept.

        Each returned image has `.data` (PNG bytes), `.seed`, `.save(path)` and `.to_pil()`.

        Args:
            concept: The concept ID, name or `Concept`.
            prompt: 1-1000 characters containing `{concept}`, for example
                `"a watercolor portrait of {concept}"`.
            negative_prompt: What to steer away from (no `{concept}`).
            num_inference_steps: Denoising steps, 1-100; 0 means the default (30).
            guidance_scale: Classifier-free guidance, 0-20; None means 7.5.
            seed: Seed of the first image (image i uses seed + i); None: chosen by the server.
            n: Number of images, 1-4.
            width: Multiple of 8 from 64 to 1024; 0 means the model's native size.
            height: Multiple of 8 from 64 to 1024; 0 means the model's native size.
            concept_version: A READY version to use; default: the traffic split's pick.
        """
        call = _generate(
            self._names,
            concept,
            prompt,
            negative_prompt,
            num_inference_steps,
            guidance_scale,
            seed,
            n,
            width,
            height,
            concept_version,
        )
        return self._transport.unary(call)


class AsyncImages(AsyncResource):
    """The async form of `Images`."""

    async def generate(
        self,
        *,
        concept: str | Concept,
        prompt: str,
        negative_prompt: str = "",
        num_inference_steps: int = 0,
        guidance_scale: float | None = None,
        seed: int | None = None,
        n: int = 1,
        width: int = 0,
        height: int = 0,
        concept_version: str | ConceptVersion = "",
    ) -> ImageGeneration:
        """Generates PNG images of an ACTIVE concept. See `Images.generate`."""
        call = _generate(
            self._names,
            concept,
            prompt,
            negative_prompt,
            num_inference_steps,
            guidance_scale,
            seed,
            n,
            width,
            height,
            concept_version,
        )
        return await self._transport.unary(call)
