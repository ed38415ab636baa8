"""Which API key scopes may call which method (the table in docs/api.md).

Every method of every `e4t.v1` service must have an entry; the gateway refuses to start
otherwise, so a new RPC cannot ship without deciding who may call it.
"""

from __future__ import annotations

from e4t_registry.models import Scope

PLATFORM = frozenset({Scope.PLATFORM_ADMIN})
ADMINS = frozenset({Scope.TENANT_ADMIN, Scope.PLATFORM_ADMIN})
TENANT_READERS = frozenset({Scope.MLOPS, Scope.TENANT_ADMIN, Scope.APP})
ANY_KEY = frozenset(Scope)
MLOPS = frozenset({Scope.MLOPS})
APP = frozenset({Scope.APP})
APP_OR_ADMIN = frozenset({Scope.APP, Scope.TENANT_ADMIN})
TENANT_ADMIN = frozenset({Scope.TENANT_ADMIN})
WORKERS = frozenset({Scope.APP, Scope.MLOPS, Scope.TENANT_ADMIN})

METHOD_SCOPES: dict[str, frozenset[Scope]] = {
    "/e4t.v1.TenantService/CreateTenant": PLATFORM,
    "/e4t.v1.TenantService/GetTenant": ANY_KEY,
    "/e4t.v1.TenantService/ListTenants": PLATFORM,
    "/e4t.v1.TenantService/DeleteTenant": PLATFORM,
    "/e4t.v1.ApiKeyService/CreateApiKey": ADMINS,
    "/e4t.v1.ApiKeyService/GetApiKey": ADMINS,
    "/e4t.v1.ApiKeyService/ListApiKeys": ADMINS,
    "/e4t.v1.ApiKeyService/RevokeApiKey": ADMINS,
    "/e4t.v1.DomainService/CreateDomain": MLOPS,
    "/e4t.v1.DomainService/GetDomain": TENANT_READERS,
    "/e4t.v1.DomainService/ListDomains": TENANT_READERS,
    "/e4t.v1.DomainService/RegisterDomainModelVersion": MLOPS,
    "/e4t.v1.DomainService/GetDomainModelVersion": TENANT_READERS,
    "/e4t.v1.DomainService/ListDomainModelVersions": TENANT_READERS,
    "/e4t.v1.DomainService/GetDomainAlias": TENANT_READERS,
    "/e4t.v1.DomainService/ListDomainAliases": TENANT_READERS,
    "/e4t.v1.DomainService/GetRolloutStatus": TENANT_READERS,
    "/e4t.v1.DomainService/RolloutDomainModelVersion": MLOPS,
    "/e4t.v1.DomainService/PromoteDomainModelVersion": MLOPS,
    "/e4t.v1.DomainService/RollbackDomainModelVersion": MLOPS,
    "/e4t.v1.ConsentService/GrantConsent": APP_OR_ADMIN,
    "/e4t.v1.ConsentService/GetConsent": APP_OR_ADMIN,
    "/e4t.v1.ConsentService/ListConsents": APP_OR_ADMIN,
    "/e4t.v1.ConsentService/RevokeConsent": APP_OR_ADMIN,
    "/e4t.v1.ConsentService/GetSubject": TENANT_ADMIN,
    "/e4t.v1.ConsentService/ListSubjects": TENANT_ADMIN,
    "/e4t.v1.ConsentService/EraseSubject": TENANT_ADMIN,
    "/e4t.v1.ConceptService/CreateConcept": APP,
    "/e4t.v1.ConceptService/GetConcept": APP_OR_ADMIN,
    "/e4t.v1.ConceptService/ListConcepts": APP_OR_ADMIN,
    "/e4t.v1.ConceptService/DeleteConcept": APP_OR_ADMIN,
    "/e4t.v1.ConceptService/GetConceptVersion": APP_OR_ADMIN,
    "/e4t.v1.ConceptService/ListConceptVersions": APP_OR_ADMIN,
    "/e4t.v1.ConceptService/RepersonalizeConcept": frozenset({Scope.APP, Scope.MLOPS}),
    "/e4t.v1.ImageService/GenerateImages": APP,
    "/e4t.v1.OperationService/GetOperation": WORKERS,
    "/e4t.v1.OperationService/ListOperations": WORKERS,
    "/e4t.v1.OperationService/WaitOperation": WORKERS,
    "/e4t.v1.OperationService/CancelOperation": WORKERS,
    "/e4t.v1.AuditService/ListAuditEvents": ADMINS,
    "/e4t.v1.AuditService/ExportAuditEvents": ADMINS,
    "/e4t.v1.AuditService/VerifyAuditChain": ADMINS,
}

# Standard services that answer without a key (docs/api.md: health and reflection).
PUBLIC_SERVICE_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
