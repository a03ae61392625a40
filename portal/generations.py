"""Cache generations: one counter per cached subject (table `cache_generation`), moved by every write to that
subject and committed with it. A cache keyed by the counter it read in its own snapshot never answers from data
made before a committed write, in any process or instance, with or without a shared cache.

Subjects are few and global (the toolkit, the quiz bank, the workshops, ...): the first `read` in a transaction
fetches every counter in one statement and later reads in the same transaction are answered from it, so a page that
keys several caches (the dashboard) pays one statement for all of them.

A write only marks its subjects; they are moved when the transaction commits, all of them at once and in name
order. The counters' rows are thus locked for a moment at the end of a transaction and always in the same order, so
two writers can never deadlock on them (PostgreSQL). A transaction that has marked a subject reads a key of its own
for it (a negative number no other transaction reads): what it builds from its uncommitted writes is never shared,
and is never kept under a counter value another transaction will see.
"""

import itertools

from sqlalchemy import event, text
from sqlalchemy.orm import Session

_MEMO = "cache_generations"  # key in Session.info: {subject: counter} as this transaction read them
_MARKED = "cache_generations_marked"  # key in Session.info: subjects this transaction wrote, moved at its commit
_VALUE = "(SELECT value FROM cache_generation WHERE name = :name)"
_ALL = text("SELECT name, value FROM cache_generation")
_MOVE = text("INSERT INTO cache_generation (name, value) VALUES (:name, 1) ON CONFLICT (name) "
             "DO UPDATE SET value = cache_generation.value + 1")
_private = itertools.count(1)


def read(session, name):
    """The subject's counter as this transaction sees it (0 before its first write)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # as a query would (autoflush): a write to a followed table marks its subject first
    if name in session.info.get(_MARKED, ()):
        return -next(_private)
    known = session.info.get(_MEMO)
    if known is None:
        known = session.info[_MEMO] = dict(session.execute(_ALL).all())
    return known.get(name) or 0


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


_followed = []  # (subject, tuple of models), registered by `follow`


def follow(name, *models):
    """Move `name` with every transaction that adds, changes or deletes a row of `models` (ORM writes, whichever
    service or script made them; a bulk UPDATE or INSERT statement must call `move` itself)."""
    _followed.append((name, tuple(models)))


@event.listens_for(Session, "after_flush")
def _mark_followed(session, _context):
    written = {type(row) for rows in (session.new, session.dirty, session.deleted) for row in rows}
    for name, models in _followed:
        if any(issubclass(kind, models) for kind in written):
            move(session, name)


@event.listens_for(Session, "before_commit")
def _move_marked(session):
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook; its writes must mark their subjects first
    marked = session.info.pop(_MARKED, None)
    if marked:
        connection = session.connection()
        for name in sorted(marked):
            connection.execute(_MOVE, {"name": name})


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction):
    session.info.pop(_MEMO, None)
    if transaction.parent is None:  # the whole transaction ended (a savepoint's end keeps the marks)
        session.info.pop(_MARKED, None)
