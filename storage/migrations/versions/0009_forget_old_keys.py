"""idempotency keys are forgotten after a retention period: an index on when each was first seen

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain build, in the migration's transaction: CONCURRENTLY would wait for every open
    # transaction, among them those of replicas waiting for this migration (see
    # storage.migrate), and never finish. On a large table, writes of new keys wait meanwhile.
    op.create_index('ix_idempotency_key_created_at', 'idempotency_key', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_created_at', table_name='idempotency_key')
