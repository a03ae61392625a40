"""person generations: a counter per person, moved by every write to what their own pages show of them (the
dashboard's cards are kept per person under it)

Revision ID: 0018_person_generation
Revises: 0017_cache_generation
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_person_generation'
down_revision = '0017_cache_generation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'person_generation',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('person_generation')
