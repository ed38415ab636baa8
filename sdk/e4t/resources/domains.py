"""`client.domains`: domains, their model versions (upload and registration) and rollouts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from functools import cached_property

from google.protobuf.message import Message

from e4t._archive import Archive, open_archive
from e4t._calls import Page, PageCall, StreamUnary, Unary, new_request_id, rpc
from e4t._names import Names
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import Domain, DomainAlias, DomainModelVersion, RolloutStatus
from e4t.v1 import domain_pb2, domain_service_pb2

_SERVICE = "DomainService"
_Upload = domain_service_pb2.DomainModelVersionUpload


def _domain_name(names: Names, domain: str, tenant: str | None = None) -> str:
    return names.under_tenant(domain, "domains", tenant)


def _create(
    names: Names,
    domain_id: str,
    class_word: str,
    display_name: str,
    description: str,
    tenant: str | None,
    request_id: str | None,
) -> Unary[Domain]:
    key = request_id or new_request_id()
    request = domain_service_pb2.CreateDomainRequest(
        parent=names.tenant(tenant),
        domain=domain_pb2.Domain(
            display_name=display_name, class_word=class_word, description=description
        ),
        domain_id=domain_id,
        request_id=key,
    )
    return Unary(rpc(domain_service_pb2, _SERVICE, "CreateDomain"), request, Domain.from_proto, key)


def _get(names: Names, domain: str) -> Unary[Domain]:
    request = domain_service_pb2.GetDomainRequest(name=_domain_name(names, domain))
    return Unary(rpc(domain_service_pb2, _SERVICE, "GetDomain"), request, Domain.from_proto)


def _list_pages(names: Names, tenant: str | None, page_size: int) -> PageCall[Domain]:
    parent = names.tenant(tenant)

    def page(token: str) -> Unary[Page[Domain]]:
        request = domain_service_pb2.ListDomainsRequest(
            parent=parent, page_size=page_size, page_token=token
        )
        return Unary(
            rpc(domain_service_pb2, _SERVICE, "ListDomains"),
            request,
            lambda r: Page([Domain.from_proto(d) for d in r.domains], r.next_page_token),
        )

    return page


def _version_name(names: Names, domain: str, version: str | int) -> str:
    return Names.under(_domain_name(names, domain), "versions", version)


def _register(
    names: Names,
    domain: str,
    archive: Archive,
    base_model: str,
    description: str,
    metrics: Mapping[str, float],
    request_id: str | None,
) -> StreamUnary[DomainModelVersion]:
    key = request_id or new_request_id()
    header = _Upload(
        parent=_domain_name(names, domain),
        domain_model_version=domain_pb2.DomainModelVersion(
            base_model=base_model, description=description, metrics=dict(metrics)
        ),
        archive_format=_Upload.ArchiveFormat.Value(archive.format.value),
        archive_sha256=archive.sha256,
        archive_size_bytes=archive.size_bytes,
        request_id=key,
    )

    def messages() -> Iterator[Message]:
        yield domain_service_pb2.RegisterDomainModelVersionRequest(header=header)
        for chunk in archive.chunks():
            yield domain_service_pb2.RegisterDomainModelVersionRequest(chunk=chunk)

    return StreamUnary(
        rpc(domain_service_pb2, _SERVICE, "RegisterDomainModelVersion"),
        messages,
        DomainModelVersion.from_proto,
        key,
    )


def _get_version(names: Names, domain: str, version: str | int) -> Unary[DomainModelVersion]:
    request = domain_service_pb2.GetDomainModelVersionRequest(
        name=_version_name(names, domain, version)
    )
    return Unary(
        rpc(domain_service_pb2, _SERVICE, "GetDomainModelVersion"),
        request,
        DomainModelVersion.from_proto,
    )


def _list_version_pages(names: Names, domain: str, page_size: int) -> PageCall[DomainModelVersion]:
    parent = _domain_name(names, domain)

    def page(token: str) -> Unary[Page[DomainModelVersion]]:
        request = domain_service_pb2.ListDomainModelVersionsRequest(
            parent=parent, page_size=page_size, page_token=token
        )
        return Unary(
            rpc(domain_service_pb2, _SERVICE, "ListDomainModelVersions"),
            request,
            lambda r: Page(
                [DomainModelVersion.from_proto(v) for v in r.domain_model_versions],
                r.next_page_token,
            ),
        )

    return page


def _list_aliases(names: Names, domain: str) -> Unary[tuple[DomainAlias, ...]]:
    request = domain_service_pb2.ListDomainAliasesRequest(parent=_domain_name(names, domain))
    return Unary(
        rpc(domain_service_pb2, _SERVICE, "ListDomainAliases"),
        request,
        lambda r: tuple(DomainAlias.from_proto(a) for a in r.domain_aliases),
    )


def _status(names: Names, domain: str) -> Unary[RolloutStatus]:
    request = domain_service_pb2.GetRolloutStatusRequest(domain=_domain_name(names, domain))
    return Unary(
        rpc(domain_service_pb2, _SERVICE, "GetRolloutStatus"), request, RolloutStatus.from_proto
    )


def _rollout(
    names: Names,
    domain: str,
    version: str | int,
    traffic_percent: int,
    etag: str,
    request_id: str | None,
) -> Unary[RolloutStatus]:
    key = request_id or new_request_id()
    request = domain_service_pb2.RolloutDomainModelVersionRequest(
        domain=_domain_name(names, domain),
        version=_version_name(names, domain, version),
        traffic_percent=traffic_percent,
        etag=etag,
        request_id=key,
    )
    return Unary(
        rpc(domain_service_pb2, _SERVICE, "RolloutDomainModelVersion"),
        request,
        RolloutStatus.from_proto,
        key,
    )


def _promote(
    names: Names, domain: str, version: str | int | None, etag: str, request_id: str | None
) -> Unary[RolloutStatus]:
    key = request_id or new_request_id()
    request = domain_service_pb2.PromoteDomainModelVersionRequest(
        domain=_domain_name(names, domain),
        version="" if version is None else _version_name(names, domain, version),
        etag=etag,
        request_id=key,
    )
    return Unary(
        rpc(domain_service_pb2, _SERVICE, "PromoteDomainModelVersion"),
        request,
        RolloutStatus.from_proto,
        key,
    )


def _rollback(names: Names, domain: str, etag: str, request_id: str | None) -> Unary[RolloutStatus]:
    key = request_id or new_request_id()
    request = domain_service_pb2.RollbackDomainModelVersionRequest(
        domain=_domain_name(names, domain), etag=etag, request_id=key
    )
    return Unary(
        rpc(domain_service_pb2, _SERVICE, "RollbackDomainModelVersion"),
        request,
        RolloutStatus.from_proto,
        key,
    )


class DomainVersions(SyncResource):
    """`client.domains.versions`: the registered model versions of a domain."""

    def register(
        self,
        domain: str,
        *,
        path: str | os.PathLike[str],
        base_model: str,
        description: str = "",
        metrics: Mapping[str, float] | None = None,
        request_id: str | None = None,
    ) -> DomainModelVersion:
        """Uploads a domain model and registers it as the domain's next version.

        The new version serves nothing until it is rolled out or promoted.

        Args:
            domain: The domain ID or name.
            path: The directory the engine's `save_pretrained` wrote (packed to .tar.gz here),
                or an existing .tar, .tar.gz, .tgz or .zip archive of it.
            base_model: The diffusers base model the offsets apply to (hub ID or path).
            description: Free text.
            metrics: Evaluation metrics of the tuning run.
            request_id: Idempotency key; a retried upload returns the version registered first.
        """
        with open_archive(path) as archive:
            call = _register(
                self._names, domain, archive, base_model, description, metrics or {}, request_id
            )
            return self._transport.stream_unary(call)

    def get(self, domain: str, version: str | int) -> DomainModelVersion:
        """Gets a version by number (`3`) or full name."""
        return self._transport.unary(_get_version(self._names, domain, version))

    def list(self, domain: str, *, page_size: int = 0) -> SyncPager[DomainModelVersion]:
        """Lists a domain's versions, newest first."""
        return SyncPager(self._transport, _list_version_pages(self._names, domain, page_size))


