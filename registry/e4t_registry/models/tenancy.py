"""Tenants and the API keys that act for them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, enum_column, new_id, utcnow


class Scope(StrEnum):
    """What an API key may do. `platform-admin` keys belong to no tenant."""

    PLATFORM_ADMIN = "platform-admin"
    TENANT_ADMIN = "tenant-admin"
    MLOPS = "mlops"
    APP = "app"


class TenantState(StrEnum):
    """A tenant is ACTIVE until deleted. DELETED is final: its keys are revoked, its subjects
    and concepts erased; the row and its audit log stay (AIP-164 soft delete)."""

    ACTIVE = "ACTIVE"
    DELETED = "DELETED"


class TenantBase(SQLModel):
    name: str = Field(max_length=63, description="URL-safe unique slug, e.g. `acme`")
    display_name: str = Field(default="", max_length=200)


class Tenant(TenantBase, table=True):
    """A customer of the platform; every other tenant-scoped row hangs off one."""

    __tablename__ = "tenant"
    __table_args__ = (sa.UniqueConstraint("name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    state: TenantState = Field(
        default=TenantState.ACTIVE,
        sa_type=enum_column(TenantState),
        sa_column_kwargs={"server_default": TenantState.ACTIVE.value},
    )
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """A credential. Only a hash of the secret is stored; `lookup_id` finds the row quickly."""

    __tablename__ = "api_key"
    __table_args__ = (
        sa.UniqueConstraint("lookup_id"),
        sa.Index("ix_api_key_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID | None = Field(default=None, foreign_key="tenant.id")
    name: str = Field(default="", max_length=200)
    lookup_id: str = Field(max_length=32)
    secret_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
