"""toolkit items by id with what a search counts and filters them by: a new query's counts read the index, not rows

Revision ID: 0020_toolkit_item_id_facets
Revises: 0019_user_id_name_index
"""
from alembic import op

revision = '0020_toolkit_item_id_facets'
down_revision = '0019_user_id_name_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_toolkit_item_id_facets', 'toolkit_item',
                    ['id', 'status', 'visible_until', 'kind', 'owner_unit_id', 'year'], unique=False)


def downgrade():
    op.drop_index('ix_toolkit_item_id_facets', table_name='toolkit_item')
