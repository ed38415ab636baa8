"""Steps of the user flows, through the raw stubs (shared by the service tests)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

from google.protobuf import duration_pb2

from e4t.v1 import (
    concept_pb2,
    concept_service_pb2,
    consent_pb2,
    consent_service_pb2,
    domain_pb2,
    domain_service_pb2,
    image_service_pb2,
    operation_pb2,
    operation_service_pb2,
)
from e4t_registry.blob_keys import subject_prefix
from e4t_registry.models import SourceImage
from e4t_registry.uow import UnitOfWork
from tests.service.conftest import Client, Stack, face_png

CHUNK = 64 * 1024


def create_domain(mlops: Client, tenant: str, domain: str = "faces") -> str:
    mlops.call(
        mlops.domains.CreateDomain,
        domain_service_pb2.CreateDomainRequest(
            parent=f"tenants/{tenant}",
            domain_id=domain,
            domain=domain_pb2.Domain(class_word="face"),
        ),
    )
    return f"tenants/{tenant}/domains/{domain}"


def upload(
    domain: str, archive: bytes, sha256: str | None = None
) -> Iterator[domain_service_pb2.RegisterDomainModelVersionRequest]:
    header = domain_service_pb2.DomainModelVersionUpload(
        parent=domain,
        domain_model_version=domain_pb2.DomainModelVersion(base_model="tiny-sd"),
        archive_format=domain_service_pb2.DomainModelVersionUpload.TAR_GZIP,
        archive_sha256=sha256 or hashlib.sha256(archive).hexdigest(),
        archive_size_bytes=len(archive),
    )
    yield domain_service_pb2.RegisterDomainModelVersionRequest(header=header)
    for start in range(0, len(archive), CHUNK):
        yield domain_service_pb2.RegisterDomainModelVersionRequest(
            chunk=archive[start : start + CHUNK]
        )


def register_version(mlops: Client, domain: str, archive: bytes) -> str:
    version = mlops.domains.RegisterDomainModelVersion(
        upload(domain, archive), metadata=mlops.metadata, timeout=120
    )
    return str(version.name)


def promote(mlops: Client, domain: str, version: str = "") -> domain_service_pb2.RolloutStatus:
    return mlops.call(
        mlops.domains.PromoteDomainModelVersion,
        domain_service_pb2.PromoteDomainModelVersionRequest(domain=domain, version=version),
    )


def grant_consent(app: Client, tenant: str, subject: str) -> str:
    consent = app.call(
        app.consents.GrantConsent,
        consent_service_pb2.GrantConsentRequest(
            parent=f"tenants/{tenant}/subjects/{subject}",
            consent=consent_pb2.Consent(
                purpose="face-personalization",
                notice_version="v1",
                method=consent_pb2.Consent.ELECTRONIC,
            ),
        ),
    )
    return str(consent.name)


def create_concept(
    app: Client,
    tenant: str,
    domain: str,
    consent: str,
    *,
    image: bytes | None = None,
    request_id: str = "",
    steps: int = 5,
    seed: int = 0,
) -> operation_pb2.Operation:
    return app.call(
        app.concepts.CreateConcept,
        concept_service_pb2.CreateConceptRequest(
            parent=f"tenants/{tenant}",
            concept=concept_pb2.Concept(domain=domain, consent=consent, display_name="ann"),
            image=face_png() if image is None else image,
            tuning_steps=steps,
            seed=seed,
            request_id=request_id,
        ),
    )


def wait(client: Client, operation: str, seconds: int = 50) -> operation_pb2.Operation:
    return client.call(
        client.operations.WaitOperation,
        operation_service_pb2.WaitOperationRequest(
            name=operation, timeout=duration_pb2.Duration(seconds=seconds)
        ),
        timeout=seconds + 30,
    )


def wait_done(client: Client, operation: str, rounds: int = 4) -> operation_pb2.Operation:
    for _ in range(rounds):
        result = wait(client, operation)
        if result.done:
            return result
    return result


def generate(
    app: Client, concept: str, *, seed: int = 7, count: int = 1
) -> image_service_pb2.GenerateImagesResponse:
    return app.call(
        app.images.GenerateImages,
        image_service_pb2.GenerateImagesRequest(
            concept=concept,
            prompt="a photo of {concept}",
            num_inference_steps=2,
            seed=seed,
            image_count=count,
        ),
        timeout=120,
    )


def concept_ids(stack: Stack, concept: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(tenant id, concept id) of a concept name `tenants/{tenant}/concepts/{id}`."""
    _, tenant, _, concept_id = concept.split("/")
    return stack.registry.tenants.get_by_name(tenant).id, uuid.UUID(concept_id)


def images_prefix(stack: Stack, concept: str) -> str:
    """Where the photos of the concept's subject are kept (blob_keys.py: `…/images/`)."""
    tenant_id, concept_id = concept_ids(stack, concept)
    row = stack.registry.concepts.get(tenant_id, concept_id)
    return f"{subject_prefix(tenant_id, row.subject_id)}images/"


def source_images(stack: Stack, concept: str) -> list[SourceImage]:
    """The source image rows the registry keeps for the concept, newest first."""
    tenant_id, concept_id = concept_ids(stack, concept)
    with UnitOfWork(stack.registry.engine, read_only=True) as uow:
        return uow.source_images.list_for_concept(tenant_id, concept_id)
