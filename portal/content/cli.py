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
@click.option("--bulan", "month", default=None, help="Only lines of this month (YYYY-MM)")
@click.option("--jenis", "kind", type=click.Choice(["otomatis", "pos", "akun"]), default="otomatis",
              show_default=True,
              help="pos: a line per post; akun: the account's followers, new followers, posts and reach per day or "
                   "month; otomatis: decided from the columns")
def import_metrics(path, account_id, month, kind):
    """Import a platform export (CSV or XLSX; English or Indonesian headers) for one official account: post metrics
    or the account's monthly figures."""
    from portal.content import metric_imports
    from portal.content.common import parse_month
    from portal.models import ContentAccount

    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        click.echo(f"cannot read {path}: {error.strerror}", err=True)
        sys.exit(1)
    kind = None if kind == "otomatis" else kind
    try:
        with db.unit_of_work() as session:
            account = session.get(ContentAccount, account_id) if 0 < account_id <= db.MAX_INT else None
            if account is None:
                click.echo(f"no account with id {account_id}", err=True)
                sys.exit(1)
            first = parse_month(month, None) if month else None
            preview = metric_imports.preview(session, account, raw, first, kind=kind)
            if preview.errors:
                for line, message in preview.errors:
                    click.echo(f"line {line}: {message}", err=True)
                click.echo(f"{len(preview.errors)} bad lines; nothing imported", err=True)
                sys.exit(1)
            result = metric_imports.apply(session, None, account, raw, first, kind=kind)
    except DomainError as error:
        click.echo(str(error.message), err=True)
        sys.exit(1)
    click.echo(metric_imports.counts_line(result))
    for line, message in result.warnings:
        click.echo(f"line {line}: {message}")
    for line, _name, reason in sorted(result.skipped, key=lambda item: item[0] or 0):
        click.echo(f"line {line}: {reason}")
