"""From a domain's aliases to the model version (and Serve application) that serves a concept."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from e4t_registry.domains import CANARY, PRODUCTION
from e4t_registry.models import DomainAlias, DomainAliasEvent, DomainModelVersion
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.serve.hosting import HostedVersion
from e4t_server.serve.traffic import LiveVersions


@dataclass(frozen=True)
class AliasState:
    """A domain's production and canary aliases with their version numbers."""

    production: tuple[DomainAlias, int] | None
    canary: tuple[DomainAlias, int] | None
    history: tuple[DomainAliasEvent, ...]

    @property
    def live(self) -> LiveVersions:
        return LiveVersions(
            production=self.production[1] if self.production else None,
            canary=self.canary[1] if self.canary else None,
            canary_share=self.canary[0].traffic_share if self.canary else 0.0,
        )

    @property
    def live_numbers(self) -> set[int]:
        return {n for n in (self.live.production, self.live.canary) if n is not None}

    @property
    def etag(self) -> str:
        """Changes whenever an alias moves (used for optimistic concurrency on rollouts)."""
        parts = [
            f"{alias.name}:{number}:{alias.traffic_share}:{alias.updated_at.isoformat()}"
            for alias, number in filter(None, (self.production, self.canary))
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def previous_version(self, alias: str) -> int | None:
        for event in reversed(self.history):
            if event.alias == alias and event.from_version is not None:
                return event.from_version
        return None


def alias_state(registry: Registry, tenant_id: uuid.UUID, domain_id: uuid.UUID) -> AliasState:
    with UnitOfWork(registry.engine) as uow:
        rows = uow.domain_aliases.list_for_domain(tenant_id, domain_id)
        found: dict[str, tuple[DomainAlias, int]] = {
            row.name: (row, uow.domain_versions.get(tenant_id, row.version_id).version)
            for row in rows
        }
        history = tuple(uow.domain_aliases.history(tenant_id, domain_id, None))
    return AliasState(found.get(PRODUCTION), found.get(CANARY), history)


def hosted(tenant: str, domain: str, row: DomainModelVersion) -> HostedVersion:
    return HostedVersion(tenant, domain, row.version, row.artifact_key, row.artifact_sha256)
