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
    # On PostgreSQL built CONCURRENTLY, outside the migration's transaction: the table may be
    # large by now, and a plain build would hold every new key's claim (every webhook) until
    # it finished. SQLite ignores the option.
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_idempotency_key_created_at',
            'idempotency_key',
            ['created_at'],
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_created_at', table_name='idempotency_key')
