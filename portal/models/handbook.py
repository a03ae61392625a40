"""Handbook: chapters and sections (the working draft), revisions, published editions, reading and acknowledgement.

Employees only ever read an edition: publishing snapshots every section's current revision into EditionSection,
so drafts can never leak into what they see.
"""

from datetime import UTC, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow


class Chapter(SQLModel, table=True):
    __tablename__ = "handbook_chapter"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(default=0, index=True)
    title: str = Field(max_length=200)
    slug: str = Field(max_length=100, unique=True)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False))
    archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class Section(SQLModel, table=True):
    """A section's slug is its permanent anchor: quiz questions and workshop materials link to it."""

    __tablename__ = "handbook_section"

    id: int | None = Field(default=None, primary_key=True)
    chapter_id: int = Field(foreign_key="handbook_chapter.id", index=True)
    position: int = Field(default=0)
    slug: str = Field(max_length=100, unique=True, index=True)
    current_revision_id: int | None = Field(default=None)  # the head of the draft; set after the first revision
    archived: bool = Field(default=False)
    core: bool = Field(default=False)  # in the core set (when the acknowledgement rule asks only for the core)
    created_at: datetime = Field(default_factory=utcnow)


class SectionRevision(SQLModel, table=True):
    __tablename__ = "handbook_revision"
    __table_args__ = (UniqueConstraint("section_id", "number", name="uq_handbook_revision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="handbook_section.id", index=True)
    number: int
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))  # rendered once, at save time
    summary: str = Field(default="", max_length=300)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Edition(SQLModel, table=True):
    __tablename__ = "handbook_edition"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=20, unique=True)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    material: bool = Field(default=False)
    published_at: datetime = Field(default_factory=utcnow, index=True)
    published_by_id: int | None = Field(default=None, foreign_key="user.id")


class EditionChapter(SQLModel, table=True):
    __tablename__ = "handbook_edition_chapter"

    edition_id: int = Field(foreign_key="handbook_edition.id", primary_key=True)
    chapter_id: int = Field(foreign_key="handbook_chapter.id", primary_key=True)
    position: int
    title: str = Field(max_length=200)
    slug: str = Field(max_length=100)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False))


class EditionSection(SQLModel, table=True):
    __tablename__ = "handbook_edition_section"

    edition_id: int = Field(foreign_key="handbook_edition.id", primary_key=True)
    section_id: int = Field(foreign_key="handbook_section.id", primary_key=True)
    revision_id: int = Field(foreign_key="handbook_revision.id")
    chapter_id: int = Field(foreign_key="handbook_chapter.id")
    position: int  # order in the whole edition


class SectionRead(SQLModel, table=True):
    __tablename__ = "handbook_read"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    section_id: int = Field(foreign_key="handbook_section.id", primary_key=True)
    read_at: datetime = Field(default_factory=utcnow)


class Acknowledgement(SQLModel, table=True):
    __tablename__ = "handbook_acknowledgement"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    edition_id: int = Field(foreign_key="handbook_edition.id", primary_key=True, index=True)
    acknowledged_at: datetime = Field(default_factory=utcnow)


class AcknowledgementState(SQLModel, table=True):
    """Each person's newest acknowledged edition (its publication time), with their unit and active flag copied
    beside it. The database keeps it (`install_ack_state`): triggers on every acknowledgement added or removed and
    on every change of a person's unit or active flag, whoever writes them (a service, an import's bulk statement,
    a test's factory). The report counts who has acknowledged, per unit, from its index alone: asking each of
    50,000 people's acknowledgements took 35-50 ms once most had acknowledged."""

    __tablename__ = "handbook_ack_state"
    __table_args__ = (Index("ix_handbook_ack_state_unit", "unit_id", "active", "acknowledged_published_at"),)

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    unit_id: int
    active: bool
    acknowledged_published_at: datetime | None = None


NEVER_ACKNOWLEDGED = datetime(1970, 1, 1, tzinfo=UTC)  # handbook_ack_unit's key for "no edition acknowledged"


class AcknowledgementUnitCount(SQLModel, table=True):
    """How many active people of each unit have last acknowledged each edition (NEVER_ACKNOWLEDGED: none), kept by
    triggers on handbook_ack_state, which holds a row for every person (`install_ack_state`). The report's members
    and acknowledgements per unit are sums over a few hundred rows: counting them over 50,000 people's index entries
    took 5 ms a page, and grew with the institution."""

    __tablename__ = "handbook_ack_unit"

    unit_id: int = Field(primary_key=True)
    acknowledged_published_at: datetime = Field(primary_key=True)
    people: int = 0


