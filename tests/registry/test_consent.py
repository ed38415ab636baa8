"""Consent: no concept without it; revocation, expiry and erasure remove the subject's data."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from e4t_registry.concepts import ConceptService
from e4t_registry.consent import ConsentService
from e4t_registry.errors import ConsentRequiredError, FailedPreconditionError, InvalidArgumentError
from e4t_registry.models import Concept, ConceptStatus, utcnow
from e4t_registry.registry import Registry
from tests.registry.conftest import ADMIN, RegistryBackend, TenantWorld, make_world

ARTIFACT = b"concept-offsets-of-user-1"
PHOTO = b"\x89PNG-the-face-of-user-1"


def _create_concept(
    registry: Registry, world: TenantWorld, consent_id: uuid.UUID | None = None
) -> Concept:
    return registry.concepts.create(
        world.tenant.id,
        domain_id=world.domain.id,
        subject_id=world.subject_id,
        consent_id=consent_id or world.consent_id,
        display_name="me",
        actor=ADMIN,
    )


def _populate(registry: Registry, world: TenantWorld) -> None:
    """A concept with a version and a stored source photo, all under the world's consent."""
    concept = registry.concepts.create(
        world.tenant.id,
        domain_id=world.domain.id,
        subject_id=world.subject_id,
        consent_id=world.consent_id,
        actor=ADMIN,
    )
    registry.concepts.add_version(
        world.tenant.id,
        concept.id,
        domain_model_version_id=world.domain_version_id,
        artifact=ARTIFACT,
        actor=ADMIN,
    )
    registry.concepts.add_source_image(
        world.tenant.id,
        subject_id=world.subject_id,
        consent_id=world.consent_id,
        image=PHOTO,
        extension="png",
        actor=ADMIN,
    )


