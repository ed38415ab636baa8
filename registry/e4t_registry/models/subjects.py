"""End users of a tenant (subjects), their consent, source images and erasure records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from e4t_registry.models.base import UTCDateTime, new_id, utcnow

FACE_PERSONALIZATION = "face-personalization"


class Subject(SQLModel, table=True):
    """A tenant's end user, known to us only by the tenant's opaque external id."""

    __tablename__ = "subject"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "external_id"),
        sa.UniqueConstraint("tenant_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    external_id: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsentBase(SQLModel):
    purpose: str = Field(default=FACE_PERSONALIZATION, max_length=63)
    notice_version: str = Field(max_length=63, description="version of the notice shown")
    method: str = Field(max_length=63, description="how consent was given, e.g. `web-checkbox`")
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsentRecord(ConsentBase, table=True):
    """One grant of consent. It ends when revoked or, once past `expires_at`, when lapsed."""

    __tablename__ = "consent_record"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.ForeignKeyConstraint(["tenant_id", "subject_id"], ["subject.tenant_id", "subject.id"]),
        sa.Index("ix_consent_record_tenant_id_subject_id", "tenant_id", "subject_id"),
        sa.Index("ix_consent_record_expires_at", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    subject_id: uuid.UUID
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the expiry sweep has disabled and erased what this consent covered.
    lapsed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def is_active(self, now: datetime) -> bool:
        """Whether the consent may be relied on at `now`."""
        if self.revoked_at is not None or self.lapsed_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class SourceImage(SQLModel, table=True):
    """An uploaded photo kept (under consent) to re-personalize a concept later.

    `concept_id` names the concept made from it (NULL: kept for the subject, no concept yet);
    `RepersonalizeConcept` tunes from the newest image of the concept.
    """

    __tablename__ = "source_image"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "subject_id"], ["subject.tenant_id", "subject.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "consent_id"], ["consent_record.tenant_id", "consent_record.id"]
        ),
        sa.ForeignKeyConstraint(["tenant_id", "concept_id"], ["concept.tenant_id", "concept.id"]),
        sa.Index("ix_source_image_tenant_id_subject_id", "tenant_id", "subject_id"),
        sa.Index("ix_source_image_tenant_id_concept_id", "tenant_id", "concept_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    subject_id: uuid.UUID
    consent_id: uuid.UUID
    concept_id: uuid.UUID | None = None
    blob_key: str = Field(max_length=500, index=True)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ErasureRecord(SQLModel, table=True):
    """Proof that data was erased: what kind, how much, when and by whom — never the data.

    `subject_id` is a dangling reference on purpose: the subject row itself may be gone.
    """

    __tablename__ = "erasure_record"
    __table_args__ = (
        sa.Index("ix_erasure_record_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    subject_id: uuid.UUID
    reason: str = Field(max_length=32, description="consent-revoked | consent-expired | erasure")
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    actor: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
