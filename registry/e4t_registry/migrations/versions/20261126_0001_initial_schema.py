"""Initial schema: tenants, keys, domains, consent, concepts, operations, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 16:17:45.835321
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    audit_chain_head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    # The chain head is a single row that appenders lock; it must exist before the first event.
    op.bulk_insert(audit_chain_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_event_seq")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_tenant_id_seq", ["tenant_id", "seq"], unique=False)

    op.create_table(
        "tenant",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("name", name=op.f("uq_tenant_name")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lookup_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_api_key_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("lookup_id", name=op.f("uq_api_key_lookup_id")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(
            "ix_api_key_tenant_id_created_at", ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "domain",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("class_word", sa.String(length=63), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_domain_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_domain_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_domain_tenant_id_name")),
    )
    with op.batch_alter_table("domain", schema=None) as batch_op:
        batch_op.create_index(
            "ix_domain_tenant_id_created_at_id", ["tenant_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "erasure_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_erasure_record_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_record")),
    )
    with op.batch_alter_table("erasure_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erasure_record_tenant_id_created_at", ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "operation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=63), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                "CANCELLED",
                name="operationstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "progress_done >= 0", name=op.f("ck_operation_progress_done_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_operation_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation")),
        sa.UniqueConstraint(
            "tenant_id", "request_id", name=op.f("uq_operation_tenant_id_request_id")
        ),
    )
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_operation_status_heartbeat_at", ["status", "heartbeat_at"], unique=False
        )
        batch_op.create_index(
            "ix_operation_tenant_id_created_at_id", ["tenant_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "subject",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_subject_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint(
            "tenant_id", "external_id", name=op.f("uq_subject_tenant_id_external_id")
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_subject_tenant_id_id")),
    )
    op.create_table(
        "consent_record",
        sa.Column("purpose", sa.String(length=63), nullable=False),
        sa.Column("notice_version", sa.String(length=63), nullable=False),
        sa.Column("method", sa.String(length=63), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lapsed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subject_id"],
            ["subject.tenant_id", "subject.id"],
            name=op.f("fk_consent_record_tenant_id_subject_id_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_consent_record_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_consent_record_tenant_id_id")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index("ix_consent_record_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(
            "ix_consent_record_tenant_id_subject_id", ["tenant_id", "subject_id"], unique=False
        )

    op.create_table(
        "domain_alias_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=False),
        sa.Column("alias", sa.String(length=63), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("traffic_share", sa.Float(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_id"],
            ["domain.tenant_id", "domain.id"],
            name=op.f("fk_domain_alias_event_tenant_id_domain_id_domain"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_domain_alias_event_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_alias_event")),
    )
    with op.batch_alter_table("domain_alias_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_domain_alias_event_domain_id_created_at", ["domain_id", "created_at"], unique=False
        )

    op.create_table(
        "domain_model_version",
        sa.Column("base_model_ref", sa.String(length=500), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("artifact_key", sa.String(length=500), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("artifact_size", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_domain_model_version_version_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_id"],
            ["domain.tenant_id", "domain.id"],
            name=op.f("fk_domain_model_version_tenant_id_domain_id_domain"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_domain_model_version_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_model_version")),
        sa.UniqueConstraint(
            "domain_id", "version", name=op.f("uq_domain_model_version_domain_id_version")
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_domain_model_version_tenant_id_id")),
    )
    with op.batch_alter_table("domain_model_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_domain_model_version_artifact_key"), ["artifact_key"], unique=False
        )

    op.create_table(
        "concept",
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "ACTIVE",
                "DISABLED",
                "DELETED",
                name="conceptstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "consent_id"],
            ["consent_record.tenant_id", "consent_record.id"],
            name=op.f("fk_concept_tenant_id_consent_id_consent_record"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_id"],
            ["domain.tenant_id", "domain.id"],
            name=op.f("fk_concept_tenant_id_domain_id_domain"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subject_id"],
            ["subject.tenant_id", "subject.id"],
            name=op.f("fk_concept_tenant_id_subject_id_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_concept_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concept")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_concept_tenant_id_id")),
    )
    with op.batch_alter_table("concept", schema=None) as batch_op:
        batch_op.create_index(
            "ix_concept_tenant_id_consent_id", ["tenant_id", "consent_id"], unique=False
        )
        batch_op.create_index(
            "ix_concept_tenant_id_created_at_id", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_concept_tenant_id_subject_id", ["tenant_id", "subject_id"], unique=False
        )

    op.create_table(
        "domain_alias",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("domain_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("traffic_share", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "traffic_share >= 0 AND traffic_share <= 1",
            name=op.f("ck_domain_alias_traffic_share_in_unit_range"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_id"],
            ["domain.tenant_id", "domain.id"],
            name=op.f("fk_domain_alias_tenant_id_domain_id_domain"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "version_id"],
            ["domain_model_version.tenant_id", "domain_model_version.id"],
            name=op.f("fk_domain_alias_tenant_id_version_id_domain_model_version"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_domain_alias_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_alias")),
        sa.UniqueConstraint("domain_id", "name", name=op.f("uq_domain_alias_domain_id_name")),
    )
    op.create_table(
        "source_image",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("blob_key", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "consent_id"],
            ["consent_record.tenant_id", "consent_record.id"],
            name=op.f("fk_source_image_tenant_id_consent_id_consent_record"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subject_id"],
            ["subject.tenant_id", "subject.id"],
            name=op.f("fk_source_image_tenant_id_subject_id_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_source_image_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_image")),
    )
    with op.batch_alter_table("source_image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_image_blob_key"), ["blob_key"], unique=False)
        batch_op.create_index(
            "ix_source_image_tenant_id_subject_id", ["tenant_id", "subject_id"], unique=False
        )

    op.create_table(
        "concept_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("concept_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("domain_model_version_id", sa.Uuid(), nullable=False),
        sa.Column("artifact_key", sa.String(length=500), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("artifact_size", sa.BigInteger(), nullable=False),
        sa.Column("tuning_params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_concept_version_version_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "concept_id"],
            ["concept.tenant_id", "concept.id"],
            name=op.f("fk_concept_version_tenant_id_concept_id_concept"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "domain_model_version_id"],
            ["domain_model_version.tenant_id", "domain_model_version.id"],
            name=op.f("fk_concept_version_tenant_id_domain_model_version_id_domain_model_version"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_concept_version_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concept_version")),
        sa.UniqueConstraint(
            "concept_id", "version", name=op.f("uq_concept_version_concept_id_version")
        ),
    )
    with op.batch_alter_table("concept_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concept_version_artifact_key"), ["artifact_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("concept_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concept_version_artifact_key"))

    op.drop_table("concept_version")
    with op.batch_alter_table("source_image", schema=None) as batch_op:
        batch_op.drop_index("ix_source_image_tenant_id_subject_id")
        batch_op.drop_index(batch_op.f("ix_source_image_blob_key"))

    op.drop_table("source_image")
    op.drop_table("domain_alias")
    with op.batch_alter_table("concept", schema=None) as batch_op:
        batch_op.drop_index("ix_concept_tenant_id_subject_id")
        batch_op.drop_index("ix_concept_tenant_id_created_at_id")
        batch_op.drop_index("ix_concept_tenant_id_consent_id")

    op.drop_table("concept")
    with op.batch_alter_table("domain_model_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_model_version_artifact_key"))

    op.drop_table("domain_model_version")
    with op.batch_alter_table("domain_alias_event", schema=None) as batch_op:
        batch_op.drop_index("ix_domain_alias_event_domain_id_created_at")

    op.drop_table("domain_alias_event")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_record_tenant_id_subject_id")
        batch_op.drop_index("ix_consent_record_expires_at")

    op.drop_table("consent_record")
    op.drop_table("subject")
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.drop_index("ix_operation_tenant_id_created_at_id")
        batch_op.drop_index("ix_operation_status_heartbeat_at")

    op.drop_table("operation")
    with op.batch_alter_table("erasure_record", schema=None) as batch_op:
        batch_op.drop_index("ix_erasure_record_tenant_id_created_at")

    op.drop_table("erasure_record")
    with op.batch_alter_table("domain", schema=None) as batch_op:
        batch_op.drop_index("ix_domain_tenant_id_created_at_id")

    op.drop_table("domain")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index("ix_api_key_tenant_id_created_at")

    op.drop_table("api_key")
    op.drop_table("tenant")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_tenant_id_seq")

    op.drop_table("audit_event")
    op.drop_table("audit_chain_head")
