"""Reports for supervisors and admins: acknowledgement per unit, each person's reading progress, the CSV/XLSX table,
and the supervisor's follow-up of their unit (who has not acknowledged, has no valid quiz pass, missed a workshop)
with a reminder that notifies those people (the `reminder_requested` event).

A scope is what `permissions.report_scope` gives: None = every unit, a unit path = that subtree, "" = nothing.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, literal, or_, true
from sqlmodel import select

from portal import audit, db, events, export_jobs, exports
from portal.errors import DomainError
from portal.handbook.editions import edition_toc, latest_edition, required_edition
from portal.i18n import ngettext
from portal.models import (
    Acknowledgement,
    AcknowledgementState,
    AcknowledgementUnitCount,
    Attempt,
    Edition,
    EditionSection,
    SectionRead,
    Unit,
    User,
    WorkshopAttendance,
    WorkshopParticipant,
    WorkshopSession,
    utcnow,
)
from portal.timezone import today_wib

MISSED_WORKSHOP_DAYS = 365  # a workshop absence counts for the follow-up this long
PEOPLE_LIMIT = 10  # people listed per topic on the follow-up overview (counted in full; each topic has its pages)
TEAM_PAGE = 25  # people per page of one follow-up list (a phone screen or two of checkboxes)
PEOPLE_PAGE = 50  # people per page of the report's list
UNITS_PAGE = 50  # units per page of the report's chart and table (300 units on one page: 260 KB, 45 ms of template)


@dataclass
class UnitRow:
    unit: object  # accounts.services.UnitRef
    members: int
    acknowledged: int

    @property
    def rate(self):
        return 100 * self.acknowledged / self.members if self.members else 0


def _acknowledged_clause(required):
    """The condition on User that they have acknowledged `required` or a later edition, read from the state the
    database keeps per person (AcknowledgementState: one row by primary key, not their acknowledgements and
    editions): the report's counts come from the same state, so its lists and its page cuts agree with them."""
    return exists().where(AcknowledgementState.user_id == User.id,
                          AcknowledgementState.acknowledged_published_at >= required.published_at)


def _unit_scope(scope_path):
    """Units a report covers: None = every unit, a path = that subtree, "" (no scope) = none at all."""
    if scope_path is None:
        return true()
    if not scope_path:
        return false()
    return Unit.path.startswith(scope_path)


def ack_report(session, scope_path):
    """Acknowledgement per unit in scope, in tree order."""
    from portal.accounts.services import unit_tree

    required = required_edition(session)
    if scope_path == "":
        return []
    units = [u for u in unit_tree(session) if scope_path is None or u.path.startswith(scope_path)]  # in tree order
    if not units:
        return []
    # from the counts the database keeps per unit and edition (AcknowledgementUnitCount), a few rows per unit
    counted = AcknowledgementUnitCount
    done = (func.sum(case((counted.acknowledged_published_at >= required.published_at, counted.people), else_=0))
            if required is not None else literal(0))
    query = select(counted.unit_id, func.sum(counted.people), done).group_by(counted.unit_id)
    if scope_path is not None:
        query = query.where(counted.unit_id.in_([u.id for u in units]))
    counts = {unit_id: (members, acknowledged) for unit_id, members, acknowledged in session.exec(query).all()}
    return [UnitRow(u, *counts.get(u.id, (0, 0))) for u in units]


class Person(NamedTuple):
    """A person as the report's list shows them (columns, not the user with their roles)."""

    id: int
    full_name: str
    nip: str | None


@dataclass
class PersonRow:
    user: Person
    unit_name: str
    read: int
    total: int
    acknowledged: bool

    @property
    def percent(self):
        return 100 * self.read / self.total if self.total else 0


