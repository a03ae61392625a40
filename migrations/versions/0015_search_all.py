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
    # is the application's (portal.search.terms_for_index), the same the services use when they index; the rows
    # are written with plain SQL so that later changes to the models do not change this step.
    from datetime import UTC, datetime

    from portal.search import terms_for_index, vocabulary_words

    now = datetime.now(UTC)
    documents = [('workshop', ref_id, title, description or '', place or '') for ref_id, title, description, place
                 in bind.execute(sa.text("SELECT id, title, description, place FROM workshop")).all()]
    documents += [('quiz_topic', ref_id, name, description or '', '') for ref_id, name, description
                  in bind.execute(sa.text("SELECT id, name, description FROM quiz_topic")).all()]
    for kind, ref_id, title, body, extra in documents:
        title_terms, body_terms = terms_for_index(title), terms_for_index(f"{body}\n{extra}")
        doc_id = bind.execute(sa.text(
            "INSERT INTO search_document (kind, ref_id, title, body, title_terms, body_terms, updated_at) "
            "VALUES (:kind, :ref_id, :title, :body, :tt, :bt, :now) RETURNING id")
            .bindparams(sa.bindparam("now", type_=sqlmodel.sql.sqltypes.UTCDateTime())),
            {"kind": kind, "ref_id": ref_id, "title": title, "body": body, "tt": title_terms, "bt": body_terms,
             "now": now}).scalar_one()
        if sqlite:
            bind.execute(sa.text(f"INSERT INTO {OWN_TABLES[kind]}(rowid, title_terms, body_terms) "
                                 "VALUES (:id, :tt, :bt)"), {"id": doc_id, "tt": title_terms, "bt": body_terms})
    words = set()
    for kind, title_terms, body_terms in bind.execute(sa.text(
            "SELECT kind, title_terms, body_terms FROM search_document")).all():
        words |= vocabulary_words(kind, title_terms, body_terms)
    rows = [{"term": w} for w in sorted(words)]
    for start in range(0, len(rows), 5000):
        bind.execute(sa.text("INSERT INTO search_term (term) VALUES (:term) ON CONFLICT DO NOTHING"),
                     rows[start:start + 5000])


def downgrade():
    bind = op.get_bind()
    for kind, table in OWN_TABLES.items():
        if bind.dialect.name == 'sqlite':
            op.execute(f"DROP TABLE IF EXISTS {table}")
        else:
            op.execute(f"DROP INDEX IF EXISTS fts_{table}")
        op.execute(f"DELETE FROM search_document WHERE kind = '{kind}'")
    op.drop_table('search_term')