# handbook_ack_unit's count of a handbook_ack_state row ({row}: new / old) added or taken (inside a trigger)
_UNIT_COUNT_ADD = ("INSERT INTO handbook_ack_unit (unit_id, acknowledged_published_at, people) "
                   "SELECT {row}.unit_id, COALESCE({row}.acknowledged_published_at, {never}), 1 WHERE true "
                   "ON CONFLICT (unit_id, acknowledged_published_at) "
                   "DO UPDATE SET people = handbook_ack_unit.people + 1")
_UNIT_COUNT_TAKE = ("UPDATE handbook_ack_unit SET people = people - 1 WHERE unit_id = {row}.unit_id "
                    "AND acknowledged_published_at = COALESCE({row}.acknowledged_published_at, {never})")
_NEVER_SQLITE = "'1970-01-01 00:00:00.000000'"  # NEVER_ACKNOWLEDGED as SQLAlchemy writes it in SQLite
_NEVER_PG = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"

# The state of one person (:uid), as their acknowledgements and their row say now.
_ACK_STATE_ROW = ("SELECT u.id, u.unit_id, u.active, (SELECT max(e.published_at) FROM handbook_acknowledgement a "
                  "JOIN handbook_edition e ON e.id = a.edition_id WHERE a.user_id = u.id) FROM {user} u "
                  "WHERE {where}")
_ACK_STATE_ROW_PG = _ACK_STATE_ROW.format(user='"user"', where="u.id = uid")
_ACK_STATE_SQLITE = [
    # SQLite writes one transaction at a time: each trigger reads every acknowledgement of the person.
    *(f"CREATE TRIGGER IF NOT EXISTS handbook_ack_state_{name} AFTER {when} ON handbook_acknowledgement BEGIN "
      "INSERT INTO handbook_ack_state (user_id, unit_id, active, acknowledged_published_at) "
      f"{_ACK_STATE_ROW.format(user='user', where='u.id = ' + row + '.user_id')} "
      "ON CONFLICT (user_id) DO UPDATE SET acknowledged_published_at = excluded.acknowledged_published_at; END"
      for name, when, row in (("ai", "INSERT", "new"), ("ad", "DELETE", "old"))),
    "CREATE TRIGGER IF NOT EXISTS handbook_ack_state_au AFTER UPDATE OF unit_id, active ON user BEGIN "
    "UPDATE handbook_ack_state SET unit_id = new.unit_id, active = new.active WHERE user_id = new.id; END",
]
_ACK_STATE_PG = [
    # READ COMMITTED: the person's row is locked (FOR SHARE) while their state is written, so a unit change or a
    # deactivation committed meanwhile waits for it or is read by it; two acknowledgements of one person at once
    # keep the newer edition (GREATEST), whichever commits last.
    "CREATE OR REPLACE FUNCTION handbook_ack_state_from_ack() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE uid integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END; BEGIN "
    "INSERT INTO handbook_ack_state (user_id, unit_id, active, acknowledged_published_at) "
    f"{_ACK_STATE_ROW_PG} FOR SHARE OF u "
    "ON CONFLICT (user_id) DO UPDATE SET acknowledged_published_at = CASE WHEN TG_OP = 'DELETE' "
    "THEN EXCLUDED.acknowledged_published_at ELSE GREATEST(handbook_ack_state.acknowledged_published_at, "
    "EXCLUDED.acknowledged_published_at) END; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION handbook_ack_state_from_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE handbook_ack_state SET unit_id = NEW.unit_id, active = NEW.active WHERE user_id = NEW.id; "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS handbook_ack_state_ack ON handbook_acknowledgement",
    "CREATE TRIGGER handbook_ack_state_ack AFTER INSERT OR DELETE ON handbook_acknowledgement FOR EACH ROW "
    "EXECUTE FUNCTION handbook_ack_state_from_ack()",
    'DROP TRIGGER IF EXISTS handbook_ack_state_user ON "user"',
    'CREATE TRIGGER handbook_ack_state_user AFTER UPDATE OF unit_id, active ON "user" FOR EACH ROW '
    "WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id OR OLD.active IS DISTINCT FROM NEW.active) "
    "EXECUTE FUNCTION handbook_ack_state_from_user()",
]


