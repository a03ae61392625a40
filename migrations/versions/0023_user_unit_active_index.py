"""user (unit_id, active) indexed: a unit's active people are counted from the index alone

Revision ID: 0023_user_unit_active_index
Revises: 0022_toolkit_expiry_indexes
"""
from alembic import op

revision = '0023_user_unit_active_index'
down_revision = '0022_toolkit_expiry_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_user_unit_id_active', 'user', ['unit_id', 'active'], unique=False)
    op.drop_index('ix_user_unit_id', table_name='user')


def downgrade():
    op.create_index('ix_user_unit_id', 'user', ['unit_id'], unique=False)
    op.drop_index('ix_user_unit_id_active', table_name='user')
