"""Each error status from the real service maps to its exception, with reason and request id."""

from __future__ import annotations

import pytest

import e4t
from tests.sdk.conftest import TenantKeys
from tests.sdk.flow import PURPOSE
from tests.sdk.live_stack import LiveStack


def test_each_status_maps_to_its_exception(stack: LiveStack, tenant: TenantKeys) -> None:
    app = stack.client(tenant.app, tenant=tenant.tenant_id)
    mlops = stack.client(tenant.mlops, tenant=tenant.tenant_id)
    cases: list[tuple[type[e4t.APIError], str, object]] = [
        (e4t.NotFoundError, "RESOURCE_NOT_FOUND", lambda: app.domains.get("missing")),
        (e4t.PermissionDeniedError, "SCOPE_INSUFFICIENT", lambda: app.tenants.list().to_list()),
        (
            e4t.UnauthenticatedError,
            "API_KEY_INVALID",
            lambda: stack.client("e4t_0000000000000000_nope").tenants.list().to_list(),
        ),
        (
            e4t.InvalidArgumentError,
            "INVALID_FIELD",
            lambda: mlops.domains.list(page_size=-1).to_list(),
        ),
        (
            e4t.AlreadyExistsError,
            "RESOURCE_ALREADY_EXISTS",
            lambda: [mlops.domains.create(domain_id="dup", class_word="face") for _ in range(2)],
        ),
        (e4t.FailedPreconditionError, "NO_PREVIOUS_VERSION", lambda: mlops.domains.rollback("dup")),
    ]
    for error_class, reason, call in cases:
        with pytest.raises(error_class) as raised:
            call()  # type: ignore[operator]
        assert raised.value.reason == reason, error_class
        assert raised.value.request_id, error_class
    app.close()
    mlops.close()


def test_invalid_argument_lists_field_violations(stack: LiveStack, tenant: TenantKeys) -> None:
    with (
        stack.client(tenant.app, tenant=tenant.tenant_id) as app,
        pytest.raises(e4t.InvalidArgumentError) as raised,
    ):
        app.consents.grant(
            subject="user-1", purpose=PURPOSE, notice_version="", method="electronic"
        )
    assert "consent.notice_version" in {v.field for v in raised.value.field_violations}


def test_unreachable_server_is_a_connection_error() -> None:
    with (
        e4t.Client(api_key="x", target="127.0.0.1:1", max_retries=0, timeout=5) as client,
        pytest.raises(e4t.APIConnectionError) as raised,
    ):
        client.tenants.list().to_list()
    assert raised.value.code.name == "UNAVAILABLE"


def test_missing_tenant_is_reported_before_any_call(stack: LiveStack) -> None:
    with stack.client() as client, pytest.raises(e4t.MissingTenantError):
        client.domains.list()


def test_unknown_consent_method_is_refused_before_any_call() -> None:
    # The target is unreachable: reaching the network would raise APIConnectionError instead.
    with (
        e4t.Client(api_key="x", target="127.0.0.1:1", max_retries=0, timeout=5) as client,
        pytest.raises(ValueError, match="signed_document") as raised,
    ):
        client.consents.grant(
            subject="user-1", purpose=PURPOSE, notice_version="v1", method="demo", tenant="acme"
        )
    assert "'demo'" in str(raised.value)
