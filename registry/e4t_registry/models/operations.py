"""Long-running operations (concept creation, re-personalization, domain tuning)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, enum_column, new_id, utcnow


class OperationStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in (
            OperationStatus.SUCCEEDED,
            OperationStatus.FAILED,
            OperationStatus.CANCELLED,
        )


class Operation(SQLModel, table=True):
    """Progress and outcome of one piece of long work; `request_id` makes creation idempotent."""

    __tablename__ = "operation"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "request_id"),
        sa.Index("ix_operation_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        sa.Index("ix_operation_status_heartbeat_at", "status", "heartbeat_at"),
        sa.CheckConstraint("progress_done >= 0", name="progress_done_non_negative"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    kind: str = Field(max_length=63)
    status: OperationStatus = Field(
        default=OperationStatus.PENDING, sa_type=enum_column(OperationStatus)
    )
    request_id: str | None = Field(default=None, max_length=200)
    target: str = Field(default="", max_length=500, description="resource name it works on")
    progress_done: int = 0
    progress_total: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    error: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
