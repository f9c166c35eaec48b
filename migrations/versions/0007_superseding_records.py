"""ledger: each record says whether it supersedes an earlier one of its consent, so that the revocation
refresher of every process reads only those (a partial index holds them) instead of every new record

Records stored before this revision get the flag from the ledger itself: a record supersedes when its
consent has a record with a lower seq on the same site.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consent_records') as batch_op:
        batch_op.add_column(sa.Column('supersedes', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE consent_records SET supersedes = TRUE WHERE EXISTS (SELECT 1 FROM consent_records AS earlier "
        "WHERE earlier.consent_id = consent_records.consent_id AND earlier.site = consent_records.site "
        "AND earlier.seq < consent_records.seq)"
    )
    op.create_index('ix_consent_records_superseding', 'consent_records', ['id'], unique=False,
                    postgresql_where=sa.text('supersedes'), sqlite_where=sa.text('supersedes = 1'))


def downgrade():
    op.drop_index('ix_consent_records_superseding', table_name='consent_records')
    with op.batch_alter_table('consent_records') as batch_op:
        batch_op.drop_column('supersedes')
