"""ImageService: generation with a concept on the domain model version that serves it.

Consent is checked here, at use time, before anything is dispatched: a concept whose consent
ended is refused even if a replica still holds its artifact in memory.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import grpc

from e4t.v1 import image_service_pb2, image_service_pb2_grpc
from e4t_registry.models import ConceptStatus, ConceptVersion, DomainModelVersion
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.api import limits, names
from e4t_server.api.errors import failed_precondition, invalid_field, not_found, unavailable
from e4t_server.api.metrics import CONCEPT_CACHE
from e4t_server.api.routing import alias_state, hosted
from e4t_server.api.scoping import TenantScope
from e4t_server.serve.deployment import GenerationParams, concept_model_id
from e4t_server.serve.hosting import HostedVersion, ModelHosting
from e4t_server.serve.traffic import version_for


@dataclass(frozen=True)
class _Target:
    model: HostedVersion
    concept_version: ConceptVersion
    concept_version_name: str
    domain_version_name: str


class ImageServicer(image_service_pb2_grpc.ImageServiceServicer):
    def __init__(self, registry: Registry, scope: TenantScope, hosting: ModelHosting) -> None:
        self.registry = registry
        self.scope = scope
        self.hosting = hosting

    async def GenerateImages(
        self,
        request: image_service_pb2.GenerateImagesRequest,
        context: grpc.aio.ServicerContext,
    ) -> image_service_pb2.GenerateImagesResponse:
        params = _params(request)
        parts = names.parse("concept", request.concept, "concept")
        wanted = None
        if request.concept_version:
            version_parts = names.parse(
                "concept_version", request.concept_version, "concept_version"
            )
            if version_parts["concept"] != parts["concept"]:
                raise invalid_field("concept_version", "must be a version of the concept")
            wanted = int(version_parts["version"])
        target = await asyncio.to_thread(self._target, request.concept, parts, wanted)
        model_id = concept_model_id(
            target.concept_version.artifact_key, target.concept_version.artifact_sha256
        )
        async with self.hosting.using(target.model) as handle:
            try:
                result = await handle.options(multiplexed_model_id=model_id).generate.remote(params)
            except Exception as error:
                raise unavailable(
                    f"the domain model did not answer: {type(error).__name__}"
                ) from None
        CONCEPT_CACHE.labels(outcome="hit" if result["cache_hit"] else "miss").inc()
        return image_service_pb2.GenerateImagesResponse(
            images=[
                image_service_pb2.GeneratedImage(
                    png=png,
                    seed=params.seed + index,
                    width=params.width or 0,
                    height=params.height or 0,
                )
                for index, png in enumerate(result["pngs"])
            ],
            concept_version=target.concept_version_name,
            domain_model_version=target.domain_version_name,
        )

    def _target(self, resource: str, parts: dict[str, str], wanted: int | None) -> _Target:
        tenant = parts["tenant"]
        tenant_id = self.scope.tenant_id(tenant, resource)
        concept_id = uuid.UUID(parts["concept"])
        now = self.registry.clock()
        with UnitOfWork(self.registry.engine) as uow:
            concept = uow.concepts.find(tenant_id, concept_id)
            if concept is None or concept.status == ConceptStatus.DELETED:
                raise not_found(resource)
            consent = uow.consents.find(tenant_id, concept.consent_id)
            if consent is None or not consent.is_active(now):
                raise failed_precondition(
                    "CONSENT_NOT_ACTIVE", "the concept's consent was revoked or has expired"
                )
            if concept.status != ConceptStatus.ACTIVE:
                raise failed_precondition(
                    "CONCEPT_NOT_READY", f"the concept is {concept.status.value.lower()}"
                )
            domain = uow.domains.get(tenant_id, concept.domain_id)
            versions = uow.concept_versions.list_for_concepts(tenant_id, [concept.id])
            domain_versions: dict[uuid.UUID, DomainModelVersion] = {
                v.domain_model_version_id: uow.domain_versions.get(
                    tenant_id, v.domain_model_version_id
                )
                for v in versions
            }
        state = alias_state(self.registry, tenant_id, domain.id)
        if wanted is not None:
            chosen = [v for v in versions if v.version == wanted]
            if not chosen:
                raise not_found(f"{resource}/versions/{wanted}")
            if domain_versions[chosen[0].domain_model_version_id].version not in state.live_numbers:
                raise failed_precondition(
                    "CONCEPT_NOT_READY",
                    "that concept version was tuned for a domain model version no longer served",
                )
        else:
            serving = version_for(concept.id, state.live)
            if serving is None:
                raise failed_precondition("NO_PRODUCTION_VERSION", "the domain serves no version")
            chosen = sorted(
                (
                    v
                    for v in versions
                    if domain_versions[v.domain_model_version_id].version == serving
                ),
                key=lambda v: v.version,
            )
            if not chosen:
                raise failed_precondition(
                    "CONCEPT_NOT_READY",
                    f"the concept has no version for domain model version {serving}; "
                    "re-personalize it (RepersonalizeConcept)",
                    {"needs": "CONCEPT_NEEDS_REPERSONALIZATION"},
                )
        version = chosen[-1]
        domain_version = domain_versions[version.domain_model_version_id]
        return _Target(
            model=hosted(tenant, domain.name, domain_version),
            concept_version=version,
            concept_version_name=f"{resource}/versions/{version.version}",
            domain_version_name=(
                f"{names.domain_name(tenant, domain.name)}/versions/{domain_version.version}"
            ),
        )


def _params(request: image_service_pb2.GenerateImagesRequest) -> GenerationParams:
    limits.required(request.prompt, "prompt")
    limits.max_length(request.prompt, limits.PROMPT_CHARS, "prompt")
    limits.max_length(request.negative_prompt, limits.PROMPT_CHARS, "negative_prompt")
    if limits.CONCEPT_MARKER not in request.prompt:
        raise invalid_field(
            "prompt", "must contain {concept} where the concept goes", "PROMPT_MISSING_PLACEHOLDER"
        )
    if limits.CONCEPT_MARKER in request.negative_prompt:
        raise invalid_field("negative_prompt", "must not contain {concept}")
    steps = request.num_inference_steps or limits.DEFAULT_INFERENCE_STEPS
    limits.in_range(steps, limits.INFERENCE_STEPS, "num_inference_steps")
    guidance = (
        request.guidance_scale
        if request.HasField("guidance_scale")
        else limits.DEFAULT_GUIDANCE_SCALE
    )
    limits.in_range(guidance, limits.GUIDANCE_SCALE, "guidance_scale")
    count = request.image_count or 1
    limits.in_range(count, limits.IMAGES_PER_CALL, "image_count")
    for field, side in (("width", request.width), ("height", request.height)):
        if side and (side % 8 or not limits.IMAGE_SIDE[0] <= side <= limits.IMAGE_SIDE[1]):
            raise invalid_field(field, "must be a multiple of 8 from 64 to 1024")
    return GenerationParams(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        steps=steps,
        guidance_scale=guidance,
        seed=request.seed if request.HasField("seed") else 0,
        image_count=count,
        width=request.width or None,
        height=request.height or None,
    )
