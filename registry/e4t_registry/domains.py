"""Domains, domain model versions and alias rollouts (set, promote canary, roll back).

`production` serves a domain by default; `canary` may take a traffic share (0–1) of it.
Promoting moves production to the canary's version and removes the canary. Rolling back moves
production to the newest version below the current one that production has served before.
Every move is kept in the alias history and the audit log.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from e4t_registry.blob_keys import domain_artifact_key
from e4t_registry.blobs import BlobStore
from e4t_registry.errors import FailedPreconditionError, InvalidArgumentError
from e4t_registry.models import (
    Domain,
    DomainAlias,
    DomainAliasEvent,
    DomainModelVersion,
    utcnow,
)
from e4t_registry.paging import Page
from e4t_registry.staging import ArtifactSource, staged, upload_checked
from e4t_registry.uow import UnitOfWork

PRODUCTION = "production"
CANARY = "canary"
_SLUG = re.compile(r"[a-z][a-z0-9-]{0,62}")


def domain_name(domain: Domain) -> str:
    return f"tenants/{domain.tenant_id}/domains/{domain.id}"


class DomainService:
    """Domain and domain-model-version management for ML ops; every change is audited."""

    def __init__(
        self, engine: Engine, blobs: BlobStore, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.clock = clock

    def create(
        self,
        tenant_id: uuid.UUID,
        *,
        name: str,
        class_word: str,
        description: str = "",
        actor: str,
    ) -> Domain:
        """Create a domain (AlreadyExistsError if the tenant already has that name)."""
        if not _SLUG.fullmatch(name):
            raise InvalidArgumentError(f"domain name {name!r} must be a lowercase slug")
        if not class_word.strip():
            raise InvalidArgumentError("class word must not be empty")
        with UnitOfWork(self.engine) as uow:
            uow.tenants.get(tenant_id)
            domain = uow.domains.add(
                tenant_id,
                Domain(
                    tenant_id=tenant_id, name=name, class_word=class_word, description=description
                ),
            )
            uow.audit.append(
                actor=actor,
                action="domain.create",
                tenant_id=tenant_id,
                resource=domain_name(domain),
                details={"name": name, "class_word": class_word},
            )
            uow.commit()
        return domain

    def get(self, tenant_id: uuid.UUID, domain_id: uuid.UUID) -> Domain:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.domains.get(tenant_id, domain_id)

    def list(
        self, tenant_id: uuid.UUID, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[Domain]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.domains.list(tenant_id, page_size=page_size, page_token=page_token)

    def register_version(
        self,
        tenant_id: uuid.UUID,
        domain_id: uuid.UUID,
        *,
        artifact: ArtifactSource,
        base_model_ref: str,
        config: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        actor: str,
    ) -> DomainModelVersion:
        """Upload a domain-tuned artifact, then record it as the domain's next version."""
        with UnitOfWork(self.engine) as uow:
            uow.domains.get(tenant_id, domain_id)  # fail before uploading anything
        with staged(artifact) as content:
            key = domain_artifact_key(tenant_id, domain_id, content.sha256)
            upload_checked(self.blobs, key, content)
        with UnitOfWork(self.engine) as uow:
            # The domain row lock serializes version numbering per domain.
            domain = uow.domains.get(tenant_id, domain_id, for_update=True)
            version = uow.domain_versions.add(
                tenant_id,
                DomainModelVersion(
                    tenant_id=tenant_id,
                    domain_id=domain_id,
                    version=uow.domain_versions.latest_number(tenant_id, domain_id) + 1,
                    base_model_ref=base_model_ref,
                    artifact_key=key,
                    artifact_sha256=content.sha256,
                    artifact_size=content.size,
                    config=config or {},
                    metrics=metrics or {},
                    created_by=actor,
                ),
            )
            uow.audit.append(
                actor=actor,
                action="domain.version.create",
                tenant_id=tenant_id,
                resource=f"{domain_name(domain)}/versions/{version.version}",
                details={"sha256": content.sha256, "size": content.size},
            )
            uow.commit()
        return version

    def get_version(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, version: int
    ) -> DomainModelVersion:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.domain_versions.get_by_number(tenant_id, domain_id, version)

    def list_versions(
        self,
        tenant_id: uuid.UUID,
        domain_id: uuid.UUID,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[DomainModelVersion]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            uow.domains.get(tenant_id, domain_id)
            return uow.domain_versions.list(
                tenant_id, domain_id, page_size=page_size, page_token=page_token
            )

    def aliases(self, tenant_id: uuid.UUID, domain_id: uuid.UUID) -> Sequence[DomainAlias]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            uow.domains.get(tenant_id, domain_id)
            return uow.domain_aliases.list_for_domain(tenant_id, domain_id)

    def resolve(self, tenant_id: uuid.UUID, domain_id: uuid.UUID, alias: str) -> DomainModelVersion:
        """The version an alias points at (FailedPreconditionError if the alias is unset)."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            row = uow.domain_aliases.find_by_name(tenant_id, domain_id, alias)
            if row is None:
                raise FailedPreconditionError(f"alias {alias!r} is not set")
            return uow.domain_versions.get(tenant_id, row.version_id)

    def history(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, *, alias: str | None = None
    ) -> Sequence[DomainAliasEvent]:
        """Every alias move of the domain, oldest first."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            uow.domains.get(tenant_id, domain_id)
            return uow.domain_aliases.history(tenant_id, domain_id, alias)

    def set_alias(
        self,
        tenant_id: uuid.UUID,
        domain_id: uuid.UUID,
        *,
        alias: str,
        version: int,
        traffic_share: float | None = None,
        actor: str,
    ) -> DomainAlias:
        """Point `alias` at `version`. Production always takes share 1 (less any canary)."""
        if not _SLUG.fullmatch(alias):
            raise InvalidArgumentError(f"alias {alias!r} must be a lowercase slug")
        share = 1.0 if traffic_share is None else traffic_share
        if not 0.0 <= share <= 1.0:
            raise InvalidArgumentError(f"traffic share {share} is outside 0..1")
        if alias == PRODUCTION and share != 1.0:
            raise InvalidArgumentError("production takes the traffic the canary leaves")
        with UnitOfWork(self.engine) as uow:
            row = self._move(uow, tenant_id, domain_id, alias, version, share, "set", actor)
            uow.commit()
        return row

    def promote_canary(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, *, actor: str
    ) -> DomainAlias:
        """Production takes the canary's version; the canary alias is removed."""
        with UnitOfWork(self.engine) as uow:
            uow.domains.get(tenant_id, domain_id, for_update=True)
            canary = uow.domain_aliases.find_by_name(tenant_id, domain_id, CANARY)
            if canary is None:
                raise FailedPreconditionError("there is no canary to promote")
            canary_version = uow.domain_versions.get(tenant_id, canary.version_id).version
            row = self._move(
                uow, tenant_id, domain_id, PRODUCTION, canary_version, 1.0, "promote", actor
            )
            self._remove(uow, canary, "promote", actor)
            uow.commit()
        return row

    def rollback_production(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, *, actor: str
    ) -> DomainAlias:
        """Move production back to the newest earlier version it has served."""
        with UnitOfWork(self.engine) as uow:
            uow.domains.get(tenant_id, domain_id, for_update=True)
            current = uow.domain_aliases.find_by_name(tenant_id, domain_id, PRODUCTION)
            if current is None:
                raise FailedPreconditionError("production is not set")
            current_version = uow.domain_versions.get(tenant_id, current.version_id).version
            served = {
                event.to_version
                for event in uow.domain_aliases.history(tenant_id, domain_id, PRODUCTION)
                if event.to_version is not None and event.to_version < current_version
            }
            if not served:
                raise FailedPreconditionError("production has no earlier version to roll back to")
            row = self._move(
                uow, tenant_id, domain_id, PRODUCTION, max(served), 1.0, "rollback", actor
            )
            uow.commit()
        return row

    def remove_alias(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, *, alias: str, actor: str
    ) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.domains.get(tenant_id, domain_id, for_update=True)
            row = uow.domain_aliases.find_by_name(tenant_id, domain_id, alias)
            if row is None:
                raise FailedPreconditionError(f"alias {alias!r} is not set")
            self._remove(uow, row, "remove", actor)
            uow.commit()

    def _move(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        domain_id: uuid.UUID,
        alias: str,
        version: int,
        share: float,
        action: str,
        actor: str,
    ) -> DomainAlias:
        domain = uow.domains.get(tenant_id, domain_id, for_update=True)
        target = uow.domain_versions.get_by_number(tenant_id, domain_id, version)
        row = uow.domain_aliases.find_by_name(tenant_id, domain_id, alias, for_update=True)
        previous = None
        if row is None:
            row = DomainAlias(
                tenant_id=tenant_id, domain_id=domain_id, name=alias, version_id=target.id
            )
        else:
            previous = uow.domain_versions.get(tenant_id, row.version_id).version
        row.version_id, row.traffic_share, row.updated_at = target.id, share, self.clock()
        uow.domain_aliases.save(row)
        uow.domain_aliases.record(
            tenant_id,
            DomainAliasEvent(
                tenant_id=tenant_id,
                domain_id=domain_id,
                alias=alias,
                action=action,
                from_version=previous,
                to_version=version,
                traffic_share=share,
                actor=actor,
                created_at=self.clock(),
            ),
        )
        uow.audit.append(
            actor=actor,
            action=f"domain.alias.{action}",
            tenant_id=tenant_id,
            resource=f"{domain_name(domain)}/aliases/{alias}",
            details={"from_version": previous, "to_version": version, "traffic_share": share},
        )
        return row

    def _remove(self, uow: UnitOfWork, row: DomainAlias, action: str, actor: str) -> None:
        previous = uow.domain_versions.get(row.tenant_id, row.version_id).version
        uow.domain_aliases.remove(row)
        uow.domain_aliases.record(
            row.tenant_id,
            DomainAliasEvent(
                tenant_id=row.tenant_id,
                domain_id=row.domain_id,
                alias=row.name,
                action=action,
                from_version=previous,
                to_version=None,
                actor=actor,
                created_at=self.clock(),
            ),
        )
        uow.audit.append(
            actor=actor,
            action=f"domain.alias.{action}",
            tenant_id=row.tenant_id,
            resource=f"tenants/{row.tenant_id}/domains/{row.domain_id}/aliases/{row.name}",
            details={"from_version": previous, "to_version": None},
        )
