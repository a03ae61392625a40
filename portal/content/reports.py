"""The monthly social-media performance report of a unit, its workflow, and the institution roll-up.

Figures are computed from the month's data every time (never stored); the narrative (capaian, kendala, rencana tindak
lanjut) is written by the unit. Workflow: draf → diajukan (by a planner of the unit, due on the configured day of the
next month) → diterima / dikembalikan (by central humas, with notes); an accepted report is reopened with a reason.
Engagement rate = (likes + comments + shares + saves) ÷ reach × 100%.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import audit, events
from portal.content.access import Scope, reviewer_ids
from portal.content.common import add_months, clean_text, month_end
from portal.content.metrics import interactions
from portal.content.pillars import list_pillars
from portal.content.week import _window, key_messages_between
from portal.errors import DomainError
from portal.models import (
    ContentAccount,
    ContentAccountMonth,
    ContentMetric,
    ContentPost,
    ContentPostAccount,
    ContentReport,
    ContentReportChange,
    Unit,
    User,
    utcnow,
)
from portal.permissions import ADMIN, SUPERVISOR
from portal.timezone import as_utc, to_wib, today_wib

PUBLISHED = ("terbit", "dievaluasi")
ON_TIME = timedelta(minutes=60)
FORMULA = _l("ER = (suka + komentar + dibagikan + disimpan) ÷ jangkauan × 100%")


def rate(part, whole):
    return round(100 * part / whole, 2) if whole else None


@dataclass
class AccountFigures:
    account: ContentAccount
    planned: int = 0
    published: int = 0
    reach: int = 0
    interactions: int = 0
    followers: int | None = None
    new_followers: int | None = None

    @property
    def engagement(self):
        return rate(self.interactions, self.reach)

    @property
    def growth(self):
        if self.followers is None or self.new_followers is None or self.followers - self.new_followers <= 0:
            return None
        return rate(self.new_followers, self.followers - self.new_followers)


@dataclass
class Figures:
    unit: Unit
    first: date
    accounts: list = field(default_factory=list)  # AccountFigures
    pillars: list = field(default_factory=list)  # (pillar or None, planned, published)
    platforms: list = field(default_factory=list)  # (platform, published, reach)
    top: list = field(default_factory=list)  # (post, accounts, reach, interactions, engagement)
    key_messages: list = field(default_factory=list)  # (message, posts)
    planned: int = 0
    published: int = 0
    unplanned: int = 0
    on_time: int = 0
    reach: int = 0
    interactions: int = 0
    followers: int | None = None
    new_followers: int | None = None
    formula: object = FORMULA

    @property
    def engagement(self):
        return rate(self.interactions, self.reach)

    @property
    def platforms_chart(self):
        return [(platform, reach) for platform, _published, reach in self.platforms]

    @property
    def on_time_rate(self):
        return rate(self.on_time, self.planned)

    @property
    def publish_rate(self):
        return rate(self.published - self.unplanned, self.planned)


def _month_posts(session, unit_id, first):
    start, end = _window(first, month_end(first))
    return list(session.exec(select(ContentPost).where(ContentPost.unit_id == unit_id,
                                                       ContentPost.scheduled_at >= start,
                                                       ContentPost.scheduled_at < end,
                                                       ContentPost.status != "ide")).all())


def figures(session, unit, first):
    """Every figure of a unit's month, computed from posts, metrics and account months."""
    result = Figures(unit, first)
    accounts = session.exec(select(ContentAccount).where(ContentAccount.unit_id == unit.id)
                            .order_by(ContentAccount.platform, ContentAccount.handle_key)).all()
    by_account = {a.id: AccountFigures(a) for a in accounts}
    posts = _month_posts(session, unit.id, first)
    ids = [p.id for p in posts]
    links = defaultdict(list)
    metrics = defaultdict(list)
    if ids:
        for post_id, account_id in session.exec(select(ContentPostAccount.post_id, ContentPostAccount.account_id)
                                                .where(ContentPostAccount.post_id.in_(ids))).all():
            links[post_id].append(account_id)
        for metric in session.exec(select(ContentMetric).where(ContentMetric.post_id.in_(ids))).all():
            metrics[metric.post_id].append(metric)
    pillars = {p.id: p for p in list_pillars(session)}
    pillar_counts = defaultdict(lambda: [0, 0])
    platforms = defaultdict(lambda: [0, 0])
    top = []
    for post in posts:
        published = post.status in PUBLISHED
        if post.planned:
            result.planned += 1
        if published:
            result.published += 1
            if not post.planned:
                result.unplanned += 1
        counts = pillar_counts[post.pillar_id]
        counts[0] += 1 if post.planned else 0
        counts[1] += 1 if published else 0
        post_reach = post_interactions = 0
        for account_id in links[post.id]:
            figures_of = by_account.get(account_id)
            if figures_of is None:
                continue
            figures_of.planned += 1 if post.planned else 0
            figures_of.published += 1 if published else 0
            if published:
                platforms[figures_of.account.platform][0] += 1
        for metric in metrics[post.id]:
            figures_of = by_account.get(metric.account_id)
            if figures_of is not None:
                figures_of.reach += metric.reach or 0
                figures_of.interactions += interactions(metric)
                platforms[figures_of.account.platform][1] += metric.reach or 0
            post_reach += metric.reach or 0
            post_interactions += interactions(metric)
        if published and post.planned:
            actual = min((as_utc(m.published_at) for m in metrics[post.id] if m.published_at), default=None)
            if actual is None or abs(actual - as_utc(post.scheduled_at)) <= ON_TIME:
                result.on_time += 1
        if published and metrics[post.id]:
            top.append((post, [by_account[a].account for a in links[post.id] if a in by_account], post_reach,
                        post_interactions, rate(post_interactions, post_reach)))
    for figures_of in by_account.values():
        month = session.get(ContentAccountMonth, (figures_of.account.id, first))
        if month is not None:
            figures_of.followers, figures_of.new_followers = month.followers, month.new_followers
    result.accounts = [f for f in by_account.values() if f.planned or f.published or f.followers is not None
                       or f.account.status == "aktif"]
    result.reach = sum(f.reach for f in result.accounts)
    result.interactions = sum(f.interactions for f in result.accounts)
    known = [f for f in result.accounts if f.followers is not None]
    if known:
        result.followers = sum(f.followers for f in known)
        result.new_followers = sum(f.new_followers or 0 for f in known)
    result.pillars = [(pillars.get(pid), c[0], c[1]) for pid, c in sorted(
        pillar_counts.items(), key=lambda item: (pillars[item[0]].position if item[0] in pillars else 999))]
    result.platforms = sorted(((p, c[0], c[1]) for p, c in platforms.items()), key=lambda row: -row[2])
    result.top = sorted(top, key=lambda row: (-row[3], row[0].id))[:5]
    per_message = defaultdict(int)
    for post in posts:
        if post.key_message_id and post.status in PUBLISHED:
            per_message[post.key_message_id] += 1
    result.key_messages = [(m, per_message.get(m.id, 0)) for m in key_messages_between(
        session, first, month_end(first)) if m.kind == "pesan_kunci"]
    return result


