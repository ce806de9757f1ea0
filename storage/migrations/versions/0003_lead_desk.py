"""lead desk: lead tier, score detail, routing reason and response clock; assignment history;
where outbox messages landed; what an idempotency key produced

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('score_detail', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('routing_rule', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('routing_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_started_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_fired', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('sla_next_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_lead_sla_next_at', ['sla_next_at'], unique=False)
        batch_op.create_foreign_key('fk_lead_team_id_team', 'team', ['team_id'], ['id'])
    op.create_table(
        'lead_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('rep_id', sa.Integer(), nullable=False),
        sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['lead.id']),
        sa.ForeignKeyConstraint(['rep_id'], ['rep.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_lead_assignment_lead_id', 'lead_assignment', ['lead_id'], unique=False)
    op.create_index('ix_lead_assignment_rep_at', 'lead_assignment', ['rep_id', 'at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_column('result')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sent_ref')
    op.drop_index('ix_lead_assignment_rep_at', table_name='lead_assignment')
    op.drop_index('ix_lead_assignment_lead_id', table_name='lead_assignment')
    op.drop_table('lead_assignment')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lead_team_id_team', type_='foreignkey')
        batch_op.drop_index('ix_lead_sla_next_at')
        for column in (
            'sla_next_at', 'sla_fired', 'sla_started_at', 'accepted_at', 'routing_reason',
            'routing_rule', 'team_id', 'score_detail', 'tier',
        ):
            batch_op.drop_column(column)
