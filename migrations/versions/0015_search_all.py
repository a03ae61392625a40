"""header search: workshops and quiz topics in the full-text index (an index of their own each), the vocabulary
table for spelling suggestions

Revision ID: 0015_search_all
Revises: 0010_handbook
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015_search_all'
down_revision = '0010_handbook'
branch_labels = None
depends_on = None

OWN_TABLES = {'workshop': 'search_fts_workshop', 'quiz_topic': 'search_fts_quiz_topic'}


def upgrade():
    op.create_table(
        'search_term',
        sa.Column('term', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint('term'),
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    for kind, table in OWN_TABLES.items():
        if sqlite:
            op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} "
                       "USING fts5(title_terms, body_terms, tokenize='unicode61')")
        else:
            op.execute(f"CREATE INDEX IF NOT EXISTS fts_{table} ON search_document USING GIN (fts_vector) "
                       f"WHERE kind = '{kind}'")
    # Index the existing workshops and topics, then fill the vocabulary from every indexed document. The stemming
    # is the application's (portal.search), the same the services use when they index.
    from sqlmodel import Session

    from portal import search

    session = Session(bind=bind)
    for ref_id, title, description, place in bind.execute(sa.text(
            "SELECT id, title, description, place FROM workshop")).all():
        search.index_document(session, 'workshop', ref_id, title, description or '', extra=place or '')
    for ref_id, name, description in bind.execute(sa.text("SELECT id, name, description FROM quiz_topic")).all():
        search.index_document(session, 'quiz_topic', ref_id, name, description or '')
    words = set()
    for kind, title_terms, body_terms in bind.execute(sa.text(
            "SELECT kind, title_terms, body_terms FROM search_document")).all():
        words |= search._vocabulary_words(kind, title_terms, body_terms)
    search.add_vocabulary(session, words)
    session.flush()


def downgrade():
    bind = op.get_bind()
    for kind, table in OWN_TABLES.items():
        if bind.dialect.name == 'sqlite':
            op.execute(f"DROP TABLE IF EXISTS {table}")
        else:
            op.execute(f"DROP INDEX IF EXISTS fts_{table}")
        op.execute(f"DELETE FROM search_document WHERE kind = '{kind}'")
    op.drop_table('search_term')
