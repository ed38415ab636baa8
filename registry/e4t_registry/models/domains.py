"""Domains, their domain-tuned model versions and the aliases that route traffic to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, new_id, utcnow


class DomainBase(SQLModel):
    name: str = Field(max_length=63, description="unique per tenant, e.g. `faces`")
    class_word: str = Field(max_length=63, description="the word the encoder offsets, e.g. `face`")
    description: str = Field(default="", max_length=1000)


class Domain(DomainBase, table=True):
    """A family of images (e.g. human faces) with its own domain-tuned model."""

    __tablename__ = "domain"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "name"),
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index("ix_domain_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DomainModelVersionBase(SQLModel):
    base_model_ref: str = Field(max_length=500, description="diffusers dir or hub id")
    config: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class DomainModelVersion(DomainModelVersionBase, table=True):
    """One immutable domain-tuning result; `version` counts up from 1 within its domain."""

    __tablename__ = "domain_model_version"
    __table_args__ = (
        sa.UniqueConstraint("domain_id", "version"),
        sa.UniqueConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(["tenant_id", "domain_id"], ["domain.tenant_id", "domain.id"]),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    domain_id: uuid.UUID
    version: int
    artifact_key: str = Field(max_length=500, index=True)
    artifact_sha256: str = Field(max_length=64)
    artifact_size: int = Field(sa_type=sa.BigInteger)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DomainAlias(SQLModel, table=True):
    """A movable name (`production`, `canary`) pointing at a version with a traffic share."""

    __tablename__ = "domain_alias"
    __table_args__ = (
        sa.UniqueConstraint("domain_id", "name"),
        sa.ForeignKeyConstraint(["tenant_id", "domain_id"], ["domain.tenant_id", "domain.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "version_id"],
            ["domain_model_version.tenant_id", "domain_model_version.id"],
        ),
        sa.CheckConstraint(
            "traffic_share >= 0 AND traffic_share <= 1", name="traffic_share_in_unit_range"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    domain_id: uuid.UUID
    name: str = Field(max_length=63)
    version_id: uuid.UUID
    traffic_share: float = 1.0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DomainAliasEvent(SQLModel, table=True):
    """History of alias moves: one row per set, promote, rollback or removal."""

    __tablename__ = "domain_alias_event"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "domain_id"], ["domain.tenant_id", "domain.id"]),
        sa.Index("ix_domain_alias_event_domain_id_created_at", "domain_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    domain_id: uuid.UUID
    alias: str = Field(max_length=63)
    action: str = Field(max_length=32, description="set | promote | rollback | remove")
    from_version: int | None = None
    to_version: int | None = None
    traffic_share: float | None = None
    actor: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
