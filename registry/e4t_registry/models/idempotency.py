"""Durable request-id deduplication: the response a mutating call gave, by scope and request id."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, new_id, utcnow

PLATFORM_SCOPE = "platform"


class IdempotencyRecord(SQLModel, table=True):
    """One successful mutating call: its request fingerprint and serialized response.

    `scope` is the tenant's uuid as text, or "platform" for platform calls (never NULL: NULLs
    are distinct in UNIQUE constraints, so a NULL scope would not deduplicate). No foreign key:
    records are pruned after 24 hours and "platform" names no tenant. `request_id` holds a
    sha256 of the request id and `response` the AES-GCM-sealed response (see
    `e4t_registry.idempotency`): neither secrets nor identifiers are readable from the table.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (
        sa.UniqueConstraint("scope", "method", "request_id"),
        sa.Index("ix_idempotency_record_created_at", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    scope: str = Field(max_length=64)
    method: str = Field(max_length=200)
    request_id: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64, description="sha256 hex of the serialized request")
    response: bytes = Field(sa_type=sa.LargeBinary, description="nonce + AES-GCM ciphertext")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
