"""Isolation, auth, bad input, idempotency, concurrency, health and reflection, worker death."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import grpc
import pytest
import ray
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from e4t.v1 import (
    api_key_pb2,
    api_key_service_pb2,
    audit_service_pb2,
    concept_pb2,
    concept_service_pb2,
    consent_service_pb2,
    domain_pb2,
    domain_service_pb2,
    image_service_pb2,
    operation_pb2,
    operation_service_pb2,
    tenant_service_pb2,
)
from e4t_registry.blobs import BlobStoreUnavailableError
from e4t_registry.models import AuditEvent, Concept, Operation
from e4t_server.api.gateway import SERVICES
from tests.service import flows
from tests.service.conftest import Client, Stack, TenantKeys, face_png, make_tenant
from tests.service.test_flow import reason_of

pytestmark = [pytest.mark.ray, pytest.mark.postgres, pytest.mark.s3]


@dataclass
class World:
    a: TenantKeys
    b: TenantKeys
    domain: str
    version: str
    consent: str
    concept: str
    operation: str
    key_name: str


@pytest.fixture(scope="module")
def world(
    stack: Stack, admin: Client, channel: grpc.Channel, domain_archives: tuple[bytes, bytes]
) -> World:
    a, b = make_tenant(admin, channel, "alpha"), make_tenant(admin, channel, "beta")
    domain = flows.create_domain(a.mlops, a.name)
    version = flows.register_version(a.mlops, domain, domain_archives[0])
    flows.promote(a.mlops, domain, version)
    consent = flows.grant_consent(a.app, a.name, "subject-1")
    operation = flows.wait_done(a.app, flows.create_concept(a.app, a.name, domain, consent).name)
    assert operation.state == operation_pb2.Operation.SUCCEEDED, operation.error
    keys = a.admin.call(
        a.admin.keys.ListApiKeys, api_key_service_pb2.ListApiKeysRequest(parent=f"tenants/{a.name}")
    )
    return World(
        a, b, domain, version, consent, operation.target, operation.name, keys.api_keys[0].name
    )


def requests_against(w: World) -> dict[str, Callable[[Client], Any]]:
    """One call per RPC, aimed at tenant A's resources."""
    t = f"tenants/{w.a.name}"
    subject = w.consent.rsplit("/consents/", 1)[0]

    def unary(stub: str, method: str, request: Any) -> Callable[[Client], Any]:
        return lambda c: c.call(getattr(getattr(c, stub), method), request, timeout=30)

    return {
        "CreateTenant": unary(
            "tenants", "CreateTenant", tenant_service_pb2.CreateTenantRequest(tenant_id="gamma")
        ),
        "GetTenant": unary("tenants", "GetTenant", tenant_service_pb2.GetTenantRequest(name=t)),
        "ListTenants": unary("tenants", "ListTenants", tenant_service_pb2.ListTenantsRequest()),
        "DeleteTenant": unary(
            "tenants", "DeleteTenant", tenant_service_pb2.DeleteTenantRequest(name=t)
        ),
        "CreateApiKey": unary(
            "keys", "CreateApiKey", api_key_service_pb2.CreateApiKeyRequest(parent=t)
        ),
        "GetApiKey": unary(
            "keys", "GetApiKey", api_key_service_pb2.GetApiKeyRequest(name=w.key_name)
        ),
        "ListApiKeys": unary(
            "keys", "ListApiKeys", api_key_service_pb2.ListApiKeysRequest(parent=t)
        ),
        "RevokeApiKey": unary(
            "keys", "RevokeApiKey", api_key_service_pb2.RevokeApiKeyRequest(name=w.key_name)
        ),
        "CreateDomain": unary(
            "domains",
            "CreateDomain",
            domain_service_pb2.CreateDomainRequest(
                parent=t, domain_id="other", domain=domain_pb2.Domain(class_word="face")
            ),
        ),
        "GetDomain": unary(
            "domains", "GetDomain", domain_service_pb2.GetDomainRequest(name=w.domain)
        ),
        "ListDomains": unary(
            "domains", "ListDomains", domain_service_pb2.ListDomainsRequest(parent=t)
        ),
        "RegisterDomainModelVersion": lambda c: c.domains.RegisterDomainModelVersion(
            flows.upload(w.domain, b"x" * 10), metadata=c.metadata, timeout=30
        ),
        "GetDomainModelVersion": unary(
            "domains",
            "GetDomainModelVersion",
            domain_service_pb2.GetDomainModelVersionRequest(name=w.version),
        ),
        "ListDomainModelVersions": unary(
            "domains",
            "ListDomainModelVersions",
            domain_service_pb2.ListDomainModelVersionsRequest(parent=w.domain),
        ),
        "GetDomainAlias": unary(
            "domains",
            "GetDomainAlias",
            domain_service_pb2.GetDomainAliasRequest(name=f"{w.domain}/aliases/production"),
        ),
        "ListDomainAliases": unary(
            "domains",
            "ListDomainAliases",
            domain_service_pb2.ListDomainAliasesRequest(parent=w.domain),
        ),
        "GetRolloutStatus": unary(
            "domains",
            "GetRolloutStatus",
            domain_service_pb2.GetRolloutStatusRequest(domain=w.domain),
        ),
        "RolloutDomainModelVersion": unary(
            "domains",
            "RolloutDomainModelVersion",
            domain_service_pb2.RolloutDomainModelVersionRequest(
                domain=w.domain, version=w.version, traffic_percent=10
            ),
        ),
        "PromoteDomainModelVersion": unary(
            "domains",
            "PromoteDomainModelVersion",
            domain_service_pb2.PromoteDomainModelVersionRequest(domain=w.domain, version=w.version),
        ),
        "RollbackDomainModelVersion": unary(
            "domains",
            "RollbackDomainModelVersion",
            domain_service_pb2.RollbackDomainModelVersionRequest(domain=w.domain),
        ),
        "GrantConsent": unary(
            "consents", "GrantConsent", consent_service_pb2.GrantConsentRequest(parent=subject)
        ),
        "GetConsent": unary(
            "consents", "GetConsent", consent_service_pb2.GetConsentRequest(name=w.consent)
        ),
        "ListConsents": unary(
            "consents", "ListConsents", consent_service_pb2.ListConsentsRequest(parent=subject)
        ),
        "RevokeConsent": unary(
            "consents", "RevokeConsent", consent_service_pb2.RevokeConsentRequest(name=w.consent)
        ),
        "GetSubject": unary(
            "consents", "GetSubject", consent_service_pb2.GetSubjectRequest(name=subject)
        ),
        "ListSubjects": unary(
            "consents", "ListSubjects", consent_service_pb2.ListSubjectsRequest(parent=t)
        ),
        "EraseSubject": unary(
            "consents", "EraseSubject", consent_service_pb2.EraseSubjectRequest(name=subject)
        ),
        "CreateConcept": unary(
            "concepts",
            "CreateConcept",
            concept_service_pb2.CreateConceptRequest(
                parent=t,
                concept=concept_pb2.Concept(domain=w.domain, consent=w.consent),
                image=face_png(),
            ),
        ),
        "GetConcept": unary(
            "concepts", "GetConcept", concept_service_pb2.GetConceptRequest(name=w.concept)
        ),
        "ListConcepts": unary(
            "concepts", "ListConcepts", concept_service_pb2.ListConceptsRequest(parent=t)
        ),
        "DeleteConcept": unary(
            "concepts", "DeleteConcept", concept_service_pb2.DeleteConceptRequest(name=w.concept)
        ),
        "GetConceptVersion": unary(
            "concepts",
            "GetConceptVersion",
            concept_service_pb2.GetConceptVersionRequest(name=f"{w.concept}/versions/1"),
        ),
        "ListConceptVersions": unary(
            "concepts",
            "ListConceptVersions",
            concept_service_pb2.ListConceptVersionsRequest(parent=w.concept),
        ),
        "RepersonalizeConcept": unary(
            "concepts",
            "RepersonalizeConcept",
            concept_service_pb2.RepersonalizeConceptRequest(name=w.concept),
        ),
        "GenerateImages": unary(
            "images",
            "GenerateImages",
            image_service_pb2.GenerateImagesRequest(concept=w.concept, prompt="{concept}"),
        ),
        "GetOperation": unary(
            "operations",
            "GetOperation",
            operation_service_pb2.GetOperationRequest(name=w.operation),
        ),
        "ListOperations": unary(
            "operations", "ListOperations", operation_service_pb2.ListOperationsRequest(parent=t)
        ),
        "WaitOperation": unary(
            "operations",
            "WaitOperation",
            operation_service_pb2.WaitOperationRequest(name=w.operation),
        ),
        "CancelOperation": unary(
            "operations",
            "CancelOperation",
            operation_service_pb2.CancelOperationRequest(name=w.operation),
        ),
        "ListAuditEvents": unary(
            "audit", "ListAuditEvents", audit_service_pb2.ListAuditEventsRequest(parent=t)
        ),
        "ExportAuditEvents": lambda c: list(
            c.audit.ExportAuditEvents(
                audit_service_pb2.ExportAuditEventsRequest(parent=t),
                metadata=c.metadata,
                timeout=30,
            )
        ),
        "VerifyAuditChain": unary(
            "audit", "VerifyAuditChain", audit_service_pb2.VerifyAuditChainRequest(parent=t)
        ),
    }