# --- the workflow ---------------------------------------------------------------------------------------------------

def deadline(first):
    return add_months(first, 1).replace(day=current_app.config.get("CONTENT_REPORT_DEADLINE_DAY", 5))


def status_of(report, first, today=None):
    """diterima, diajukan, dikembalikan, terlambat (missing after the deadline, or submitted after it) or belum."""
    today = today or today_wib()
    due = deadline(first)
    if report is not None and report.status in ("diterima", "diajukan"):
        if report.submitted_at is not None and to_wib(report.submitted_at).date() > due and \
                report.status == "diajukan":
            return "terlambat"
        return report.status
    if report is not None and report.status == "dikembalikan":
        return "dikembalikan"
    if today > due:
        return "terlambat"
    return "belum"


def submitted_late(report, first):
    return report is not None and report.submitted_at is not None and to_wib(report.submitted_at).date() > \
        deadline(first)


def get_report(session, unit_id, first):
    return session.exec(select(ContentReport).where(ContentReport.unit_id == unit_id,
                                                    ContentReport.month == first)).first()


def _ensure(session, actor, unit, first):
    report = get_report(session, unit.id, first)
    if report is None:
        report = ContentReport(unit_id=unit.id, month=first, created_by_id=actor.id)
        session.add(report)
        session.flush()
    return report


def _change(session, actor, report, to_status, note=""):
    before = report.status
    session.add(ContentReportChange(report_id=report.id, from_status=before, to_status=to_status,
                                    actor_id=actor.id, note=note[:2000]))
    report.status, report.updated_at = to_status, utcnow()
    report.version += 1
    session.add(report)
    audit.record(session, actor, f"content.report.{to_status}", "content_report", report.id,
                 f"{report.month.strftime('%Y-%m')}: {before} → {to_status}" + (f" ({note[:200]})" if note else ""),
                 before={"status": before}, after={"status": to_status})


