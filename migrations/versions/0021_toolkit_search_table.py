"""the toolkit's full-text index in an FTS5 table of its own on SQLite, keyed by the item's id (search_fts_toolkit)

A search then counts, filters and ranks the toolkit's matches without a step through search_document for each.
PostgreSQL keeps the shared GIN index: nothing changes there.

Revision ID: 0021_toolkit_search_table
Revises: 0020_toolkit_item_id_facets
"""
from alembic import op

revision = '0021_toolkit_search_table'
down_revision = '0020_toolkit_item_id_facets'
branch_labels = None
depends_on = None

# the kinds with an FTS5 table of their own once this revision is applied (the others share search_fts)
OWN_TABLES = ('handbook', 'workshop', 'quiz_topic', 'content_post', 'toolkit')


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_toolkit "
               "USING fts5(title_terms, body_terms, tokenize='unicode61')")
    op.execute("INSERT INTO search_fts_toolkit(rowid, title_terms, body_terms) "
               "SELECT ref_id, title_terms, body_terms FROM search_document WHERE kind = 'toolkit'")
    # search_fts held the toolkit's documents and those of kinds without a table of their own: made anew with the
    # latter (deleting 100,000 rows one by one takes far longer).
    op.execute("DROP TABLE search_fts")
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title_terms, body_terms, tokenize='unicode61')")
    kinds = ", ".join(f"'{kind}'" for kind in OWN_TABLES)
    op.execute("INSERT INTO search_fts(rowid, title_terms, body_terms) "  # noqa: S608  # nosec B608  # constants
               f"SELECT id, title_terms, body_terms FROM search_document WHERE kind NOT IN ({kinds})")


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("INSERT INTO search_fts(rowid, title_terms, body_terms) "
               "SELECT id, title_terms, body_terms FROM search_document WHERE kind = 'toolkit'")
    op.execute("DROP TABLE IF EXISTS search_fts_toolkit")
