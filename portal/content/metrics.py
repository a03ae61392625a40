"""Metrics per published post and account typed by hand (a cell at a time, or an account's month), and what the
plan, the account page and the reports read from them. Imports of the platforms' exports: portal/content/
metric_imports.py."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import audit
from portal.content.import_posts import FIELD_LABELS
from portal.content.platform_exports import normal_url, parse_number
from portal.errors import DomainError
from portal.models import ContentAccount, ContentMetric, ContentPost, ContentPostAccount, utcnow
from portal.models.content import INTERACTION_FIELDS, METRIC_FIELDS
from portal.timezone import to_wib

__all__ = ["FIELD_LABELS", "FIELD_TITLES", "METRIC_FIELDS", "account_totals", "best_hours", "interactions",
           "post_metrics", "save_account_month", "save_metrics"]

# What people read as column titles (FIELD_LABELS are the lower-case names a typed column mapping uses).
FIELD_TITLES = {"permalink": _l("Tautan"), "published_at": _l("Waktu publikasi"), "title": _l("Judul/teks"),
                "reach": _l("Jangkauan"), "impressions": _l("Tayangan"), "likes": _l("Suka"),
                "comments": _l("Komentar"), "shares": _l("Dibagikan"), "saves": _l("Disimpan"),
                "clicks": _l("Klik tautan"), "video_views": _l("Tayangan video")}


# --- hand entry -----------------------------------------------------------------------------------------------------

def save_metrics(session, actor, post, account_id, values):
    """Metrics of one published post on one of its accounts, typed by hand (a cell at a time or all at once).
    `values` maps field names to text as typed; empty means unknown."""
    if post.status not in ("terbit", "dievaluasi"):
        raise DomainError(_("Metrik hanya untuk pos yang sudah terbit."))
    accounts = set(session.exec(select(ContentPostAccount.account_id).where(
        ContentPostAccount.post_id == post.id)).all())
    if account_id not in accounts:
        raise DomainError(_("Akun ini bukan akun pos tersebut."))
    parsed = {}
    for name, raw in values.items():
        if name not in METRIC_FIELDS:
            continue
        try:
            parsed[name] = parse_number(raw, "id")
        except DomainError as error:
            raise DomainError(f"{FIELD_TITLES[name]}: {error.message}", field=name) from None
    metric = session.exec(select(ContentMetric).where(ContentMetric.post_id == post.id,
                                                      ContentMetric.account_id == account_id)).first()
    before = {n: getattr(metric, n) for n in parsed} if metric else None
    if metric is None:
        metric = ContentMetric(post_id=post.id, account_id=account_id, published_at=post.scheduled_at,
                               permalink=normal_url(post.published_url))
    for name, value in parsed.items():
        setattr(metric, name, value)
    metric.source, metric.updated_at = "manual", utcnow()
    session.add(metric)
    session.flush()
    audit.record(session, actor, "content.metrics.save", "content_post", post.id,
                 _("metrik pos #%(id)d", id=post.id), before=before, after=parsed)
    return metric


def post_metrics(session, post):
    """[(account, metric or None)] for the post's accounts."""
    rows = session.exec(select(ContentAccount, ContentMetric).join(
        ContentPostAccount, ContentPostAccount.account_id == ContentAccount.id).outerjoin(
        ContentMetric, (ContentMetric.account_id == ContentAccount.id) & (ContentMetric.post_id == post.id)).where(
        ContentPostAccount.post_id == post.id).order_by(ContentAccount.platform)).all()
    return list(rows)


def interactions(metric):
    return sum(getattr(metric, name) or 0 for name in INTERACTION_FIELDS)


# --- what the plan and the account page use -------------------------------------------------------------------------

def account_totals(session, account_id, first, last):
    """(reach, interactions) of an account's posts published in a month; (None, None) without metrics."""
    from portal.content.week import _window

    start, end = _window(first, last)
    rows = session.exec(select(ContentMetric).join(ContentPost, ContentPost.id == ContentMetric.post_id).where(
        ContentMetric.account_id == account_id, ContentPost.scheduled_at >= start,
        ContentPost.scheduled_at < end)).all()
    if not rows:
        return None, None
    return sum(m.reach or 0 for m in rows), sum(interactions(m) for m in rows)


def best_hours(session, unit_id, minimum=5):
    """platform -> the two WIB hours with the highest average interactions among the unit's posts with metrics;
    platforms with fewer than `minimum` such posts are left out (the plan then shows a default)."""
    rows = session.exec(select(ContentAccount.platform, ContentPost.scheduled_at, ContentMetric).join(
        ContentMetric, ContentMetric.account_id == ContentAccount.id).join(
        ContentPost, ContentPost.id == ContentMetric.post_id).where(ContentAccount.unit_id == unit_id)).all()
    by_platform = {}
    for platform, scheduled, metric in rows:
        by_platform.setdefault(platform, {}).setdefault(to_wib(scheduled).hour, []).append(interactions(metric))
    found = {}
    for platform, hours in by_platform.items():
        if sum(len(v) for v in hours.values()) < minimum:
            continue
        ranked = sorted(hours, key=lambda h: (-sum(hours[h]) / len(hours[h]), h))
        found[platform] = sorted(ranked[:2])
    return found


def save_account_month(session, actor, account, first, values):
    """An account's month as the platform reports it (followers at month end, new followers, posts, reach)."""
    from portal.models import ContentAccountMonth

    parsed = {}
    for name in ("followers", "new_followers", "posts", "reach"):
        try:
            parsed[name] = parse_number(values.get(name), "id")
        except DomainError as error:
            raise DomainError(error.message, field=name) from None
    row = session.get(ContentAccountMonth, (account.id, first)) or ContentAccountMonth(account_id=account.id,
                                                                                       month=first)
    before = {n: getattr(row, n) for n in parsed}
    for name, value in parsed.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor, "content.account_month.save", "content_account", account.id,
                 f"{account.handle} {first.strftime('%Y-%m')}", before=before, after=parsed)
    return row
