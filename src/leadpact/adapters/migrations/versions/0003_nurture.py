"""nurture: flow versions and activations, the nurture outbox, suppressed addresses, per-lead
timers and the tick cursor (issue #8)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 16:22:18.518523
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_versions")),
        sa.UniqueConstraint("flow_id", "version", name=op.f("uq_flow_versions_flow_id_version")),
    )
    op.create_table(
        "nurture_leads",
        sa.Column(
            "lead_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_nurture_leads")),
    )
    with op.batch_alter_table("nurture_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nurture_leads_next_at"), ["next_at"], unique=False)

    op.create_table(
        "nurture_outbox",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column(
            "lead_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("flow_version", sa.String(length=64), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("end_of_data_at", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed', 'suppressed')", name=op.f("ck_nurture_outbox_state")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_nurture_outbox")),
    )
    with op.batch_alter_table("nurture_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_nurture_outbox_flow_id_state", ["flow_id", "state"], unique=False)
        batch_op.create_index("ix_nurture_outbox_lead_id_state", ["lead_id", "state"], unique=False)
        batch_op.create_index("ix_nurture_outbox_state_next_attempt_at", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "nurture_suppressions",
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column(
            "lead_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_nurture_suppressions")),
    )
    op.create_table(
        "nurture_ticks",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("ticked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_ticks")),
    )
    op.create_table(
        "flow_activations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("flow_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("activated_by", sa.String(length=255), nullable=False),
        sa.Column("activated_at", sa.BigInteger(), nullable=False),
        sa.Column("deactivated_by", sa.String(length=255), nullable=True),
        sa.Column("deactivated_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_version_id"], ["flow_versions.id"], name=op.f("fk_flow_activations_flow_version_id_flow_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_activations")),
    )
    with op.batch_alter_table("flow_activations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_activations_flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_activations_flow_version_id"), ["flow_version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_activations_flow_version_id"))
        batch_op.drop_index(batch_op.f("ix_flow_activations_flow_id"))

    op.drop_table("flow_activations")
    op.drop_table("nurture_ticks")
    op.drop_table("nurture_suppressions")
    with op.batch_alter_table("nurture_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_nurture_outbox_state_next_attempt_at")
        batch_op.drop_index("ix_nurture_outbox_lead_id_state")
        batch_op.drop_index("ix_nurture_outbox_flow_id_state")

    op.drop_table("nurture_outbox")
    with op.batch_alter_table("nurture_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nurture_leads_next_at"))

    op.drop_table("nurture_leads")
    op.drop_table("flow_versions")
