from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import Column, Index, Text, column, event, func, text
from sqlmodel import Field, Relationship, SQLModel

# Every account is an ASN employee; further roles add permissions (see portal/permissions.py).
ROLES = ("employee", "supervisor", "humas", "trainer", "admin")


def utcnow():
    """Aware UTC timestamp (SQLModel stores datetimes as UTC); the interface shows them in WIB."""
    return datetime.now(UTC)


class Unit(SQLModel, table=True):
    """A unit kerja. `path` is the materialised chain of ids ("/1/4/9/") so a subtree is one prefix query."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    path: str = Field(default="/", max_length=500, index=True)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def depth(self):
        return self.path.strip("/").count("/")


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(max_length=20, primary_key=True)

    user: "User" = Relationship(back_populates="role_links")


class User(UserMixin, SQLModel, table=True):
    # Admin lists sort by name: an index that gives the order without sorting 50,000 rows; and the names by id, for
    # sorting a text search's few thousand matches without reading their whole rows (accounts/user_search.py).
    # (unit_id, active): the reports count a unit's active people from the index alone (reading 50,000 rows for
    # their `active` took 150 ms a report)
    __table_args__ = (Index("ix_user_full_name_id", "full_name", "id"),
                      Index("ix_user_lower_full_name", func.lower(column("full_name"))),
                      Index("ix_user_id_full_name", "id", "full_name"),
                      # a unit's active people counted, and listed by name (the follow-up lists), from the index
                      Index("ix_user_unit_id_active_name", "unit_id", "active", "full_name"))

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    nip: str | None = Field(default=None, max_length=18, unique=True, index=True)
    full_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254, unique=True, index=True)
    unit_id: int = Field(foreign_key="unit.id")
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=True, index=True)
    preferred_language: str = Field(default="id", max_length=5)
    # Bumped on password change and deactivation: every session cookie carrying the old value stops working.
    auth_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None

    role_links: list[UserRole] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"},
    )
    unit: Unit = Relationship(sa_relationship_kwargs={"lazy": "joined"})

    @property
    def roles(self):
        session_roles = self.__dict__.get("_session_roles")  # the signed-in user: from their session record
        if session_roles is not None:
            return set(session_roles)
        return {link.role for link in self.role_links} | {"employee"}

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.auth_version}"

    def has_role(self, role):
        return role in self.roles


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40)
    object_id: str | None = Field(default=None, max_length=60)
    summary: str = Field(default="", max_length=500)
    before: str | None = Field(default=None, sa_column=Column(Text))
    after: str | None = Field(default=None, sa_column=Column(Text))
    ip: str | None = Field(default=None, max_length=45)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds only a random token; this record decides whether it still counts, so
    logout, a password change, deactivation or "end this session" end it on the server for real."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 of the cookie's token
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    roles: str = Field(default="", max_length=200)  # the user's roles, kept current by role changes (one query/request)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime  # absolute end, however active the session is
    user_agent: str = Field(default="", max_length=300)
    ip: str | None = Field(default=None, max_length=45)
    ended_at: datetime | None = Field(default=None, index=True)
    ended_reason: str | None = Field(default=None, max_length=20)


# --- the user search index: substring search over name, username, NIP and e-mail without a table scan ---------------
# SQLite: an FTS5 trigram index kept in step by triggers; PostgreSQL: a pg_trgm GIN index on one expression.
# Names start with "fts_" so that Alembic's comparisons leave them alone (see migrations/env.py).

USER_SEARCH_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_user USING fts5(full_name, username, nip, email, content='user', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS fts_user_ai AFTER INSERT ON user BEGIN "
    "INSERT INTO fts_user(rowid, full_name, username, nip, email) "
    "VALUES (new.id, new.full_name, new.username, new.nip, new.email); END",
    "CREATE TRIGGER IF NOT EXISTS fts_user_ad AFTER DELETE ON user BEGIN "
    "INSERT INTO fts_user(fts_user, rowid, full_name, username, nip, email) "
    "VALUES ('delete', old.id, old.full_name, old.username, old.nip, old.email); END",
    "CREATE TRIGGER IF NOT EXISTS fts_user_au AFTER UPDATE OF full_name, username, nip, email ON user BEGIN "
    "INSERT INTO fts_user(fts_user, rowid, full_name, username, nip, email) "
    "VALUES ('delete', old.id, old.full_name, old.username, old.nip, old.email); "
    "INSERT INTO fts_user(rowid, full_name, username, nip, email) "
    "VALUES (new.id, new.full_name, new.username, new.nip, new.email); END",
    "INSERT INTO fts_user(fts_user) VALUES ('rebuild')",
]
USER_SEARCH_TEXT_PG = ("(lower(full_name) || ' ' || username || ' ' || coalesce(nip, '') || ' ' || "
                       "coalesce(lower(email), ''))")
# PostgreSQL keeps that text in a stored generated column, which the trigram index reads: every match is checked
# again on its row (trigrams only narrow the candidates), and reading the stored text instead of computing it from
# four columns halved the statement ("setiawan", 1,534 people: 10.4 -> 5.9 ms; planning 2.3 -> 0.5 ms).
USER_SEARCH_COLUMN_PG = "fts_search_text"


def trigram_ops(connection):
    """PostgreSQL: pg_trgm's GIN operator class, named with the schema the extension was installed in (which need
    not be on the search path)."""
    schema = connection.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                     "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar()
    return f'"{schema}".gin_trgm_ops'


def install_user_search(connection):
    if connection.dialect.name == "sqlite":
        for statement in USER_SEARCH_SQLITE:
            connection.execute(text(statement))
        return
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    connection.execute(text(f'ALTER TABLE "user" ADD COLUMN IF NOT EXISTS {USER_SEARCH_COLUMN_PG} text '
                            f"GENERATED ALWAYS AS {USER_SEARCH_TEXT_PG} STORED"))
    connection.execute(text(f'CREATE INDEX IF NOT EXISTS fts_user_text_trgm ON "user" USING GIN '
                            f"({USER_SEARCH_COLUMN_PG} {trigram_ops(connection)})"))
    connection.execute(text("DROP INDEX IF EXISTS fts_user_trgm"))  # the index on the expression, before 0026


def uninstall_user_search(connection):
    if connection.dialect.name == "sqlite":
        for name in ("fts_user_ai", "fts_user_ad", "fts_user_au"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        connection.execute(text("DROP TABLE IF EXISTS fts_user"))
    else:
        for index in ("fts_user_trgm", "fts_user_text_trgm"):
            connection.execute(text(f"DROP INDEX IF EXISTS {index}"))
        connection.execute(text(f'ALTER TABLE "user" DROP COLUMN IF EXISTS {USER_SEARCH_COLUMN_PG}'))


@event.listens_for(User.__table__, "after_create")
def _user_search_after_create(_table, connection, **_kw):
    install_user_search(connection)


@event.listens_for(User.__table__, "before_drop")
def _user_search_before_drop(_table, connection, **_kw):
    uninstall_user_search(connection)
