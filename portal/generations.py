"""Cache generations: one counter per cached subject (table `cache_generation`), moved by every write to that
subject and committed with it. A cache keyed by the counter it read in its own snapshot never answers from data
made before a committed write, in any process or instance, with or without a shared cache.

Subjects are few and global (the toolkit, the quiz bank, the workshops, ...): the first `read` in a transaction
fetches every counter in one statement and later reads in the same transaction are answered from it, so a page that
keys several caches (the dashboard) pays one statement for all of them; a signed-in request pays none, as its
session record's statement reads them along (`every_subject_column`, `remember_subjects`).

A write only marks its subjects; they are moved when the transaction commits, all of them at once and in name
order. The counters' rows are thus locked for a moment at the end of a transaction and always in the same order, so
two writers can never deadlock on them (PostgreSQL). A transaction that has marked a subject reads a key of its own
for it (a negative number no other transaction reads): what it builds from its uncommitted writes is never shared,
and is never kept under a counter value another transaction will see.

Person counters (table `person_generation`, one row per person, read one at a time with `read_person`) do the same
for what is kept per person: `move_person` marks them like subjects, and they move at the commit after the subjects,
in id order.
"""

import itertools

from sqlalchemy import String, event, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

_MEMO = "cache_generations"  # key in Session.info: {subject: counter} as this transaction read them
_MARKED = "cache_generations_marked"  # key in Session.info: subjects this transaction wrote, moved at its commit
_PEOPLE = "person_generations_marked"  # key in Session.info: ids of people whose counters move at the commit
_PERSON_MEMO = "person_generations"  # key in Session.info: {user id: counter} as this transaction read them
_VALUE = "(SELECT value FROM cache_generation WHERE name = :name)"
_ALL = text("SELECT name, value FROM cache_generation")
_MOVE = text("INSERT INTO cache_generation (name, value) VALUES (:name, 1) ON CONFLICT (name) "
             "DO UPDATE SET value = cache_generation.value + 1")
_ONE_PERSON = text("SELECT value FROM person_generation WHERE user_id = :user_id")
_MOVE_PERSON = text("INSERT INTO person_generation (user_id, value) VALUES (:user_id, 1) ON CONFLICT (user_id) "
                    "DO UPDATE SET value = person_generation.value + 1")
_private = itertools.count(1)


def _flush_pending(session):
    if session.new or session.dirty or session.deleted:
        session.flush()  # as a query would (autoflush): a write to a followed table marks its subject first


def _every_subject(session):
    """{subject: counter} as this transaction read them: one statement, at its first read (none when the request's
    session record was loaded with them: `every_subject_column`)."""
    known = session.info.get(_MEMO)
    if known is None:
        known = session.info[_MEMO] = dict(session.execute(_ALL).all())
    return known


class _EverySubject(ColumnElement):
    """Every subject's counter as one text value, "name:value,..." (see `every_subject_column`)."""

    type = String()
    inherit_cache = True
    _traverse_internals = ()  # no state: every instance compiles alike, so statements holding one stay cached


@compiles(_EverySubject)
def _every_subject_sqlite(_element, _compiler, **_kw):
    return "(SELECT group_concat(name || ':' || value, ',') FROM cache_generation)"


@compiles(_EverySubject, "postgresql")
def _every_subject_postgresql(_element, _compiler, **_kw):
    return "(SELECT string_agg(name || ':' || value, ',') FROM cache_generation)"


def every_subject_column():
    """Every subject's counter as one column, for a statement a request runs anyway (the session record's) to read
    them along: `remember_subjects` takes its value. Plain SQL without parameters: nothing to bind per request."""
    return _EverySubject()


def remember_subjects(session, text_value):
    """The subjects' counters as read by `every_subject_column` in this transaction (unless read already)."""
    if _MEMO not in session.info:
        pairs = (item.rpartition(":") for item in (text_value or "").split(",") if item)
        session.info[_MEMO] = {name: int(value) for name, _colon, value in pairs}