def report_duties(session, user_scope, first):
    """[(unit, its report for month `first` or None)] of the units with accounts whose report the user writes
    (`can_write`), by unit name, in one statement: central humas every such unit, a humas their unit's subtree, a
    pengelola the units of their accounts."""
    from sqlalchemy import and_, or_

    with_accounts = select(ContentAccount.unit_id)
    query = (select(Unit, ContentReport)
             .join(ContentReport, and_(ContentReport.unit_id == Unit.id, ContentReport.month == first), isouter=True)
             .where(Unit.id.in_(with_accounts)).order_by(Unit.name, Unit.id))
    if not user_scope.central:
        writes = []
        if user_scope.humas_path:
            writes.append(Unit.path.startswith(user_scope.humas_path, autoescape=True))
        if user_scope.managed_account_ids:
            writes.append(Unit.id.in_(with_accounts.where(ContentAccount.id.in_(user_scope.managed_account_ids))))
        if not writes:
            return []
        query = query.where(or_(*writes))
    return list(session.exec(query).all())


def can_write(user_scope, unit):
    if user_scope.manages_unit(unit.id):
        return True
    return bool(user_scope.managed_account_ids) and bool(user_scope.managed_account_ids & set(
        a.id for a in user_scope._session.exec(select(ContentAccount).where(ContentAccount.unit_id == unit.id))))


def _check_month(first):
    if first > today_wib().replace(day=1):
        raise DomainError(_("Laporan hanya untuk bulan yang sudah berjalan."))


def save_narrative(session, actor, unit, first, achievements, obstacles, follow_up):
    if not can_write(Scope(session, actor), unit):
        raise DomainError(_("Hanya pengelola akun unit ini yang menyusun laporannya."), field="achievements")
    _check_month(first)
    report = _ensure(session, actor, unit, first)
    if report.status == "diajukan":
        raise DomainError(_("Laporan sedang ditinjau humas pusat; tunggu keputusannya sebelum mengubah."),
                          field="achievements")
    if report.status == "diterima":
        raise DomainError(_("Laporan sudah diterima. Buka kembali dengan alasan bila perlu diubah."),
                          field="achievements")
    texts = [clean_text(t) for t in (achievements, obstacles, follow_up)]
    if any(len(t) > 10_000 for t in texts):
        raise DomainError(_("Setiap bagian narasi paling panjang 10.000 karakter."), field="achievements")
    before = {"achievements": report.achievements, "obstacles": report.obstacles, "follow_up": report.follow_up}
    report.achievements, report.obstacles, report.follow_up = texts
    report.updated_at = utcnow()
    session.add(report)
    audit.record(session, actor, "content.report.save", "content_report", report.id,
                 f"{unit.code} {first.strftime('%Y-%m')}", before=before,
                 after={"achievements": texts[0], "obstacles": texts[1], "follow_up": texts[2]})
    return report


def _report_url(report):
    return events.link("content.report", unit_id=report.unit_id, bulan=report.month.strftime("%Y-%m"))


def submit(session, actor, unit, first):
    if not can_write(Scope(session, actor), unit):
        raise DomainError(_("Hanya pengelola akun unit ini yang mengajukan laporannya."))
    _check_month(first)
    report = _ensure(session, actor, unit, first)
    if report.status == "diajukan":
        raise DomainError(_("Laporan ini sudah diajukan pada %(d)s dan sedang ditinjau; tidak perlu diajukan lagi.",
                            d=to_wib(report.submitted_at).strftime("%d-%m-%Y %H.%M") if report.submitted_at else "-"))
    if report.status == "diterima":
        raise DomainError(_("Laporan ini sudah diterima."))
    if not report.achievements.strip():
        raise DomainError(_("Tulis capaian bulan ini sebelum mengajukan laporan."))
    report.submitted_by_id, report.submitted_at = actor.id, utcnow()
    _change(session, actor, report, "diajukan")
    events.content_report_submitted.send(session, actor=actor, report=report, url=_report_url(report),
                                         reviewer_ids=reviewer_ids(session, report.unit_id, supervisors=False))
    return report


def _decider_problem(session, actor, report):
    if not Scope(session, actor).central:
        return _("Laporan diterima atau dikembalikan oleh humas pusat.")
    if report is None or report.status != "diajukan":
        return _("Hanya laporan yang diajukan yang dapat diterima atau dikembalikan.")
    if actor.id == report.submitted_by_id:
        return _("Anda tidak dapat memutuskan laporan yang Anda ajukan sendiri.")
    return None


def accept(session, actor, unit, first, note=""):
    report = get_report(session, unit.id, first)
    problem = _decider_problem(session, actor, report)
    if problem:
        raise DomainError(problem)
    report.decided_by_id, report.decided_at, report.review_note = actor.id, utcnow(), clean_text(note)[:2000]
    _change(session, actor, report, "diterima", report.review_note)
    events.content_report_decided.send(session, actor=actor, report=report, decision="diterima",
                                       note=report.review_note, url=_report_url(report))
    return report


