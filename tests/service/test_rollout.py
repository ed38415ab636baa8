"""Rolling a domain model out and back at runtime: promote, rollback, canary, audit, Serve apps.

What the service promises (docs/mlops.md, docs/service.md): new work follows the aliases at
once, without a restart; a concept version serves only on the domain model version it was tuned
for, so a concept the split sends elsewhere answers CONCEPT_NOT_READY (needs
re-personalization); the canary split is a pure function of the concept id; every alias move is
audited with its actor; the Serve application of a version that stops serving is deleted.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from ray import serve

from e4t.v1 import (
    api_key_pb2,
    api_key_service_pb2,
    audit_service_pb2,
    common_pb2,
    concept_service_pb2,
    domain_service_pb2,
    operation_pb2,
)
from e4t_server.api.errors import STATUS_DETAILS_KEY
from e4t_server.serve.traffic import LiveVersions, version_for
from tests.service import flows
from tests.service.conftest import Client, TenantKeys, make_tenant

pytestmark = [pytest.mark.ray, pytest.mark.postgres, pytest.mark.s3]

TENANT = "rollout"
CANARY_PERCENT = 50


def error_info(error: grpc.RpcError) -> common_pb2.ErrorInfo:
    assert isinstance(error, grpc.Call)
    details = dict(error.trailing_metadata() or ())[STATUS_DETAILS_KEY]
    info = common_pb2.ErrorInfo()
    assert common_pb2.Status.FromString(details).details[0].Unpack(info)
    return info


def new_concept(tenant: TenantKeys, domain: str, consent: str, seed: int) -> str:
    operation = flows.create_concept(tenant.app, tenant.name, domain, consent, seed=seed)
    finished = flows.wait_done(tenant.app, operation.name)
    assert finished.state == operation_pb2.Operation.SUCCEEDED, finished.error
    return str(finished.target)


def tuned_on(app: Client, concept: str) -> str:
    """The domain model version the concept's (only) version was personalized on."""
    version = app.call(
        app.concepts.GetConceptVersion,
        concept_service_pb2.GetConceptVersionRequest(name=f"{concept}/versions/1"),
    )
    return str(version.domain_model_version)


def served_by(app: Client, concept: str) -> str | None:
    """The domain model version that served a generation, or None for CONCEPT_NOT_READY."""
    try:
        response = flows.generate(app, concept)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error
        info = error_info(error)
        assert info.reason == "CONCEPT_NOT_READY"
        assert info.metadata["needs"] == "CONCEPT_NEEDS_REPERSONALIZATION"
        return None
    assert response.concept_version == f"{concept}/versions/1"
    assert len(response.images) == 1
    return str(response.domain_model_version)


def serve_apps(domain: str) -> set[str]:
    """This domain's Serve applications, as Ray Serve itself reports them."""
    return {name for name in serve.status().applications if name.startswith(f"dm_{domain}_v")}


def rollout(
    mlops: Client, domain: str, version: str, *, percent: int
) -> domain_service_pb2.RolloutStatus:
    return mlops.call(
        mlops.domains.RolloutDomainModelVersion,
        domain_service_pb2.RolloutDomainModelVersionRequest(
            domain=domain, version=version, traffic_percent=percent
        ),
    )


def rollback(mlops: Client, domain: str) -> domain_service_pb2.RolloutStatus:
    return mlops.call(
        mlops.domains.RollbackDomainModelVersion,
        domain_service_pb2.RollbackDomainModelVersionRequest(domain=domain),
    )


def routed(concept: str, live: LiveVersions, domain: str) -> str:
    """The domain model version the canary split picks for `concept` (traffic.py)."""
    number = version_for(uuid.UUID(concept.rsplit("/", 1)[-1]), live)
    assert number is not None
    return f"{domain}/versions/{number}"


