"""header search: the content plan's planned posts in the full-text index (an index of their own)

Revision ID: 0016_search_posts
Revises: 0015_search_all
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016_search_posts'
down_revision = '0015_search_all'
branch_labels = None
depends_on = None

KIND, TABLE = 'content_post', 'search_fts_content_post'


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} "
                   "USING fts5(title_terms, body_terms, tokenize='unicode61')")
    else:
        op.execute(f"CREATE INDEX IF NOT EXISTS fts_{TABLE} ON search_document USING GIN (fts_vector) "
                   f"WHERE kind = '{KIND}'")
    # Index the planned posts already there (the unplanned ones of metrics imports are platform records, not plans,
    # and stay out) as portal.content.post_search.index_post does: title = topic, body = caption, extra = tags and
    # audience. The stemming is the application's; the rows are written with plain SQL so that later changes to the
    # models do not change this step. The vocabulary gets the titles' words.
    from datetime import UTC, datetime

    from portal.search import terms_for_index, vocabulary_words

    now = datetime.now(UTC)
    words = set()
    posts = bind.execute(sa.text("SELECT id, topic, caption, tags, audience FROM content_post WHERE planned "
                                 "AND id NOT IN (SELECT ref_id FROM search_document WHERE kind = :kind) ORDER BY id"),
                         {"kind": KIND}).all()
    for ref_id, topic, caption, tags, audience in posts:
        title, body, extra = topic or '', caption or '', f"{(tags or '').replace(',', ' ')}\n{audience or ''}"
        title_terms, body_terms = terms_for_index(title), terms_for_index(f"{body}\n{extra}")
        doc_id = bind.execute(sa.text(
            "INSERT INTO search_document (kind, ref_id, title, body, title_terms, body_terms, updated_at) "
            "VALUES (:kind, :ref_id, :title, :body, :tt, :bt, :now) RETURNING id")
            .bindparams(sa.bindparam("now", type_=sqlmodel.sql.sqltypes.UTCDateTime())),
            {"kind": KIND, "ref_id": ref_id, "title": title, "body": body, "tt": title_terms, "bt": body_terms,
             "now": now}).scalar_one()
        if sqlite:
            bind.execute(sa.text(f"INSERT INTO {TABLE}(rowid, title_terms, body_terms) VALUES (:id, :tt, :bt)"),
                         {"id": doc_id, "tt": title_terms, "bt": body_terms})
        words |= vocabulary_words(KIND, title_terms, body_terms)
    rows = [{"term": w} for w in sorted(words)]
    for start in range(0, len(rows), 5000):
        bind.execute(sa.text("INSERT INTO search_term (term) VALUES (:term) ON CONFLICT DO NOTHING"),
                     rows[start:start + 5000])


def downgrade():
    # The posts' words stay in search_term: the vocabulary does not say which documents a word came from, and a
    # word nothing matches is never offered (a suggestion is shown only when it finds something).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"DROP TABLE IF EXISTS {TABLE}")
    else:
        op.execute(f"DROP INDEX IF EXISTS fts_{TABLE}")
    op.execute(f"DELETE FROM search_document WHERE kind = '{KIND}'")
