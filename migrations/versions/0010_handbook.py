"""handbook: acknowledgement rule (every section or a core set), core sections, a search index of its own

Revision ID: 0010_handbook
Revises: 0013_content
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010_handbook'
down_revision = '0013_content'
branch_labels = None
depends_on = None



def upgrade():
    op.create_table(
        'handbook_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('handbook_section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('core', sa.Boolean(), nullable=False, server_default=sa.false()))

    # The handbook's search documents get a full-text index of their own (SQLite: an FTS5 table; PostgreSQL: a
    # partial GIN index), so a handbook search never reads the toolkit's postings.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_handbook "
                   "USING fts5(title_terms, body_terms, tokenize='unicode61')")
        op.execute("INSERT INTO search_fts_handbook(rowid, title_terms, body_terms) "
                   "SELECT id, title_terms, body_terms FROM search_document WHERE kind = 'handbook'")
        op.execute("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_document WHERE kind = 'handbook')")
    else:
        op.execute("CREATE INDEX IF NOT EXISTS fts_search_fts_handbook ON search_document USING GIN (fts_vector) "
                   "WHERE kind = 'handbook'")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("INSERT INTO search_fts(rowid, title_terms, body_terms) "
                   "SELECT id, title_terms, body_terms FROM search_document WHERE kind = 'handbook'")
        op.execute("DROP TABLE IF EXISTS search_fts_handbook")
    else:
        op.execute("DROP INDEX IF EXISTS fts_search_fts_handbook")
    with op.batch_alter_table('handbook_section', schema=None) as batch_op:
        batch_op.drop_column('core')
    op.drop_table('handbook_rule')