def people_progress(session, unit_rows, page=1, per_page=None):
    """One page of the active people of `unit_rows` (ack_report's rows, counted in this transaction): sections of
    the current edition read, and acknowledged or not; those who have not acknowledged first, then by unit path
    and name. The page is cut with the units' counts: only the people of the few units it falls in are read and
    sorted (sorting 50,000 people to show 50 took 0.2 s a page)."""
    per_page = per_page or PEOPLE_PAGE
    edition, required = latest_edition(session), required_edition(session)
    total = len(edition_toc(session, edition).flat)
    # read from each person's state (a row per person, with their unit and active flag): its (unit_id, active,
    # acknowledged_published_at) index gives a unit's people who have (not) acknowledged without asking each one
    # (PostgreSQL hashed all 50,000 states to answer that for two units' 300 people: 8 ms)
    state = AcknowledgementState
    if required is None:
        acked, not_acked = false(), true()
    else:
        acked = state.acknowledged_published_at >= required.published_at
        not_acked = or_(state.acknowledged_published_at.is_(None),
                        state.acknowledged_published_at < required.published_at)
    units = sorted(unit_rows, key=lambda r: r.unit.path)
    start, position, rows = (max(page, 1) - 1) * per_page, 0, []
    for is_acked in (False, True):
        shown = []  # (unit id, its rows' position) of the units this part of the page falls in
        offset = None
        for row in units:
            count = row.acknowledged if is_acked else row.members - row.acknowledged
            if count and position + count > start + len(rows) and position < start + per_page:
                offset = start + len(rows) - position if offset is None else offset
                shown.append(row.unit.id)
            position += count
        if not shown:
            continue
        order = case({unit_id: n for n, unit_id in enumerate(shown)}, value=state.unit_id)
        rows += session.exec(select(User.id, User.full_name, User.nip, Unit.name, acked.label("acked"))
                             .select_from(state).join(User, User.id == state.user_id)
                             .join(Unit, Unit.id == state.unit_id)
                             .where(state.active, state.unit_id.in_(shown), acked if is_acked else not_acked)
                             .order_by(order, User.full_name, User.id)
                             .offset(offset).limit(per_page - len(rows))).all()
    reads = {}
    if edition is not None and rows:
        reads = dict(session.exec(
            select(SectionRead.user_id, func.count())
            .join(EditionSection, and_(EditionSection.section_id == SectionRead.section_id,
                                       EditionSection.edition_id == edition.id))
            .where(SectionRead.user_id.in_([row[0] for row in rows]))
            .group_by(SectionRead.user_id)).all())
    return [PersonRow(Person(user_id, name, nip), unit_name, reads.get(user_id, 0), total, bool(a))
            for user_id, name, nip, unit_name, a in rows]


