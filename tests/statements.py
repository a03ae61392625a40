"""What the database received: the statements a block of a test ran, for tests that count or inspect them."""

import contextlib

from sqlalchemy import event


@contextlib.contextmanager
def recorded(bind):
    """[(sql, parameters)] of the statements run through `bind` (an engine, or a session's bind) inside the block."""
    statements = []

    def record(_conn, _cursor, sql, parameters, *_rest):
        statements.append((sql, parameters))

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", record)
