"""cache generations: a counter per cached subject, moved by every write to it (toolkit search caches)

Revision ID: 0017_cache_generation
Revises: 0016_search_posts
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017_cache_generation'
down_revision = '0016_search_posts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_generation',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('cache_generation')
