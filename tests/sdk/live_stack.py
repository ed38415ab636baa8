"""A real e4t service for SDK and CLI tests: registry (SQLite + blob directory, the embedded
shape), Ray Serve and the gRPC gateway, in this process on a background event loop.

It runs on the session's shared Ray Serve (the ``serve_runtime`` fixture, which the caller must
hold) and deletes the Serve applications it deployed when it stops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import e4t

if TYPE_CHECKING:
    from e4t_registry.registry import Registry

LOOP_CALL_TIMEOUT_S = 120


@dataclass
class LiveStack:
    """A running gateway, its platform-admin secret, a tiny domain model directory, and the
    registry behind the gateway (for checks the API does not offer, e.g. kept source images)."""

    address: str
    admin_secret: str
    domain_model_dir: Path
    registry: Registry

    def client(self, secret: str | None = None, **options: Any) -> e4t.Client:
        """A sync SDK client (default: the platform-admin key)."""
        return e4t.Client(
            api_key=secret or self.admin_secret, target=self.address, tls=False, **options
        )

    def async_client(self, secret: str | None = None, **options: Any) -> e4t.AsyncClient:
        """An async SDK client; create it inside the event loop that uses it."""
        return e4t.AsyncClient(
            api_key=secret or self.admin_secret, target=self.address, tls=False, **options
        )


def save_tiny_domain_model(directory: Path, seed: int = 0) -> Path:
    """The engine's tiny domain model, saved the way ML ops upload one."""
    from e4t_server.engine.domain_model import DomainModel
    from e4t_server.engine.tiny import build_tiny_components, tiny_domain_config

    config = tiny_domain_config(personalization_batch_size=1)
    model = DomainModel.from_components(build_tiny_components(seed=seed), config, seed=seed)
    target = directory / f"tiny-domain-{seed}"
    model.save_pretrained(target)
    return target


@contextmanager
def _background_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@contextmanager
def live_stack(workdir: Path) -> Iterator[LiveStack]:
    """Starts the whole service under `workdir`; stops it on exit."""
    from e4t_registry.blobs import open_blob_store
    from e4t_registry.db import create_registry_engine
    from e4t_registry.keys import bootstrap_admin_key
    from e4t_registry.migrate import upgrade_database
    from e4t_registry.registry import Registry
    from e4t_server.api.gateway import Gateway, GatewayOptions
    from e4t_server.serve.deployment import BlobAccess
    from e4t_server.serve.hosting import ModelHosting

    database_url = f"sqlite:///{workdir / 'registry.db'}"
    blob_url = str(workdir / "blobs")
    upgrade_database(database_url)
    registry = Registry(create_registry_engine(database_url), open_blob_store(blob_url, environ={}))
    secret = bootstrap_admin_key(registry.engine)
    assert secret is not None
    hosting = ModelHosting(BlobAccess(blob_url), str(workdir / "model-cache"))
    model_dir = save_tiny_domain_model(workdir)
    with _background_loop() as loop:

        def on_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
            future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, loop)
            return future.result(timeout=LOOP_CALL_TIMEOUT_S)

        async def build() -> Gateway:
            return Gateway(registry, hosting, GatewayOptions(port=0, stale_check_seconds=1.0))

        gateway = on_loop(build())
        port = on_loop(gateway.start())
        try:
            yield LiveStack(f"127.0.0.1:{port}", secret, model_dir, registry)
        finally:
            on_loop(gateway.stop(grace=1))
            on_loop(hosting.retire_all())
            registry.close()
