"""audit: auditors' web sessions, ended by signing out

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'auditor_sessions',
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('auditor_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['auditor_id'], ['auditors.id'],
                                name=op.f('fk_auditor_sessions_auditor_id_auditors')),
        sa.PrimaryKeyConstraint('secret_hash', name=op.f('pk_auditor_sessions')),
    )
    op.create_index('ix_auditor_sessions_auditor_id', 'auditor_sessions', ['auditor_id'], unique=False)


def downgrade():
    op.drop_index('ix_auditor_sessions_auditor_id', table_name='auditor_sessions')
    op.drop_table('auditor_sessions')
