"""audit: auditor accounts, the export log and purge checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:26:35.444164

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'auditors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('sites', sa.String(length=400), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_auditors')),
        sa.UniqueConstraint('name', name=op.f('uq_auditors_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_auditors_token_hash')),
    )
    op.create_table(
        'purge_checkpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site', sa.String(length=40), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('record_hash', sa.String(length=64), nullable=False),
        sa.Column('last_recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('purged_count', sa.BigInteger(), nullable=False),
        sa.Column('purged_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('signature', sa.String(length=100), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_purge_checkpoints')),
    )
    op.create_index('uq_purge_checkpoints_site_seq', 'purge_checkpoints', ['site', 'seq'], unique=True)
    op.create_table(
        'audit_exports',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('auditor_id', sa.Integer(), nullable=True),
        sa.Column('who', sa.String(length=120), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('filter', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['auditor_id'], ['auditors.id'], name=op.f('fk_audit_exports_auditor_id_auditors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_exports')),
    )
    op.create_index('ix_audit_exports_auditor_id_at', 'audit_exports', ['auditor_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_audit_exports_auditor_id_at', table_name='audit_exports')
    op.drop_table('audit_exports')
    op.drop_index('uq_purge_checkpoints_site_seq', table_name='purge_checkpoints')
    op.drop_table('purge_checkpoints')
    op.drop_table('auditors')