_ACK_UNIT_SQLITE = [
    # every person has a row (none acknowledged yet: NULL), so the units' counts below include them
    "CREATE TRIGGER IF NOT EXISTS handbook_ack_state_ui AFTER INSERT ON user BEGIN "
    "INSERT INTO handbook_ack_state (user_id, unit_id, active, acknowledged_published_at) "
    "VALUES (new.id, new.unit_id, new.active, NULL) ON CONFLICT (user_id) DO NOTHING; END",
    # handbook_ack_unit: a person's row counted out of its old (unit, edition) and into its new one
    f"CREATE TRIGGER IF NOT EXISTS handbook_ack_unit_ai AFTER INSERT ON handbook_ack_state WHEN new.active BEGIN "
    f"{_UNIT_COUNT_ADD.format(row='new', never=_NEVER_SQLITE)}; END",
    f"CREATE TRIGGER IF NOT EXISTS handbook_ack_unit_ad AFTER DELETE ON handbook_ack_state WHEN old.active BEGIN "
    f"{_UNIT_COUNT_TAKE.format(row='old', never=_NEVER_SQLITE)}; END",
    "CREATE TRIGGER IF NOT EXISTS handbook_ack_unit_au AFTER UPDATE OF unit_id, active, acknowledged_published_at "
    "ON handbook_ack_state WHEN old.unit_id IS NOT new.unit_id OR old.active IS NOT new.active "
    "OR old.acknowledged_published_at IS NOT new.acknowledged_published_at BEGIN "
    f"{_UNIT_COUNT_TAKE.format(row='old', never=_NEVER_SQLITE)} AND old.active; "
    f"{_UNIT_COUNT_ADD.format(row='new', never=_NEVER_SQLITE).replace(' WHERE true', ' WHERE new.active')}; END",
]
_ACK_UNIT_PG = [
    "CREATE OR REPLACE FUNCTION handbook_ack_state_new_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO handbook_ack_state (user_id, unit_id, active, acknowledged_published_at) "
    "VALUES (NEW.id, NEW.unit_id, NEW.active, NULL) ON CONFLICT (user_id) DO NOTHING; RETURN NULL; END $$",
    'DROP TRIGGER IF EXISTS handbook_ack_state_new_user ON "user"',
    'CREATE TRIGGER handbook_ack_state_new_user AFTER INSERT ON "user" FOR EACH ROW '
    "EXECUTE FUNCTION handbook_ack_state_new_user()",
    # An acknowledgement moves its person's count from an older edition's row to a newer one's (taken, then added),
    # so two at once in one unit lock those rows in the same order: they wait for each other, never deadlock.
    "CREATE OR REPLACE FUNCTION handbook_ack_unit_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.unit_id = NEW.unit_id AND OLD.active = NEW.active "
    "AND OLD.acknowledged_published_at IS NOT DISTINCT FROM NEW.acknowledged_published_at THEN RETURN NULL; END IF; "
    f"IF TG_OP <> 'INSERT' AND OLD.active THEN {_UNIT_COUNT_TAKE.format(row='OLD', never=_NEVER_PG)}; END IF; "
    f"IF TG_OP <> 'DELETE' AND NEW.active THEN {_UNIT_COUNT_ADD.format(row='NEW', never=_NEVER_PG)}; END IF; "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS handbook_ack_unit_count ON handbook_ack_state",
    "CREATE TRIGGER handbook_ack_unit_count AFTER INSERT OR UPDATE OR DELETE ON handbook_ack_state FOR EACH ROW "
    "EXECUTE FUNCTION handbook_ack_unit_count()",
]