def test_concept_needs_matching_active_consent(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    registry = backend.registry
    tenant_id = world.tenant.id
    other = registry.consent.grant(
        tenant_id, subject_external_id="user-2", notice_version="v1", method="checkbox", actor=ADMIN
    )
    wrong_purpose = registry.consent.grant(
        tenant_id,
        subject_external_id="user-1",
        purpose="marketing",
        notice_version="v1",
        method="checkbox",
        actor=ADMIN,
    )
    soon = registry.consent.grant(
        tenant_id,
        subject_external_id="user-1",
        notice_version="v1",
        method="checkbox",
        expires_at=utcnow() + timedelta(hours=1),
        actor=ADMIN,
    )
    revoked = registry.consent.grant(
        tenant_id, subject_external_id="user-1", notice_version="v1", method="web", actor=ADMIN
    )
    registry.consent.revoke(tenant_id, revoked.id, actor=ADMIN)
    other_tenant = make_world(registry, "globex")

    for consent_id in (other.id, wrong_purpose.id, revoked.id, other_tenant.consent_id):
        with pytest.raises(ConsentRequiredError):
            _create_concept(registry, world, consent_id)
    # Expired: the use-time check rejects it even before the expiry job has run.
    in_two_hours = ConsentService(
        backend.engine, backend.blobs, clock=lambda: utcnow() + timedelta(hours=2)
    )
    with pytest.raises(ConsentRequiredError):
        ConceptService(
            backend.engine, backend.blobs, clock=lambda: utcnow() + timedelta(hours=2)
        ).create(
            tenant_id,
            domain_id=world.domain.id,
            subject_id=world.subject_id,
            consent_id=soon.id,
            actor=ADMIN,
        )
    assert in_two_hours.lapse_expired() == 1

    assert registry.concepts.list(tenant_id).items == []
    assert _create_concept(registry, world) is not None


def test_revocation_disables_and_erases_at_once(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    registry = backend.registry
    _populate(registry, world)
    assert len(backend.blob_keys()) == 3  # domain model, concept artifact, photo

    record = registry.consent.revoke(world.tenant.id, world.consent_id, actor="key:tenant-admin")

    concepts = registry.concepts.list(world.tenant.id).items
    assert [c.status for c in concepts] == [ConceptStatus.DISABLED]
    with pytest.raises(FailedPreconditionError):
        registry.concepts.latest_version(world.tenant.id, concepts[0].id)
    assert len(backend.blob_keys()) == 1  # only the domain model is left
    rows = backend.all_rows()
    assert rows["concept_version"] == [] and rows["source_image"] == []
    assert record.reason == "consent-revoked" and record.actor == "key:tenant-admin"
    assert record.counts == {"concepts_disabled": 1, "concept_versions": 1, "source_images": 1}
    with pytest.raises(FailedPreconditionError):
        registry.consent.revoke(world.tenant.id, world.consent_id, actor=ADMIN)
    with pytest.raises(ConsentRequiredError):
        registry.concepts.add_version(
            world.tenant.id,
            concepts[0].id,
            domain_model_version_id=world.domain_version_id,
            artifact=b"new",
            actor=ADMIN,
        )
    actions = [json.loads(line)["action"] for line in registry.export_audit()]
    assert "consent.revoke" in actions
    assert registry.verify_audit().ok


def test_expiry_job_disables_and_erases(backend: RegistryBackend) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    domain = registry.domains.create(tenant.id, name="faces", class_word="face", actor=ADMIN)
    dmv = registry.domains.register_version(
        tenant.id, domain.id, artifact=b"w", base_model_ref="tiny", actor=ADMIN
    )
    consent = registry.consent.grant(
        tenant.id,
        subject_external_id="user-1",
        notice_version="v1",
        method="checkbox",
        expires_at=utcnow() + timedelta(minutes=30),
        actor=ADMIN,
    )
    world = TenantWorld(tenant, domain, dmv.id, consent.subject_id, consent.id)
    _populate(registry, world)

    assert registry.consent.lapse_expired() == 0
    later = ConsentService(
        backend.engine, backend.blobs, clock=lambda: utcnow() + timedelta(hours=1)
    )
    assert later.lapse_expired() == 1
    assert later.lapse_expired() == 0

    assert [c.status for c in registry.concepts.list(tenant.id).items] == [ConceptStatus.DISABLED]
    assert backend.blob_keys() == {dmv.artifact_key}
    rows = backend.all_rows()
    assert [r["reason"] for r in rows["erasure_record"]] == ["consent-expired"]
    assert rows["consent_record"][0]["lapsed_at"] is not None


def test_erase_subject_leaves_nothing_about_them(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    registry = backend.registry
    _populate(registry, world)
    bystander = make_world(registry, "globex")
    _populate(registry, bystander)

    record = registry.consent.erase_subject(world.tenant.id, world.subject_id, actor=ADMIN)

    assert record.counts == {
        "concepts": 1,
        "concept_versions": 1,
        "source_images": 1,
        "consents": 1,
    }
    # Directly in the store: only the domain models and the bystander's blobs are left.
    domain_model = registry.domains.get_version(world.tenant.id, world.domain.id, 1)
    bystander_keys = {k for k in backend.blob_keys() if str(bystander.tenant.id) in k}
    assert len(bystander_keys) == 3
    assert backend.blob_keys() == {domain_model.artifact_key} | bystander_keys
    # Directly in the database: no row mentions the subject except the erasure record.
    subject = str(world.subject_id).replace("-", "")
    rows = backend.all_rows()
    for table, table_rows in rows.items():
        if table in ("erasure_record", "audit_event"):
            continue
        dump = json.dumps(table_rows, default=str).replace("-", "")
        assert subject not in dump, table
    remaining_subjects = [str(r["tenant_id"]).replace("-", "") for r in rows["subject"]]
    assert remaining_subjects == [str(bystander.tenant.id).replace("-", "")]
    assert [r["reason"] for r in rows["erasure_record"]] == ["erasure"]
    assert len(registry.concepts.list(bystander.tenant.id).items) == 1


def test_grant_validation(sqlite_backend: RegistryBackend) -> None:
    registry = sqlite_backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    with pytest.raises(InvalidArgumentError):
        registry.consent.grant(
            tenant.id,
            subject_external_id="u",
            notice_version="v1",
            method="m",
            expires_at=utcnow() - timedelta(seconds=1),
            actor=ADMIN,
        )
    with pytest.raises(InvalidArgumentError):
        registry.consent.grant(
            tenant.id, subject_external_id="", notice_version="v1", method="m", actor=ADMIN
        )
