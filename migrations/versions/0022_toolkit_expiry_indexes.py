"""toolkit expiry dates indexed: humas' worklist finds what expires soon without reading every item

Revision ID: 0022_toolkit_expiry_indexes
Revises: 0021_toolkit_search_table
"""
from alembic import op

revision = '0022_toolkit_expiry_indexes'
down_revision = '0021_toolkit_search_table'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_toolkit_item_valid_until', 'toolkit_item', ['valid_until'], unique=False)
    op.create_index('ix_toolkit_photo_consent_expires_on', 'toolkit_photo', ['consent_expires_on'], unique=False)


def downgrade():
    op.drop_index('ix_toolkit_photo_consent_expires_on', table_name='toolkit_photo')
    op.drop_index('ix_toolkit_item_valid_until', table_name='toolkit_item')