_ACK_STATE_DROP_SQLITE = [f"DROP TRIGGER IF EXISTS handbook_ack_state_{name}" for name in ("ai", "ad", "au")]
_ACK_STATE_DROP_PG = [
    "DROP TRIGGER IF EXISTS handbook_ack_state_ack ON handbook_acknowledgement",
    'DROP TRIGGER IF EXISTS handbook_ack_state_user ON "user"',
    "DROP FUNCTION IF EXISTS handbook_ack_state_from_ack()",
    "DROP FUNCTION IF EXISTS handbook_ack_state_from_user()",
]
_ACK_UNIT_DROP_SQLITE = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "handbook_ack_state_ui", "handbook_ack_unit_ai", "handbook_ack_unit_ad", "handbook_ack_unit_au")]
_ACK_UNIT_DROP_PG = [
    'DROP TRIGGER IF EXISTS handbook_ack_state_new_user ON "user"',
    "DROP TRIGGER IF EXISTS handbook_ack_unit_count ON handbook_ack_state",
    "DROP FUNCTION IF EXISTS handbook_ack_state_new_user()",
    "DROP FUNCTION IF EXISTS handbook_ack_unit_count()",
]


def _execute_all(connection, sqlite_statements, postgresql_statements):
    for statement in sqlite_statements if connection.dialect.name == "sqlite" else postgresql_statements:
        connection.execute(text(statement))


def install_ack_state(connection):
    """The triggers that keep handbook_ack_state (on a new database, and by the migration that adds it)."""
    _execute_all(connection, _ACK_STATE_SQLITE, _ACK_STATE_PG)


def fill_ack_state(connection):
    """handbook_ack_state of everyone who has acknowledged, from scratch (the migration that adds it), as the
    triggers write it."""
    user = "user" if connection.dialect.name == "sqlite" else '"user"'
    row = _ACK_STATE_ROW.format(user=user, where="EXISTS (SELECT 1 FROM handbook_acknowledgement k "
                                                  "WHERE k.user_id = u.id)")
    connection.execute(text("DELETE FROM handbook_ack_state"))
    connection.execute(text("INSERT INTO handbook_ack_state (user_id, unit_id, active, acknowledged_published_at) "
                            + row))


def install_ack_unit(connection):
    """The triggers that give every new person a handbook_ack_state row and keep handbook_ack_unit (a new database,
    migration 0028)."""
    _execute_all(connection, _ACK_UNIT_SQLITE, _ACK_UNIT_PG)


def fill_ack_unit(connection):
    """A handbook_ack_state row for each person who has none (nothing acknowledged), and handbook_ack_unit counted
    from scratch (migration 0028), as the triggers write them."""
    user = "user" if connection.dialect.name == "sqlite" else '"user"'
    connection.execute(text(  # nosec B608 (names of this module's own)
        "INSERT INTO handbook_ack_state (user_id, unit_id, active, acknowledged_published_at) "  # noqa: S608
        f"SELECT u.id, u.unit_id, u.active, NULL FROM {user} u "
        "WHERE NOT EXISTS (SELECT 1 FROM handbook_ack_state s WHERE s.user_id = u.id)"))
    never = _NEVER_SQLITE if connection.dialect.name == "sqlite" else _NEVER_PG
    connection.execute(text("DELETE FROM handbook_ack_unit"))  # what triggers counted so far: counted afresh
    connection.execute(text(  # nosec B608 (a constant of this module's own)
        "INSERT INTO handbook_ack_unit (unit_id, acknowledged_published_at, people) "  # noqa: S608
        f"SELECT unit_id, COALESCE(acknowledged_published_at, {never}), count(*) FROM handbook_ack_state "
        f"WHERE active GROUP BY unit_id, COALESCE(acknowledged_published_at, {never})"))


def uninstall_ack_state(connection):
    _execute_all(connection, _ACK_STATE_DROP_SQLITE, _ACK_STATE_DROP_PG)


def uninstall_ack_unit(connection):
    """The triggers of handbook_ack_unit and of a row per person (migration 0028's downgrade)."""
    _execute_all(connection, _ACK_UNIT_DROP_SQLITE, _ACK_UNIT_DROP_PG)


@event.listens_for(SQLModel.metadata, "after_create")
def _ack_state_after_create(_metadata, connection, tables=None, **_kw):
    if tables is None or AcknowledgementState.__table__ in tables:
        install_ack_state(connection)
        install_ack_unit(connection)


ACK_SCOPES = ("all", "core")


class AcknowledgementRule(SQLModel, table=True):
    """What a first acknowledgement requires, set by admins (one row; none means "all"): every section of the
    edition opened ("all"), or only the sections marked `core`. After a material edition every section changed
    since the person's last acknowledgement must have been opened again, whatever the scope."""

    __tablename__ = "handbook_rule"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(default="all", max_length=10)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
