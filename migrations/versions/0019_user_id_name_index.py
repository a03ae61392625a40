"""user names by id: an index that lets a text search sort its matches by name without reading their rows

Revision ID: 0019_user_id_name_index
Revises: 0018_person_generation
"""
from alembic import op

revision = '0019_user_id_name_index'
down_revision = '0018_person_generation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_user_id_full_name', 'user', ['id', 'full_name'], unique=False)


def downgrade():
    op.drop_index('ix_user_id_full_name', table_name='user')
