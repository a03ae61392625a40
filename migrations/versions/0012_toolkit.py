"""toolkit: PDFs known clean (pdf_checked); PostgreSQL search with a stored tsvector column

Revision ID: 0012_toolkit
Revises: 0009_quiz
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_toolkit'
down_revision = '0009_quiz'
branch_labels = None
depends_on = None

OLD_PG_INDEX = ("CREATE INDEX IF NOT EXISTS fts_search_document ON search_document USING GIN "
                "((setweight(to_tsvector('simple', title_terms), 'A') || "
                "setweight(to_tsvector('simple', body_terms), 'B')))")


def upgrade():
    with op.batch_alter_table('toolkit_regulation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pdf_checked', sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS fts_search_document")
        op.execute("ALTER TABLE search_document ADD COLUMN IF NOT EXISTS fts_vector tsvector GENERATED ALWAYS AS "
                   "(setweight(to_tsvector('simple', title_terms), 'A') || "
                   "setweight(to_tsvector('simple', body_terms), 'B')) STORED")
        op.execute("CREATE INDEX IF NOT EXISTS fts_search_document_vector ON search_document USING GIN (fts_vector)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS fts_search_document_vector")
        op.execute("ALTER TABLE search_document DROP COLUMN IF EXISTS fts_vector")
        op.execute(OLD_PG_INDEX)
    with op.batch_alter_table('toolkit_regulation', schema=None) as batch_op:
        batch_op.drop_column('pdf_checked')
