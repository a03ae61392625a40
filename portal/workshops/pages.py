"""What the workshop pages show, each page from one call: the list, a workshop's page, a guest's page, and the
dashboard cards."""

from dataclasses import dataclass, field
from typing import NamedTuple

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_
from sqlmodel import select

from portal import cache, generations, search
from portal.i18n import ngettext
from portal.models import Certificate, Workshop, WorkshopParticipant, WorkshopSession, utcnow
from portal.permissions import can
from portal.timezone import as_utc
from portal.workshops.access import can_manage_workshop
from portal.workshops.attendance import current_workshop_session
from portal.workshops.catalog import (
    GENERATION,
    managed_by,
    materials,
    safe_link,
    trainers,
    upcoming_sessions,
    workshop_sessions,
    workshops_managed_by,
)
from portal.workshops.completion import certificate_of, my_certificates
from portal.workshops.registration import (
    audience_filter,
    audience_includes,
    display_name,
    page_of,
    participant_of,
    participant_page,
    participant_rows,
    registered_count,
    registration_open,
    waiting_position,
)

# The dashboard's workshop cards (kept per person, portal/dashboard.py): a participant's row or certificate written by
# a trainer moves the person's counter; a session's time moves every dashboard.
generations.follow_people(WorkshopParticipant, Certificate)
generations.follow("workshop_sessions", WorkshopSession)


def visible_to(user):
    """SQL: a workshop `user` may see as an employee: not a draft, and in their audience or already theirs (any
    participation, cancelled included)."""
    theirs = exists().where(WorkshopParticipant.workshop_id == Workshop.id, WorkshopParticipant.user_id == user.id)
    return and_(Workshop.status != "draft", or_(audience_includes(user), theirs))


def _newest_first(statement):
    return statement.order_by(Workshop.created_at.desc(), Workshop.id.desc())


def _count(session, statement):
    return session.exec(select(func.count()).select_from(statement.order_by(None).subquery())).one()


