"""Concepts (one subject personalized in one domain) and their immutable versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, enum_column, new_id, utcnow


class ConceptStatus(StrEnum):
    """Lifecycle: PENDING until its first version lands; DISABLED when consent ends."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    DELETED = "DELETED"


class ConceptBase(SQLModel):
    display_name: str = Field(default="", max_length=200)


class Concept(ConceptBase, table=True):
    """A personalized concept, created only under an active consent of its subject."""

    __tablename__ = "concept"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(["tenant_id", "domain_id"], ["domain.tenant_id", "domain.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "subject_id"], ["subject.tenant_id", "subject.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "consent_id"], ["consent_record.tenant_id", "consent_record.id"]
        ),
        sa.Index("ix_concept_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        sa.Index("ix_concept_tenant_id_subject_id", "tenant_id", "subject_id"),
        sa.Index("ix_concept_tenant_id_consent_id", "tenant_id", "consent_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    domain_id: uuid.UUID
    subject_id: uuid.UUID
    consent_id: uuid.UUID
    status: ConceptStatus = Field(default=ConceptStatus.PENDING, sa_type=enum_column(ConceptStatus))
    status_reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConceptVersion(SQLModel, table=True):
    """One tuning result for a concept against one domain model version."""

    __tablename__ = "concept_version"
    __table_args__ = (
        sa.UniqueConstraint("concept_id", "version"),
        sa.ForeignKeyConstraint(["tenant_id", "concept_id"], ["concept.tenant_id", "concept.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_model_version_id"],
            ["domain_model_version.tenant_id", "domain_model_version.id"],
        ),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    concept_id: uuid.UUID
    version: int
    domain_model_version_id: uuid.UUID
    artifact_key: str = Field(max_length=500, index=True)
    artifact_sha256: str = Field(max_length=64)
    artifact_size: int = Field(sa_type=sa.BigInteger)
    tuning_params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
