"""`flask --app portal import-metrics FILE --account ID`: a platform export imported from the command line."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal import db
from portal.errors import DomainError


@click.command("import-metrics")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--account", "account_id", required=True, type=int,
              help="The account's id (as in its page's URL /content/akun/<id>)")
@click.option("--bulan", "month", default=None, help="Only posts published in this month (YYYY-MM)")
def import_metrics(path, account_id, month):
    """Import a platform export (CSV or XLSX; English or Indonesian headers) for one official account."""
    from portal.content import metrics
    from portal.content.common import parse_month
    from portal.models import ContentAccount

    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        click.echo(f"cannot read {path}: {error.strerror}", err=True)
        sys.exit(1)
    try:
        with db.unit_of_work() as session:
            account = session.get(ContentAccount, account_id) if 0 < account_id <= db.MAX_INT else None
            if account is None:
                click.echo(f"no account with id {account_id}", err=True)
                sys.exit(1)
            first = parse_month(month, None) if month else None
            analysis = metrics.analyse(session, account, raw, first)
            if analysis.preview.errors:
                for line, message in analysis.preview.errors:
                    click.echo(f"line {line}: {message}", err=True)
                click.echo(f"{len(analysis.preview.errors)} bad lines; nothing imported", err=True)
                sys.exit(1)
            result = metrics.apply(session, None, account, raw, first)
    except DomainError as error:
        click.echo(str(error.message), err=True)
        sys.exit(1)
    click.echo(metrics.counts_line(result))
    for line, _name, reason in sorted(result.skipped, key=lambda item: item[0] or 0):
        click.echo(f"line {line}: {reason}")
