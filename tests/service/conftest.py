"""Service test fixtures: one Ray + Serve and one gateway for the whole folder.

The gateway runs in a background thread with its own event loop, over a freshly migrated
PostgreSQL database and the SeaweedFS S3 bucket of the shared harness; tests talk to it through
the raw generated stubs on loopback.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from PIL import Image

from e4t.v1 import (
    api_key_pb2,
    api_key_service_pb2,
    api_key_service_pb2_grpc,
    audit_service_pb2_grpc,
    concept_service_pb2_grpc,
    consent_service_pb2_grpc,
    domain_service_pb2_grpc,
    image_service_pb2_grpc,
    operation_service_pb2_grpc,
    tenant_pb2,
    tenant_service_pb2,
    tenant_service_pb2_grpc,
)
from e4t_registry.blobs import BlobStore, open_blob_store
from e4t_registry.db import create_registry_engine
from e4t_registry.keys import bootstrap_admin_key
from e4t_registry.migrate import upgrade_database
from e4t_registry.registry import Registry
from e4t_server.api.gateway import Gateway, GatewayOptions
from e4t_server.serve.deployment import BlobAccess
from e4t_server.serve.hosting import ModelHosting
from tests.harness.postgres import create_database
from tests.harness.seaweedfs import SeaweedFSServer

MAX_MESSAGE = 32 * 2**20


@dataclass
class Stack:
    """A running gateway and direct access to what is behind it."""

    address: str
    registry: Registry
    blobs: BlobStore
    hosting: ModelHosting
    admin_secret: str
    gateway: Gateway
    loop: asyncio.AbstractEventLoop

    def blob_keys(self, prefix: str = "") -> set[str]:
        return {info.key for info in self.blobs.list(prefix)}


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


@pytest.fixture(scope="session")
def stack(
    serve_runtime: None, postgres_url: str, s3_server: SeaweedFSServer, tmp_path_factory: Any
) -> Iterator[Stack]:
    url = create_database(postgres_url, f"service_{uuid.uuid4().hex}")
    upgrade_database(url)
    blob_url = s3_server.url()
    blobs = open_blob_store(blob_url, environ={})
    registry = Registry(create_registry_engine(url), blobs)
    secret = bootstrap_admin_key(registry.engine)
    assert secret is not None
    cache = tmp_path_factory.mktemp("model-cache")
    hosting = ModelHosting(BlobAccess(blob_url), str(cache))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=_run_loop, args=(loop,), daemon=True)
    thread.start()

    def on_loop(coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, loop)
        return future.result(timeout=120)

    async def build() -> Gateway:
        return Gateway(registry, hosting, GatewayOptions(port=0, stale_check_seconds=1.0))

    gateway = on_loop(build())
    port = on_loop(gateway.start())
    try:
        yield Stack(f"127.0.0.1:{port}", registry, blobs, hosting, secret, gateway, loop)
    finally:
        on_loop(gateway.stop(grace=1))
        on_loop(hosting.retire_all())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        registry.close()


class Client:
    """The raw generated stubs, authenticated with one key."""

    def __init__(self, channel: grpc.Channel, secret: str | None) -> None:
        self.metadata = () if secret is None else (("authorization", f"Bearer {secret}"),)
        self.tenants = tenant_service_pb2_grpc.TenantServiceStub(channel)
        self.keys = api_key_service_pb2_grpc.ApiKeyServiceStub(channel)
        self.domains = domain_service_pb2_grpc.DomainServiceStub(channel)
        self.consents = consent_service_pb2_grpc.ConsentServiceStub(channel)
        self.concepts = concept_service_pb2_grpc.ConceptServiceStub(channel)
        self.images = image_service_pb2_grpc.ImageServiceStub(channel)
        self.operations = operation_service_pb2_grpc.OperationServiceStub(channel)
        self.audit = audit_service_pb2_grpc.AuditServiceStub(channel)

    def call(self, method: Any, request: Any, timeout: float = 60) -> Any:
        return method(request, metadata=self.metadata, timeout=timeout)


@pytest.fixture(scope="session")
def channel(stack: Stack) -> Iterator[grpc.Channel]:
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE),
        ("grpc.max_receive_message_length", MAX_MESSAGE),
    ]
    with grpc.insecure_channel(stack.address, options=options) as opened:
        yield opened


@pytest.fixture(scope="session")
def admin(stack: Stack, channel: grpc.Channel) -> Client:
    return Client(channel, stack.admin_secret)


@dataclass
class TenantKeys:
    name: str
    admin: Client
    app: Client
    mlops: Client


def make_tenant(admin: Client, channel: grpc.Channel, tenant_id: str) -> TenantKeys:
    admin.call(
        admin.tenants.CreateTenant,
        tenant_service_pb2.CreateTenantRequest(
            tenant_id=tenant_id, tenant=tenant_pb2.Tenant(display_name=tenant_id)
        ),
    )
    parent = f"tenants/{tenant_id}"

    def key(client: Client, scope: api_key_pb2.ApiKey.Scope) -> Client:
        created = client.call(
            client.keys.CreateApiKey,
            api_key_service_pb2.CreateApiKeyRequest(
                parent=parent, api_key=api_key_pb2.ApiKey(display_name="k", scopes=[scope])
            ),
        )
        return Client(channel, created.secret)

    tenant_admin = key(admin, api_key_pb2.ApiKey.TENANT_ADMIN)
    return TenantKeys(
        name=tenant_id,
        admin=tenant_admin,
        app=key(tenant_admin, api_key_pb2.ApiKey.APP),
        mlops=key(tenant_admin, api_key_pb2.ApiKey.MLOPS),
    )


def tiny_domain_archive(seed: int) -> bytes:
    """A tiny domain model (engine's tiny factory) saved and packed as tar.gz."""
    from e4t_server.engine.domain_model import DomainModel
    from e4t_server.engine.tiny import build_tiny_components, tiny_domain_config

    config = tiny_domain_config(personalization_batch_size=1)
    model = DomainModel.from_components(build_tiny_components(seed=seed), config, seed=seed)
    with tempfile.TemporaryDirectory() as directory:
        model.save_pretrained(Path(directory) / "model")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(Path(directory) / "model", arcname="model")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def domain_archives() -> tuple[bytes, bytes]:
    return tiny_domain_archive(0), tiny_domain_archive(1)


def face_png(color: tuple[int, int, int] = (200, 150, 120), size: int = 48) -> bytes:
    image = Image.new("RGB", (size, size), color)
    for x in range(size // 4, 3 * size // 4):
        image.putpixel((x, size // 2), (20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
