"""The append-only audit log and the single-row head of its hash chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, new_id, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One audited action. `hash` covers every other field including `prev_hash`."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("seq"),
        sa.Index("ix_audit_event_tenant_id_seq", "tenant_id", "seq"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    seq: int = Field(sa_type=sa.BigInteger)
    # No foreign key: the log must outlive anything it mentions.
    tenant_id: uuid.UUID | None = None
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    resource: str = Field(default="", max_length=500)
    time: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The last link of the chain. Locking this row serializes appenders; it also lets
    `verify` notice a deleted tail."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=sa.BigInteger)
    hash: str = Field(default=GENESIS_HASH, max_length=64)