def all_methods() -> set[str]:
    return {
        method.name
        for module in SERVICES
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }


def refused(call: Callable[[Client], Any], client: Client) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call(client)
    return raised.value.code()


def audit_count(stack: Stack) -> int:
    from sqlmodel import Session, func, select

    with Session(stack.registry.engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEvent)).one())


def test_isolation_matrix_covers_every_rpc(stack: Stack, world: World) -> None:
    calls = requests_against(world)
    assert set(calls) == all_methods()
    before = audit_count(stack)
    for method, call in calls.items():
        for key in (world.b.admin, world.b.app, world.b.mlops):
            code = refused(call, key)
            assert code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND), method
    assert audit_count(stack) == before


def test_app_key_cannot_call_admin_rpcs(world: World) -> None:
    calls = requests_against(world)
    for method in (
        "CreateTenant",
        "ListTenants",
        "CreateApiKey",
        "ListApiKeys",
        "EraseSubject",
        "ListAuditEvents",
        "CreateDomain",
        "PromoteDomainModelVersion",
    ):
        assert refused(calls[method], world.a.app) == grpc.StatusCode.PERMISSION_DENIED, method


def test_missing_malformed_and_revoked_keys_are_unauthenticated(
    stack: Stack, channel: grpc.Channel, world: World
) -> None:
    revocable = world.a.admin.call(
        world.a.admin.keys.CreateApiKey,
        api_key_service_pb2.CreateApiKeyRequest(
            parent=f"tenants/{world.a.name}",
            api_key=api_key_pb2.ApiKey(scopes=[api_key_pb2.ApiKey.APP]),
        ),
    )
    world.a.admin.call(
        world.a.admin.keys.RevokeApiKey,
        api_key_service_pb2.RevokeApiKeyRequest(name=revocable.api_key.name),
    )
    bad_keys = [
        Client(channel, None),
        Client(channel, "not-a-key"),
        Client(channel, revocable.secret),
    ]
    for method, call in requests_against(world).items():
        for client in bad_keys:
            assert refused(call, client) == grpc.StatusCode.UNAUTHENTICATED, method


