"""drafts: follow-up emails requested from chat, written by the drafting worker, and decided on

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        'draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('rep_id', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('status', text(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('subject', text(), nullable=False),
        sa.Column('body', text(), nullable=False),
        sa.Column('model', text(), nullable=False),
        sa.Column('note', text(), nullable=True),
        sa.Column('written_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_by', text(), nullable=True),
        sa.Column('claimed_at', UTCDateTime(), nullable=True),
        sa.Column('to_email', text(), nullable=True),
        sa.Column('outcome', text(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('final_subject', text(), nullable=True),
        sa.Column('final_body', text(), nullable=True),
        sa.Column('change_ratio', sa.Float(), nullable=False),
        sa.Column('sent_via', text(), nullable=True),
        sa.ForeignKeyConstraint(['deal_id'], ['deal.id']),
        sa.ForeignKeyConstraint(['rep_id'], ['rep.id']),
        sa.ForeignKeyConstraint(['requested_by'], ['rep.id']),
        sa.ForeignKeyConstraint(['decided_by'], ['rep.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index('ix_draft_deal_id', ['deal_id'], unique=False)
        batch_op.create_index('ix_draft_status_requested_at', ['status', 'requested_at'], unique=False)
        batch_op.create_index('ix_draft_decided_at', ['decided_at'], unique=False)


def downgrade() -> None:
    op.drop_table('draft')
