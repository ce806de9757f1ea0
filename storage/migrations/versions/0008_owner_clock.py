"""a reassignment restarts the response clock for the new owner: when it restarted, and the
highest level the earlier owners' clocks fired (so a breach still counts in the report)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_restarted_at', UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('sla_fired_before', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('sla_fired_before')
        batch_op.drop_column('sla_restarted_at')