def concept_rows(stack: Stack) -> int:
    from sqlmodel import Session, func, select

    with Session(stack.registry.engine) as session:
        return int(session.exec(select(func.count()).select_from(Concept)).one())


def operation_rows(stack: Stack) -> int:
    from sqlmodel import Session, func, select

    with Session(stack.registry.engine) as session:
        return int(session.exec(select(func.count()).select_from(Operation)).one())


class _ConceptFields(TypedDict, total=False):
    """Keyword arguments of `flows.create_concept` that a bad request may set."""

    image: bytes


def test_bad_input_is_invalid_argument_and_writes_nothing(stack: Stack, world: World) -> None:
    app, t = world.a.app, world.a.name
    before = (concept_rows(stack), audit_count(stack))
    cases: dict[str, _ConceptFields] = {
        "IMAGE_UNREADABLE": dict(image=b"this is not an image"),
        "IMAGE_TOO_LARGE": dict(image=b"\x89PNG" + b"0" * (10 * 2**20 + 1)),
    }
    for reason, fields in cases.items():
        with pytest.raises(grpc.RpcError) as raised:
            flows.create_concept(app, t, world.domain, world.consent, **fields)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason_of(raised.value) == reason
    with pytest.raises(grpc.RpcError) as raised:
        app.call(
            app.concepts.CreateConcept,
            concept_service_pb2.CreateConceptRequest(
                parent=f"tenants/{t}",
                concept=concept_pb2.Concept(domain=world.domain, consent=world.consent),
            ),
        )
    assert reason_of(raised.value) == "IMAGE_UNREADABLE"
    for name in ("tenants/alpha/concepts/nope", "concepts/x", "tenants/ALPHA/concepts/x", ""):
        with pytest.raises(grpc.RpcError) as raised:
            app.call(app.concepts.GetConcept, concept_service_pb2.GetConceptRequest(name=name))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason_of(raised.value) == "INVALID_RESOURCE_NAME"
    with pytest.raises(grpc.RpcError) as raised:
        app.call(
            app.concepts.ListConcepts,
            concept_service_pb2.ListConceptsRequest(parent=f"tenants/{t}", page_size=-1),
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as raised:
        app.call(
            app.images.GenerateImages,
            image_service_pb2.GenerateImagesRequest(concept=world.concept, prompt="a face"),
        )
    assert reason_of(raised.value) == "PROMPT_MISSING_PLACEHOLDER"
    assert (concept_rows(stack), audit_count(stack)) == before


def test_same_request_id_creates_one_concept(stack: Stack, world: World) -> None:
    before = concept_rows(stack)
    first = flows.create_concept(
        world.a.app, world.a.name, world.domain, world.consent, request_id="req-idem-1"
    )
    second = flows.create_concept(
        world.a.app, world.a.name, world.domain, world.consent, request_id="req-idem-1"
    )
    assert first.name == second.name and first.target == second.target
    assert concept_rows(stack) == before + 1
    assert len(flows.source_images(stack, first.target)) == 1  # the retry kept no second photo
    assert flows.wait_done(world.a.app, first.name).state == operation_pb2.Operation.SUCCEEDED
    with pytest.raises(grpc.RpcError) as raised:
        flows.create_concept(
            world.a.app, world.a.name, world.domain, world.consent, request_id="req-idem-1", seed=3
        )
    assert reason_of(raised.value) == "REQUEST_ID_REUSED"


def test_concurrent_generation_equals_sequential(world: World) -> None:
    other = flows.wait_done(
        world.a.app,
        flows.create_concept(
            world.a.app,
            world.a.name,
            world.domain,
            world.consent,
            image=face_png((20, 90, 200)),
            seed=5,
        ).name,
    )
    concepts = [world.concept, other.target]
    sequential = [flows.generate(world.a.app, name).images[0].png for name in concepts]
    assert sequential[0] != sequential[1]
    futures = [
        world.a.app.images.GenerateImages.future(
            image_service_pb2.GenerateImagesRequest(
                concept=name, prompt="a photo of {concept}", num_inference_steps=2, seed=7
            ),
            metadata=world.a.app.metadata,
            timeout=120,
        )
        for name in concepts * 2
    ]
    concurrent = [future.result().images[0].png for future in futures]
    assert concurrent == sequential * 2


def test_health_and_reflection_answer_without_a_key(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "e4t.v1.ConceptService"):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
    )
    listed = {
        service.name for answer in answers for service in answer.list_services_response.service
    }
    assert {"e4t.v1.ImageService", "grpc.health.v1.Health"} <= listed


