"""DeleteTenant (AIP-164 soft delete) and RepersonalizeConcept, through the raw stubs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import ParamSpec, TypedDict

import grpc
import pytest

from e4t.v1 import (
    api_key_pb2,
    api_key_service_pb2,
    audit_service_pb2,
    concept_pb2,
    concept_service_pb2,
    consent_service_pb2,
    domain_service_pb2,
    operation_pb2,
    operation_service_pb2,
    tenant_pb2,
    tenant_service_pb2,
)
from e4t_registry.models import Operation
from e4t_registry.sweeper import referenced_keys
from e4t_registry.uow import UnitOfWork
from tests.service import flows
from tests.service.conftest import Client, Stack, TenantKeys, face_png, make_tenant
from tests.service.test_flow import reason_of
from tests.service.test_rollout import served_by

pytestmark = [pytest.mark.ray, pytest.mark.postgres, pytest.mark.s3]


P = ParamSpec("P")


def refused(call: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    return raised.value


def forget_source_image(stack: Stack, concept: str) -> None:
    """Drop the concept's kept photo (rows, then unreferenced blobs) through the registry, as
    for a concept made before CreateConcept kept its photo."""
    tenant_id, concept_id = flows.concept_ids(stack, concept)
    with UnitOfWork(stack.registry.engine) as uow:
        images = uow.source_images.list_for_concept(tenant_id, concept_id)
        uow.source_images.delete_rows(images)
        keys = {image.blob_key for image in images}
        unreferenced = keys - referenced_keys(uow.session, keys)
        uow.commit()
    for key in unreferenced:
        stack.blobs.delete(key)


def operation_count(stack: Stack) -> int:
    from sqlmodel import Session, func, select

    with Session(stack.registry.engine) as session:
        return int(session.exec(select(func.count()).select_from(Operation)).one())


class _RepersonalizeFields(TypedDict, total=False):
    """Keyword arguments of `repersonalize` that a bad request may set."""

    version: str
    steps: int


def repersonalize(
    app: Client,
    concept: str,
    *,
    version: str = "",
    steps: int = 5,
    seed: int = 3,
    request_id: str = "",
) -> operation_pb2.Operation:
    return app.call(
        app.concepts.RepersonalizeConcept,
        concept_service_pb2.RepersonalizeConceptRequest(
            name=concept,
            domain_model_version=version,
            tuning_steps=steps,
            seed=seed,
            request_id=request_id,
        ),
    )


def live_tenant(
    admin: Client, channel: grpc.Channel, archive: bytes, name: str
) -> tuple[TenantKeys, str, str, str]:
    """A tenant with a production domain model, a consent and one ACTIVE concept."""
    tenant = make_tenant(admin, channel, name)
    domain = flows.create_domain(tenant.mlops, tenant.name)
    flows.promote(tenant.mlops, domain, flows.register_version(tenant.mlops, domain, archive))
    consent = flows.grant_consent(tenant.app, tenant.name, "user-1")
    done = flows.wait_done(
        tenant.app, flows.create_concept(tenant.app, tenant.name, domain, consent).name
    )
    assert done.state == operation_pb2.Operation.SUCCEEDED, done.error
    return tenant, domain, consent, str(done.target)


def test_delete_tenant_revokes_keys_erases_concepts_and_keeps_the_record(
    stack: Stack, admin: Client, channel: grpc.Channel, domain_archives: tuple[bytes, bytes]
) -> None:
    tenant, _, _, concept = live_tenant(admin, channel, domain_archives[0], "doomed")
    name = f"tenants/{tenant.name}"
    tenant_id = stack.registry.tenants.get_by_name(tenant.name).id
    personal = (f"tenants/{tenant_id}/concepts/", f"tenants/{tenant_id}/subjects/")
    assert all(stack.blob_keys(prefix) for prefix in personal)  # the photo CreateConcept kept
    images = flows.images_prefix(stack, concept)
    assert len(stack.blob_keys(images)) == 1
    assert "dm_doomed_faces_v1" in stack.hosting.deployed()

    for key in (tenant.admin, tenant.app, tenant.mlops):
        error = refused(
            key.call, key.tenants.DeleteTenant, tenant_service_pb2.DeleteTenantRequest(name=name)
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = refused(
        admin.call, admin.tenants.DeleteTenant, tenant_service_pb2.DeleteTenantRequest(name=name)
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(error) == "TENANT_NOT_EMPTY"
    assert (
        tenant.app.call(
            tenant.app.concepts.GetConcept, concept_service_pb2.GetConceptRequest(name=concept)
        ).state
        == concept_pb2.Concept.ACTIVE
    )  # the refused call changed nothing

    deleted = admin.call(
        admin.tenants.DeleteTenant,
        tenant_service_pb2.DeleteTenantRequest(name=name, force=True, request_id="del-doomed"),
    )
    assert deleted.name == name and deleted.state == tenant_pb2.Tenant.DELETED
    assert deleted.HasField("delete_time")
    # A retry with the same request_id answers the first response.
    again = admin.call(
        admin.tenants.DeleteTenant,
        tenant_service_pb2.DeleteTenantRequest(name=name, force=True, request_id="del-doomed"),
    )
    assert again == deleted

    for key in (tenant.admin, tenant.app, tenant.mlops):
        error = refused(
            key.call, key.tenants.GetTenant, tenant_service_pb2.GetTenantRequest(name=name)
        )
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    error = refused(
        tenant.app.call,
        tenant.app.concepts.GetConcept,
        concept_service_pb2.GetConceptRequest(name=concept),
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert not any(stack.blob_keys(prefix) for prefix in personal)
    assert not stack.blob_keys(images)  # the kept photo is erased with the subject
    assert stack.blob_keys(f"tenants/{tenant_id}/domains/")  # domain models are kept
    assert "dm_doomed_faces_v1" not in stack.hosting.deployed()

    shown = admin.call(admin.tenants.GetTenant, tenant_service_pb2.GetTenantRequest(name=name))
    assert shown.state == tenant_pb2.Tenant.DELETED
    listed = admin.call(admin.tenants.ListTenants, tenant_service_pb2.ListTenantsRequest())
    assert name not in [t.name for t in listed.tenants]
    with_deleted = admin.call(
        admin.tenants.ListTenants, tenant_service_pb2.ListTenantsRequest(show_deleted=True)
    )
    assert name in [t.name for t in with_deleted.tenants]

    for call, request in (
        (admin.tenants.DeleteTenant, tenant_service_pb2.DeleteTenantRequest(name=name, force=True)),
        (
            admin.keys.CreateApiKey,
            api_key_service_pb2.CreateApiKeyRequest(
                parent=name, api_key=api_key_pb2.ApiKey(scopes=[api_key_pb2.ApiKey.APP])
            ),
        ),
    ):
        error = refused(admin.call, call, request)
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert reason_of(error) == "TENANT_DELETED"
    keys = admin.call(
        admin.keys.ListApiKeys,
        api_key_service_pb2.ListApiKeysRequest(parent=name, show_revoked=True),
    )
    assert keys.api_keys and all(k.state == api_key_pb2.ApiKey.REVOKED for k in keys.api_keys)

    verdict = admin.call(
        admin.audit.VerifyAuditChain, audit_service_pb2.VerifyAuditChainRequest(parent=name)
    )
    assert verdict.ok and verdict.events_checked > 0
    events = admin.call(
        admin.audit.ListAuditEvents,
        audit_service_pb2.ListAuditEventsRequest(parent=name, page_size=1000),
    )
    assert "tenant.delete" in [event.action for event in events.audit_events]
    assert stack.registry.verify_audit().ok
    error = refused(
        admin.call,
        admin.tenants.CreateTenant,
        tenant_service_pb2.CreateTenantRequest(tenant_id=tenant.name),
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS


def test_repersonalize_from_the_stored_source_image(
    stack: Stack, admin: Client, channel: grpc.Channel, domain_archives: tuple[bytes, bytes]
) -> None:
    tenant, domain, consent, concept = live_tenant(admin, channel, domain_archives[0], "repers")
    app = tenant.app
    v1, v2 = f"{domain}/versions/1", f"{domain}/versions/2"
    assert flows.register_version(tenant.mlops, domain, domain_archives[1]) == v2

    # CreateConcept kept exactly the photo the concept was made from, under its consent.
    images = flows.images_prefix(stack, concept)
    (kept,) = flows.source_images(stack, concept)
    assert stack.blob_keys(images) == {kept.blob_key}
    assert kept.blob_key.endswith(".png")
    assert stack.blobs.get(kept.blob_key, expected_sha256=kept.sha256) == face_png()

    before = operation_count(stack)
    bad: dict[str, _RepersonalizeFields] = {
        "INVALID_FIELD": dict(steps=3),
        "INVALID_RESOURCE_NAME": dict(version="versions/2"),
        "RESOURCE_NOT_FOUND": dict(version=f"{domain}/versions/9"),
        "NO_PRODUCTION_VERSION": dict(version=v2),  # registered, but neither production nor canary
    }
    for reason, fields in bad.items():
        error = refused(repersonalize, app, concept, **fields)
        assert reason_of(error) == reason, fields
    error = refused(repersonalize, app, f"tenants/{tenant.name}/concepts/{uuid.uuid4()}")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert refused(repersonalize, tenant.admin, concept).code() == grpc.StatusCode.PERMISSION_DENIED
    assert operation_count(stack) == before  # refused calls start nothing

    # Against the canary, with a request_id: a retry answers the same operation.
    tenant.mlops.call(
        tenant.mlops.domains.RolloutDomainModelVersion,
        domain_service_pb2.RolloutDomainModelVersionRequest(
            domain=domain, version=v2, traffic_percent=10
        ),
    )
    first = repersonalize(tenant.mlops, concept, version=v2, request_id="rp-1")
    assert first.kind == operation_pb2.Operation.REPERSONALIZE_CONCEPT
    assert first.target == concept
    assert repersonalize(tenant.mlops, concept, version=v2, request_id="rp-1").name == first.name
    error = refused(repersonalize, tenant.mlops, concept, version=v2, seed=4, request_id="rp-1")
    assert reason_of(error) == "REQUEST_ID_REUSED"
    done = flows.wait_done(app, first.name)
    assert done.state == operation_pb2.Operation.SUCCEEDED, done.error
    assert done.progress.steps_done == done.progress.steps_total == 5
    assert done.WhichOneof("result") == "concept_version"
    made = done.concept_version
    assert made.name == f"{concept}/versions/2"
    assert made.domain_model_version == v2
    assert (made.tuning_steps, made.seed, made.state) == (5, 3, concept_pb2.ConceptVersion.READY)
    versions = app.call(
        app.concepts.ListConceptVersions,
        concept_service_pb2.ListConceptVersionsRequest(parent=concept),
    )
    assert {v.domain_model_version for v in versions.concept_versions} == {v1, v2}
    shown = app.call(app.concepts.GetConcept, concept_service_pb2.GetConceptRequest(name=concept))
    assert shown.state == concept_pb2.Concept.ACTIVE
    assert shown.latest_version == made.name
    assert len(flows.generate(app, concept).images) == 1

    # Default: production (v1). Cancelled mid-way: the concept keeps what it had.
    running = repersonalize(app, concept, steps=15, seed=9)
    deadline = time.monotonic() + 60
    current = running
    while time.monotonic() < deadline and current.progress.steps_done < 1:
        time.sleep(0.05)
        current = app.call(
            app.operations.GetOperation,
            operation_service_pb2.GetOperationRequest(name=running.name),
        )
    assert not current.done, "re-personalization finished before it could be cancelled"
    app.call(
        app.operations.CancelOperation,
        operation_service_pb2.CancelOperationRequest(name=running.name),
    )
    cancelled = flows.wait_done(app, running.name)
    assert cancelled.state == operation_pb2.Operation.CANCELLED
    after = app.call(app.concepts.GetConcept, concept_service_pb2.GetConceptRequest(name=concept))
    assert after.state == concept_pb2.Concept.ACTIVE and after.latest_version == made.name

    # Consent is checked at use time: revoked, it refuses and the source image is erased.
    app.call(app.consents.RevokeConsent, consent_service_pb2.RevokeConsentRequest(name=consent))
    error = refused(repersonalize, app, concept)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(error) == "CONSENT_NOT_ACTIVE"
    assert not flows.source_images(stack, concept)
    assert not stack.blob_keys(images)
    tenant_id = stack.registry.tenants.get_by_name(tenant.name).id
    assert not stack.blob_keys(f"tenants/{tenant_id}/subjects/")


def test_repersonalize_follows_a_new_production_version(
    stack: Stack, admin: Client, channel: grpc.Channel, domain_archives: tuple[bytes, bytes]
) -> None:
    """The reason the photo is kept: a concept made on v1 can follow a rollout to v2."""
    tenant, domain, consent, concept = live_tenant(admin, channel, domain_archives[0], "promoted")
    app = tenant.app
    v1, v2 = f"{domain}/versions/1", f"{domain}/versions/2"
    # A concept whose photo is not kept (made before CreateConcept kept it): another photo, so
    # that dropping it leaves the first concept's blob alone.
    legacy = flows.wait_done(
        app,
        flows.create_concept(
            app, tenant.name, domain, consent, image=face_png((40, 90, 160)), seed=1
        ).name,
    )
    assert legacy.state == operation_pb2.Operation.SUCCEEDED, legacy.error
    forget_source_image(stack, legacy.target)
    images = flows.images_prefix(stack, concept)
    (kept,) = flows.source_images(stack, concept)
    assert stack.blob_keys(images) == {kept.blob_key}
    assert served_by(app, concept) == v1

    assert flows.register_version(tenant.mlops, domain, domain_archives[1]) == v2
    assert flows.promote(tenant.mlops, domain, v2).production.version == v2
    assert served_by(app, concept) is None  # tuned on v1: needs re-personalization

    done = flows.wait_done(app, repersonalize(app, concept).name)  # default: production
    assert done.state == operation_pb2.Operation.SUCCEEDED, done.error
    assert done.concept_version.name == f"{concept}/versions/2"
    assert done.concept_version.domain_model_version == v2
    response = flows.generate(app, concept)
    assert response.domain_model_version == v2
    assert response.concept_version == f"{concept}/versions/2"
    assert len(response.images) == 1
    assert [row.id for row in flows.source_images(stack, concept)] == [kept.id]  # kept once

    # The concept without a kept photo cannot follow: create a new concept instead.
    error = refused(repersonalize, app, str(legacy.target))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(error) == "SOURCE_IMAGE_MISSING"

    # Deleting the concept erases its photo.
    app.call(app.concepts.DeleteConcept, concept_service_pb2.DeleteConceptRequest(name=concept))
    assert not flows.source_images(stack, concept)
    assert not stack.blob_keys(images)
