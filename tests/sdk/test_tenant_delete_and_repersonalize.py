"""`client.tenants.delete` and `client.concepts.repersonalize`, sync and async, live."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import e4t
from tests.sdk.conftest import TenantKeys
from tests.sdk.flow import PURPOSE, face_png, serving_domain
from tests.sdk.live_stack import LiveStack


def _concept(app: e4t.Client) -> e4t.Concept:
    """An ACTIVE concept in domain `faces` under a new consent of `user-1`."""
    consent = app.consents.grant(
        subject="user-1", purpose=PURPOSE, notice_version="v1", method="electronic"
    )
    return app.concepts.create(
        image=face_png(), consent=consent, domain="faces", tuning_steps=5
    ).result(timeout=120)


def _kept_image(stack: LiveStack, tenant: TenantKeys, concept: e4t.Concept) -> bytes:
    """The source photo the registry keeps for the concept (CreateConcept stores it)."""
    registry = stack.registry
    tenant_id = registry.tenants.get_by_name(tenant.tenant_id).id
    row = registry.concepts.source_image(tenant_id, uuid.UUID(concept.id))
    assert row is not None
    return registry.concepts.read_source_image(row)


def test_tenants_delete(stack: LiveStack, admin: e4t.Client, tenant: TenantKeys) -> None:
    serving_domain(stack, tenant)
    app = stack.client(tenant.app, tenant=tenant.tenant_id)
    _concept(app)
    with pytest.raises(e4t.FailedPreconditionError) as not_empty:
        admin.tenants.delete(tenant.tenant_id)
    assert not_empty.value.reason == "TENANT_NOT_EMPTY"
    assert [c.state for c in app.concepts.list()] == [e4t.ConceptState.ACTIVE]

    deleted = admin.tenants.delete(tenant.tenant_id, force=True)

    assert deleted.id == tenant.tenant_id and deleted.state == e4t.TenantState.DELETED
    assert deleted.delete_time is not None
    with pytest.raises(e4t.UnauthenticatedError):
        app.concepts.list().to_list()
    app.close()
    assert admin.tenants.get(tenant.tenant_id).state == e4t.TenantState.DELETED
    assert tenant.tenant_id not in [t.id for t in admin.tenants.list()]
    assert tenant.tenant_id in [t.id for t in admin.tenants.list(show_deleted=True)]
    with pytest.raises(e4t.NotFoundError):
        admin.tenants.delete("no-such-tenant")

    empty = admin.tenants.create(tenant_id=f"t-{uuid.uuid4().hex[:10]}")

    async def delete_async() -> tuple[e4t.Tenant, str]:
        async with stack.async_client() as async_admin:
            gone = await async_admin.tenants.delete(empty.id)  # empty: no force needed
            with pytest.raises(e4t.FailedPreconditionError) as twice:
                await async_admin.tenants.delete(tenant.tenant_id, force=True)
            return gone, twice.value.reason

    gone, reason = asyncio.run(delete_async())
    assert gone.state == e4t.TenantState.DELETED and reason == "TENANT_DELETED"


def test_concepts_repersonalize(stack: LiveStack, tenant: TenantKeys) -> None:
    serving_domain(stack, tenant)
    with stack.client(tenant.app, tenant=tenant.tenant_id) as app:
        concept = _concept(app)
    assert _kept_image(stack, tenant, concept) == face_png()

    with stack.client(tenant.mlops, tenant=tenant.tenant_id) as mlops:
        operation = mlops.concepts.repersonalize(concept.name, tuning_steps=5, seed=4)
        steps: list[int] = []
        version = operation.result(
            timeout=120, progress=lambda s: steps.append(s.progress.steps_done)
        )
    assert operation.snapshot.kind == e4t.OperationKind.REPERSONALIZE_CONCEPT
    assert operation.snapshot.target == concept.name
    assert isinstance(version, e4t.ConceptVersion)
    assert version.name == f"{concept.name}/versions/2"
    assert (version.tuning_steps, version.seed) == (5, 4)
    assert version.state == e4t.ConceptVersionState.READY
    assert steps and max(steps) <= 5

    async def run_async() -> e4t.ConceptVersion:
        async with stack.async_client(tenant.app, tenant=tenant.tenant_id) as app:
            started = await app.concepts.repersonalize(concept, tuning_steps=5)
            return await started.result(timeout=120)

    third = asyncio.run(run_async())
    assert third.name == f"{concept.name}/versions/3"
