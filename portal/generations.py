"""Cache generations: one counter per cached subject (table `cache_generation`), moved inside the transaction of
every write to that subject. A cache keyed by the counter it read in its own snapshot never answers from data made
before a committed write, in any process or instance, with or without a shared cache."""

from sqlalchemy import text

_VALUE = "(SELECT value FROM cache_generation WHERE name = :name)"
_READ = text(f"SELECT {_VALUE}")  # noqa: S608  # nosec B608  # constant SQL, the name bound
_MOVE = text("INSERT INTO cache_generation (name, value) VALUES (:name, 1) ON CONFLICT (name) "
             "DO UPDATE SET value = cache_generation.value + 1")


def read(session, name):
    """The subject's counter as this transaction sees it (0 before its first write)."""
    return session.execute(_READ, {"name": name}).scalar() or 0


def read_with(session, name, *scalars):
    """(counter, *values) in one statement: the subject's counter and the values of `scalars` (constant scalar SQL
    such as "SELECT count(*) FROM unit"), for a cache key that also notices rows written behind the services'
    back."""
    columns = ", ".join([_VALUE, *(f"({sql})" for sql in scalars)])
    counter, *values = session.execute(text(f"SELECT {columns}"), {"name": name}).one()  # noqa: S608  # nosec B608
    return (counter or 0, *values)


def move(session, name):
    """Called inside a write to the subject: committed with it, rolled back with it."""
    session.execute(_MOVE, {"name": name})
