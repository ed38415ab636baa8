"""SDK test fixtures: one live service for the folder, and a fresh tenant per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import e4t
from tests.sdk.live_stack import LiveStack, live_stack


@pytest.fixture(scope="package")
def stack(serve_runtime: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with live_stack(tmp_path_factory.mktemp("sdk-stack")) as running:
        yield running


@pytest.fixture(scope="package")
def admin(stack: LiveStack) -> Iterator[e4t.Client]:
    with stack.client() as client:
        yield client


@dataclass
class TenantKeys:
    """A tenant and a secret for each of its scopes."""

    tenant_id: str
    tenant_admin: str
    app: str
    mlops: str


def new_tenant(admin: e4t.Client) -> TenantKeys:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    admin.tenants.create(tenant_id=tenant_id, display_name="Test tenant")

    def secret(*scopes: Any) -> str:
        return admin.keys.create(scopes=scopes, tenant=tenant_id).secret

    return TenantKeys(tenant_id, secret("tenant-admin"), secret("app"), secret("mlops"))


@pytest.fixture
def tenant(admin: e4t.Client) -> TenantKeys:
    return new_tenant(admin)
