"""flask commands: prepare, seed-demo, create-user, import-users, import-units."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import inspect

from portal import db
from portal.errors import DomainError


def register_cli(app):
    # `flask` pushes an app context for every command; with_appcontext (on each command below) also gives one when
    # the commands are run another way, e.g. by app.test_cli_runner().
    app.cli.add_command(prepare)
    app.cli.add_command(upgrade_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(import_users)
    app.cli.add_command(import_units)
    app.cli.add_command(import_gift)
    app.cli.add_command(export_gift)
    app.cli.add_command(worker)
    app.cli.add_command(fsck)
    from portal.content.cli import import_metrics

    app.cli.add_command(import_metrics)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(purge)


@click.command("upgrade-db")
@with_appcontext
def upgrade_db():
    """Create or migrate the database to the newest schema."""
    from portal.migrate import upgrade

    upgrade(db.engine())
    click.echo("database is up to date")


@click.command("prepare")
@with_appcontext
def prepare():
    """Migrate the database and seed the demo content when it has no users yet (used by `make run`)."""
    from portal.demo.seed import seed_demo as run_seed
    from portal.migrate import upgrade

    upgrade(db.engine())
    with db.unit_of_work() as session:
        if "user" in inspect(db.engine()).get_table_names():
            from sqlmodel import select

            from portal.models import User

            if session.exec(select(User.id).limit(1)).first() is None:
                click.echo(run_seed(session))


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create the demo ministry, accounts and content. Running it twice does nothing the second time."""
    from flask import current_app

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run with PORTAL_ENV=production (demo accounts share a "
                                   "published password)")
    from portal.demo.seed import seed_demo as run_seed
    from portal.migrate import upgrade

    upgrade(db.engine())
    with db.unit_of_work() as session:
        click.echo(run_seed(session))


@click.command("create-user")
@with_appcontext
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

    with db.unit_of_work() as session:
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
    try:
        with db.unit_of_work(write=False) as session:  # the check first, without the write lock
            preview = preview_fn(session, raw)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    with db.unit_of_work() as session:
        if preview.ok:  # checked again while writing, all or nothing (the data may have changed)
            try:
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
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def import_users(path):
    """Import employees from CSV: nip,nama,email,unit_kode,peran (all or nothing)."""
    from portal.accounts.imports import apply_users, preview_users

    _run_import(path, preview_users, apply_users)


@click.command("import-units")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def import_units(path):
    """Import units from CSV: kode,nama,induk_kode (all or nothing)."""
    from portal.accounts.imports import apply_units, preview_units

    _run_import(path, preview_units, apply_units)


@click.command("import-gift")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--topic", default=None, help="Put every question into this topic, a path such as Parent/Child "
                                            "(default: the file's $CATEGORY)")
def import_gift(path, topic):
    """Import quiz questions from a GIFT file (Moodle's text format); questions that cannot be read are skipped."""
    from flask_babel import force_locale

    from portal.quiz.exchange import apply_gift

    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        click.echo(f"cannot read {path}: {error.strerror}", err=True)
        sys.exit(1)
    with force_locale("en"), db.unit_of_work() as session:  # messages in English, as every command's output
        try:
            preview = apply_gift(session, None, raw, topic)
        except DomainError as error:
            click.echo(f"{path}: {error.message}", err=True)
            sys.exit(1)
        for skip in preview.skipped:
            click.echo(f"line {skip.line}: skipped{' ' + skip.name if skip.name else ''}: {skip.reason}", err=True)
        for line, message in preview.warnings:
            click.echo(f"line {line}: warning: {message}", err=True)
    created, updated, same = preview.count("create"), preview.count("update"), preview.count("same")
    click.echo(f"imported {created + updated}, skipped {len(preview.skipped)} "
               f"(new {created}, updated {updated}, unchanged {same})")


@click.command("export-gift")
@with_appcontext
@click.option("--topic", default=None, help="Only this topic (a path such as Parent/Child) and its subtopics")
@click.option("--include-drafts", is_flag=True, help="Also humas' proposals that are still drafts")
def export_gift(topic, include_drafts):
    """Write the question bank as GIFT to standard output."""
    from portal.quiz.exchange import export_gift as export
    from portal.quiz.topics import topic_by_name

    with db.unit_of_work() as session:
        topic_id = None
        if topic:
            found = topic_by_name(session, topic)
            if found is None:
                raise click.ClickException(f"unknown topic {topic}")
            topic_id = found.id
        text, count = export(session, topic_id, include_drafts=include_drafts)
    click.echo(text, nl=False)
    click.echo(f"exported {count} question(s)", err=True)


@click.command("worker")
@with_appcontext
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time")
def worker(workers):
    """Run the job worker (imports, re-indexing, renditions, large exports, e-mail) until stopped."""
    from portal import jobs

    jobs.run_worker(workers)


@click.command("fsck")
@with_appcontext
@click.option("--repair", is_flag=True, help="Remove orphan files, leftovers and expired previews; re-queue dead jobs")
def fsck(repair):
    """Check that stored files and records agree (after a crash, a restore or a manual change)."""
    from portal import maintenance

    report = maintenance.check(repair=repair)
    for line in report.lines():
        click.echo(line)
    if report.clean:
        click.echo("clean")
    elif repair:
        click.echo("repaired" if not report.missing else "repaired what can be; missing files need a restore")
    else:
        sys.exit(1)


@click.command("purge")
@with_appcontext
def purge():
    """Apply the retention settings: old audit entries, old ended sessions, expired import previews and prepared
    exports, and old finished jobs are removed (AUDIT_RETENTION_DAYS, SESSION_RETENTION_DAYS, IMPORT_PREVIEW_HOURS,
    EXPORT_KEEP_HOURS, JOB_RETENTION_DAYS). Run it daily, e.g. from cron."""
    from portal import privacy

    with db.unit_of_work(write=True) as session:
        report = privacy.purge(session)
    click.echo(report.line())


@click.command("backup")
@with_appcontext
@click.argument("target", type=click.Path(file_okay=False))
def backup_command(target):
    """Back up the database and the uploads into a new folder under TARGET (safe while the portal runs)."""
    from flask import current_app

    from portal import backup

    try:
        folder = backup.backup(db.engine(), current_app.config["UPLOAD_DIR"], target)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {folder}")


@click.command("restore")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the current data")
def restore_command(folder, yes):
    """Replace the database and the uploads with a backup (checked first). Stop the portal and the worker before."""
    from flask import current_app

    from portal import backup

    try:
        backup.verify(folder)
    except backup.BackupError as error:
        raise click.ClickException(f"refused: {error}") from None
    if not yes:
        click.confirm("This replaces every record and uploaded file of this instance. Continue?", abort=True)
    try:
        manifest = backup.restore(db.engine(), current_app.config["UPLOAD_DIR"], folder)
    except backup.BackupError as error:
        raise click.ClickException(f"refused: {error}") from None
    click.echo(f"restored the backup of {manifest['created_at']} ({len(manifest['files'])} files checked)")