class AsyncDomainVersions(AsyncResource):
    """The async form of `DomainVersions`."""

    async def register(
        self,
        domain: str,
        *,
        path: str | os.PathLike[str],
        base_model: str,
        description: str = "",
        metrics: Mapping[str, float] | None = None,
        request_id: str | None = None,
    ) -> DomainModelVersion:
        """Uploads and registers a domain model version. See `DomainVersions.register`."""
        with ExitStack() as stack:
            # Packing a model directory is slow disk work: keep it off the event loop.
            archive = await asyncio.to_thread(stack.enter_context, open_archive(path))
            call = _register(
                self._names, domain, archive, base_model, description, metrics or {}, request_id
            )
            return await self._transport.stream_unary(call)

    async def get(self, domain: str, version: str | int) -> DomainModelVersion:
        """Gets a version. See `DomainVersions.get`."""
        return await self._transport.unary(_get_version(self._names, domain, version))

    def list(self, domain: str, *, page_size: int = 0) -> AsyncPager[DomainModelVersion]:
        """Lists a domain's versions; iterate with `async for`."""
        return AsyncPager(self._transport, _list_version_pages(self._names, domain, page_size))


class Domains(SyncResource):
    """Domains (MLOPS writes; MLOPS, TENANT_ADMIN and APP read), their versions and rollouts."""

    @cached_property
    def versions(self) -> DomainVersions:
        """The domain model versions."""
        return DomainVersions(self._transport)

    def create(
        self,
        *,
        domain_id: str,
        class_word: str,
        display_name: str = "",
        description: str = "",
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> Domain:
        """Creates a domain; it serves nothing until a version is promoted.

        Args:
            domain_id: 1-63 characters of `[a-z0-9-]`, starting with a letter.
            class_word: The word the encoder offsets, for example `face`.
            display_name: A human-readable name.
            description: Free text.
            tenant: Default: the client's tenant.
            request_id: Idempotency key; generated when omitted.
        """
        call = _create(
            self._names, domain_id, class_word, display_name, description, tenant, request_id
        )
        return self._transport.unary(call)

    def get(self, domain: str) -> Domain:
        """Gets a domain by ID or name."""
        return self._transport.unary(_get(self._names, domain))

    def list(self, *, tenant: str | None = None, page_size: int = 0) -> SyncPager[Domain]:
        """Lists the tenant's domains in ID order."""
        return SyncPager(self._transport, _list_pages(self._names, tenant, page_size))

    def aliases(self, domain: str) -> tuple[DomainAlias, ...]:
        """The aliases that are set (`production` first, then `canary`)."""
        return self._transport.unary(_list_aliases(self._names, domain))

    def status(self, domain: str) -> RolloutStatus:
        """Which versions serve the domain, and its `etag`."""
        return self._transport.unary(_status(self._names, domain))

    def rollout(
        self,
        domain: str,
        *,
        version: str | int,
        traffic_percent: int,
        etag: str = "",
        request_id: str | None = None,
    ) -> RolloutStatus:
        """Starts or adjusts a canary: `version` gets `traffic_percent` (1-99) of the traffic.

        Args:
            domain: The domain ID or name.
            version: The version number or name.
            traffic_percent: The canary's share, 1-99.
            etag: `RolloutStatus.etag`; when stale the call fails with `AbortedError`.
            request_id: Idempotency key; generated when omitted.
        """
        call = _rollout(self._names, domain, version, traffic_percent, etag, request_id)
        return self._transport.unary(call)

    def promote(
        self,
        domain: str,
        *,
        version: str | int | None = None,
        etag: str = "",
        request_id: str | None = None,
    ) -> RolloutStatus:
        """Makes `version` (default: the canary's) production, remembering the one it replaces."""
        return self._transport.unary(_promote(self._names, domain, version, etag, request_id))

    def rollback(
        self, domain: str, *, etag: str = "", request_id: str | None = None
    ) -> RolloutStatus:
        """Removes a live canary, or else restores production's previous version."""
        return self._transport.unary(_rollback(self._names, domain, etag, request_id))


class AsyncDomains(AsyncResource):
    """The async form of `Domains`."""

    @cached_property
    def versions(self) -> AsyncDomainVersions:
        """The domain model versions."""
        return AsyncDomainVersions(self._transport)

    async def create(
        self,
        *,
        domain_id: str,
        class_word: str,
        display_name: str = "",
        description: str = "",
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> Domain:
        """Creates a domain. See `Domains.create`."""
        call = _create(
            self._names, domain_id, class_word, display_name, description, tenant, request_id
        )
        return await self._transport.unary(call)

    async def get(self, domain: str) -> Domain:
        """Gets a domain. See `Domains.get`."""
        return await self._transport.unary(_get(self._names, domain))

    def list(self, *, tenant: str | None = None, page_size: int = 0) -> AsyncPager[Domain]:
        """Lists domains; iterate with `async for`."""
        return AsyncPager(self._transport, _list_pages(self._names, tenant, page_size))

    async def aliases(self, domain: str) -> tuple[DomainAlias, ...]:
        """The aliases that are set. See `Domains.aliases`."""
        return await self._transport.unary(_list_aliases(self._names, domain))

    async def status(self, domain: str) -> RolloutStatus:
        """The rollout status. See `Domains.status`."""
        return await self._transport.unary(_status(self._names, domain))

    async def rollout(
        self,
        domain: str,
        *,
        version: str | int,
        traffic_percent: int,
        etag: str = "",
        request_id: str | None = None,
    ) -> RolloutStatus:
        """Starts or adjusts a canary. See `Domains.rollout`."""
        call = _rollout(self._names, domain, version, traffic_percent, etag, request_id)
        return await self._transport.unary(call)

    async def promote(
        self,
        domain: str,
        *,
        version: str | int | None = None,
        etag: str = "",
        request_id: str | None = None,
    ) -> RolloutStatus:
        """Promotes a version to production. See `Domains.promote`."""
        return await self._transport.unary(_promote(self._names, domain, version, etag, request_id))

    async def rollback(
        self, domain: str, *, etag: str = "", request_id: str | None = None
    ) -> RolloutStatus:
        """Undoes the last rollout step. See `Domains.rollback`."""
        return await self._transport.unary(_rollback(self._names, domain, etag, request_id))