def test_failing_to_keep_the_image_leaves_nothing(
    stack: Stack, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, t = world.a.app, world.a.name
    image = face_png((120, 30, 60))
    images = flows.images_prefix(stack, world.concept)
    blobs_before, operations_before = stack.blob_keys(images), operation_rows(stack)
    listed_before = app.call(
        app.concepts.ListConcepts, concept_service_pb2.ListConceptsRequest(parent=f"tenants/{t}")
    )

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise BlobStoreUnavailableError("the store is down")

    monkeypatch.setattr(stack.blobs, "put", unavailable)
    with pytest.raises(grpc.RpcError) as raised:
        flows.create_concept(app, t, world.domain, world.consent, image=image, request_id="down")
    monkeypatch.undo()
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert reason_of(raised.value) == "BACKEND_UNAVAILABLE"
    listed = app.call(
        app.concepts.ListConcepts, concept_service_pb2.ListConceptsRequest(parent=f"tenants/{t}")
    )
    assert listed == listed_before  # the concept it made is deleted again
    assert operation_rows(stack) == operations_before
    assert stack.blob_keys(images) == blobs_before
    # A failed call is not remembered: the same request_id works once the store is back.
    retried = flows.create_concept(
        app, t, world.domain, world.consent, image=image, request_id="down"
    )
    assert flows.wait_done(app, retried.name).state == operation_pb2.Operation.SUCCEEDED
    assert len(flows.source_images(stack, retried.target)) == 1


def test_worker_death_fails_the_operation(stack: Stack, world: World) -> None:
    image = face_png((90, 40, 160))  # a photo no other concept was made from
    operation = flows.create_concept(
        world.a.app, world.a.name, world.domain, world.consent, image=image, steps=15, seed=11
    )
    (kept,) = flows.source_images(stack, operation.target)
    assert kept.blob_key in stack.blob_keys(flows.images_prefix(stack, operation.target))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        current = world.a.app.call(
            world.a.app.operations.GetOperation,
            operation_service_pb2.GetOperationRequest(name=operation.name),
        )
        if current.progress.steps_done >= 1:
            break
        time.sleep(0.05)
    assert not current.done, "personalization finished before it could be interrupted"
    replicas = [
        actor
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if "dm_alpha_faces_v1" in actor["name"] and "REPLICA" in actor["name"]
    ]
    assert replicas
    for actor in replicas:
        ray.kill(ray.get_actor(actor["name"], namespace=actor["namespace"]))
    final = flows.wait_done(world.a.app, operation.name)
    assert final.state == operation_pb2.Operation.FAILED
    assert final.WhichOneof("result") == "error"
    with pytest.raises(grpc.RpcError) as raised:
        world.a.app.call(
            world.a.app.concepts.GetConcept,
            concept_service_pb2.GetConceptRequest(name=final.target),
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    # Deleting the half-made concept erased the photo it was being made from.
    assert not flows.source_images(stack, final.target)
    assert kept.blob_key not in stack.blob_keys(flows.images_prefix(stack, final.target))
