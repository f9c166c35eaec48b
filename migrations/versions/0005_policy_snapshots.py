"""ledger: policy snapshots, and each record's policy_hash

Records stored before this revision keep an empty policy_hash: their hash covers the fields it always
did (``proof.chain.LEGACY_HASHED_FIELDS``), so they verify as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'policy_snapshots',
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('site', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('policy_version', sa.String(length=64), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('hash', name=op.f('pk_policy_snapshots')),
    )
    with op.batch_alter_table('consent_records') as batch_op:
        batch_op.add_column(sa.Column('policy_hash', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(op.f('fk_consent_records_policy_hash_policy_snapshots'),
                                    'policy_snapshots', ['policy_hash'], ['hash'])


def downgrade():
    with op.batch_alter_table('consent_records') as batch_op:
        batch_op.drop_constraint(op.f('fk_consent_records_policy_hash_policy_snapshots'), type_='foreignkey')
        batch_op.drop_column('policy_hash')
    op.drop_table('policy_snapshots')
