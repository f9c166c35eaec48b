"""audit: the last check of each site's stored chain, shown with its time instead of re-checked per page view

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'chain_checks',
        sa.Column('site', sa.String(length=40), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('checked_by', sa.String(length=120), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('record_count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('head_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('head_hash', sa.String(length=64), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('site', name=op.f('pk_chain_checks')),
    )


def downgrade():
    op.drop_table('chain_checks')
