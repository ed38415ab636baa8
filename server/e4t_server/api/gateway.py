"""The gRPC gateway: a `grpc.aio` server with every `e4t.v1` servicer, health and reflection.

Why a standard gRPC server in front of Ray Serve: interceptors (auth, request ids, rich errors),
client-streaming uploads, the standard health and reflection services all work exactly as every
gRPC tool expects, while Ray Serve does what it is for — hosting and scaling the models.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from e4t.v1 import (
    api_key_service_pb2,
    api_key_service_pb2_grpc,
    audit_service_pb2,
    audit_service_pb2_grpc,
    concept_service_pb2,
    concept_service_pb2_grpc,
    consent_service_pb2,
    consent_service_pb2_grpc,
    domain_service_pb2,
    domain_service_pb2_grpc,
    image_service_pb2,
    image_service_pb2_grpc,
    operation_service_pb2,
    operation_service_pb2_grpc,
    tenant_service_pb2,
    tenant_service_pb2_grpc,
)
from e4t_registry.registry import Registry
from e4t_server.api.audit import AuditServicer
from e4t_server.api.concept_jobs import ConceptJobs
from e4t_server.api.concepts import ConceptServicer
from e4t_server.api.consents import ConsentServicer
from e4t_server.api.domains import DomainServicer
from e4t_server.api.idempotency import RETENTION_SECONDS, IdempotencyStore
from e4t_server.api.images import ImageServicer
from e4t_server.api.interceptor import GatewayInterceptor
from e4t_server.api.limits import MAX_MESSAGE_BYTES
from e4t_server.api.metrics import OPERATIONS_FAILED_STALE
from e4t_server.api.operations import OperationServicer, OperationViews
from e4t_server.api.scopes import METHOD_SCOPES
from e4t_server.api.scoping import TenantScope
from e4t_server.api.tenants import ApiKeyServicer, TenantServicer
from e4t_server.serve.hosting import ModelHosting

logger = logging.getLogger("e4t.gateway")
PRUNE_EVERY_SECONDS = 3600.0  # how often the sweep deletes expired idempotency records

SERVICES = (
    tenant_service_pb2,
    api_key_service_pb2,
    domain_service_pb2,
    consent_service_pb2,
    concept_service_pb2,
    image_service_pb2,
    operation_service_pb2,
    audit_service_pb2,
)


@dataclass(frozen=True)
class GatewayOptions:
    """Where to listen and how often to look for silent operations."""

    host: str = "127.0.0.1"
    port: int = 50051
    tls_cert: Path | None = None
    tls_key: Path | None = None
    stale_check_seconds: float = 30.0
    max_operation_silence: timedelta = timedelta(minutes=5)


def service_names() -> list[str]:
    return [
        service.full_name
        for module in SERVICES
        for service in module.DESCRIPTOR.services_by_name.values()
    ]


def check_scope_table() -> None:
    """Every method of every service needs a scope rule (a new RPC cannot ship without one)."""
    missing = [
        f"/{service.full_name}/{method.name}"
        for module in SERVICES
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
        if f"/{service.full_name}/{method.name}" not in METHOD_SCOPES
    ]
    if missing:
        raise RuntimeError(f"methods without a scope rule: {missing}")


class Gateway:
    """Owns the gRPC server, the personalization jobs and the stale-operation sweep."""

    def __init__(self, registry: Registry, hosting: ModelHosting, options: GatewayOptions) -> None:
        check_scope_table()
        self.registry = registry
        self.hosting = hosting
        self.options = options
        self.jobs = ConceptJobs(registry, hosting)
        self.health = health_aio.HealthServicer()
        self.server = grpc.aio.server(
            interceptors=[
                GatewayInterceptor(registry.keys, IdempotencyStore(registry.idempotency))
            ],
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self._sweeper: asyncio.Task[None] | None = None
        self._pruned_at: float | None = None
        self.port = 0
        self._add_servicers()

    def _add_servicers(self) -> None:
        scope = TenantScope(self.registry)
        views = OperationViews(self.registry, self.jobs.cancel_requested)
        server, registry = self.server, self.registry
        tenant_service_pb2_grpc.add_TenantServiceServicer_to_server(
            TenantServicer(registry, scope, self.jobs, self.hosting), server
        )
        api_key_service_pb2_grpc.add_ApiKeyServiceServicer_to_server(
            ApiKeyServicer(registry, scope), server
        )
        domain_service_pb2_grpc.add_DomainServiceServicer_to_server(
            DomainServicer(registry, scope, self.hosting), server
        )
        consent_service_pb2_grpc.add_ConsentServiceServicer_to_server(
            ConsentServicer(registry, scope), server
        )
        concept_service_pb2_grpc.add_ConceptServiceServicer_to_server(
            ConceptServicer(registry, scope, self.jobs, views), server
        )
        image_service_pb2_grpc.add_ImageServiceServicer_to_server(
            ImageServicer(registry, scope, self.hosting), server
        )
        operation_service_pb2_grpc.add_OperationServiceServicer_to_server(
            OperationServicer(registry, scope, views, self.jobs), server
        )
        audit_service_pb2_grpc.add_AuditServiceServicer_to_server(
            AuditServicer(registry, scope), server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [
                *service_names(),
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            server,
        )

    async def start(self) -> int:
        """Fail stale operations, start listening, mark every service SERVING; returns the port."""
        await self._fail_stale()
        address = f"{self.options.host}:{self.options.port}"
        if self.options.tls_cert and self.options.tls_key:
            credentials = grpc.ssl_server_credentials(
                [(self.options.tls_key.read_bytes(), self.options.tls_cert.read_bytes())]
            )
            self.port = self.server.add_secure_port(address, credentials)
        else:
            self.port = self.server.add_insecure_port(address)
        await self.server.start()
        for name in ["", *service_names()]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())
        logger.info("gateway listening", extra={"address": f"{self.options.host}:{self.port}"})
        return self.port

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking calls, let running ones finish for `grace` seconds, end open jobs."""
        await self.health.enter_graceful_shutdown()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.server.stop(grace)
        await self.jobs.drain()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.stale_check_seconds)
            try:
                await self._fail_stale()
            except Exception:
                logger.exception("stale-operation sweep failed")
            try:
                await self._prune_idempotency()
            except Exception:
                logger.exception("idempotency record prune failed")

    async def _prune_idempotency(self) -> None:
        """Delete idempotency records past their 24 hours, at most once an hour."""
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        cutoff = self.registry.clock() - timedelta(seconds=RETENTION_SECONDS)
        pruned = await asyncio.to_thread(self.registry.idempotency.prune, cutoff)
        if pruned:
            logger.info("pruned idempotency records", extra={"count": pruned})

    async def _fail_stale(self) -> None:
        stale = await asyncio.to_thread(
            self.registry.operations.fail_stale, max_silence=self.options.max_operation_silence
        )
        if stale:
            OPERATIONS_FAILED_STALE.inc(len(stale))
            logger.warning("failed silent operations", extra={"count": len(stale)})
            discarded = await asyncio.to_thread(self.jobs.discard_half_made, stale)
            if discarded:
                logger.warning("deleted half-made concepts", extra={"count": discarded})
