"""The whole user flow through the raw stubs, on PostgreSQL + S3 + Ray Serve."""

from __future__ import annotations

import io

import grpc
import pytest
from PIL import Image

from e4t.v1 import (
    audit_service_pb2,
    common_pb2,
    concept_pb2,
    concept_service_pb2,
    consent_service_pb2,
    operation_pb2,
)
from e4t_server.api.errors import STATUS_DETAILS_KEY
from tests.service import flows
from tests.service.conftest import Client, Stack, make_tenant

pytestmark = [pytest.mark.ray, pytest.mark.postgres, pytest.mark.s3]


def reason_of(error: grpc.RpcError) -> str:
    assert isinstance(error, grpc.Call)
    details = dict(error.trailing_metadata() or ())[STATUS_DETAILS_KEY]
    info = common_pb2.ErrorInfo()
    assert common_pb2.Status.FromString(details).details[0].Unpack(info)
    return str(info.reason)


def test_whole_flow(
    stack: Stack, admin: Client, channel: grpc.Channel, domain_archives: tuple[bytes, bytes]
) -> None:
    tenant = make_tenant(admin, channel, "flow")
    domain = flows.create_domain(tenant.mlops, tenant.name)
    version = flows.register_version(tenant.mlops, domain, domain_archives[0])
    assert version == f"{domain}/versions/1"
    status = flows.promote(tenant.mlops, domain, version)
    assert status.production.version == version

    consent = flows.grant_consent(tenant.app, tenant.name, "user-1")
    operation = flows.create_concept(tenant.app, tenant.name, domain, consent)
    assert operation.kind == operation_pb2.Operation.CREATE_CONCEPT
    concept_name = operation.target
    early = tenant.app.call(
        tenant.app.concepts.GetConcept, concept_service_pb2.GetConceptRequest(name=concept_name)
    )
    assert early.state in (concept_pb2.Concept.CREATING, concept_pb2.Concept.ACTIVE)

    finished = flows.wait_done(tenant.app, operation.name)
    assert finished.state == operation_pb2.Operation.SUCCEEDED, finished.error
    assert finished.progress.steps_done == finished.progress.steps_total == 5
    assert finished.concept.state == concept_pb2.Concept.ACTIVE

    response = flows.generate(tenant.app, concept_name, count=2)
    assert response.domain_model_version == version
    assert [image.seed for image in response.images] == [7, 8]
    for image in response.images:
        assert Image.open(io.BytesIO(image.png)).format == "PNG"

    second = flows.wait_done(
        tenant.app, flows.create_concept(tenant.app, tenant.name, domain, consent, seed=1).name
    )
    assert second.state == operation_pb2.Operation.SUCCEEDED
    first_page = tenant.app.call(
        tenant.app.concepts.ListConcepts,
        concept_service_pb2.ListConceptsRequest(parent=f"tenants/{tenant.name}", page_size=1),
    )
    assert len(first_page.concepts) == 1 and first_page.next_page_token
    second_page = tenant.app.call(
        tenant.app.concepts.ListConcepts,
        concept_service_pb2.ListConceptsRequest(
            parent=f"tenants/{tenant.name}", page_size=1, page_token=first_page.next_page_token
        ),
    )
    assert len(second_page.concepts) == 1 and not second_page.next_page_token
    assert {first_page.concepts[0].name, second_page.concepts[0].name} == {
        concept_name,
        second.target,
    }

    concept_id = concept_name.rsplit("/", 1)[-1]
    tenant_id = stack.registry.tenants.get_by_name(tenant.name).id
    prefix = f"tenants/{tenant_id}/concepts/{concept_id}/"
    assert stack.blob_keys(prefix)
    tenant.app.call(
        tenant.app.consents.RevokeConsent,
        consent_service_pb2.RevokeConsentRequest(name=consent, reason="asked"),
    )
    with pytest.raises(grpc.RpcError) as raised:
        flows.generate(tenant.app, concept_name)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(raised.value) == "CONSENT_NOT_ACTIVE"
    assert stack.blob_keys(prefix) == set()

    verdict = tenant.admin.call(
        tenant.admin.audit.VerifyAuditChain,
        audit_service_pb2.VerifyAuditChainRequest(parent=f"tenants/{tenant.name}"),
    )
    assert verdict.ok and verdict.events_checked > 0
