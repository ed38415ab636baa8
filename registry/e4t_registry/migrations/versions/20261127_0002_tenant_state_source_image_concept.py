"""Tenant soft delete (state, deleted_at) and the concept a source image was taken for.

Existing tenants become ACTIVE; existing source images keep a NULL concept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:49:31.612050
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_image", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concept_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            "ix_source_image_tenant_id_concept_id", ["tenant_id", "concept_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_source_image_tenant_id_concept_id_concept"),
            "concept",
            ["tenant_id", "concept_id"],
            ["tenant_id", "id"],
        )

    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum("ACTIVE", "DELETED", name="tenantstate", native_enum=False, length=16),
                server_default="ACTIVE",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("state")

    with op.batch_alter_table("source_image", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_source_image_tenant_id_concept_id_concept"), type_="foreignkey"
        )
        batch_op.drop_index("ix_source_image_tenant_id_concept_id")
        batch_op.drop_column("concept_id")