def read(session, name):
    """The subject's counter as this transaction sees it (0 before its first write)."""
    _flush_pending(session)
    if name in session.info.get(_MARKED, ()):
        return -next(_private)
    return _every_subject(session).get(name) or 0


def read_with(session, name, *scalars):
    """(counter, *values) in one statement: the subject's counter and the values of `scalars` (constant scalar SQL
    such as "SELECT count(*) FROM unit"), for a cache key that also notices rows written behind the services'
    back."""
    columns = ", ".join([_VALUE, *(f"({sql})" for sql in scalars)])
    counter, *values = session.execute(text(f"SELECT {columns}"), {"name": name}).one()  # noqa: S608  # nosec B608
    if name in session.info.get(_MARKED, ()):
        counter = -next(_private)
    return (counter or 0, *values)


def move(session, name):
    """Called inside a write to the subject: the counter moves when the transaction commits, not if it rolls back."""
    session.info.setdefault(_MARKED, set()).add(name)


def read_person(session, user_id):
    """The person's counter as this transaction sees it (0 before the first write); private when this transaction
    moves it. The signed-in person's was read with their session record (`remember_person`)."""
    _flush_pending(session)
    if user_id in session.info.get(_PEOPLE, ()):
        return -next(_private)
    known = session.info.setdefault(_PERSON_MEMO, {})
    if user_id not in known:
        known[user_id] = session.execute(_ONE_PERSON, {"user_id": user_id}).scalar() or 0
    return known[user_id]


def remember_person(session, user_id, value):
    """The person's counter as read by another statement of this transaction (None: no row yet, 0)."""
    session.info.setdefault(_PERSON_MEMO, {})[user_id] = value or 0


def move_person(session, user_id):
    """Called inside a write that changes what the person's own pages show: the counter moves at the commit. The
    request path moves the signed-in person's counter with every write they commit (portal/db.py); `follow_people`
    moves the counters of the people whose rows another person or a job writes."""
    session.info.setdefault(_PEOPLE, set()).add(user_id)


def read_every(session):
    """Every subject's counter as this transaction sees it, as one hashable value (a key for what depends on many
    subjects); private when this transaction has marked any."""
    _flush_pending(session)
    if session.info.get(_MARKED):
        return (-next(_private),)
    return tuple(sorted(_every_subject(session).items()))


_followed = []  # (subject, tuple of models), registered by `follow`


def follow(name, *models):
    """Move `name` with every transaction that adds, changes or deletes a row of `models` (ORM writes, whichever
    service or script made them; a bulk UPDATE or INSERT statement must call `move` itself)."""
    _followed.append((name, tuple(models)))


_people_models = []  # models whose rows hold a person's `user_id`, registered by `follow_people`


def follow_people(*models):
    """Move the person counter of `user_id` with every transaction that adds, changes or deletes a row of `models`
    (ORM writes), whoever makes it: a trainer marking a participant, a job issuing a certificate."""
    _people_models.extend(models)


@event.listens_for(Session, "after_flush")
def _mark_followed(session, _context):
    written = [row for rows in (session.new, session.dirty, session.deleted) for row in rows]
    kinds = {type(row) for row in written}
    for name, models in _followed:
        if any(issubclass(kind, models) for kind in kinds):
            move(session, name)
    if _people_models:
        people = tuple(_people_models)
        for row in written:
            if isinstance(row, people) and isinstance(row.user_id, int):
                move_person(session, row.user_id)


@event.listens_for(Session, "before_commit")
def _move_marked(session):
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook; its writes must mark their subjects first
    marked = session.info.pop(_MARKED, None)
    people = session.info.pop(_PEOPLE, None)
    if marked or people:
        connection = session.connection()
        for name in sorted(marked or ()):
            connection.execute(_MOVE, {"name": name})
        for user_id in sorted(people or ()):
            connection.execute(_MOVE_PERSON, {"user_id": user_id})


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction):
    session.info.pop(_MEMO, None)
    session.info.pop(_PERSON_MEMO, None)
    if transaction.parent is None:  # the whole transaction ended (a savepoint's end keeps the marks)
        session.info.pop(_MARKED, None)
        session.info.pop(_PEOPLE, None)
