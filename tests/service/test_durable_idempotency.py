"""Request-id deduplication survives a gateway restart: a second Gateway on the same registry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import grpc
import pytest

from e4t.v1 import api_key_pb2, api_key_service_pb2, consent_pb2, consent_service_pb2
from e4t_registry.idempotency import IdempotencyService
from e4t_registry.models import PLATFORM_SCOPE, utcnow
from e4t_server.api.gateway import Gateway, GatewayOptions
from tests.service.conftest import Client, Stack, TenantKeys, make_tenant
from tests.service.test_flow import reason_of

pytestmark = [pytest.mark.ray, pytest.mark.postgres, pytest.mark.s3]


@pytest.fixture(scope="module")
def tenant(admin: Client, channel: grpc.Channel) -> TenantKeys:
    return make_tenant(admin, channel, "restarted")


@pytest.fixture(scope="module")
def restarted(stack: Stack) -> Iterator[grpc.Channel]:
    """A fresh gateway (empty in-process store) over the same registry, as after a restart."""

    def on_loop(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, stack.loop).result(timeout=60)

    async def build() -> Gateway:
        return Gateway(stack.registry, stack.hosting, GatewayOptions(port=0))

    gateway = on_loop(build())
    port = on_loop(gateway.start())
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as opened:
            yield opened
    finally:
        on_loop(gateway.stop(grace=1))


def _through(channel: grpc.Channel, client: Client) -> Client:
    """The same key, talking to another gateway."""
    moved = Client(channel, None)
    moved.metadata = client.metadata
    return moved


def _key_request(tenant: TenantKeys, display_name: str, request_id: str) -> Any:
    return api_key_service_pb2.CreateApiKeyRequest(
        parent=f"tenants/{tenant.name}",
        api_key=api_key_pb2.ApiKey(display_name=display_name, scopes=[api_key_pb2.ApiKey.APP]),
        request_id=request_id,
    )


def _keys_named(client: Client, tenant: TenantKeys, display_name: str) -> list[Any]:
    listed = client.call(
        client.keys.ListApiKeys,
        api_key_service_pb2.ListApiKeysRequest(parent=f"tenants/{tenant.name}", page_size=1000),
    )
    return [key for key in listed.api_keys if key.display_name == display_name]


def test_create_api_key_retried_after_restart_answers_the_first_key(
    tenant: TenantKeys, restarted: grpc.Channel
) -> None:
    request = _key_request(tenant, "retried", "key-after-restart")
    first = tenant.admin.call(tenant.admin.keys.CreateApiKey, request)
    after = _through(restarted, tenant.admin)
    again = after.call(after.keys.CreateApiKey, request)
    assert (again.api_key.name, again.secret) == (first.api_key.name, first.secret)
    assert again == first
    assert len(_keys_named(after, tenant, "retried")) == 1
    with pytest.raises(grpc.RpcError) as raised:
        after.call(after.keys.CreateApiKey, _key_request(tenant, "other", "key-after-restart"))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(raised.value) == "REQUEST_ID_REUSED"
    assert _keys_named(after, tenant, "other") == []


def test_grant_consent_retried_after_restart(tenant: TenantKeys, restarted: grpc.Channel) -> None:
    def grant(client: Client, subject: str) -> Any:
        return client.call(
            client.consents.GrantConsent,
            consent_service_pb2.GrantConsentRequest(
                parent=f"tenants/{tenant.name}/subjects/{subject}",
                consent=consent_pb2.Consent(
                    purpose="face-personalization",
                    notice_version="v1",
                    method=consent_pb2.Consent.ELECTRONIC,
                ),
                request_id="consent-after-restart",
            ),
        )

    first = grant(tenant.app, "subject-restart")
    after = _through(restarted, tenant.app)
    assert grant(after, "subject-restart") == first
    with pytest.raises(grpc.RpcError) as raised:
        grant(after, "another-subject")
    assert reason_of(raised.value) == "REQUEST_ID_REUSED"


def test_a_failed_durable_write_still_answers(
    stack: Stack, tenant: TenantKeys, restarted: grpc.Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the registry is down")

    monkeypatch.setattr(stack.registry.idempotency, "remember", unavailable)
    request = _key_request(tenant, "unremembered", "key-not-durable")
    first = tenant.admin.call(tenant.admin.keys.CreateApiKey, request)
    assert first.secret
    # The first gateway still remembers it in process ...
    assert tenant.admin.call(tenant.admin.keys.CreateApiKey, request) == first
    monkeypatch.undo()
    # ... a restarted one cannot, so the retry runs again (the documented cost of a lost write).
    after = _through(restarted, tenant.admin)
    assert after.call(after.keys.CreateApiKey, request).secret != first.secret


def test_the_sweep_prunes_records_older_than_a_day(stack: Stack) -> None:
    method = "/e4t.v1.TenantService/CreateTenant"
    day_old = IdempotencyService(
        stack.registry.engine, clock=lambda: utcnow() - timedelta(hours=25)
    )
    day_old.remember(PLATFORM_SCOPE, method, "sweep-old", "0" * 64, b"")
    stack.registry.idempotency.remember(PLATFORM_SCOPE, method, "sweep-new", "0" * 64, b"")
    stack.gateway._pruned_at = None  # the hourly prune is due at the next sweep (every 1 s here)
    deadline = time.monotonic() + 30
    while stack.registry.idempotency.find(PLATFORM_SCOPE, method, "sweep-old") is not None:
        assert time.monotonic() < deadline, "the sweep did not prune the day-old record"
        time.sleep(0.2)
    assert stack.registry.idempotency.find(PLATFORM_SCOPE, method, "sweep-new") is not None
