"""`e4t.Client` and `e4t.AsyncClient`: one channel, settings, and the resources on top."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Self

from e4t._options import ClientOptions
from e4t._transport import AsyncTransport, SyncTransport
from e4t.resources.audit import AsyncAudit, Audit
from e4t.resources.concepts import AsyncConcepts, Concepts
from e4t.resources.consents import AsyncConsents, Consents
from e4t.resources.domains import AsyncDomains, Domains
from e4t.resources.images import AsyncImages, Images
from e4t.resources.keys import AsyncKeys, Keys
from e4t.resources.operations import AsyncOperations, Operations
from e4t.resources.subjects import AsyncSubjects, Subjects
from e4t.resources.tenants import AsyncTenants, Tenants


def _resolve(
    api_key: str | None,
    target: str | None,
    tenant: str | None,
    tls: bool | None,
    root_certificates: bytes | None,
    timeout: float | None,
    max_retries: int | None,
) -> ClientOptions:
    return ClientOptions.resolve(
        api_key=api_key,
        target=target,
        tenant=tenant,
        tls=tls,
        root_certificates=root_certificates,
        timeout=timeout,
        max_retries=max_retries,
    )


class Client:
    """A blocking client of the e4t API.

    ```python
    with e4t.Client(api_key="e4t_...", target="e4t.example.com:443", tenant="acme") as client:
        op = client.concepts.create(image="ann.jpg", consent=consent, domain="faces")
        concept = op.result(timeout=300)
        for image in client.images.generate(concept=concept, prompt="a portrait of {concept}"):
            image.save(f"{image.seed}.png")
    ```

    Args:
        api_key: The API key secret; default: `E4T_API_KEY`.
        target: The server, `host:port`; default: `E4T_TARGET`, else `localhost:50051`.
        tenant: The tenant ID used where a method needs one and none is passed;
            default: `E4T_TENANT`.
        tls: Use TLS; default: `E4T_TLS`, else on for every host but the local machine.
        root_certificates: PEM root certificates for TLS; default: the system's.
        timeout: Seconds each attempt of a call may take (default 60).
        max_retries: Retries of retryable failures (default 2).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        target: str | None = None,
        tenant: str | None = None,
        tls: bool | None = None,
        root_certificates: bytes | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        options = _resolve(api_key, target, tenant, tls, root_certificates, timeout, max_retries)
        self._transport = SyncTransport(options.open_channel(), options)
        self._owns_channel = True

    @property
    def options(self) -> ClientOptions:
        """The resolved settings."""
        return self._transport.options

    def with_options(
        self, *, timeout: float | None = None, max_retries: int | None = None
    ) -> Client:
        """A client sharing this one's connection, with another timeout and/or retry count."""
        derived = object.__new__(Client)
        options = self.options.with_changes(timeout=timeout, max_retries=max_retries)
        derived._transport = SyncTransport(self._transport.channel, options)
        derived._owns_channel = False
        return derived

    @cached_property
    def tenants(self) -> Tenants:
        """Tenants (platform admins)."""
        return Tenants(self._transport)

    @cached_property
    def keys(self) -> Keys:
        """API keys."""
        return Keys(self._transport)

    @cached_property
    def domains(self) -> Domains:
        """Domains, domain model versions and rollouts."""
        return Domains(self._transport)

    @cached_property
    def consents(self) -> Consents:
        """Consent records."""
        return Consents(self._transport)

    @cached_property
    def subjects(self) -> Subjects:
        """Subjects and their erasure."""
        return Subjects(self._transport)

    @cached_property
    def concepts(self) -> Concepts:
        """Concepts: create from one image, read, list, delete."""
        return Concepts(self._transport)

    @cached_property
    def images(self) -> Images:
        """Image generation."""
        return Images(self._transport)

    @cached_property
    def operations(self) -> Operations:
        """Long-running operations."""
        return Operations(self._transport)

    @cached_property
    def audit(self) -> Audit:
        """The audit log."""
        return Audit(self._transport)

    def close(self) -> None:
        """Closes the connection (a client from `with_options` leaves it to its parent)."""
        if self._owns_channel:
            self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"e4t.Client(target={self.options.target!r}, tenant={self.options.tenant!r})"


class AsyncClient:
    """An asyncio client of the e4t API, with the same surface as `Client`.

    Create it inside a running event loop; use `async with` or `await client.close()`.
    Arguments as for `Client`.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        target: str | None = None,
        tenant: str | None = None,
        tls: bool | None = None,
        root_certificates: bytes | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        options = _resolve(api_key, target, tenant, tls, root_certificates, timeout, max_retries)
        self._transport = AsyncTransport(options.open_aio_channel(), options)
        self._owns_channel = True

    @property
    def options(self) -> ClientOptions:
        """The resolved settings."""
        return self._transport.options

    def with_options(
        self, *, timeout: float | None = None, max_retries: int | None = None
    ) -> AsyncClient:
        """A client sharing this one's connection, with another timeout and/or retry count."""
        derived = object.__new__(AsyncClient)
        options = self.options.with_changes(timeout=timeout, max_retries=max_retries)
        derived._transport = AsyncTransport(self._transport.channel, options)
        derived._owns_channel = False
        return derived

    @cached_property
    def tenants(self) -> AsyncTenants:
        """Tenants (platform admins)."""
        return AsyncTenants(self._transport)

    @cached_property
    def keys(self) -> AsyncKeys:
        """API keys."""
        return AsyncKeys(self._transport)

    @cached_property
    def domains(self) -> AsyncDomains:
        """Domains, domain model versions and rollouts."""
        return AsyncDomains(self._transport)

    @cached_property
    def consents(self) -> AsyncConsents:
        """Consent records."""
        return AsyncConsents(self._transport)

    @cached_property
    def subjects(self) -> AsyncSubjects:
        """Subjects and their erasure."""
        return AsyncSubjects(self._transport)

    @cached_property
    def concepts(self) -> AsyncConcepts:
        """Concepts: create from one image, read, list, delete."""
        return AsyncConcepts(self._transport)

    @cached_property
    def images(self) -> AsyncImages:
        """Image generation."""
        return AsyncImages(self._transport)

    @cached_property
    def operations(self) -> AsyncOperations:
        """Long-running operations."""
        return AsyncOperations(self._transport)

    @cached_property
    def audit(self) -> AsyncAudit:
        """The audit log."""
        return AsyncAudit(self._transport)

    async def close(self) -> None:
        """Closes the connection (a client from `with_options` leaves it to its parent)."""
        if self._owns_channel:
            await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"e4t.AsyncClient(target={self.options.target!r}, tenant={self.options.tenant!r})"
