"""Workshops themselves: their data (title, place, link, capacity, registration window, completion rule, tests),
trainers, audience units, materials from the handbook and toolkit, and their sessions (the meetings, in WIB).

Everything a trainer chooses from a list (unit, trainers, audience, quizzes) is checked against that list here, so
a forged or stale id is a clear message, never a database error. Links are http(s) or mailto only. Services flush
and never commit; every write is audited.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, true
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import select

from portal import audit, events, generations, search
from portal.errors import DomainError
from portal.models import (
    Quiz,
    Section,
    SectionRevision,
    ToolkitItem,
    Unit,
    User,
    UserRole,
    Workshop,
    WorkshopAttendance,
    WorkshopAudienceUnit,
    WorkshopMaterial,
    WorkshopParticipant,
    WorkshopSession,
    WorkshopTrainer,
    utcnow,
)
from portal.models.workshops import WORKSHOP_STATUSES
from portal.timezone import as_utc, from_wib, to_wib
from portal.workshops.registration import promote

LINK_SCHEMES = ("http", "https", "mailto")
SOON = timedelta(hours=24)  # "a session starts soon": within this long


def safe_link(value):
    """`value` when it is an http(s) link with a host or a mailto link, else None (never a javascript: link)."""
    value = (value or "").strip()
    if not value or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.netloc:
        return value
    if scheme == "mailto" and parts.path:
        return value
    return None


# --- choices ------------------------------------------------------------------------------------------------------

def trainer_ids(session, workshop_id):
    return set(session.exec(select(WorkshopTrainer.user_id).where(WorkshopTrainer.workshop_id == workshop_id)).all())


def trainers(session, workshop_id):
    return session.exec(select(User).join(WorkshopTrainer, WorkshopTrainer.user_id == User.id)
                        .where(WorkshopTrainer.workshop_id == workshop_id).order_by(User.full_name)).all()


def trainer_choices(session):
    rows = session.exec(select(User).join(UserRole, UserRole.user_id == User.id)
                        .where(UserRole.role.in_(("trainer", "admin")), User.active).order_by(User.full_name)).all()
    return [(u.id, u.full_name) for u in dict.fromkeys(rows)]


def unit_choices(session):
    return [(u.id, u.name) for u in session.exec(select(Unit).order_by(Unit.path)).all()]


def deferred_quiz_choices(session):
    return [(q.id, q.title) for q in session.exec(select(Quiz).where(Quiz.feedback_mode == "deferred")
                                                  .order_by(Quiz.title)).all()]


def form_choices(session):
    """Everything the workshop form offers to choose from."""
    return {"units": unit_choices(session), "trainers": trainer_choices(session),
            "quizzes": deferred_quiz_choices(session)}


def form_values(session, workshop):
    """The editable links of a workshop, as the form shows them."""
    return {"trainer_ids": sorted(trainer_ids(session, workshop.id)),
            "audience_ids": sorted(audience_unit_ids(session, workshop.id)),
            "materials": materials_text(session, workshop.id)}


def audience_unit_ids(session, workshop_id):
    return set(session.exec(select(WorkshopAudienceUnit.unit_id)
                            .where(WorkshopAudienceUnit.workshop_id == workshop_id)).all())


# --- materials ----------------------------------------------------------------------------------------------------

def materials_text(session, workshop_id):
    rows = session.exec(select(WorkshopMaterial).where(WorkshopMaterial.workshop_id == workshop_id)
                        .order_by(WorkshopMaterial.position)).all()
    return "\n".join(f"{m.kind}:{m.ref}" for m in rows)


def _toolkit_id(ref):
    return int(ref) if ref.isdigit() and len(ref) <= 9 else None


def parse_materials(session, text):
    """Lines "handbook:<slug>" or "toolkit:<id>" -> [(kind, ref)]; unknown ones raise DomainError."""
    result = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        kind, _sep, ref = line.partition(":")
        kind, ref = kind.strip().lower(), ref.strip()
        if kind == "handbook" and ref and session.exec(select(Section.id).where(Section.slug == ref[:200])).first():
            result.append(("handbook", ref))
        elif kind == "toolkit" and _toolkit_id(ref) and session.get(ToolkitItem, _toolkit_id(ref)) is not None:
            result.append(("toolkit", ref))
        else:
            raise DomainError(_("Materi tidak dikenal: %(line)s. Tulis handbook:<slug> atau toolkit:<nomor>.",
                                line=line[:80]), field="materials")
    return result


def materials(session, workshop_id):
    """[{"label", "url", "kind"}] for the workshop page."""
    out = []
    for m in session.exec(select(WorkshopMaterial).where(WorkshopMaterial.workshop_id == workshop_id)
                          .order_by(WorkshopMaterial.position)).all():
        if m.kind == "handbook":
            title = session.exec(select(SectionRevision.title).join(Section, Section.current_revision_id
                                                                    == SectionRevision.id)
                                 .where(Section.slug == m.ref)).first()
            out.append({"kind": _("Pedoman"), "label": title or m.ref,
                        "url": url_for("handbook.section", slug=m.ref)})
        else:
            item = session.get(ToolkitItem, _toolkit_id(m.ref)) if _toolkit_id(m.ref) else None
            if item is not None:
                out.append({"kind": _("Perangkat Humas"), "label": item.title,
                            "url": url_for("toolkit.item", item_id=item.id)})
    return out


# --- saving a workshop --------------------------------------------------------------------------------------------

WORKSHOP_FIELDS = ("title", "description", "place", "online_link", "unit_id", "capacity", "registration_opens_at",
                   "registration_closes_at", "status", "completion_percent", "require_post_test", "pre_quiz_id",
                   "post_quiz_id")


def _check_choices(session, values, trainer_user_ids, audience_ids):
    """Every chosen id must be one the form offers (a forged or stale id is a clear message, not a 500)."""
    choices = form_choices(session)
    units = {i for i, _name in choices["units"]}
    if values.get("unit_id") is not None and values["unit_id"] not in units:
        raise DomainError(_("Unit penyelenggara tidak dikenal. Pilih dari daftar."), field="unit_id")
    if not set(audience_ids or ()) <= units:
        raise DomainError(_("Unit peserta sasaran tidak dikenal. Pilih dari daftar."), field="audience_ids")
    if not set(trainer_user_ids) <= {i for i, _name in choices["trainers"]}:
        raise DomainError(_("Pelatih tidak dikenal. Pilih dari daftar."), field="trainer_ids")
    quizzes = {i for i, _title in choices["quizzes"]}
    for name in ("pre_quiz_id", "post_quiz_id"):
        if values.get(name) is not None and values[name] not in quizzes:
            raise DomainError(_("Kuis tidak dikenal. Pilih kuis mode ujian dari daftar."), field=name)


def save_workshop(session, actor, workshop, values, trainer_user_ids, audience_ids, materials_text_value):
    """Create (workshop None) or update a workshop with its trainers, audience and materials."""
    values = dict(values)
    values["title"] = " ".join((values.get("title") or "").split())
    if not values["title"]:
        raise DomainError(_("Judul wajib diisi."), field="title")
    if values.get("status") not in WORKSHOP_STATUSES:
        raise DomainError(_("Status tidak dikenal."), field="status")
    link = (values.get("online_link") or "").strip()
    if link and safe_link(link) is None:
        raise DomainError(_("Tautan daring harus diawali http://, https:// atau mailto:."), field="online_link")
    values["online_link"] = link
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise DomainError(_("Pendaftaran harus ditutup setelah dibuka."), field="registration_closes_at")
    if values.get("capacity") is not None and not 1 <= values["capacity"] <= 100_000:
        raise DomainError(_("Kapasitas paling sedikit 1 (kosongkan bila tidak dibatasi)."), field="capacity")
    if not 1 <= (values.get("completion_percent") or 0) <= 100:
        raise DomainError(_("Syarat kehadiran antara 1 dan 100 persen."), field="completion_percent")
    if not trainer_user_ids:
        raise DomainError(_("Pilih paling sedikit satu pelatih."), field="trainer_ids")
    _check_choices(session, values, trainer_user_ids, audience_ids)
    material_rows = parse_materials(session, materials_text_value)
    creating = workshop is None
    before = None if creating else audit.snapshot(workshop, WORKSHOP_FIELDS)
    if creating:
        workshop = Workshop(created_by_id=getattr(actor, "id", None), title=values["title"])
        session.add(workshop)
    for name in WORKSHOP_FIELDS:
        if name in values:
            setattr(workshop, name, values[name])
    session.flush()
    for link_row in session.exec(select(WorkshopTrainer).where(WorkshopTrainer.workshop_id == workshop.id)).all():
        session.delete(link_row)
    for link_row in session.exec(select(WorkshopAudienceUnit).where(WorkshopAudienceUnit.workshop_id
                                                                    == workshop.id)).all():
        session.delete(link_row)
    for m in session.exec(select(WorkshopMaterial).where(WorkshopMaterial.workshop_id == workshop.id)).all():
        session.delete(m)
    session.flush()
    for user_id in sorted(set(trainer_user_ids)):
        session.add(WorkshopTrainer(workshop_id=workshop.id, user_id=user_id))
    for unit_id in sorted(set(audience_ids or ())):
        session.add(WorkshopAudienceUnit(workshop_id=workshop.id, unit_id=unit_id))
    for position, (kind, ref) in enumerate(material_rows):
        session.add(WorkshopMaterial(workshop_id=workshop.id, kind=kind, ref=ref, position=position))
    session.flush()
    index_workshop(session, workshop)
    audit.record(session, actor, "workshop.create" if creating else "workshop.update", "workshop", workshop.id,
                 workshop.title, before=before, after=audit.snapshot(workshop, WORKSHOP_FIELDS))
    if not creating:
        promote(session, workshop, actor=actor)  # a larger capacity frees seats
    return workshop


SEARCH_KIND = "workshop"  # the workshops' documents in the full-text index (the header search)


# The workshops' cache generation: the header search keeps its workshop group under it (pages.header_scope), the
# dashboard the open workshops of an audience. Moved by every flush that writes a workshop or its audience, whichever
# service (or test factory) wrote it, and by index_workshop.
GENERATION = "workshops"
generations.follow(GENERATION, Workshop, WorkshopAudienceUnit)


def index_workshop(session, workshop):
    """Put the workshop's title, description and place in the full-text index (in the caller's transaction). Every
    workshop write ends here (save_workshop, the demo), so it also moves the generation: a status or an audience
    decides who finds the workshop in the header search."""
    search.index_document(session, SEARCH_KIND, workshop.id, workshop.title, workshop.description or "",
                          extra=workshop.place or "")
    generations.move(session, GENERATION)


def managed_by(user):
    """SQL: the workshop is one `user` manages (admins: every workshop; a trainer: those they are assigned to)."""
    if "admin" in user.roles:
        return true()
    return exists().where(WorkshopTrainer.workshop_id == Workshop.id, WorkshopTrainer.user_id == user.id)


def workshops_managed_by(user):
    """The statement of the workshops `user` manages, newest first."""
    return select(Workshop).where(managed_by(user)).order_by(Workshop.created_at.desc(), Workshop.id.desc())


# --- workshop sessions (the meetings) -----------------------------------------------------------------------------

def workshop_sessions(session, workshop_id):
    return session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop_id)
                        .order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()


def add_workshop_session(session, actor, workshop, day, start, end, topic):
    starts_at, ends_at = from_wib(day, start), from_wib(day, end)
    if ends_at <= starts_at:
        raise DomainError(_("Jam selesai harus setelah jam mulai."), field="end")
    row = WorkshopSession(workshop_id=workshop.id, starts_at=starts_at, ends_at=ends_at,
                          topic=" ".join((topic or "").split())[:300])
    session.add(row)
    session.flush()
    audit.record(session, actor, "workshop.session_add", "workshop_session", row.id,
                 f"{workshop.title}: {to_wib(starts_at):%Y-%m-%d %H:%M}–{to_wib(ends_at):%H:%M} {row.topic}")
    return row


def delete_workshop_session(session, actor, workshop, workshop_session):
    audit.record(session, actor, "workshop.session_delete", "workshop_session", workshop_session.id,
                 f"{workshop.title}: {to_wib(workshop_session.starts_at):%Y-%m-%d %H:%M} {workshop_session.topic}")
    for row in session.exec(select(WorkshopAttendance).where(WorkshopAttendance.session_id
                                                             == workshop_session.id)).all():
        session.delete(row)
    session.delete(workshop_session)
    session.flush()


def upcoming_sessions(session, workshops, now=None, limit=10):
    """[(WorkshopSession, Workshop)] not yet ended, earliest first, of `workshops`: ids, or a condition on Workshop
    (`managed_by`)."""
    if not isinstance(workshops, ColumnElement):
        if not workshops:
            return []
        workshops = Workshop.id.in_(workshops)
    now = as_utc(now or utcnow())
    return session.exec(select(WorkshopSession, Workshop).join(Workshop, Workshop.id == WorkshopSession.workshop_id)
                        .where(workshops, WorkshopSession.ends_at >= now)
                        .order_by(WorkshopSession.starts_at).limit(limit)).all()


def sessions_starting_soon(session, now=None, within=SOON):
    """[(workshop session, workshop, registered participants)] of sessions that start within `within` of `now`
    (workshops that are not drafts), earliest first."""
    now = as_utc(now or utcnow())
    rows = session.exec(select(WorkshopSession, Workshop).join(Workshop, Workshop.id == WorkshopSession.workshop_id)
                        .where(WorkshopSession.starts_at > now, WorkshopSession.starts_at <= now + within,
                               Workshop.status != "draft")
                        .order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()
    if not rows:
        return []
    people = {}
    for p in session.exec(select(WorkshopParticipant).where(
            WorkshopParticipant.workshop_id.in_({w.id for _s, w in rows}),
            WorkshopParticipant.status == "registered").order_by(WorkshopParticipant.id)).all():
        people.setdefault(p.workshop_id, []).append(p)
    return [(s, w, people.get(w.id, [])) for s, w in rows]


def announce_sessions_soon(session, now=None, within=SOON):
    """Send `workshop_session_soon` for every session starting within 24 h (for `flask notify-due`); returns how
    many were announced. Receivers decide what they already told whom: a later run announces the same session
    again while it is still ahead."""
    due = sessions_starting_soon(session, now, within)
    for workshop_session, workshop, participants in due:
        events.workshop_session_soon.send(session, actor=None, workshop_session=workshop_session, workshop=workshop,
                                          participants=participants)
    return len(due)
