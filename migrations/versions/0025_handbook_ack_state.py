"""handbook_ack_state: each person's newest acknowledged edition beside their unit and active flag, kept by triggers

The handbook report counts who has acknowledged, per unit, from its (unit_id, active, acknowledged_published_at)
index instead of asking each person's acknowledgements (35-50 ms at 50,000 people once most had acknowledged).

Revision ID: 0025_handbook_ack_state
Revises: 0024_toolkit_worklist_indexes
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0025_handbook_ack_state'
down_revision = '0024_toolkit_worklist_indexes'
branch_labels = None
depends_on = None


def upgrade():
    from portal.models.handbook import fill_ack_state, install_ack_state

    op.create_table(
        'handbook_ack_state',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('acknowledged_published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_index('ix_handbook_ack_state_unit', 'handbook_ack_state',
                    ['unit_id', 'active', 'acknowledged_published_at'], unique=False)
    connection = op.get_bind()
    install_ack_state(connection)
    fill_ack_state(connection)


def downgrade():
    from portal.models.handbook import uninstall_ack_state

    uninstall_ack_state(op.get_bind())
    op.drop_index('ix_handbook_ack_state_unit', table_name='handbook_ack_state')
    op.drop_table('handbook_ack_state')
