"""The unit of work: one transaction, the repositories that share it, and the audit log."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlmodel import Session

from e4t_registry.audit import AuditLog
from e4t_registry.db import read_only_engine
from e4t_registry.repositories.concepts import ConceptRepository, ConceptVersionRepository
from e4t_registry.repositories.domains import (
    DomainAliasRepository,
    DomainModelVersionRepository,
    DomainRepository,
)
from e4t_registry.repositories.operations import OperationRepository
from e4t_registry.repositories.subjects import (
    ConsentRepository,
    ErasureRepository,
    SourceImageRepository,
    SubjectRepository,
)
from e4t_registry.repositories.tenancy import ApiKeyRepository, TenantRepository


class UnitOfWork:
    """`with UnitOfWork(engine) as uow: ...; uow.commit()`.

    Nothing is written unless `commit()` is called; leaving the block without committing, or
    with an exception, rolls everything back. Objects stay readable after the block.

    `read_only=True` is for pure reads: on PostgreSQL it runs in autocommit (one round trip per
    query instead of BEGIN/query/ROLLBACK); on SQLite it starts a deferred transaction that
    does not take the write lock. It cannot commit.
    """

    session: Session
    tenants: TenantRepository
    api_keys: ApiKeyRepository
    domains: DomainRepository
    domain_versions: DomainModelVersionRepository
    domain_aliases: DomainAliasRepository
    subjects: SubjectRepository
    consents: ConsentRepository
    source_images: SourceImageRepository
    erasures: ErasureRepository
    concepts: ConceptRepository
    concept_versions: ConceptVersionRepository
    operations: OperationRepository
    audit: AuditLog

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only

    def __enter__(self) -> Self:
        bind = read_only_engine(self.engine) if self.read_only else self.engine
        session = Session(bind, expire_on_commit=False)
        self.session = session
        self.tenants = TenantRepository(session)
        self.api_keys = ApiKeyRepository(session)
        self.domains = DomainRepository(session)
        self.domain_versions = DomainModelVersionRepository(session)
        self.domain_aliases = DomainAliasRepository(session)
        self.subjects = SubjectRepository(session)
        self.consents = ConsentRepository(session)
        self.source_images = SourceImageRepository(session)
        self.erasures = ErasureRepository(session)
        self.concepts = ConceptRepository(session)
        self.concept_versions = ConceptVersionRepository(session)
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() rolls back anything uncommitted and detaches objects without expiring them,
        # so rows returned from a read-only unit of work stay readable.
        self.session.close()

    def commit(self) -> None:
        """Make everything done in this unit of work durable, atomically."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    def rollback(self) -> None:
        """Discard everything not yet committed."""
        self.session.rollback()