@db.plans_for_values
def report_page(session, scope_path, unit=None, page=1, unit_page=1):
    """The report: acknowledgement per unit, UNITS_PAGE units at a time in tree order (the totals count them all),
    and one page of people (PEOPLE_PAGE, those who have not acknowledged first; 500 people on one page made it
    450 KB and 0.4 s)."""
    rows = ack_report(session, scope_path)
    shown = [r for r in rows if unit is None or r.unit.path.startswith(unit.path)]  # the people list's units
    unit_pages = max((len(rows) + UNITS_PAGE - 1) // UNITS_PAGE, 1)
    unit_page = min(max(unit_page, 1), unit_pages)
    return {"rows": rows[(unit_page - 1) * UNITS_PAGE:unit_page * UNITS_PAGE], "unit_count": len(rows),
            "unit_page": unit_page, "unit_pages": unit_pages, "unit_first": (unit_page - 1) * UNITS_PAGE + 1,
            "people": people_progress(session, shown, page), "unit": unit, "page": page,
            "pages": max((sum(r.members for r in shown) + PEOPLE_PAGE - 1) // PEOPLE_PAGE, 1),
            "members": sum(r.members for r in rows), "done": sum(r.acknowledged for r in rows),
            "edition": latest_edition(session), "required": required_edition(session),
            "missing_shown": sum(r.members - r.acknowledged for r in shown)}


EXPORT_COLUMNS = (
    (_l("NIP"), 22), (_l("Nama"), 36), (_l("Kode unit"), 14), (_l("Unit"), 40), (_l("Status"), 14),
    (_l("Bagian dibaca"), 14), (_l("Jumlah bagian"), 14), (_l("Edisi disetujui"), 16),
    (_l("Waktu persetujuan (WIB)"), 22),
)


@db.plans_for_values
def ack_table(session, scope_path):
    """(header, rows, widths): every active employee in scope with reading progress and acknowledgement, headers
    and values in the interface language, times as datetimes (the export writes them in WIB)."""
    required, edition = required_edition(session), latest_edition(session)
    total = len(edition_toc(session, edition).flat)
    header = [str(h) for h, _w in EXPORT_COLUMNS]
    widths = [w for _h, w in EXPORT_COLUMNS]
    # columns, not entities: 50,000 people as ORM objects took seconds
    query = (select(User.id, User.nip, User.full_name, Unit.code, Unit.name).join(Unit, Unit.id == User.unit_id)
             .where(User.active, _unit_scope(scope_path)))
    acks = (select(Acknowledgement.user_id, Edition.version, Acknowledgement.acknowledged_at, Edition.published_at)
            .join(Edition, Edition.id == Acknowledgement.edition_id)
            .join(User, User.id == Acknowledgement.user_id).join(Unit, Unit.id == User.unit_id)
            .where(User.active, _unit_scope(scope_path)).order_by(Edition.published_at))
    latest_ack = {user_id: (version, at, published_at)
                  for user_id, version, at, published_at in session.exec(acks).all()}  # the newest wins
    reads = {}
    if edition is not None:
        reads = dict(session.exec(
            select(SectionRead.user_id, func.count())
            .join(EditionSection, and_(EditionSection.section_id == SectionRead.section_id,
                                       EditionSection.edition_id == edition.id))
            .join(User, User.id == SectionRead.user_id).join(Unit, Unit.id == User.unit_id)
            .where(User.active, _unit_scope(scope_path)).group_by(SectionRead.user_id)).all())
    done_text, not_done_text = _("sudah"), _("belum")
    rows = []
    for user_id, nip, full_name, unit_code, unit_name in session.exec(
            query.order_by(Unit.path, User.full_name, User.id)).all():
        version, at, published_at = latest_ack.get(user_id, ("", None, None))
        done = required is not None and published_at is not None and published_at >= required.published_at
        rows.append([nip or "", full_name, unit_code, unit_name, done_text if done else not_done_text,
                     reads.get(user_id, 0), total, version, at])
    return header, rows, widths


def ack_table_size(session, scope_path):
    """How many people the acknowledgement export lists (what decides whether it leaves the request)."""
    return session.exec(select(func.count()).select_from(User).join(Unit, Unit.id == User.unit_id)
                        .where(User.active, _unit_scope(scope_path))).one()


@export_jobs.table("handbook.acknowledgements")
def ack_export(session, scope_path):
    header, rows, widths = ack_table(session, scope_path)
    return export_jobs.Table(exports.columns(header, widths), rows, "persetujuan-pedoman", _("Persetujuan pedoman"))


# --- the supervisor's follow-up -----------------------------------------------------------------------------------

REMINDER_TOPICS = {
    "handbook": _l("belum menyetujui pedoman"),
    "quiz": _l("belum lulus kuis (atau kelulusannya kedaluwarsa)"),
    "workshop": _l("tidak hadir di sesi pelatihan"),
}


# What the reminded person reads (in Indonesian, as the notification stores it) and where it leads.
REMINDER_TEXTS = {
    "handbook": ("Atasan Anda mengingatkan: baca bagian pedoman yang belum Anda buka, lalu nyatakan persetujuan.",
                 "handbook.index"),
    "quiz": ("Atasan Anda mengingatkan: ikuti kuis swa-penilaian sampai lulus.", "quiz.index"),
    "workshop": ("Atasan Anda mengingatkan: Anda tidak hadir di sesi pelatihan; cek jadwal dan materi susulan.",
                 "workshops.index"),
}


@dataclass
class TeamFollowUp:
    not_acknowledged: list  # rows of `_people_in_scope` (id, full_name, unit_name), the first PEOPLE_LIMIT
    no_quiz_pass: list
    missed_workshop: list
    counts: dict = field(default_factory=dict)  # topic -> how many people in all (when counted)

    def total(self, topic):
        return self.counts.get(topic, len(self.of(topic)))

    def of(self, topic):
        return {"handbook": self.not_acknowledged, "quiz": self.no_quiz_pass, "workshop": self.missed_workshop}[topic]

    @property
    def empty(self):
        return not (self.not_acknowledged or self.no_quiz_pass or self.missed_workshop)


def _people_in_scope(scope_path):
    """The active people in scope by unit and name, as the follow-up lists show them: the columns only (no user
    object, its unit and roles loaded for each of hundreds of names)."""
    return (select(User.id, User.full_name, Unit.name.label("unit_name")).join(Unit, Unit.id == User.unit_id)
            .where(User.active, _unit_scope(scope_path)).order_by(Unit.path, User.full_name, User.id))


def _follow_up_clauses(session, now):
    """{topic: the condition on User (joined with Unit) that puts an active person on that follow-up list; None
    for the handbook while no edition is published}."""
    required = required_edition(session)
    valid_pass = exists().where(Attempt.user_id == User.id, Attempt.passed == true(),
                                Attempt.finished_at.is_not(None),
                                or_(Attempt.valid_until.is_(None), Attempt.valid_until >= now))
    missed = exists().where(
        WorkshopParticipant.user_id == User.id, WorkshopAttendance.participant_id == WorkshopParticipant.id,
        WorkshopAttendance.status == "tidak_hadir", WorkshopSession.id == WorkshopAttendance.session_id,
        WorkshopSession.starts_at >= now - timedelta(days=MISSED_WORKSHOP_DAYS))
    return {"handbook": ~_acknowledged_clause(required) if required is not None else None,
            "quiz": ~valid_pass, "workshop": missed}


def _on_list(session, scope_path, topic, now):
    """The statement of one follow-up list: the people in scope on it (`_people_in_scope`'s columns and order), or
    None while nobody can be on it (the handbook's, before any edition)."""
    clause = _follow_up_clauses(session, now)[topic]
    return None if clause is None else _people_in_scope(scope_path).where(clause)


def _listed(session, scope_path, topic, now, limit, offset=0):
    """One topic's people in scope, `limit` from `offset`, in unit and name order."""
    query = _on_list(session, scope_path, topic, now)
    return [] if query is None else session.exec(query.offset(offset).limit(limit)).all()


@db.plans_for_values
def team_follow_up(session, scope_path, limit=None, now=None, counted=True):
    """The follow-up overview: who in scope has not acknowledged the handbook, holds no valid quiz pass, or missed a
    workshop session (marked "tidak hadir" in the last MISSED_WORKSHOP_DAYS days): the first `limit`
    (PEOPLE_LIMIT) of each list and, when `counted`, how many in all (`team_topic_page` pages through one list)."""
    limit = limit or PEOPLE_LIMIT
    now = now or utcnow()
    lists = [_listed(session, scope_path, topic, now, limit) for topic in REMINDER_TOPICS]
    return TeamFollowUp(
        *lists,
        _counts_of_long_lists(session, scope_path, limit, lists) if counted else {},
    )


@db.plans_for_values
def team_topic_page(session, scope_path, topic, page=1, now=None):
    """One page (TEAM_PAGE) of one follow-up list: {"people", "total", "page", "pages"}. The total is the kept
    count (`team_counts_kept`), corrected by what this page found: a short page ends the list there."""
    page = max(page, 1)
    start = (page - 1) * TEAM_PAGE
    people = _listed(session, scope_path, topic, now or utcnow(), TEAM_PAGE, start)
    found = start + len(people)
    if 0 < len(people) < TEAM_PAGE or found == 0:
        total = found  # a short page ends the list
    elif people:
        total = max(team_counts_kept(session, scope_path)[topic], found)
    else:  # past the end: the list has at most `start` people
        total = min(team_counts_kept(session, scope_path)[topic], start)
    return {"people": people, "total": total, "page": page,
            "pages": max((total + TEAM_PAGE - 1) // TEAM_PAGE, 1)}


def _counts_of_long_lists(session, scope_path, limit, lists):
    """{topic: how many in all} where a list was cut at `limit`; the dashboard card's counts (kept a while), as
    counting the whole institution's lists took 0.6 s a page. A list shorter than the limit is its own count."""
    if all(len(listed) < limit for listed in lists):
        return {}
    return team_counts_kept(session, scope_path)


@db.plans_for_values  # counted afresh: one unit or the whole institution
def team_counts(session, scope_path, now=None):
    """{topic: how many people in scope are on that follow-up list}: three counts, no rows (the dashboard card)."""
    counts = {}
    for topic, clause in _follow_up_clauses(session, now or utcnow()).items():
        if clause is None:
            counts[topic] = 0
            continue
        counts[topic] = session.exec(select(func.count()).select_from(User).join(Unit, Unit.id == User.unit_id)
                                     .where(User.active, _unit_scope(scope_path), clause)).one()
    return counts


def team_counts_kept(session, scope_path):
    """team_counts, kept DASHBOARD_CACHE_SECONDS per process and scope (three counts over the whole unit tree)."""
    from flask import current_app

    from portal import cache

    return cache.remembered("handbook.team_counts", scope_path, current_app.config["DASHBOARD_CACHE_SECONDS"],
                            lambda: team_counts(session, scope_path))


def team_card(session, user, scope_path):
    """The supervisor's dashboard card for their unit: how many people are on each follow-up list (`team_counts_kept`;
    the follow-up page lists people afresh)."""
    counts = team_counts_kept(session, scope_path)
    if not any(counts.values()):
        return {"title": _("Unit Anda"), "body": _("Semua pegawai di unit Anda sudah menyetujui pedoman, memegang "
                                                     "kelulusan kuis yang berlaku, dan hadir di pelatihan."),
                "progress": None, "url": url_for("handbook.team"), "action": _("Buka tindak lanjut unit"),
                "tone": "ok"}
    parts = [ngettext("%(num)s orang belum menyetujui pedoman", "%(num)s orang belum menyetujui pedoman",
                      counts["handbook"]),
             ngettext("%(num)s orang belum lulus kuis", "%(num)s orang belum lulus kuis", counts["quiz"]),
             ngettext("%(num)s orang tidak hadir di pelatihan", "%(num)s orang tidak hadir di pelatihan",
                      counts["workshop"])]
    return {"title": _("Tindak lanjut unit Anda"), "body": "; ".join(parts) + ".", "progress": None,
            "url": url_for("handbook.team"), "action": _("Lihat dan kirim pengingat"), "tone": "warn"}


def send_reminders(session, actor, scope_path, topic, user_ids):
    """Ask for a reminder to the chosen people of one follow-up list; only people on that list in the actor's scope
    are reminded. Sends `events.reminder_requested` (the notifications pillar delivers it). Returns how many."""
    if topic not in REMINDER_TOPICS:
        raise DomainError(_("Pilih jenis pengingat yang tersedia."))
    wanted = {int(i) for i in user_ids if str(i).isdigit()}
    listed = _on_list(session, scope_path, topic, utcnow())
    # those of the wanted who are on that list now, on any of its pages
    chosen = sorted(person.id for person in session.exec(listed.where(User.id.in_(wanted))).all()) \
        if wanted and listed is not None else []
    if not chosen:
        raise DomainError(_("Pilih sedikitnya satu orang yang akan diingatkan."))
    actor = getattr(actor, "_get_current_object", lambda: actor)()  # the user, not the request's proxy
    text, endpoint = REMINDER_TEXTS[topic]
    # One reminder per topic, person and day: a second click the same day notifies nobody twice.
    key = f"handbook.reminder:{topic}:{today_wib().isoformat()}"
    events.reminder_requested.send(session, actor=actor, user_ids=chosen, text=str(text), url=url_for(endpoint),
                                   key=key, topic=topic)
    audit.record(session, actor, "handbook.reminder", "user", None,
                 f"{topic}: {len(chosen)}", after={"topic": topic, "user_ids": chosen})
    session.flush()
    return len(chosen)
