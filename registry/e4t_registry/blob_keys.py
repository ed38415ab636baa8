"""Blob key layout: content-addressed keys under a per-tenant prefix.

    tenants/{tenant}/concepts/{concept}/{sha256}.safetensors     concept artifacts
    tenants/{tenant}/domains/{domain}/{sha256}.safetensors       domain model artifacts
    tenants/{tenant}/subjects/{subject}/images/{sha256}.{ext}    source images (under consent)

Erasing a concept or a subject can therefore also sweep its whole prefix.
"""

from __future__ import annotations

import re
import uuid

TENANTS_ROOT = "tenants/"
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")


def tenant_prefix(tenant_id: uuid.UUID) -> str:
    return f"{TENANTS_ROOT}{tenant_id}/"


def concept_prefix(tenant_id: uuid.UUID, concept_id: uuid.UUID) -> str:
    return f"{tenant_prefix(tenant_id)}concepts/{concept_id}/"


def concept_artifact_key(tenant_id: uuid.UUID, concept_id: uuid.UUID, sha256: str) -> str:
    return f"{concept_prefix(tenant_id, concept_id)}{sha256}.safetensors"


def domain_artifact_key(tenant_id: uuid.UUID, domain_id: uuid.UUID, sha256: str) -> str:
    return f"{tenant_prefix(tenant_id)}domains/{domain_id}/{sha256}.safetensors"


def subject_prefix(tenant_id: uuid.UUID, subject_id: uuid.UUID) -> str:
    return f"{tenant_prefix(tenant_id)}subjects/{subject_id}/"


def source_image_key(
    tenant_id: uuid.UUID, subject_id: uuid.UUID, sha256: str, extension: str
) -> str:
    if not _EXTENSION.fullmatch(extension):
        raise ValueError(f"bad image extension {extension!r}")
    return f"{subject_prefix(tenant_id, subject_id)}images/{sha256}.{extension}"
