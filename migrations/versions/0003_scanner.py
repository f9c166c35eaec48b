"""scanner: scans with their result documents, and the cookies and hosts each saw

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('passes_done', sa.Integer(), nullable=False),
        sa.Column('passes_total', sa.Integer(), nullable=False),
        sa.Column('exit_code', sa.Integer(), nullable=True),
        sa.Column('options', sa.Text(), nullable=False),
        sa.Column('result', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scans')),
    )
    op.create_index('ix_scans_site_created_at', 'scans', ['site', 'created_at'], unique=False)
    op.create_table(
        'scan_items',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], name=op.f('fk_scan_items_scan_id_scans'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_items')),
    )
    op.create_index('uq_scan_items_scan_id_kind_key', 'scan_items', ['scan_id', 'kind', 'key'], unique=True)


def downgrade():
    op.drop_index('uq_scan_items_scan_id_kind_key', table_name='scan_items')
    op.drop_table('scan_items')
    op.drop_index('ix_scans_site_created_at', table_name='scans')
    op.drop_table('scans')
