"""Importing a platform's own export for one official account: what the web upload → preview → confirm flow, its
job for large files and `flask --app portal import-metrics` call.

Two kinds of file: a line per published post (portal/content/import_posts.py) or the account's figures per day or
month (portal/content/import_accounts.py). The kind is told, or decided from the columns: followers and no
permalink, title or post text make an account-level file. Files of more than IMPORT_JOB_MIN_ROWS lines are written
by the job queue, a batch per commit, with progress on the job's page.
"""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import jobs, staging
from portal.content import import_accounts, import_posts, platform_exports
from portal.content.common import parse_month
from portal.errors import DomainError
from portal.models import ContentAccount

KINDS = ("pos", "akun")
JOB_KIND = "content.metrics"


def _module(kind):
    return import_accounts if kind == "akun" else import_posts


def detect_kind(session, account, table, override=None):
    """"akun" when the columns name followers and no post (a permalink, or a title or text column that is not the
    account's post count, as Indonesian "Postingan" can be), else "pos"."""
    post_mapping = import_posts.mapping_for(session, account, table.labels, override)
    account_mapping = import_accounts.mapping_for(session, account, table.labels, override)
    names_a_post = [column for column, name in post_mapping.items()
                    if name in ("permalink", "title") and column not in account_mapping]
    return "akun" if import_accounts.names_followers(account_mapping) and not names_a_post else "pos"


def _read(session, account, raw, kind, override):
    table = platform_exports.read(raw)
    return table, (kind if kind in KINDS else detect_kind(session, account, table, override))


def preview(session, account, raw, month=None, override=None, kind=None):
    """What importing `raw` would do; nothing is written. DomainError when the file cannot be used at all."""
    table, kind = _read(session, account, raw, kind, override)
    return _module(kind).analyse(session, account, table, month, override).preview


def apply(session, actor, account, raw, month=None, override=None, kind=None, progress=None):
    """Import `raw`; DomainError (nothing written) when any line is bad. `progress(message, done, total)` is told
    after each batch (a job commits there)."""
    table, kind = _read(session, account, raw, kind, override)

    def told(done, total, message):
        if progress:
            progress(message, done, total)

    return _module(kind).apply(session, actor, account, table, month, override, progress=told)


def parse_mapping_text(text):
    """A mapping typed on the import page ("Jangkauan akun = jangkauan", a line per column), for either kind."""
    return platform_exports.parse_mapping_text(text, {**import_posts.FIELD_LABELS, **import_accounts.FIELD_LABELS})


def counts_line(result):
    return import_posts.counts_line(result)


# --- large files: the job ---------------------------------------------------------------------------------------------

def _describe(result):
    return _("Impor selesai: %(created)d baru, %(updated)d diperbarui, %(skipped)d dilewati.", **result)


@jobs.job(JOB_KIND, title=_l("Impor metrik platform"), describe=_describe,
          next_url=lambda _result, params: url_for("content.account", account_id=params["account_id"]))
def import_job(ctx, token, account_id, month=None, mapping=None, file_kind=None):
    """The confirmed file, checked again and written a batch per commit (re-running it after an interruption
    finds the written lines unchanged and writes the rest)."""
    account = ctx.session.get(ContentAccount, account_id)
    if account is None:
        raise DomainError(_("Akun ini sudah tidak ada."))
    first = parse_month(month, None) if month else None

    def apply_fn(session, actor, raw, progress):
        return apply(session, actor, account, raw, first, mapping or None, file_kind, progress=progress)

    result = staging.apply_self_batched_in_job(ctx, token, apply_fn)
    return {"created": result.count("create"), "updated": result.count("update"), "skipped": len(result.skipped)}


def enqueue(session, actor, account, token, month=None, mapping=None, kind=None):
    return jobs.enqueue(session, JOB_KIND, actor, token=token, account_id=account.id,
                        month=month.strftime("%Y-%m") if month else None, mapping=mapping or {}, file_kind=kind)
