"""handbook_ack_unit: how many active people of each unit last acknowledged each edition, kept by triggers; and a
handbook_ack_state row for every person (none acknowledged: NULL), so the counts include them

The handbook report's members and acknowledgements per unit are sums over a few hundred rows instead of two counts
over every person's index entry (5 ms a page at 50,000 people, growing with the institution).

Revision ID: 0028_handbook_ack_unit
Revises: 0027_follow_up_indexes
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0028_handbook_ack_unit'
down_revision = '0027_follow_up_indexes'
branch_labels = None
depends_on = None


def upgrade():
    from portal.models.handbook import fill_ack_unit, install_ack_unit

    op.create_table(
        'handbook_ack_unit',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('acknowledged_published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('unit_id', 'acknowledged_published_at'),
    )
    connection = op.get_bind()
    install_ack_unit(connection)
    fill_ack_unit(connection)


def downgrade():
    from portal.models.handbook import uninstall_ack_unit

    connection = op.get_bind()
    uninstall_ack_unit(connection)
    op.drop_table('handbook_ack_unit')
    # the rows of people who have acknowledged nothing go: handbook_ack_state is as migration 0025 keeps it
    op.execute("DELETE FROM handbook_ack_state WHERE acknowledged_published_at IS NULL")
