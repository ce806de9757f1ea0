"""one undecided draft per deal: a second Draft follow-up press queues nothing

Older undecided drafts of a deal that already has a newer one are closed as rejected without an
outcome (so no report counts them as a decision; their cards say the draft was already handled),
then a partial unique index holds the rule for every process.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

UNDECIDED = "status IN ('requested', 'drafting', 'ready')"


def upgrade() -> None:
    op.execute(
        f"UPDATE draft SET status = 'rejected' WHERE {UNDECIDED} AND id NOT IN "
        f"(SELECT max(id) FROM draft WHERE {UNDECIDED} GROUP BY deal_id)"
    )
    op.create_index(
        'ux_draft_undecided_deal',
        'draft',
        ['deal_id'],
        unique=True,
        sqlite_where=sa.text(UNDECIDED),
        postgresql_where=sa.text(UNDECIDED),
    )


def downgrade() -> None:
    op.drop_index('ux_draft_undecided_deal', table_name='draft')
