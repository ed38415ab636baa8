"""DomainService: domains, domain model version uploads, aliases and rollouts.

Alias moves are followed by `ModelHosting.retire`, so the Serve application of a version that
stops serving is deleted at runtime; the next request for a newly live version deploys its
application.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO, cast

import grpc

from e4t.v1 import domain_pb2, domain_service_pb2, domain_service_pb2_grpc
from e4t_registry.domains import CANARY, PRODUCTION
from e4t_registry.errors import NotFoundError
from e4t_registry.models import Domain, DomainModelVersion
from e4t_registry.registry import Registry
from e4t_server.api import convert, limits, names
from e4t_server.api.context import current_principal
from e4t_server.api.errors import ApiError, failed_precondition, invalid_field, not_found
from e4t_server.api.routing import AliasState, alias_state
from e4t_server.api.scoping import TenantScope
from e4t_server.serve.hosting import ModelHosting

Upload = domain_service_pb2.DomainModelVersionUpload
_SPOOL_BYTES = 64 * 2**20
MoveAliases = Callable[[uuid.UUID, Domain, AliasState], None]


class DomainServicer(domain_service_pb2_grpc.DomainServiceServicer):
    def __init__(self, registry: Registry, scope: TenantScope, hosting: ModelHosting) -> None:
        self.registry = registry
        self.scope = scope
        self.hosting = hosting

    def _domain(self, name: str, field: str = "name") -> tuple[uuid.UUID, str, Domain]:
        parts = names.parse("domain", name, field)
        tenant_id = self.scope.tenant_id(parts["tenant"], name)
        return tenant_id, parts["tenant"], self.scope.domain(tenant_id, parts["domain"], name)

    async def CreateDomain(
        self, request: domain_service_pb2.CreateDomainRequest, context: grpc.aio.ServicerContext
    ) -> domain_pb2.Domain:
        tenant = names.parse("tenant", request.parent, "parent")["tenant"]
        limits.required(request.domain_id, "domain_id")
        names.parse("domain", names.domain_name(tenant, request.domain_id), "domain_id")
        limits.required(request.domain.class_word, "domain.class_word")
        limits.max_length(request.domain.description, limits.DESCRIPTION_CHARS, "description")

        def create() -> domain_pb2.Domain:
            tenant_id = self.scope.tenant_id(tenant, request.parent)
            row = self.registry.domains.create(
                tenant_id,
                name=request.domain_id,
                class_word=request.domain.class_word,
                description=request.domain.description,
                actor=current_principal().actor,
            )
            return convert.domain(row, tenant)

        return await asyncio.to_thread(create)

    async def GetDomain(
        self, request: domain_service_pb2.GetDomainRequest, context: grpc.aio.ServicerContext
    ) -> domain_pb2.Domain:
        _, tenant, row = await asyncio.to_thread(self._domain, request.name)
        return convert.domain(row, tenant)

    async def ListDomains(
        self, request: domain_service_pb2.ListDomainsRequest, context: grpc.aio.ServicerContext
    ) -> domain_service_pb2.ListDomainsResponse:
        limits.check_page_size(request.page_size)
        tenant = names.parse("tenant", request.parent, "parent")["tenant"]

        def list_domains() -> domain_service_pb2.ListDomainsResponse:
            tenant_id = self.scope.tenant_id(tenant, request.parent)
            page = self.registry.domains.list(
                tenant_id, page_size=request.page_size, page_token=request.page_token or None
            )
            return domain_service_pb2.ListDomainsResponse(
                domains=[convert.domain(row, tenant) for row in page.items],
                next_page_token=page.next_page_token or "",
            )

        return await asyncio.to_thread(list_domains)

    async def RegisterDomainModelVersion(
        self,
        request_iterator: AsyncIterator[domain_service_pb2.RegisterDomainModelVersionRequest],
        context: grpc.aio.ServicerContext,
    ) -> domain_pb2.DomainModelVersion:
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("header"):
            raise invalid_field("header", "the first message must be the upload header")
        header = first.header
        tenant_id, _, domain = await asyncio.to_thread(self._domain, header.parent, "parent")
        limits.required(header.domain_model_version.base_model, "domain_model_version.base_model")
        if not 0 < header.archive_size_bytes <= limits.MAX_ARCHIVE_BYTES:
            raise invalid_field("archive_size_bytes", f"must be 1..{limits.MAX_ARCHIVE_BYTES}")
        if len(header.archive_sha256) != 64:
            raise invalid_field("archive_sha256", "must be 64 hex characters")
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            digest, size = hashlib.sha256(), 0
            async for message in request_iterator:
                if not message.HasField("chunk"):
                    raise invalid_field("header", "only the first message may be a header")
                if len(message.chunk) > limits.UPLOAD_CHUNK_BYTES:
                    raise invalid_field("chunk", f"chunks are at most {limits.UPLOAD_CHUNK_BYTES}")
                size += len(message.chunk)
                if size > header.archive_size_bytes:
                    break
                digest.update(message.chunk)
                spool.write(message.chunk)
            if size != header.archive_size_bytes or digest.hexdigest() != header.archive_sha256:
                raise invalid_field(
                    "archive_sha256",
                    "the uploaded archive does not match its declared size and sha256",
                    "CHECKSUM_MISMATCH",
                )
            spool.seek(0)
            version = header.domain_model_version
            config = convert.struct_to_dict(version.config)
            config["archive_format"] = Upload.ArchiveFormat.Name(header.archive_format)
            if version.description:
                config["description"] = version.description
            row = await asyncio.to_thread(
                self.registry.domains.register_version,
                tenant_id,
                domain.id,
                artifact=cast(BinaryIO, spool),
                base_model_ref=version.base_model,
                config=config,
                metrics=dict(version.metrics),
                actor=current_principal().actor,
            )
        return convert.domain_version(row, header.parent)

    def _version(self, name: str) -> tuple[str, DomainModelVersion]:
        parts = names.parse("domain_version", name, "name")
        domain_resource = names.domain_name(parts["tenant"], parts["domain"])
        tenant_id, _, domain = self._domain(domain_resource)
        try:
            row = self.registry.domains.get_version(tenant_id, domain.id, int(parts["version"]))
        except NotFoundError:
            raise not_found(name) from None
        return domain_resource, row

    async def GetDomainModelVersion(
        self,
        request: domain_service_pb2.GetDomainModelVersionRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_pb2.DomainModelVersion:
        domain_resource, row = await asyncio.to_thread(self._version, request.name)
        return convert.domain_version(row, domain_resource)

    async def ListDomainModelVersions(
        self,
        request: domain_service_pb2.ListDomainModelVersionsRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_service_pb2.ListDomainModelVersionsResponse:
        limits.check_page_size(request.page_size)

        def list_versions() -> domain_service_pb2.ListDomainModelVersionsResponse:
            tenant_id, _, domain = self._domain(request.parent, "parent")
            page = self.registry.domains.list_versions(
                tenant_id,
                domain.id,
                page_size=request.page_size,
                page_token=request.page_token or None,
            )
            return domain_service_pb2.ListDomainModelVersionsResponse(
                domain_model_versions=[
                    convert.domain_version(row, request.parent) for row in page.items
                ],
                next_page_token=page.next_page_token or "",
            )

        return await asyncio.to_thread(list_versions)

    def _status(self, domain_resource: str) -> tuple[uuid.UUID, Domain, AliasState]:
        tenant_id, _, domain = self._domain(domain_resource, "domain")
        return tenant_id, domain, alias_state(self.registry, tenant_id, domain.id)

    async def GetDomainAlias(
        self, request: domain_service_pb2.GetDomainAliasRequest, context: grpc.aio.ServicerContext
    ) -> domain_pb2.DomainAlias:
        parts = names.parse("domain_alias", request.name, "name")
        domain_resource = names.domain_name(parts["tenant"], parts["domain"])
        _, _, state = await asyncio.to_thread(self._status, domain_resource)
        alias = _alias_message(domain_resource, state, parts["alias"])
        if alias is None:
            raise not_found(request.name)
        return alias

    async def ListDomainAliases(
        self,
        request: domain_service_pb2.ListDomainAliasesRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_service_pb2.ListDomainAliasesResponse:
        limits.check_page_size(request.page_size)
        _, _, state = await asyncio.to_thread(self._status, request.parent)
        aliases = [_alias_message(request.parent, state, name) for name in (PRODUCTION, CANARY)]
        return domain_service_pb2.ListDomainAliasesResponse(
            domain_aliases=[alias for alias in aliases if alias is not None]
        )

    async def GetRolloutStatus(
        self,
        request: domain_service_pb2.GetRolloutStatusRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_service_pb2.RolloutStatus:
        _, _, state = await asyncio.to_thread(self._status, request.domain)
        return _rollout_status(request.domain, state)

    async def RolloutDomainModelVersion(
        self,
        request: domain_service_pb2.RolloutDomainModelVersionRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_service_pb2.RolloutStatus:
        version = _version_number(request.domain, request.version)
        limits.in_range(request.traffic_percent, limits.CANARY_PERCENT, "traffic_percent")

        def move(tenant_id: uuid.UUID, domain: Domain, state: AliasState) -> None:
            if state.production is None:
                raise failed_precondition(
                    "NO_PRODUCTION_VERSION", "promote a first version before a canary"
                )
            self.registry.domains.set_alias(
                tenant_id,
                domain.id,
                alias=CANARY,
                version=version,
                traffic_share=request.traffic_percent / 100,
                actor=current_principal().actor,
            )

        return await self._move_aliases(request.domain, request.etag, move)

    async def PromoteDomainModelVersion(
        self,
        request: domain_service_pb2.PromoteDomainModelVersionRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_service_pb2.RolloutStatus:
        version = _version_number(request.domain, request.version) if request.version else None

        def move(tenant_id: uuid.UUID, domain: Domain, state: AliasState) -> None:
            actor = current_principal().actor
            if version is None:
                if state.canary is None:
                    raise failed_precondition("NO_CANARY", "there is no canary to promote")
                self.registry.domains.promote_canary(tenant_id, domain.id, actor=actor)
                return
            self.registry.domains.set_alias(
                tenant_id, domain.id, alias=PRODUCTION, version=version, actor=actor
            )
            if state.canary is not None and state.canary[1] == version:
                self.registry.domains.remove_alias(tenant_id, domain.id, alias=CANARY, actor=actor)

        return await self._move_aliases(request.domain, request.etag, move)

    async def RollbackDomainModelVersion(
        self,
        request: domain_service_pb2.RollbackDomainModelVersionRequest,
        context: grpc.aio.ServicerContext,
    ) -> domain_service_pb2.RolloutStatus:
        def move(tenant_id: uuid.UUID, domain: Domain, state: AliasState) -> None:
            actor = current_principal().actor
            if state.canary is not None:
                self.registry.domains.remove_alias(tenant_id, domain.id, alias=CANARY, actor=actor)
                return
            if state.production is None or not any(
                event.alias == PRODUCTION
                and event.to_version is not None
                and event.to_version < state.production[1]
                for event in state.history
            ):
                raise failed_precondition("NO_PREVIOUS_VERSION", "nothing to roll back to")
            self.registry.domains.rollback_production(tenant_id, domain.id, actor=actor)

        return await self._move_aliases(request.domain, request.etag, move)

    async def _move_aliases(
        self, domain_resource: str, etag: str, move: MoveAliases
    ) -> domain_service_pb2.RolloutStatus:
        def run() -> AliasState:
            tenant_id, domain, state = self._status(domain_resource)
            if etag and etag != state.etag:
                raise ApiError(
                    grpc.StatusCode.ABORTED,
                    "ETAG_MISMATCH",
                    "the rollout changed since this etag was read",
                )
            try:
                move(tenant_id, domain, state)
            except NotFoundError:
                raise not_found(domain_resource + "/versions") from None
            return alias_state(self.registry, tenant_id, domain.id)

        state = await asyncio.to_thread(run)
        parts = names.parse("domain", domain_resource, "domain")
        await self.hosting.retire(parts["tenant"], parts["domain"], state.live_numbers)
        return _rollout_status(domain_resource, state)


def _version_number(domain_resource: str, version: str) -> int:
    parts = names.parse("domain_version", version, "version")
    if names.domain_name(parts["tenant"], parts["domain"]) != domain_resource:
        raise invalid_field("version", "must be a version of the request's domain")
    return int(parts["version"])


def _alias_message(
    domain_resource: str, state: AliasState, alias: str
) -> domain_pb2.DomainAlias | None:
    entry = state.production if alias == PRODUCTION else state.canary
    if entry is None:
        return None
    row, number = entry
    previous = state.previous_version(alias)
    return domain_pb2.DomainAlias(
        name=f"{domain_resource}/aliases/{alias}",
        version=f"{domain_resource}/versions/{number}",
        traffic_percent=round(row.traffic_share * 100)
        if alias == CANARY
        else 100 - round(state.live.canary_share * 100),
        previous_version="" if previous is None else f"{domain_resource}/versions/{previous}",
        update_time=convert.timestamp(row.updated_at),
    )


def _rollout_status(domain_resource: str, state: AliasState) -> domain_service_pb2.RolloutStatus:
    status = domain_service_pb2.RolloutStatus(domain=domain_resource, etag=state.etag)
    production = _alias_message(domain_resource, state, PRODUCTION)
    canary = _alias_message(domain_resource, state, CANARY)
    if production is not None:
        status.production.CopyFrom(production)
    if canary is not None:
        status.canary.CopyFrom(canary)
    return status
