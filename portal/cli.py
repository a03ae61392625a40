"""flask commands: prepare, seed-demo, create-user, import-users, import-units."""

import sys
from pathlib import Path

import click
from sqlalchemy import inspect
from sqlmodel import Session

from portal import db
from portal.errors import DomainError


def register_cli(app):
    app.cli.add_command(prepare)
    app.cli.add_command(upgrade_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(import_users)
    app.cli.add_command(import_units)


def _session():
    return Session(db.engine(), expire_on_commit=False)


@click.command("upgrade-db")
def upgrade_db():
    """Create or migrate the database to the newest schema."""
    from portal.migrate import upgrade

    upgrade(db.engine())
    click.echo("database is up to date")


@click.command("prepare")
def prepare():
    """Migrate the database and seed the demo content when it has no users yet (used by `make run`)."""
    from portal.demo.seed import seed_demo as run_seed
    from portal.migrate import upgrade

    upgrade(db.engine())
    with _session() as session:
        if "user" in inspect(db.engine()).get_table_names():
            from sqlmodel import select

            from portal.models import User

            if session.exec(select(User.id).limit(1)).first() is None:
                click.echo(run_seed(session))


@click.command("seed-demo")
def seed_demo():
    """Create the demo ministry, accounts and content. Running it twice does nothing the second time."""
    from portal.demo.seed import seed_demo as run_seed
    from portal.migrate import upgrade

    upgrade(db.engine())
    with _session() as session:
        click.echo(run_seed(session))


@click.command("create-user")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name")
@click.option("--unit", "unit_code", required=True, help="Unit code")
@click.option("--role", "roles", multiple=True, help="Role code (repeatable)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(username, full_name, unit_code, roles, password):
    """Create an account (e.g. the first admin)."""
    from sqlmodel import select

    from portal.accounts.services import create_user as create
    from portal.models import Unit

    with _session() as session:
        unit = session.exec(select(Unit).where(Unit.code == unit_code.upper())).first()
        if unit is None:
            raise click.ClickException(f"unknown unit {unit_code}")
        try:
            user = create(session, None, username, full_name, unit.id, roles=roles, password=password)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(f"created {user.username}")


def _run_import(path, preview_fn, apply_fn):
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    with _session() as session:
        try:
            preview = preview_fn(session, raw)
            if preview.ok:
                preview = apply_fn(session, None, raw)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        for line, message in preview.errors:
            click.echo(f"line {line}: {message}", err=True)
        if not preview.ok:
            click.echo(f"{len(preview.errors)} problem(s); nothing was written", err=True)
            sys.exit(1)
        click.echo(f"created {preview.count('create')}, updated {preview.count('update')}, "
                   f"unchanged {preview.count('same')}")


@click.command("import-users")
@click.argument("path", type=click.Path(dir_okay=False))
def import_users(path):
    """Import employees from CSV: nip,nama,email,unit_kode,peran (all or nothing)."""
    from portal.accounts.imports import apply_users, preview_users

    _run_import(path, preview_users, apply_users)


@click.command("import-units")
@click.argument("path", type=click.Path(dir_okay=False))
def import_units(path):
    """Import units from CSV: kode,nama,induk_kode (all or nothing)."""
    from portal.accounts.imports import apply_units, preview_units

    _run_import(path, preview_units, apply_units)