def send_back(session, actor, unit, first, note):
    report = get_report(session, unit.id, first)
    problem = _decider_problem(session, actor, report)
    if problem:
        raise DomainError(problem, field="note")
    note = clean_text(note)[:2000]
    if not note:
        raise DomainError(_("Tulis catatan: apa yang perlu dilengkapi unit."), field="note")
    report.decided_by_id, report.decided_at, report.review_note = actor.id, utcnow(), note
    _change(session, actor, report, "dikembalikan", note)
    events.content_report_decided.send(session, actor=actor, report=report, decision="dikembalikan", note=note,
                                       url=_report_url(report))
    return report


def reopen(session, actor, unit, first, reason):
    user_scope = Scope(session, actor)
    if not (user_scope.central or can_write(user_scope, unit)):
        raise DomainError(_("Hanya pengelola unit atau humas pusat yang dapat membuka kembali laporan."),
                          field="note")
    report = get_report(session, unit.id, first)
    if report is None or report.status != "diterima":
        raise DomainError(_("Hanya laporan yang sudah diterima yang dibuka kembali."), field="note")
    reason = clean_text(reason)[:2000]
    if not reason:
        raise DomainError(_("Tulis alasan membuka kembali laporan yang sudah diterima."), field="note")
    _change(session, actor, report, "draf", _("dibuka kembali: %(r)s", r=reason))
    return report


def history(session, report):
    if report is None:
        return []
    return list(session.exec(select(ContentReportChange, User).outerjoin(
        User, User.id == ContentReportChange.actor_id).where(ContentReportChange.report_id == report.id)
        .order_by(ContentReportChange.at, ContentReportChange.id)).all())


# --- who sees which unit, and the roll-up -----------------------------------------------------------------------------

def visible_units(session, user):
    """Units with accounts whose reports the user may see: central humas and admins all, a supervisor their unit
    and its sub-units, a unit's planners their units."""
    user_scope = Scope(session, user)
    units = session.exec(select(Unit).where(Unit.id.in_(select(ContentAccount.unit_id).distinct()))
                         .order_by(Unit.name)).all()
    shown = []
    for unit in units:
        if user_scope.central or ADMIN in user.roles or (SUPERVISOR in user.roles and user_scope.approves_in_unit(
                unit.id)) or can_write(user_scope, unit):
            shown.append(unit)
    return shown


def can_see_unit(session, user, unit):
    return any(u.id == unit.id for u in visible_units(session, user))


@dataclass
class RollupRow:
    unit: Unit
    status: str
    report: ContentReport | None
    figures: Figures
    late: bool


def rollup(session, user, first, today=None):
    rows = []
    for unit in visible_units(session, user):
        report = get_report(session, unit.id, first)
        rows.append(RollupRow(unit, status_of(report, first, today), report, figures(session, unit, first),
                              submitted_late(report, first)))
    return rows


def ranking(rows):
    return sorted(rows, key=lambda r: (-(r.figures.engagement or 0), -r.figures.reach, r.unit.name))


def trends(session, units, last_first, months=12):
    """{unit id or None (overall): [(month, reach, interactions, published)]} for `months` months to `last_first`."""
    firsts = [add_months(last_first, -n) for n in range(months - 1, -1, -1)]
    start, _end = _window(firsts[0], firsts[0])
    _start, end = _window(month_end(last_first), month_end(last_first))
    unit_ids = [u.id for u in units]
    series = {uid: {f: [0, 0, 0] for f in firsts} for uid in [*unit_ids, None]}
    if not unit_ids:
        return {}
    rows = session.exec(select(ContentPost.unit_id, ContentPost.scheduled_at, ContentMetric).join(
        ContentMetric, ContentMetric.post_id == ContentPost.id).where(
        ContentPost.unit_id.in_(unit_ids), ContentPost.scheduled_at >= start, ContentPost.scheduled_at < end)).all()
    for unit_id, scheduled, metric in rows:
        first = to_wib(scheduled).date().replace(day=1)
        for key in (unit_id, None):
            if first in series[key]:
                series[key][first][0] += metric.reach or 0
                series[key][first][1] += interactions(metric)
                series[key][first][2] += 1
    return {key: [(f, *values[f]) for f in firsts] for key, values in series.items()}


def last_full_month(today=None):
    today = today or today_wib()
    return add_months(today.replace(day=1), -1)


def when(value):
    return to_wib(value) if isinstance(value, datetime) else value