def page_of_statement(session, statement, page, per_page, total=None):
    """One page of a statement's rows, counted and cut by the database, in page_of's shape: a list of thousands of
    workshops is never loaded to show twenty of them. `total`: the statement's row count when the caller has it
    (a kept one)."""
    total = _count(session, statement) if total is None else total
    pages = max(1, -(-total // per_page))
    page = min(max(page or 1, 1), pages)
    rows = session.exec(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"rows": rows, "page": page, "pages": pages, "matches": total, "query": ""}


def header_scope(session, user):
    """What decides which workshops `user` finds in the header search (header_matches): the workshops' generation
    (moved by every workshop write: status, audience, text), the person's unit path (the audience rule) and the
    workshops they take part in outside their audience (usually none), which they see as well."""
    outside = session.exec(select(WorkshopParticipant.workshop_id).join(
        Workshop, Workshop.id == WorkshopParticipant.workshop_id).where(
        WorkshopParticipant.user_id == user.id, Workshop.status != "draft", ~audience_includes(user))).all()
    return (generations.read(session, GENERATION), user.unit.path if user.unit is not None else "",
            tuple(sorted(set(outside))))


def header_matches(session, user, q, limit=5):
    """The header search's workshop group: a search.Top of the workshops `user` may see (`visible_to`), checked
    per match through indexes inside the full-text statement."""
    from portal.workshops.catalog import SEARCH_KIND

    return search.top(session, SEARCH_KIND, q, limit=limit,
                      visible=lambda ref: [exists().where(Workshop.id == ref, visible_to(user))])


INDEX_PAGE_SIZE = 20  # workshops per page in each list of /workshops/


@dataclass
class IndexPage:
    workshops: dict  # page_of [(Workshop, WorkshopParticipant | None)] the person may join or has joined
    managed: dict  # page_of [Workshop] the person manages (admins: every workshop)
    upcoming: list = field(default_factory=list)  # [(WorkshopSession, Workshop)] of managed workshops
    earned: list = field(default_factory=list)  # Certificate
    open_ids: set = field(default_factory=set)  # workshops on this page whose registration is open now


def index_page(session, user, page=1, managed_page=1):
    """/workshops/: both lists paged by the database (an admin manages every workshop; there may be thousands)."""
    manages = can(user, "workshop.manage")
    managed = page_of_statement(session, workshops_managed_by(user), managed_page, INDEX_PAGE_SIZE) if manages \
        else page_of([], 1)
    # A trainer's own workshops are listed once, under "managed", not again among the open ones.
    others = _newest_first(select(Workshop).where(visible_to(user), *([~managed_by(user)] if manages else [])))
    total = None if manages else _visible_count(session, user, lambda: _count(session, others))
    others = page_of_statement(session, others, page, INDEX_PAGE_SIZE, total)
    shown_ids = [w.id for w in others["rows"]]
    mine = {p.workshop_id: p for p in session.exec(select(WorkshopParticipant).where(
        WorkshopParticipant.user_id == user.id, WorkshopParticipant.workshop_id.in_(shown_ids))).all()} \
        if shown_ids else {}
    others["rows"] = [(w, mine.get(w.id)) for w in others["rows"]]
    return IndexPage(others, managed, upcoming_sessions(session, managed_by(user)) if manages else [],
                     my_certificates(session, user), {w.id for w, _p in others["rows"] if registration_open(w)})


VISIBLE_COUNT_SECONDS = 300


def _visible_count(session, user, count):
    """How many workshops an employee may see (`visible_to`), kept per person under what decides it: the workshops'
    generation (their status and audiences), the person's unit path and their person counter (their participations,
    which let them see a workshop outside their audience). The count read every workshop's audience (0.3 ms on
    SQLite, 1.2 ms on PostgreSQL at 2,000 workshops, a quarter of the list's SQL) on every page of the list."""
    key = (user.id, generations.read(session, GENERATION), user.unit.path if user.unit is not None else "",
           generations.read_person(session, user.id))
    return cache.remembered("workshops.visible_count", key, VISIBLE_COUNT_SECONDS, count)


@dataclass
class WorkshopPage:
    workshop: Workshop
    manages: bool
    participant: WorkshopParticipant | None
    position: int | None
    sessions: list
    materials: list
    trainers: list
    seats: int
    open: bool
    in_audience: bool
    certificate: Certificate | None
    online_link: str | None  # only an http(s) or mailto link, and only for registered participants and trainers


def workshop_page(session, user, workshop):
    participant = participant_of(session, workshop.id, user.id)
    if participant is not None and participant.status == "cancelled":
        participant = None
    manages = can_manage_workshop(user, workshop, session)
    link = safe_link(workshop.online_link)
    show_link = manages or (participant is not None and participant.status == "registered")
    return WorkshopPage(workshop, manages, participant, waiting_position(session, participant),
                        workshop_sessions(session, workshop.id), materials(session, workshop.id),
                        trainers(session, workshop.id), registered_count(session, workshop.id),
                        registration_open(workshop), bool(audience_filter(session, user, [workshop])),
                        certificate_of(session, participant), link if show_link else None)


def manage_page(session, workshop, page=1, query=""):
    """The trainer's page of a workshop: its sessions, seats, and one page of its participants."""
    return {"sessions": workshop_sessions(session, workshop.id), "seats": registered_count(session, workshop.id),
            **participant_page(session, workshop.id, page, query)}


def sign_sheet(session, workshop):
    """The printable daftar hadir: every registered participant (on paper nothing is paginated) and the trainers."""
    return {"rows": participant_rows(session, workshop.id, ("registered",)), "trainers": trainers(session, workshop.id)}


def own_certificate(session, user, workshop):
    """The signed-in person's certificate of `workshop`, or None."""
    return certificate_of(session, participant_of(session, workshop.id, user.id))


@dataclass
class GuestPage:
    participant: WorkshopParticipant
    workshop: Workshop
    name: str
    current: WorkshopSession | None
    sessions: list
    certificate: Certificate | None


def guest_page(session, participant):
    workshop = session.get(Workshop, participant.workshop_id)
    return GuestPage(participant, workshop, display_name(session, participant),
                     current_workshop_session(session, workshop.id), workshop_sessions(session, workshop.id),
                     certificate_of(session, participant))


def guest_certificate(session, participant):
    """(workshop, certificate) of a guest's personal link; certificate None when not (yet) issued."""
    return session.get(Workshop, participant.workshop_id), certificate_of(session, participant)


OPEN_KEPT = 12  # open workshops kept per audience for the dashboard (it shows 3 the person has not joined)


class OpenWorkshop(NamedTuple):
    id: int
    title: str


def open_for_registration(session, user, registered, limit):
    """Up to `limit` workshops (OpenWorkshop), in id order, whose registration is open now, whose audience includes
    `user` and that are not in `registered` (workshop ids). The first OPEN_KEPT of an audience (a unit path) are
    kept per process under the workshops' generation for DASHBOARD_CACHE_SECONDS, so a registration window that
    opened or closed within that time may show late on the dashboard (registering checks it exactly); when the
    person joined most of them, the database is asked."""
    def build():
        return tuple(OpenWorkshop(w.id, w.title) for w in _open_for_registration(session, user, (), OPEN_KEPT))

    kept = cache.remembered("workshops.open", (generations.read(session, GENERATION),
                                               user.unit.path if user.unit is not None else ""),
                            "DASHBOARD_CACHE_SECONDS", build)
    shown = [w for w in kept if w.id not in registered][:limit]
    if len(shown) < limit and len(kept) == OPEN_KEPT:
        shown = [OpenWorkshop(w.id, w.title) for w in _open_for_registration(session, user, registered, limit)]
    return shown


def _open_for_registration(session, user, registered, limit):
    """One statement: the window and the audience checked by the database (the dashboard must not load the
    institution's open workshops)."""
    now = utcnow()
    query = (select(Workshop).where(
        Workshop.status == "open",
        or_(Workshop.registration_opens_at.is_(None), Workshop.registration_opens_at <= now),
        or_(Workshop.registration_closes_at.is_(None), Workshop.registration_closes_at >= now),
        audience_includes(user))
        .order_by(Workshop.id).limit(limit))
    if registered:
        query = query.where(Workshop.id.not_in(registered))
    return list(session.exec(query).all())


def dashboard_cards(session, user):
    cards = []
    mine = session.exec(select(WorkshopParticipant).where(WorkshopParticipant.user_id == user.id,
                                                          WorkshopParticipant.status != "cancelled")).all()
    upcoming = upcoming_sessions(session, [p.workshop_id for p in mine if p.status == "registered"], limit=3)
    for workshop_session, workshop in upcoming:
        cards.append({"title": _("Sesi pelatihan berikutnya"),
                      "body": _("%(t)s: %(when)s WIB%(topic)s.", t=workshop.title,
                                when=format_datetime(as_utc(workshop_session.starts_at), "EEEE, d MMMM yyyy HH:mm"),
                                topic=f" — {workshop_session.topic}" if workshop_session.topic else ""),
                      "url": url_for("workshops.detail", workshop_id=workshop.id), "action": _("Lihat pelatihan"),
                      "progress": None, "tone": "info"})
    open_ones = open_for_registration(session, user, {p.workshop_id for p in mine}, limit=3)
    if open_ones:
        cards.append({"title": _("Pelatihan terbuka untuk didaftari"),
                      "body": ", ".join(w.title for w in open_ones[:3]),
                      "url": url_for("workshops.index"), "action": _("Daftar pelatihan"), "progress": None,
                      "tone": "warn"})
    earned = my_certificates(session, user)
    if earned:
        cards.append({"title": _("Sertifikat pelatihan"),
                      "body": ngettext("Anda sudah menyelesaikan %(num)s pelatihan: %(t)s.",
                                       "Anda sudah menyelesaikan %(num)s pelatihan: %(t)s.", len(earned),
                                       t=", ".join(c.title for c in earned[:3])),
                      "url": url_for("workshops.index") + "#riwayat", "action": _("Lihat riwayat"),
                      "progress": None, "tone": "ok"})
    return cards
