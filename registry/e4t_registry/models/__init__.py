"""The registry schema: every table, importable from one place so metadata is complete."""

from e4t_registry.models.audit import GENESIS_HASH, AuditChainHead, AuditEvent
from e4t_registry.models.base import NAMING_CONVENTION, UTCDateTime, new_id, utcnow
from e4t_registry.models.concepts import Concept, ConceptBase, ConceptStatus, ConceptVersion
from e4t_registry.models.domains import (
    Domain,
    DomainAlias,
    DomainAliasEvent,
    DomainBase,
    DomainModelVersion,
    DomainModelVersionBase,
)
from e4t_registry.models.idempotency import PLATFORM_SCOPE, IdempotencyRecord
from e4t_registry.models.operations import Operation, OperationStatus
from e4t_registry.models.subjects import (
    FACE_PERSONALIZATION,
    ConsentBase,
    ConsentRecord,
    ErasureRecord,
    SourceImage,
    Subject,
)
from e4t_registry.models.tenancy import ApiKey, Scope, Tenant, TenantBase, TenantState

__all__ = [
    "FACE_PERSONALIZATION",
    "GENESIS_HASH",
    "NAMING_CONVENTION",
    "PLATFORM_SCOPE",
    "ApiKey",
    "AuditChainHead",
    "AuditEvent",
    "Concept",
    "ConceptBase",
    "ConceptStatus",
    "ConceptVersion",
    "ConsentBase",
    "ConsentRecord",
    "Domain",
    "DomainAlias",
    "DomainAliasEvent",
    "DomainBase",
    "DomainModelVersion",
    "DomainModelVersionBase",
    "ErasureRecord",
    "IdempotencyRecord",
    "Operation",
    "OperationStatus",
    "Scope",
    "SourceImage",
    "Subject",
    "Tenant",
    "TenantBase",
    "TenantState",
    "UTCDateTime",
    "new_id",
    "utcnow",
]
