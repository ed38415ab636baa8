"""Which Serve applications run: one per live tenant-domain-model version.

The gateway asks `ModelHosting.handle()` for the version a request needs; the application
`dm_{tenant}_{domain}_v{n}` is deployed on first need with `serve.run` (no HTTP route) and kept
while the version is live (production, or canary during a rollout). After an alias move,
`retire()` deletes the applications of versions that no longer serve, once no request of this
gateway is using them — all at runtime, without restarting the cluster.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ray import serve
from ray.serve.handle import DeploymentHandle

from e4t_server.serve.deployment import BlobAccess, DomainModelServer, ModelSource

logger = logging.getLogger("e4t.hosting")


@dataclass(frozen=True)
class HostedVersion:
    """One domain model version as the gateway knows it."""

    tenant: str
    domain: str
    version: int
    blob_key: str
    sha256: str

    @property
    def app_name(self) -> str:
        # Tenant and domain IDs are `[a-z0-9-]`: with "_" as the separator no two versions share
        # a name ("-" would make tenant "a-b"/domain "c" and tenant "a"/domain "b-c" collide).
        return f"dm_{self.tenant}_{self.domain}_v{self.version}"


class ModelHosting:
    """Deploys, hands out and retires the per-version Serve applications."""

    def __init__(self, blobs: BlobAccess, cache_dir: str, *, replicas: int = 1) -> None:
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        self.blobs = blobs
        self.cache_dir = cache_dir
        # Each replica holds one model and serves one request at a time (the engine lock):
        # replicas are how a version serves requests in parallel.
        self.replicas = replicas
        self._apps: dict[str, tuple[HostedVersion, DeploymentHandle]] = {}  # by app name
        self._locks: dict[str, asyncio.Lock] = {}
        self._in_use: Counter[str] = Counter()

    @asynccontextmanager
    async def using(self, version: HostedVersion) -> AsyncIterator[DeploymentHandle]:
        """A handle to `version`'s application, kept from retirement while the block runs."""
        self._in_use[version.app_name] += 1
        try:
            yield await self._handle(version)
        finally:
            self._in_use[version.app_name] -= 1

    async def _handle(self, version: HostedVersion) -> DeploymentHandle:
        name = version.app_name
        if name in self._apps:
            return self._apps[name][1]
        async with self._locks.setdefault(name, asyncio.Lock()):
            if name not in self._apps:
                self._apps[name] = (version, await asyncio.to_thread(self._deploy, version))
            return self._apps[name][1]

    def _deploy(self, version: HostedVersion) -> DeploymentHandle:
        logger.info("deploying domain model", extra={"app": version.app_name})
        deployment = DomainModelServer.options(num_replicas=self.replicas)  # type: ignore[attr-defined]
        app = deployment.bind(
            self.blobs, ModelSource(version.blob_key, version.sha256, self.cache_dir)
        )
        return serve.run(app, name=version.app_name, route_prefix=None)

    async def retire(self, tenant: str, domain: str, live: set[int]) -> list[str]:
        """Delete this domain's applications whose version is not in `live` (and not in use)."""
        retired = []
        for name, (hosted, _) in list(self._apps.items()):
            if (hosted.tenant, hosted.domain) != (tenant, domain) or hosted.version in live:
                continue
            if self._in_use[name] > 0:
                continue  # the next retire() after it is released deletes it
            async with self._locks.setdefault(name, asyncio.Lock()):
                self._apps.pop(name, None)
                await asyncio.to_thread(serve.delete, name)
            retired.append(name)
            logger.info("retired domain model", extra={"app": name})
        return retired

    async def retire_all(self) -> list[str]:
        """Delete every application this gateway deployed (shutting down a whole stack)."""
        names = sorted(self._apps)
        for name in names:
            async with self._locks.setdefault(name, asyncio.Lock()):
                self._apps.pop(name, None)
                await asyncio.to_thread(serve.delete, name)
        return names

    def deployed(self) -> set[str]:
        """Names of the applications this gateway has deployed and not retired."""
        return set(self._apps)