def test_canary_promote_and_rollback_switch_versions_at_runtime(
    admin: Client, channel: grpc.Channel, domain_archives: tuple[bytes, bytes]
) -> None:
    tenant = make_tenant(admin, channel, TENANT)
    mlops = tenant.mlops
    domain = flows.create_domain(mlops, tenant.name)
    apps = f"{TENANT}_faces"
    v1 = flows.register_version(mlops, domain, domain_archives[0])
    flows.promote(mlops, domain, v1)
    consent = flows.grant_consent(tenant.app, tenant.name, "person-1")

    on_v1 = new_concept(tenant, domain, consent, seed=0)
    assert tuned_on(tenant.app, on_v1) == v1
    assert served_by(tenant.app, on_v1) == v1
    assert serve_apps(apps) == {f"dm_{apps}_v1"}

    v2 = flows.register_version(mlops, domain, domain_archives[1])
    assert v2 == f"{domain}/versions/2"
    assert served_by(tenant.app, on_v1) == v1, "a registered version serves nothing yet"

    status = rollout(mlops, domain, v2, percent=CANARY_PERCENT)
    assert status.production.version == v1
    assert status.canary.version == v2 and status.canary.traffic_percent == CANARY_PERCENT
    live = LiveVersions(production=1, canary=2, canary_share=CANARY_PERCENT / 100)
    canary_concepts = [new_concept(tenant, domain, consent, seed=s) for s in (2, 3)]
    for concept in canary_concepts:
        assert tuned_on(tenant.app, concept) == routed(concept, live, domain)
    # Every concept meets the version its id hashes to, on every request; one without a
    # version for it is refused rather than served by a model it was not tuned for.
    for concept in [on_v1, *canary_concepts]:
        target = routed(concept, live, domain)
        expected = target if tuned_on(tenant.app, concept) == target else None
        for _ in range(2):
            assert served_by(tenant.app, concept) == expected, concept

    status = flows.promote(mlops, domain)
    assert status.production.version == v2 and not status.HasField("canary")
    assert status.production.previous_version == v1
    assert serve_apps(apps) <= {f"dm_{apps}_v2"}, "v1 stopped serving: its app is deleted"
    on_v2 = new_concept(tenant, domain, consent, seed=1)
    assert tuned_on(tenant.app, on_v2) == v2
    assert served_by(tenant.app, on_v2) == v2
    assert served_by(tenant.app, on_v1) is None  # until it is re-personalized for v2
    assert serve_apps(apps) == {f"dm_{apps}_v2"}

    status = rollback(mlops, domain)
    assert status.production.version == v1 and not status.HasField("canary")
    assert serve_apps(apps) == set(), "v2 stopped serving: its app is deleted"
    assert served_by(tenant.app, on_v1) == v1
    assert served_by(tenant.app, on_v2) is None
    assert serve_apps(apps) == {f"dm_{apps}_v1"}

    # With a live canary, rollback removes the canary and production keeps everything.
    rollout(mlops, domain, v2, percent=10)
    status = rollback(mlops, domain)
    assert status.production.version == v1 and not status.HasField("canary")
    assert serve_apps(apps) == {f"dm_{apps}_v1"}

    keys = tenant.admin.call(
        tenant.admin.keys.ListApiKeys,
        api_key_service_pb2.ListApiKeysRequest(parent=f"tenants/{TENANT}"),
    )
    (mlops_key,) = [k for k in keys.api_keys if api_key_pb2.ApiKey.MLOPS in k.scopes]
    events = tenant.admin.call(
        tenant.admin.audit.ListAuditEvents,
        audit_service_pb2.ListAuditEventsRequest(parent=f"tenants/{TENANT}", page_size=1000),
    ).audit_events
    # The registry writes internal (id-based) resource names: match on the alias only.
    moves = [
        (e.action, e.resource.rsplit("/", 1)[-1])
        for e in events
        if e.action.startswith("domain.alias.")
    ]
    assert moves == [
        ("domain.alias.set", "production"),  # the first version goes live
        ("domain.alias.set", "canary"),
        ("domain.alias.promote", "production"),
        ("domain.alias.promote", "canary"),  # the promoted canary is removed
        ("domain.alias.rollback", "production"),
        ("domain.alias.set", "canary"),
        ("domain.alias.remove", "canary"),  # rollback of a live canary
    ]
    mlops_key_id = mlops_key.name.rsplit("/", 1)[-1]
    for event in events:
        if event.action.startswith("domain.alias."):
            assert mlops_key_id in event.actor, event
