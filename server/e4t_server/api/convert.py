"""Registry rows → `e4t.v1` messages. Names are built from tenant and domain *names* and
subject external ids, the identifiers clients chose; server-chosen ids are UUIDs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from e4t.v1 import (
    api_key_pb2,
    audit_event_pb2,
    concept_pb2,
    consent_pb2,
    domain_pb2,
    tenant_pb2,
)
from e4t_registry.models import (
    ApiKey,
    AuditEvent,
    Concept,
    ConceptStatus,
    ConceptVersion,
    ConsentRecord,
    Domain,
    DomainModelVersion,
    Subject,
    Tenant,
    TenantState,
)
from e4t_registry.models import Scope as RegistryScope
from e4t_server.api import names

SCOPE_TO_PROTO = {
    RegistryScope.PLATFORM_ADMIN: api_key_pb2.ApiKey.PLATFORM_ADMIN,
    RegistryScope.TENANT_ADMIN: api_key_pb2.ApiKey.TENANT_ADMIN,
    RegistryScope.MLOPS: api_key_pb2.ApiKey.MLOPS,
    RegistryScope.APP: api_key_pb2.ApiKey.APP,
}
PROTO_TO_SCOPE = {value: key for key, value in SCOPE_TO_PROTO.items()}
CONCEPT_STATE = {
    ConceptStatus.PENDING: concept_pb2.Concept.CREATING,
    ConceptStatus.ACTIVE: concept_pb2.Concept.ACTIVE,
    ConceptStatus.DISABLED: concept_pb2.Concept.DISABLED,
}


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def tenant(row: Tenant) -> tenant_pb2.Tenant:
    deleted = row.state == TenantState.DELETED
    return tenant_pb2.Tenant(
        name=names.tenant_name(row.name),
        display_name=row.display_name,
        state=tenant_pb2.Tenant.DELETED if deleted else tenant_pb2.Tenant.ACTIVE,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.deleted_at or row.created_at),
        delete_time=timestamp(row.deleted_at),
    )


def api_key(row: ApiKey, tenant_name: str | None) -> api_key_pb2.ApiKey:
    prefix = "" if tenant_name is None else f"{names.tenant_name(tenant_name)}/"
    return api_key_pb2.ApiKey(
        name=f"{prefix}apiKeys/{row.id}",
        display_name=row.name,
        scopes=[SCOPE_TO_PROTO[RegistryScope(scope)] for scope in row.scopes],
        secret_prefix=f"e4t_{row.lookup_id}",
        state=api_key_pb2.ApiKey.REVOKED if row.revoked_at else api_key_pb2.ApiKey.ACTIVE,
        create_time=timestamp(row.created_at),
        revoke_time=timestamp(row.revoked_at),
        creator=row.created_by,
    )


def domain(row: Domain, tenant_name: str) -> domain_pb2.Domain:
    return domain_pb2.Domain(
        name=names.domain_name(tenant_name, row.name),
        class_word=row.class_word,
        description=row.description,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.created_at),
    )


def domain_version(row: DomainModelVersion, domain_resource: str) -> domain_pb2.DomainModelVersion:
    return domain_pb2.DomainModelVersion(
        name=f"{domain_resource}/versions/{row.version}",
        description=str(row.config.get("description", "")),
        base_model=row.base_model_ref,
        config=struct({k: v for k, v in row.config.items() if k != "description"}),
        metrics={k: float(v) for k, v in row.metrics.items() if isinstance(v, int | float)},
        artifact_sha256=row.artifact_sha256,
        artifact_size_bytes=row.artifact_size,
        creator=row.created_by,
        create_time=timestamp(row.created_at),
    )


def subject(row: Subject, tenant_name: str) -> consent_pb2.Subject:
    return consent_pb2.Subject(
        name=names.subject_name(tenant_name, row.external_id),
        state=consent_pb2.Subject.ACTIVE,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.created_at),
    )


def consent(row: ConsentRecord, subject_resource: str, now: datetime) -> consent_pb2.Consent:
    if row.revoked_at is not None:
        state = consent_pb2.Consent.REVOKED
    elif row.is_active(now):
        state = consent_pb2.Consent.ACTIVE
    else:
        state = consent_pb2.Consent.EXPIRED
    known = set(consent_pb2.Consent.Method.keys())
    method = row.method if row.method in known else "OTHER"
    return consent_pb2.Consent(
        name=f"{subject_resource}/consents/{row.id}",
        purpose=row.purpose,
        notice_version=row.notice_version,
        method=consent_pb2.Consent.Method.Value(method),
        grant_time=timestamp(row.granted_at),
        expire_time=timestamp(row.expires_at),
        state=state,
        revoke_time=timestamp(row.revoked_at),
        create_time=timestamp(row.created_at),
    )


def concept(
    row: Concept,
    *,
    tenant_name: str,
    domain_name: str,
    subject_external_id: str,
    latest_version: int | None,
) -> concept_pb2.Concept:
    resource = names.concept_name(tenant_name, row.id)
    subject_resource = names.subject_name(tenant_name, subject_external_id)
    return concept_pb2.Concept(
        name=resource,
        display_name=row.display_name,
        domain=names.domain_name(tenant_name, domain_name),
        consent=f"{subject_resource}/consents/{row.consent_id}",
        subject=subject_resource,
        state=CONCEPT_STATE.get(row.status, concept_pb2.Concept.STATE_UNSPECIFIED),
        latest_version="" if latest_version is None else f"{resource}/versions/{latest_version}",
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
    )


def concept_version(
    row: ConceptVersion, *, concept_resource: str, domain_version_resource: str
) -> concept_pb2.ConceptVersion:
    params, metrics = row.tuning_params, row.metrics
    return concept_pb2.ConceptVersion(
        name=f"{concept_resource}/versions/{row.version}",
        domain_model_version=domain_version_resource,
        state=concept_pb2.ConceptVersion.READY,
        tuning_steps=int(params.get("steps", 0)),
        seed=int(params.get("seed", 0)),
        class_word=str(params.get("class_word", "")),
        embedding_timestep=int(params.get("freeze_timestep", 0)),
        loss_curve=[float(v) for v in metrics.get("loss_curve", [])],
        artifact_sha256=row.artifact_sha256,
        artifact_size_bytes=row.artifact_size,
        create_time=timestamp(row.created_at),
    )


def audit_event(row: AuditEvent, tenant_name: str | None) -> audit_event_pb2.AuditEvent:
    prefix = "" if tenant_name is None else f"{names.tenant_name(tenant_name)}/"
    return audit_event_pb2.AuditEvent(
        name=f"{prefix}auditEvents/{row.id}",
        sequence=row.seq,
        event_time=timestamp(row.time),
        actor=row.actor,
        action=row.action,
        resource=row.resource,
        details=struct(row.details),
        previous_hash=row.prev_hash,
        hash=row.hash,
    )


def parse_time(text: str) -> datetime:
    """An exported ISO-8601 time back to an aware datetime."""
    return datetime.fromisoformat(text)


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)
