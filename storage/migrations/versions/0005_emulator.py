"""emulator: the local emulator's transcript (rep threads and team channels)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'emulator_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('visible_to', sa.Integer(), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('outbox_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('outbox_key'),
    )
    op.create_index(
        'ix_emulator_message_conversation', 'emulator_message', ['conversation', 'id'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_emulator_message_conversation', table_name='emulator_message')
    op.drop_table('emulator_message')
