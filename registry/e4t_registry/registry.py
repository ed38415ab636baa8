"""The registry facade: one object that wires the services to an engine and a blob store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from e4t_registry.audit import ChainVerdict, export_jsonl, verify_chain
from e4t_registry.blobs import BlobStore
from e4t_registry.concepts import ConceptService
from e4t_registry.consent import ConsentService
from e4t_registry.db import create_registry_engine
from e4t_registry.domains import DomainService
from e4t_registry.idempotency import IdempotencyService
from e4t_registry.keys import ApiKeyService
from e4t_registry.migrate import upgrade_database
from e4t_registry.models import utcnow
from e4t_registry.operations import OperationService
from e4t_registry.settings import Settings
from e4t_registry.sweeper import DEFAULT_GRACE, SweepReport, sweep_orphan_blobs
from e4t_registry.tenants import TenantService


class Registry:
    """Every registry service over one database and one blob store.

    Example:
        registry = Registry.open(Settings.from_env())
        principal = registry.keys.verify(secret)
        concept = registry.concepts.create(principal.tenant_id, ..., actor=principal.actor)
    """

    def __init__(
        self, engine: Engine, blobs: BlobStore, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.clock = clock
        self.tenants = TenantService(engine, blobs, clock=clock)
        self.keys = ApiKeyService(engine, clock=clock)
        self.domains = DomainService(engine, blobs, clock=clock)
        self.consent = ConsentService(engine, blobs, clock=clock)
        self.concepts = ConceptService(engine, blobs, clock=clock)
        self.operations = OperationService(engine, clock=clock)
        self.idempotency = IdempotencyService(engine, clock=clock)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Registry:
        """Connect to the configured database and blob store, migrating the schema first."""
        if migrate:
            upgrade_database(settings.database_url)
        return cls(create_registry_engine(settings.database_url), settings.open_blob_store())

    def verify_audit(self) -> ChainVerdict:
        """Recompute the audit chain; the verdict names the first broken link."""
        return verify_chain(self.engine)

    def export_audit(self, *, tenant_id: uuid.UUID | None = None) -> Iterator[str]:
        """The audit log as streamed JSON Lines (one tenant's events, or all)."""
        return export_jsonl(self.engine, tenant_id=tenant_id)

    def sweep_blobs(self, *, grace: timedelta = DEFAULT_GRACE) -> SweepReport:
        """Delete unreferenced blobs older than `grace`."""
        return sweep_orphan_blobs(self.engine, self.blobs, grace=grace, clock=self.clock)

    def close(self) -> None:
        self.engine.dispose()
