"""A gateway that dies mid-creation leaves no half-made concept once its operation goes stale."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from e4t_registry.models import Concept, ConceptStatus, OperationStatus, utcnow
from e4t_registry.operations import OperationService
from e4t_server.api.concept_jobs import ConceptJobs
from e4t_server.api.operations import CREATE_CONCEPT
from e4t_server.serve.deployment import BlobAccess
from e4t_server.serve.hosting import ModelHosting
from tests.registry.conftest import ADMIN, RegistryBackend, TenantWorld


def test_stale_creations_lose_their_concept_and_photo(
    backend: RegistryBackend, world: TenantWorld, tmp_path: Path
) -> None:
    registry, tenant_id = backend.registry, world.tenant.id

    def half_made(*, finished: bool) -> Concept:
        """What CreateConcept leaves when its gateway dies before (or after) the version lands."""
        concept = registry.concepts.create(
            tenant_id,
            domain_id=world.domain.id,
            subject_id=world.subject_id,
            consent_id=world.consent_id,
            actor=ADMIN,
        )
        registry.concepts.add_source_image(
            tenant_id,
            subject_id=world.subject_id,
            consent_id=world.consent_id,
            concept_id=concept.id,
            image=f"photo-{concept.id}".encode(),
            extension="png",
            actor=ADMIN,
        )
        if finished:
            registry.concepts.add_version(
                tenant_id,
                concept.id,
                domain_model_version_id=world.domain_version_id,
                artifact=b"artifact",
                actor=ADMIN,
            )
        target = f"tenants/acme/concepts/{concept.id}"
        registry.operations.create(tenant_id, kind=CREATE_CONCEPT, target=target, actor=ADMIN)
        return concept

    pending = half_made(finished=False)
    landed = half_made(finished=True)  # its version landed: the concept is kept
    later = OperationService(backend.engine, clock=lambda: utcnow() + timedelta(minutes=10))
    stale = later.fail_stale(max_silence=timedelta(minutes=5))
    jobs = ConceptJobs(registry, ModelHosting(BlobAccess(str(tmp_path)), str(tmp_path)))

    assert len(stale) == 2 and all(op.status == OperationStatus.FAILED for op in stale)
    assert jobs.discard_half_made(stale) == 1
    assert registry.concepts.get(tenant_id, pending.id).status == ConceptStatus.DELETED
    assert registry.concepts.get(tenant_id, landed.id).status == ConceptStatus.ACTIVE
    assert registry.concepts.source_image(tenant_id, pending.id) is None
    assert registry.concepts.source_image(tenant_id, landed.id) is not None
    photos = [key for key in backend.blob_keys() if "/images/" in key]
    assert len(photos) == 1
