"""Tenant soft delete, and the source images that re-personalization tunes from."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from e4t_registry.errors import (
    AlreadyExistsError,
    AuthenticationError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    TenantDeletedError,
    TenantNotEmptyError,
)
from e4t_registry.models import Concept, OperationStatus, Scope, TenantState
from e4t_registry.registry import Registry
from tests.registry.conftest import ADMIN, RegistryBackend, TenantWorld, make_world

PHOTO = b"\x89PNG-the-face-of-user-1"


def _concept_with_photo(registry: Registry, world: TenantWorld, photo: bytes = PHOTO) -> Concept:
    """An ACTIVE concept with one version and its source photo kept for it."""
    tenant_id = world.tenant.id
    concept = registry.concepts.create(
        tenant_id,
        domain_id=world.domain.id,
        subject_id=world.subject_id,
        consent_id=world.consent_id,
        actor=ADMIN,
    )
    registry.concepts.add_version(
        tenant_id,
        concept.id,
        domain_model_version_id=world.domain_version_id,
        artifact=b"offsets-" + concept.id.bytes,
        actor=ADMIN,
    )
    registry.concepts.add_source_image(
        tenant_id,
        subject_id=world.subject_id,
        consent_id=world.consent_id,
        concept_id=concept.id,
        image=photo,
        extension="png",
        actor=ADMIN,
    )
    return concept


def _tenant_keys(backend: RegistryBackend, tenant_id: uuid.UUID) -> set[str]:
    return {key for key in backend.blob_keys() if key.startswith(f"tenants/{tenant_id}/")}


def test_delete_needs_force_while_the_tenant_has_data(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    registry = backend.registry
    _concept_with_photo(registry, world)
    before = backend.all_rows()
    with pytest.raises(TenantNotEmptyError):
        registry.tenants.delete(world.tenant.id, actor=ADMIN)
    assert backend.all_rows() == before  # refused: nothing changed
    assert registry.tenants.get(world.tenant.id).state == TenantState.ACTIVE


def test_force_delete_erases_the_tenant_and_keeps_its_record(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    registry = backend.registry
    tenant_id = world.tenant.id
    _concept_with_photo(registry, world)
    second = registry.consent.grant(
        tenant_id, subject_external_id="user-2", notice_version="v1", method="web", actor=ADMIN
    )
    registry.concepts.add_source_image(
        tenant_id,
        subject_id=second.subject_id,
        consent_id=second.id,
        image=b"\x89PNG-user-2",
        extension="png",
        actor=ADMIN,
    )
    admin_key = registry.keys.create(tenant_id=tenant_id, scopes=[Scope.TENANT_ADMIN], actor=ADMIN)
    app_key = registry.keys.create(tenant_id=tenant_id, scopes=[Scope.APP], actor=ADMIN)
    running, _ = registry.operations.create(tenant_id, kind="CREATE_CONCEPT", actor=ADMIN)
    registry.operations.start(tenant_id, running.id)
    bystander = make_world(registry, "globex")
    _concept_with_photo(registry, bystander)
    bystander_key = registry.keys.create(
        tenant_id=bystander.tenant.id, scopes=[Scope.APP], actor=ADMIN
    )
    bystander_blobs = _tenant_keys(backend, bystander.tenant.id)
    domain_model = registry.domains.get_version(tenant_id, world.domain.id, 1)
    assert len(_tenant_keys(backend, tenant_id)) == 4  # domain model, artifact, two photos

    deleted = registry.tenants.delete(tenant_id, force=True, actor=ADMIN)

    assert deleted.state == TenantState.DELETED and deleted.deleted_at is not None
    assert registry.tenants.get(tenant_id).state == TenantState.DELETED
    for created in (admin_key, app_key):
        with pytest.raises(AuthenticationError):
            registry.keys.verify(created.secret)
    assert registry.keys.verify(bystander_key.secret).tenant_id == bystander.tenant.id
    # Blobs: only the domain model is kept; the bystander's are untouched.
    assert _tenant_keys(backend, tenant_id) == {domain_model.artifact_key}
    assert _tenant_keys(backend, bystander.tenant.id) == bystander_blobs
    rows = backend.all_rows()
    hex_id = tenant_id.hex

    def mine(table: str) -> list[dict[str, Any]]:
        return [r for r in rows[table] if str(r["tenant_id"]).replace("-", "") == hex_id]

    for table in ("subject", "consent_record", "concept", "concept_version", "source_image"):
        assert mine(table) == [], table
    assert len(mine("domain")) == 1 and len(mine("domain_model_version")) == 1
    assert sorted(r["reason"] for r in mine("erasure_record")) == ["tenant-deleted"] * 2
    assert registry.operations.get(tenant_id, running.id).status == OperationStatus.CANCELLED
    assert len(registry.concepts.list(bystander.tenant.id).items) == 1
    verdict = registry.verify_audit()
    assert verdict.ok, verdict
    events = [json.loads(line) for line in registry.export_audit(tenant_id=tenant_id)]
    assert [e["action"] for e in events].count("subject.erase") == 2
    assert events[-1]["action"] == "tenant.delete"
    assert events[-1]["details"]["api_keys_revoked"] == 2


def test_deleted_tenant_refuses_changes_and_a_second_delete(
    backend: RegistryBackend,
) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", display_name="Acme", actor=ADMIN)
    deleted = registry.tenants.delete(tenant.id, actor=ADMIN)  # empty: no force needed
    assert deleted.state == TenantState.DELETED
    audit_lines = len(list(registry.export_audit()))

    with pytest.raises(TenantDeletedError):
        registry.tenants.delete(tenant.id, force=True, actor=ADMIN)
    with pytest.raises(TenantDeletedError):
        registry.keys.create(tenant_id=tenant.id, scopes=[Scope.APP], actor=ADMIN)
    with pytest.raises(AlreadyExistsError):
        registry.tenants.create(name="acme", actor=ADMIN)
    with pytest.raises(NotFoundError):
        registry.tenants.delete(uuid.uuid4(), actor=ADMIN)
    assert len(list(registry.export_audit())) == audit_lines
    assert registry.tenants.get(tenant.id).deleted_at == deleted.deleted_at

    registry.tenants.create(name="other", actor=ADMIN)
    assert [t.name for t in registry.tenants.list().items] == ["other"]
    listed = registry.tenants.list(show_deleted=True).items
    assert sorted(t.name for t in listed) == ["acme", "other"]


def test_source_image_of_a_concept(backend: RegistryBackend, world: TenantWorld) -> None:
    registry = backend.registry
    tenant_id = world.tenant.id
    concept = _concept_with_photo(registry, world)
    image = registry.concepts.source_image(tenant_id, concept.id)
    assert image is not None and image.concept_id == concept.id
    assert registry.concepts.read_source_image(image) == PHOTO

    bare = registry.concepts.create(
        tenant_id,
        domain_id=world.domain.id,
        subject_id=world.subject_id,
        consent_id=world.consent_id,
        actor=ADMIN,
    )
    assert registry.concepts.source_image(tenant_id, bare.id) is None
    other = registry.consent.grant(
        tenant_id, subject_external_id="user-2", notice_version="v1", method="web", actor=ADMIN
    )
    with pytest.raises(InvalidArgumentError):  # the concept is of another subject
        registry.concepts.add_source_image(
            tenant_id,
            subject_id=other.subject_id,
            consent_id=other.id,
            concept_id=concept.id,
            image=PHOTO,
            extension="png",
            actor=ADMIN,
        )
    stranger = make_world(registry, "globex")
    with pytest.raises(NotFoundError):
        registry.concepts.source_image(stranger.tenant.id, concept.id)


def test_deleting_a_concept_erases_its_photo_but_not_a_shared_blob(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    registry = backend.registry
    tenant_id = world.tenant.id
    first = _concept_with_photo(registry, world)
    second = _concept_with_photo(registry, world)  # the same photo: the same blob key
    image = registry.concepts.source_image(tenant_id, first.id)
    assert image is not None

    registry.concepts.delete(tenant_id, first.id, actor=ADMIN)
    assert registry.concepts.source_image(tenant_id, second.id) is not None
    assert image.blob_key in backend.blob_keys()  # still referenced by the second concept

    registry.concepts.delete(tenant_id, second.id, actor=ADMIN)
    assert image.blob_key not in backend.blob_keys()
    assert backend.all_rows()["source_image"] == []
    with pytest.raises(FailedPreconditionError):  # a DELETED concept takes no photo
        registry.concepts.add_source_image(
            tenant_id,
            subject_id=world.subject_id,
            consent_id=world.consent_id,
            concept_id=second.id,
            image=PHOTO,
            extension="png",
            actor=ADMIN,
        )
