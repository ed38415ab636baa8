"""Retries against the real server, behind a proxy whose interceptor loses the first response."""

from __future__ import annotations

import e4t
from tests.sdk.conftest import TenantKeys
from tests.sdk.fault_proxy import LoseFirstResponse, fault_proxy
from tests.sdk.live_stack import LiveStack

CREATE_DOMAIN = "/e4t.v1.DomainService/CreateDomain"
CREATE_KEY = "/e4t.v1.ApiKeyService/CreateApiKey"


def test_lost_response_is_retried_and_creates_exactly_one_resource(
    stack: LiveStack, tenant: TenantKeys
) -> None:
    faults = LoseFirstResponse({CREATE_DOMAIN})
    with (
        fault_proxy(stack.address, faults) as proxy,
        e4t.Client(api_key=tenant.mlops, target=proxy, tenant=tenant.tenant_id) as client,
    ):
        domain = client.domains.create(domain_id="faces", class_word="face")

        domains = client.domains.list().to_list()

    assert faults.calls[CREATE_DOMAIN] == 2  # the lost attempt and the retry
    assert domain.name == f"tenants/{tenant.tenant_id}/domains/faces"
    assert [d.name for d in domains] == [domain.name]


def test_retried_key_creation_returns_the_same_secret_once(
    stack: LiveStack, tenant: TenantKeys
) -> None:
    faults = LoseFirstResponse({CREATE_KEY})
    with (
        fault_proxy(stack.address, faults) as proxy,
        e4t.Client(api_key=tenant.tenant_admin, target=proxy, tenant=tenant.tenant_id) as client,
    ):
        before = {k.name for k in client.keys.list()}
        created = client.keys.create(scopes=["app"], display_name="retried")
        after = {k.name for k in client.keys.list()}

    assert faults.calls[CREATE_KEY] == 2
    assert after - before == {created.api_key.name}
    with stack.client(created.secret, tenant=tenant.tenant_id) as app:
        assert app.domains.list().to_list() == []  # the one secret handed out works


def test_without_retries_the_lost_response_surfaces_as_connection_error(
    stack: LiveStack, tenant: TenantKeys
) -> None:
    faults = LoseFirstResponse({CREATE_DOMAIN})
    with (
        fault_proxy(stack.address, faults) as proxy,
        e4t.Client(
            api_key=tenant.mlops, target=proxy, tenant=tenant.tenant_id, max_retries=0
        ) as client,
    ):
        try:
            client.domains.create(domain_id="faces", class_word="face")
        except e4t.APIConnectionError as error:
            assert error.code.name == "UNAVAILABLE"
            assert error.request_id  # the SDK's idempotency key when the server sent none
        else:
            raise AssertionError("the injected fault was not raised")
        assert faults.calls[CREATE_DOMAIN] == 1
