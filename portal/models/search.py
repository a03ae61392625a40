from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow


class SearchDocument(SQLModel, table=True):
    """One searchable thing of any pillar. `title_terms`/`body_terms` hold the stemmed, expanded words that the
    full-text index (FTS5 on SQLite, a GIN tsvector index on PostgreSQL) is built from; `title`/`body` keep the
    original text for snippets."""

    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", name="uq_search_document_kind_ref"),
        # Covering index for the join from the full-text match (by id) to kind and ref_id: without it SQLite reads
        # every matching row with its long text (5x slower for a common word among 100,000 documents).
        Index("ix_search_document_id_kind_ref", "id", "kind", "ref_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30, index=True)
    ref_id: int = Field(index=True)
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    title_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class SearchTerm(SQLModel, table=True):
    """The index's vocabulary: every stemmed word of the documents' titles (and of the bodies of the kinds in
    `portal.search.VOCABULARY_BODY_KINDS`), added as documents are indexed. The header search's spelling
    suggestions look candidate words up here by primary key instead of reading the documents."""

    __tablename__ = "search_term"

    term: str = Field(primary_key=True, max_length=100)


# Kinds with a full-text index of their own: a search among them never reads the postings of other kinds' documents
# (the handbook's 2,000 sections beside 100,000 toolkit items; the header search's workshops, quiz topics and the
# content plan's posts). Other kinds share `search_fts` / the shared index.
KIND_TABLES = {"handbook": "search_fts_handbook", "workshop": "search_fts_workshop",
               "quiz_topic": "search_fts_quiz_topic", "content_post": "search_fts_content_post"}
# SQLite: kinds whose FTS5 table is keyed by the document's ref id (the row id of the pillar's table) instead of the
# document's id, so a search counts, filters and ranks its matches without a step through `search_document` for
# each (the toolkit's 100,000 items: a common word's 24,000 matches counted in 12 ms instead of 18, ranked in 20
# instead of 28). The toolkit's documents were in `search_fts` before (migration 0021). PostgreSQL: the shared index.
REF_KEYED_TABLES = {"toolkit": "search_fts_toolkit"}

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title_terms, body_terms, tokenize='unicode61')",
    *(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(title_terms, body_terms, tokenize='unicode61')"
      for table in (*KIND_TABLES.values(), *REF_KEYED_TABLES.values())),
]
# PostgreSQL: the weighted tsvector is a stored generated column (kept by the database on every write), indexed with
# GIN; matching and ranking read it instead of rebuilding a tsvector per row.
PG_VECTOR_EXPRESSION = ("setweight(to_tsvector('simple', title_terms), 'A') || "
                        "setweight(to_tsvector('simple', body_terms), 'B')")
POSTGRES_DDL = [
    "ALTER TABLE search_document ADD COLUMN IF NOT EXISTS fts_vector tsvector "
    f"GENERATED ALWAYS AS ({PG_VECTOR_EXPRESSION}) STORED",
    "CREATE INDEX IF NOT EXISTS fts_search_document_vector ON search_document USING GIN (fts_vector)",
    # A partial index per kind of its own: the query names the kind as a literal, so the planner can pick it.
    *(f"CREATE INDEX IF NOT EXISTS fts_{table} ON search_document USING GIN (fts_vector) WHERE kind = '{kind}'"
      for kind, table in KIND_TABLES.items()),
]
PG_VECTOR = "d.fts_vector"


def install(connection):
    """Create the full-text index objects (idempotent). Called by the migration and by create_all."""
    statements = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        connection.execute(text(statement))


def uninstall(connection):
    if connection.dialect.name == "sqlite":
        for table in ("search_fts", *KIND_TABLES.values(), *REF_KEYED_TABLES.values()):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    else:
        for table in KIND_TABLES.values():
            connection.execute(text(f"DROP INDEX IF EXISTS fts_{table}"))
        connection.execute(text("DROP INDEX IF EXISTS fts_search_document_vector"))
        connection.execute(text("ALTER TABLE search_document DROP COLUMN IF EXISTS fts_vector"))


def is_search_object(name):
    """Schema objects that live outside SQLModel.metadata (for Alembic's comparisons)."""
    return bool(name) and (name.startswith("search_fts") or name.startswith("fts_"))


@event.listens_for(SearchDocument.__table__, "after_create")
def _after_create(_table, connection, **_kw):
    install(connection)


@event.listens_for(SearchDocument.__table__, "before_drop")
def _before_drop(_table, connection, **_kw):
    uninstall(connection)


class CacheGeneration(SQLModel, table=True):
    """A counter per cached subject (e.g. "toolkit"), moved in the same transaction as every write to that subject.
    Cached results carry the counter in their key, so every process and instance stops using them as soon as the
    write is committed, with or without a shared cache."""

    __tablename__ = "cache_generation"

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0)


class PersonGeneration(SQLModel, table=True):
    """A counter per person, moved in the same transaction as every write that changes what that person's own pages
    show of them (portal/generations.py `move_person`): what is kept per person (the dashboard's cards) carries it
    in its key."""

    __tablename__ = "person_generation"

    user_id: int = Field(primary_key=True)
    value: int = Field(default=0)
