"""Alembic environment. The engine comes from the portal (config.attributes["engine"]) or from DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import portal.models  # noqa: F401  (registers every table)
from portal.models.search import is_search_object

config = context.config
target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Full-text index objects are made by portal.models.search.install, not by the metadata."""
    return not is_search_object(name)


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from portal import create_app, db

    app = create_app()
    with app.app_context():
        return db.engine()


def run_migrations_offline():
    raise SystemExit("Offline migrations are not supported; run them against a database.")


def run_migrations_online():
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch operation rebuilds a table (copy, drop, rename); with foreign keys on, dropping a table that
            # other rows point at would delete those rows (ON DELETE CASCADE) or fail. SQLite only honours this
            # pragma outside a transaction, so it is set before the migrations begin, and checked after them.
            _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.rollback()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection, pragma):
    """Run a pragma on the raw SQLite connection, outside any transaction."""
    connection.connection.dbapi_connection.execute(pragma)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
