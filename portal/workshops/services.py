"""Workshop use cases: workshops and their sessions, registration with a first-come-first-served waiting list,
participants (employees and guests, also by CSV import), attendance (roster, QR self check-in, guest codes),
completion and certificates, reports and exports, and the dashboard cards.

Race safety: registration, cancellation and promotion lock the workshop row (SELECT ... FOR UPDATE on PostgreSQL;
SQLite serialises writers with BEGIN IMMEDIATE) before counting seats, and a unique (workshop, user) pair and the
(session, participant) primary key of attendance stop double rows. Every trainer/admin write is audited.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal import audit, certificates
from portal.errors import DomainError
from portal.models import (
    Attempt,
    Certificate,
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
from portal.models.workshops import ATTENDANCE_STATUSES, PRESENT_STATUSES, WORKSHOP_STATUSES
from portal.timezone import WIB, as_utc, from_wib, naive_wib_to_utc, to_wib, wib_naive  # noqa: F401

CHECKIN_BEFORE = timedelta(minutes=30)  # self check-in opens this long before a session starts
LATE_AFTER = timedelta(minutes=15)  # a check-in later than this after the start is "terlambat"
TOKEN_SALT = "workshop-checkin"  # noqa: S105 - a salt, not a secret
CODE_ALPHABET = certificates.ALPHABET
CODE_LENGTH = 10


# --- time ---------------------------------------------------------------------------------------------------------

def minute_of(now):
    return int(as_utc(now).timestamp() // 60)


def new_code(session):
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(WorkshopParticipant.id).where(WorkshopParticipant.code == code)).first() is None:
            return code


# --- workshops ----------------------------------------------------------------------------------------------------

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


def audience_unit_ids(session, workshop_id):
    return set(session.exec(select(WorkshopAudienceUnit.unit_id)
                            .where(WorkshopAudienceUnit.workshop_id == workshop_id)).all())


def materials_text(session, workshop_id):
    rows = session.exec(select(WorkshopMaterial).where(WorkshopMaterial.workshop_id == workshop_id)
                        .order_by(WorkshopMaterial.position)).all()
    return "\n".join(f"{m.kind}:{m.ref}" for m in rows)


def parse_materials(session, text):
    """Lines "handbook:<slug>" or "toolkit:<id>" -> [(kind, ref)]; unknown ones raise DomainError."""
    result = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        kind, _sep, ref = line.partition(":")
        kind, ref = kind.strip().lower(), ref.strip()
        if kind == "handbook" and session.exec(select(Section.id).where(Section.slug == ref)).first():
            result.append(("handbook", ref))
        elif kind == "toolkit" and ref.isdigit() and session.get(ToolkitItem, int(ref)) is not None:
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
            item = session.get(ToolkitItem, int(m.ref)) if m.ref.isdigit() else None
            if item is not None:
                out.append({"kind": _("Perangkat Humas"), "label": item.title,
                            "url": url_for("toolkit.item", item_id=item.id)})
    return out


WORKSHOP_FIELDS = ("title", "description", "place", "online_link", "unit_id", "capacity", "registration_opens_at",
                   "registration_closes_at", "status", "completion_percent", "require_post_test", "pre_quiz_id",
                   "post_quiz_id")


def _check_choices(session, workshop, values, trainer_user_ids, audience_ids):
    """Foreign ids from the form must be ones the form offered (a forged id is a message, not an IntegrityError).
    A workshop's current trainers stay allowed even when they are no longer offered (e.g. deactivated)."""
    trainers = {uid for uid, _name in trainer_choices(session)}
    if workshop is not None:
        trainers |= trainer_ids(session, workshop.id)
    if set(trainer_user_ids) - trainers:
        raise DomainError(_("Pilih pelatih dari daftar."), field="trainer_ids")
    units = {uid for uid, _name in unit_choices(session)}
    if values.get("unit_id") is not None and values["unit_id"] not in units:
        raise DomainError(_("Pilih unit dari daftar."), field="unit_id")
    if set(audience_ids or ()) - units:
        raise DomainError(_("Pilih unit dari daftar."), field="audience_ids")
    quizzes = {qid for qid, _title in deferred_quiz_choices(session)}
    for name in ("pre_quiz_id", "post_quiz_id"):
        if values.get(name) is not None and values[name] not in quizzes | {getattr(workshop, name, None)}:
            raise DomainError(_("Pilih kuis dari daftar."), field=name)


def save_workshop(session, actor, workshop, values, trainer_user_ids, audience_ids, materials_text_value):
    """Create (workshop None) or update a workshop with its trainers, audience and materials."""
    values = dict(values)
    values["title"] = " ".join((values.get("title") or "").split())
    if not values["title"]:
        raise DomainError(_("Judul wajib diisi."), field="title")
    if values.get("status") not in WORKSHOP_STATUSES:
        raise DomainError(_("Status tidak dikenal."), field="status")
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise DomainError(_("Pendaftaran harus ditutup setelah dibuka."), field="registration_closes_at")
    if values.get("capacity") is not None and values["capacity"] < 1:
        raise DomainError(_("Kapasitas paling sedikit 1 (kosongkan bila tidak dibatasi)."), field="capacity")
    if not trainer_user_ids:
        raise DomainError(_("Pilih paling sedikit satu pelatih."), field="trainer_ids")
    _check_choices(session, workshop, values, trainer_user_ids, audience_ids)
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
    for link in session.exec(select(WorkshopTrainer).where(WorkshopTrainer.workshop_id == workshop.id)).all():
        session.delete(link)
    for link in session.exec(select(WorkshopAudienceUnit).where(WorkshopAudienceUnit.workshop_id
                                                                == workshop.id)).all():
        session.delete(link)
    for m in session.exec(select(WorkshopMaterial).where(WorkshopMaterial.workshop_id == workshop.id)).all():
        session.delete(m)
    session.flush()
    for user_id in sorted(set(trainer_user_ids)):
        session.add(WorkshopTrainer(workshop_id=workshop.id, user_id=user_id))
    for unit_id in sorted(set(audience_ids or ())):
        session.add(WorkshopAudienceUnit(workshop_id=workshop.id, unit_id=unit_id))
    for position, (kind, ref) in enumerate(material_rows):
        session.add(WorkshopMaterial(workshop_id=workshop.id, kind=kind, ref=ref, position=position))
    audit.record(session, actor, "workshop.create" if creating else "workshop.update", "workshop", workshop.id,
                 workshop.title, before=before, after=audit.snapshot(workshop, WORKSHOP_FIELDS))
    if not creating:
        _promote(session, workshop)  # a larger capacity frees seats
    session.commit()
    return workshop


def workshops_managed_by(session, user):
    stmt = select(Workshop).order_by(Workshop.created_at.desc(), Workshop.id.desc())
    if "admin" not in user.roles:
        stmt = stmt.join(WorkshopTrainer, WorkshopTrainer.workshop_id == Workshop.id).where(
            WorkshopTrainer.user_id == user.id)
    return session.exec(stmt).all()


def workshop_sessions(session, workshop_id):
    return session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop_id)
                        .order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()


def session_of(session, workshop, session_id):
    row = session.get(WorkshopSession, session_id)
    return row if row is not None and row.workshop_id == workshop.id else None


def add_session(session, actor, workshop, day, start, end, topic):
    starts_at, ends_at = from_wib(day, start), from_wib(day, end)
    if ends_at <= starts_at:
        raise DomainError(_("Jam selesai harus setelah jam mulai."), field="end")
    row = WorkshopSession(workshop_id=workshop.id, starts_at=starts_at, ends_at=ends_at,
                          topic=" ".join((topic or "").split())[:300])
    session.add(row)
    session.flush()
    audit.record(session, actor, "workshop.session_add", "workshop_session", row.id,
                 f"{workshop.title}: {to_wib(starts_at):%Y-%m-%d %H:%M}–{to_wib(ends_at):%H:%M} {row.topic}")
    session.commit()
    return row


def delete_session(session, actor, workshop, ws_session):
    audit.record(session, actor, "workshop.session_delete", "workshop_session", ws_session.id,
                 f"{workshop.title}: {to_wib(ws_session.starts_at):%Y-%m-%d %H:%M} {ws_session.topic}")
    for row in session.exec(select(WorkshopAttendance).where(WorkshopAttendance.session_id == ws_session.id)).all():
        session.delete(row)
    session.delete(ws_session)
    session.commit()


# --- audience and registration ----------------------------------------------------------------------------------

def in_audience(session, user, workshop):
    return workshop.id in audience_filter(session, user, [workshop])


def audience_filter(session, user, workshops):
    """Ids of `workshops` whose audience includes `user` (no audience units = everyone), in one query."""
    ids = [w.id for w in workshops]
    paths = {}
    for workshop_id, path in session.exec(
            select(WorkshopAudienceUnit.workshop_id, Unit.path).join(Unit, Unit.id == WorkshopAudienceUnit.unit_id)
            .where(WorkshopAudienceUnit.workshop_id.in_(ids))).all():
        paths.setdefault(workshop_id, []).append(path)
    own = user.unit.path if user.unit is not None else None
    return {i for i in ids if i not in paths or (own is not None and any(own.startswith(p) for p in paths[i]))}


def registration_open(workshop, now=None):
    now = as_utc(now or utcnow())
    if workshop.status != "open":
        return False
    if workshop.registration_opens_at and now < as_utc(workshop.registration_opens_at):
        return False
    return not (workshop.registration_closes_at and now > as_utc(workshop.registration_closes_at))


def participant_of(session, workshop_id, user_id):
    return session.exec(select(WorkshopParticipant).where(WorkshopParticipant.workshop_id == workshop_id,
                                                          WorkshopParticipant.user_id == user_id)).first()


def _lock(session, workshop_id):
    return session.exec(select(Workshop).where(Workshop.id == workshop_id).with_for_update()).one()


def registered_count(session, workshop_id):
    return session.exec(select(func.count()).select_from(WorkshopParticipant).where(
        WorkshopParticipant.workshop_id == workshop_id, WorkshopParticipant.status == "registered")).one()


def waiting_position(session, participant):
    if participant.status != "waitlisted":
        return None
    return session.exec(select(func.count()).select_from(WorkshopParticipant).where(
        WorkshopParticipant.workshop_id == participant.workshop_id, WorkshopParticipant.status == "waitlisted",
        (WorkshopParticipant.registered_at < participant.registered_at)
        | ((WorkshopParticipant.registered_at == participant.registered_at)
           & (WorkshopParticipant.id < participant.id)))).one() + 1


def _seat_status(session, workshop):
    if workshop.capacity is None or registered_count(session, workshop.id) < workshop.capacity:
        return "registered"
    return "waitlisted"


def _promote(session, workshop, now=None):
    """Fill free seats from the waiting list, first come first served. The caller holds the workshop lock."""
    if workshop.capacity is None:
        free = None
    else:
        free = workshop.capacity - registered_count(session, workshop.id)
        if free <= 0:
            return []
    stmt = (select(WorkshopParticipant).where(WorkshopParticipant.workshop_id == workshop.id,
                                              WorkshopParticipant.status == "waitlisted")
            .order_by(WorkshopParticipant.registered_at, WorkshopParticipant.id))
    if free is not None:
        stmt = stmt.limit(free)
    promoted = session.exec(stmt).all()
    for p in promoted:
        p.status, p.promoted_at = "registered", now or utcnow()
        audit.record(session, None, "workshop.promote", "workshop_participant", p.id,
                     f"{workshop.title}: promoted from the waiting list")
    session.flush()
    return promoted


def register(session, user, workshop_id, now=None):
    """Self-registration: a seat, or a place on the waiting list when full."""
    now = now or utcnow()
    workshop = _lock(session, workshop_id)
    if not registration_open(workshop, now):
        session.rollback()
        raise DomainError(_("Pendaftaran pelatihan ini sedang tidak dibuka."))
    if not in_audience(session, user, workshop):
        session.rollback()
        raise DomainError(_("Pelatihan ini tidak ditujukan untuk unit Anda."))
    participant = participant_of(session, workshop.id, user.id)
    if participant is not None and participant.status != "cancelled":
        session.rollback()
        raise DomainError(_("Anda sudah terdaftar di pelatihan ini."))
    status = _seat_status(session, workshop)
    if participant is None:
        participant = WorkshopParticipant(workshop_id=workshop.id, user_id=user.id, code=new_code(session),
                                          source="self")
        session.add(participant)
    participant.status, participant.registered_at, participant.cancelled_at = status, now, None
    participant.promoted_at = None
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError(_("Anda sudah terdaftar di pelatihan ini.")) from None
    return participant


def cancel(session, user, workshop_id, now=None):
    workshop = _lock(session, workshop_id)
    participant = participant_of(session, workshop.id, user.id)
    if participant is None or participant.status == "cancelled":
        session.rollback()
        raise DomainError(_("Anda tidak terdaftar di pelatihan ini."))
    if workshop.status == "finished":
        session.rollback()
        raise DomainError(_("Pelatihan sudah selesai."))
    participant.status, participant.cancelled_at = "cancelled", now or utcnow()
    session.flush()
    _promote(session, workshop, now)
    session.commit()
    return participant


def add_employee(session, actor, workshop, user, source="trainer"):
    """The trainer adds an employee: a seat when there is one, else the waiting list."""
    workshop = _lock(session, workshop.id)
    participant = participant_of(session, workshop.id, user.id)
    if participant is not None and participant.status != "cancelled":
        session.rollback()
        raise DomainError(_("%(name)s sudah terdaftar.", name=user.full_name), field="nip")
    status = _seat_status(session, workshop)
    if participant is None:
        participant = WorkshopParticipant(workshop_id=workshop.id, user_id=user.id, code=new_code(session))
        session.add(participant)
    participant.status, participant.source, participant.registered_at = status, source, utcnow()
    participant.cancelled_at = None
    session.flush()
    audit.record(session, actor, "workshop.participant_add", "workshop_participant", participant.id,
                 f"{workshop.title}: {user.full_name} ({status})")
    session.commit()
    return participant


def _guest_problems(session, workshop_id, name, email):
    problems = []
    if not name:
        problems.append(_("Nama wajib diisi."))
    if email and "@" not in email:
        problems.append(_("Alamat email tidak valid."))
    if email and session.exec(select(WorkshopParticipant.id).where(
            WorkshopParticipant.workshop_id == workshop_id, func.lower(WorkshopParticipant.email) == email,
            WorkshopParticipant.status != "cancelled")).first():
        problems.append(_("Email %(email)s sudah terdaftar di pelatihan ini.", email=email))
    return problems


def add_guest(session, actor, workshop, name, institution="", position="", email="", phone="", source="trainer"):
    name, email = " ".join((name or "").split())[:200], (email or "").strip().lower()[:254]
    problems = _guest_problems(session, workshop.id, name, email)
    if problems:
        raise DomainError(" ".join(problems), field="name")
    workshop = _lock(session, workshop.id)
    participant = WorkshopParticipant(workshop_id=workshop.id, name=name, institution=institution.strip()[:200],
                                      position=position.strip()[:200], email=email, phone=phone.strip()[:40],
                                      status=_seat_status(session, workshop), source=source, code=new_code(session))
    session.add(participant)
    session.flush()
    audit.record(session, actor, "workshop.participant_add", "workshop_participant", participant.id,
                 f"{workshop.title}: {name} ({institution}) tamu")
    session.commit()
    return participant


def find_employee(session, key):
    key = (key or "").strip()
    if not key:
        return None
    return session.exec(select(User).where((User.nip == key) | (User.username == key), User.active)).first()


def remove_participant(session, actor, workshop, participant):
    workshop = _lock(session, workshop.id)
    participant.status, participant.cancelled_at = "cancelled", utcnow()
    session.flush()
    audit.record(session, actor, "workshop.participant_remove", "workshop_participant", participant.id,
                 f"{workshop.title}: {display_name(session, participant)}")
    _promote(session, workshop)
    session.commit()


def display_name(session, participant):
    if participant.user_id is None:
        return participant.name
    user = session.get(User, participant.user_id)
    return user.full_name if user else participant.name


@dataclass
class ParticipantRow:
    participant: WorkshopParticipant
    name: str
    nip: str
    affiliation: str  # unit or institution
    unit: Unit | None
    position: int | None = None  # waiting list


def participant_rows(session, workshop_id, statuses=("registered", "waitlisted")):
    rows = session.exec(select(WorkshopParticipant, User, Unit)
                        .join(User, User.id == WorkshopParticipant.user_id, isouter=True)
                        .join(Unit, Unit.id == User.unit_id, isouter=True)
                        .where(WorkshopParticipant.workshop_id == workshop_id,
                               WorkshopParticipant.status.in_(statuses))
                        .order_by(WorkshopParticipant.status, WorkshopParticipant.registered_at,
                                  WorkshopParticipant.id)).all()
    out, waiting = [], 0
    for p, user, unit in rows:
        row = ParticipantRow(p, user.full_name if user else p.name, (user.nip or "") if user else "",
                             unit.name if unit else p.institution, unit)
        if p.status == "waitlisted":
            waiting += 1
            row.position = waiting
        out.append(row)
    out.sort(key=lambda r: (r.participant.status != "registered", r.position or 0, r.name.lower()))
    return out


# --- CSV import -------------------------------------------------------------------------------------------------

IMPORT_COLUMNS = ("nama", "nip", "instansi", "jabatan", "email", "telepon")
REQUIRED_IMPORT_COLUMNS = ("nama",)


@dataclass
class Preview:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def preview_import(session, workshop, raw):
    from portal.accounts.imports import read_csv

    preview = Preview()
    lines = read_csv(raw, REQUIRED_IMPORT_COLUMNS)
    existing = session.exec(select(WorkshopParticipant).where(WorkshopParticipant.workshop_id == workshop.id,
                                                              WorkshopParticipant.status != "cancelled")).all()
    taken_users = {p.user_id for p in existing if p.user_id}
    taken_emails = {p.email.lower() for p in existing if p.email}
    seen_nip, seen_email = {}, {}
    text_rows = _optional_columns(raw)
    for (line, row), extra in zip(lines, text_rows, strict=False):
        row = {**{c: "" for c in IMPORT_COLUMNS}, **extra, **row}
        name, nip, email = " ".join(row["nama"].split()), row["nip"].strip(), row["email"].strip().lower()
        problems, user = [], None
        if nip:
            user = session.exec(select(User).where(User.nip == nip)).first()
            if nip in seen_nip:
                problems.append(_("NIP ganda dalam berkas (sama dengan baris %(line)d).", line=seen_nip[nip]))
            elif user is None and not nip.isdigit():
                problems.append(_("NIP hanya berisi angka."))
            elif user is not None and user.id in taken_users:
                problems.append(_("%(name)s sudah terdaftar di pelatihan ini.", name=user.full_name))
            seen_nip.setdefault(nip, line)
        if user is None and not name:
            problems.append(_("Nama wajib diisi."))
        if len(name) > 200:
            problems.append(_("Nama terlalu panjang."))
        if email:
            if "@" not in email or " " in email or len(email) > 254:
                problems.append(_("Alamat email tidak valid."))
            elif email in seen_email:
                problems.append(_("Email ganda dalam berkas (sama dengan baris %(line)d).", line=seen_email[email]))
            elif user is None and email in taken_emails:
                problems.append(_("Email %(email)s sudah terdaftar di pelatihan ini.", email=email))
            seen_email.setdefault(email, line)
        if problems:
            preview.errors.extend((line, p) for p in problems)
            continue
        preview.rows.append({"line": line, "kind": "employee" if user else "guest",
                             "user_id": user.id if user else None, "name": user.full_name if user else name,
                             "institution": row["instansi"].strip()[:200],
                             "position": row["jabatan"].strip()[:200], "email": email, "phone": row["telepon"][:40]})
    return preview


def _optional_columns(raw):
    """The optional columns of each data row (read_csv returns only the required ones)."""
    import csv
    import io

    text = raw.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",")
    header = [h.strip().lower() for h in next(reader, [])]
    out = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        out.append({c: (values[header.index(c)].strip() if c in header and header.index(c) < len(values) else "")
                    for c in IMPORT_COLUMNS})
    return out


def apply_import(session, actor, workshop, raw):
    """Check again, then write every row in one transaction, or nothing."""
    preview = preview_import(session, workshop, raw)
    if not preview.ok:
        return preview
    locked = _lock(session, workshop.id)
    for row in preview.rows:
        if row["user_id"]:
            participant = participant_of(session, locked.id, row["user_id"])
            if participant is None:
                participant = WorkshopParticipant(workshop_id=locked.id, user_id=row["user_id"],
                                                  code=new_code(session))
                session.add(participant)
            participant.status, participant.source = _seat_status(session, locked), "import"
            participant.registered_at, participant.cancelled_at = utcnow(), None
        else:
            session.add(WorkshopParticipant(workshop_id=locked.id, name=row["name"], institution=row["institution"],
                                            position=row["position"], email=row["email"], phone=row["phone"],
                                            status=_seat_status(session, locked), source="import",
                                            code=new_code(session)))
        session.flush()
    audit.record(session, actor, "workshop.import", "workshop", workshop.id,
                 f"{workshop.title}: {len(preview.rows)} peserta diimpor")
    session.commit()
    return preview


# --- attendance ----------------------------------------------------------------------------------------------------

def attendance_of(session, session_id):
    return {a.participant_id: a for a in session.exec(select(WorkshopAttendance).where(
        WorkshopAttendance.session_id == session_id)).all()}


def roster(session, workshop, ws_session):
    """[(ParticipantRow, WorkshopAttendance | None, marker name)] of registered participants."""
    marks = attendance_of(session, ws_session.id)
    marker_ids = {a.marked_by_id for a in marks.values() if a.marked_by_id}
    markers = dict(session.exec(select(User.id, User.full_name).where(User.id.in_(marker_ids))).all()) \
        if marker_ids else {}
    return [(row, marks.get(row.participant.id), markers.get(getattr(marks.get(row.participant.id), "marked_by_id",
                                                                     None)))
            for row in participant_rows(session, workshop.id, ("registered",))]


def mark(session, actor, workshop, ws_session, participant, status, note=""):
    if status not in ATTENDANCE_STATUSES:
        raise DomainError(_("Status kehadiran tidak dikenal."))
    if participant.workshop_id != workshop.id or participant.status != "registered":
        raise DomainError(_("Peserta tidak terdaftar di pelatihan ini."))
    row = session.get(WorkshopAttendance, (ws_session.id, participant.id))
    before = None if row is None else {"status": row.status, "note": row.note}
    if row is None:
        row = WorkshopAttendance(session_id=ws_session.id, participant_id=participant.id, status=status)
        session.add(row)
    row.status, row.note, row.method = status, (note or "").strip()[:300], "manual"
    row.marked_by_id, row.marked_at = actor.id, utcnow()
    audit.record(session, actor, "workshop.attendance", "workshop_attendance", f"{ws_session.id}:{participant.id}",
                 f"{workshop.title}: {display_name(session, participant)} {status}", before=before,
                 after={"status": status, "note": row.note})
    session.commit()
    return row


def mark_all_present(session, actor, workshop, ws_session):
    marks = attendance_of(session, ws_session.id)
    count = 0
    for row in participant_rows(session, workshop.id, ("registered",)):
        if row.participant.id not in marks:
            session.add(WorkshopAttendance(session_id=ws_session.id, participant_id=row.participant.id,
                                           status="hadir", method="bulk", marked_by_id=actor.id))
            count += 1
    audit.record(session, actor, "workshop.attendance_all", "workshop_session", ws_session.id,
                 f"{workshop.title}: {count} ditandai hadir")
    session.commit()
    return count


def checkin_window(ws_session):
    return as_utc(ws_session.starts_at) - CHECKIN_BEFORE, as_utc(ws_session.ends_at)


def in_window(ws_session, now=None):
    start, end = checkin_window(ws_session)
    return start <= as_utc(now or utcnow()) <= end


def make_token(secret_key, session_id, now=None):
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT).dumps([session_id, minute_of(now or utcnow())])


def read_token(secret_key, token, now=None):
    """The session id a QR token stands for; DomainError when forged or older than the previous minute."""
    try:
        session_id, minute = URLSafeSerializer(secret_key, salt=TOKEN_SALT).loads(token)
        session_id, minute = int(session_id), int(minute)
    except (BadSignature, TypeError, ValueError):
        raise DomainError(_("Kode QR tidak sah. Pindai kode yang tampil di layar pelatih.")) from None
    if minute_of(now or utcnow()) - minute not in (0, 1):
        raise DomainError(_("Kode QR sudah kedaluwarsa. Pindai kode terbaru di layar pelatih."))
    return session_id


def _check_in(session, participant, ws_session, method, now):
    if participant.status != "registered":
        raise DomainError(_("Anda tidak terdaftar sebagai peserta pelatihan ini."))
    if not in_window(ws_session, now):
        start, end = checkin_window(ws_session)
        raise DomainError(_("Presensi mandiri hanya dapat dilakukan %(start)s sampai %(end)s WIB.",
                            start=format_datetime(start, "d MMM yyyy HH:mm"), end=format_datetime(end, "HH:mm")))
    row = session.get(WorkshopAttendance, (ws_session.id, participant.id))
    if row is not None and row.status in PRESENT_STATUSES:
        raise DomainError(_("Anda sudah tercatat hadir pada sesi ini."))
    status = "terlambat" if as_utc(now) > as_utc(ws_session.starts_at) + LATE_AFTER else "hadir"
    if row is None:
        row = WorkshopAttendance(session_id=ws_session.id, participant_id=participant.id, status=status)
        session.add(row)
    row.status, row.method, row.marked_by_id, row.marked_at = status, method, None, now
    try:
        session.commit()
    except IntegrityError:  # two check-ins at once: the other one counted
        session.rollback()
        raise DomainError(_("Anda sudah tercatat hadir pada sesi ini.")) from None
    return row


def token_target(session, secret_key, token, now=None):
    """(workshop, session) of a token that is still valid; DomainError otherwise."""
    ws_session = session.get(WorkshopSession, read_token(secret_key, token, now))
    if ws_session is None:
        raise DomainError(_("Sesi pelatihan tidak ditemukan."))
    return session.get(Workshop, ws_session.workshop_id), ws_session


def check_in_employee(session, user, secret_key, token, now=None):
    now = as_utc(now or utcnow())
    workshop, ws_session = token_target(session, secret_key, token, now)
    participant = participant_of(session, workshop.id, user.id)
    if participant is None:
        raise DomainError(_("Anda tidak terdaftar sebagai peserta pelatihan ini."))
    return _check_in(session, participant, ws_session, "qr", now)


def participant_by_code(session, code):
    code = certificates.normalize_code(code)
    if not code:
        return None
    return session.exec(select(WorkshopParticipant).where(WorkshopParticipant.code == code)).first()


def current_session(session, workshop_id, now=None):
    """The session whose check-in window holds `now`, if any."""
    now = as_utc(now or utcnow())
    for row in workshop_sessions(session, workshop_id):
        if in_window(row, now):
            return row
    return None


def check_in_guest(session, participant, now=None):
    now = as_utc(now or utcnow())
    ws_session = current_session(session, participant.workshop_id, now)
    if ws_session is None:
        raise DomainError(_("Tidak ada sesi yang sedang berlangsung. Presensi dibuka 30 menit sebelum sesi dimulai "
                            "sampai sesi selesai."))
    return _check_in(session, participant, ws_session, "code", now)


# --- completion and certificates -------------------------------------------------------------------------------

@dataclass
class Completion:
    row: ParticipantRow
    present: int
    total: int
    pre: float | None = None
    post: float | None = None
    post_passed: bool | None = None
    qualifies: bool = False
    certificate: Certificate | None = None

    @property
    def percent(self):
        return 100 * self.present / self.total if self.total else 0

    @property
    def gain(self):
        return None if self.pre is None or self.post is None else self.post - self.pre


def _test_scores(session, workshop, user_ids):
    """{user_id: (pre attempt, post attempt)}: the latest finished attempt of each quiz; when both tests are the same
    quiz, the first attempt is the pre-test and the latest later one the post-test."""
    quiz_ids = {q for q in (workshop.pre_quiz_id, workshop.post_quiz_id) if q}
    if not quiz_ids or not user_ids:
        return {}
    attempts = session.exec(select(Attempt).where(Attempt.quiz_id.in_(quiz_ids), Attempt.user_id.in_(user_ids),
                                                  Attempt.finished_at.is_not(None))
                            .order_by(Attempt.finished_at, Attempt.id)).all()
    by_user = {}
    for a in attempts:
        by_user.setdefault(a.user_id, []).append(a)
    result = {}
    for user_id, rows in by_user.items():
        if workshop.pre_quiz_id == workshop.post_quiz_id:
            pre = rows[0]
            post = rows[-1] if len(rows) > 1 else None
        else:
            pre = next((a for a in reversed(rows) if a.quiz_id == workshop.pre_quiz_id), None)
            post = next((a for a in reversed(rows) if a.quiz_id == workshop.post_quiz_id), None)
        result[user_id] = (pre, post)
    return result


def completions(session, workshop, scope_path=None):
    """One Completion per registered participant (limited to a unit subtree for supervisors)."""
    sessions = workshop_sessions(session, workshop.id)
    session_ids = [s.id for s in sessions]
    present = {}
    if session_ids:
        for pid, n in session.exec(select(WorkshopAttendance.participant_id, func.count())
                                   .where(WorkshopAttendance.session_id.in_(session_ids),
                                          WorkshopAttendance.status.in_(PRESENT_STATUSES))
                                   .group_by(WorkshopAttendance.participant_id)).all():
            present[pid] = n
    rows = [r for r in participant_rows(session, workshop.id, ("registered",))
            if scope_path is None or (r.unit is not None and r.unit.path.startswith(scope_path))]
    scores = _test_scores(session, workshop, [r.participant.user_id for r in rows if r.participant.user_id])
    certs = {c.ref_id: c for c in session.exec(select(Certificate).where(
        Certificate.kind == "workshop", Certificate.ref_id.in_([r.participant.id for r in rows]))).all()} \
        if rows else {}
    out = []
    for r in rows:
        c = Completion(r, present.get(r.participant.id, 0), len(sessions), certificate=certs.get(r.participant.id))
        pre, post = scores.get(r.participant.user_id, (None, None))
        c.pre, c.post = (pre.score if pre else None), (post.score if post else None)
        c.post_passed = bool(post and post.passed) if workshop.post_quiz_id else None
        attended = c.total > 0 and c.present * 100 >= workshop.completion_percent * c.total
        # Guests have no account and cannot take the post-test: for them attendance alone counts.
        test_ok = not (workshop.require_post_test and workshop.post_quiz_id and r.participant.user_id) \
            or bool(c.post_passed)
        c.qualifies = attended and test_ok
        out.append(c)
    return out


def issue_certificates(session, actor, workshop):
    """Certificates for everyone who completed the workshop; idempotent. Returns how many are new."""
    sessions = workshop_sessions(session, workshop.id)
    issued_at = as_utc(sessions[-1].ends_at) if sessions else utcnow()
    new = 0
    for c in completions(session, workshop):
        if not c.qualifies or c.certificate is not None:
            continue
        certificates.issue(session, "workshop", c.row.name, c.row.affiliation, workshop.title,
                           user_id=c.row.participant.user_id, ref_id=c.row.participant.id,
                           issued_at=min(issued_at, utcnow()))
        new += 1
    audit.record(session, actor, "workshop.certificates", "workshop", workshop.id,
                 f"{workshop.title}: {new} sertifikat baru")
    session.commit()
    return new


def certificate_of(session, participant):
    return certificates.find_for(session, "workshop", participant.id)


# --- reports and exports ----------------------------------------------------------------------------------------

@dataclass
class SessionRate:
    session: WorkshopSession
    present: int
    expected: int

    @property
    def rate(self):
        return 100 * self.present / self.expected if self.expected else 0


def session_rates(session, workshop, scope_path=None):
    rows = [r for r in participant_rows(session, workshop.id, ("registered",))
            if scope_path is None or (r.unit is not None and r.unit.path.startswith(scope_path))]
    ids = {r.participant.id for r in rows}
    out = []
    for s in workshop_sessions(session, workshop.id):
        marks = attendance_of(session, s.id)
        out.append(SessionRate(s, sum(1 for pid, a in marks.items() if pid in ids and a.status in PRESENT_STATUSES),
                               len(ids)))
    return out


def unit_rates(completion_rows):
    """[(unit or institution, participants, attendance rate)]."""
    groups = {}
    for c in completion_rows:
        g = groups.setdefault(c.row.affiliation or "–", [0, 0, 0])
        g[0] += 1
        g[1] += c.present
        g[2] += c.total
    return sorted(((name, n, 100 * p / t if t else 0) for name, (n, p, t) in groups.items()),
                  key=lambda x: x[0].lower())


def average_gain(completion_rows):
    gains = [c.gain for c in completion_rows if c.gain is not None]
    return sum(gains) / len(gains) if gains else None


STATUS_LABELS = {"hadir": "hadir", "terlambat": "terlambat", "izin": "izin", "sakit": "sakit",
                 "tidak_hadir": "tidak hadir"}


def _in_scope(row, scope_path):
    return scope_path is None or (row.unit is not None and row.unit.path.startswith(scope_path))


def export_table(session, workshop, kind, scope_path=None):
    if kind == "peserta":
        header = ["nama", "nip", "unit_instansi", "jabatan", "email", "telepon", "jenis", "status", "daftar"]
        rows = []
        for r in participant_rows(session, workshop.id):
            if not _in_scope(r, scope_path):
                continue
            p = r.participant
            rows.append([r.name, r.nip, r.affiliation, p.position, p.email, p.phone,
                         "pegawai" if p.user_id else "tamu", "terdaftar" if p.status == "registered" else
                         f"daftar tunggu {r.position}", p.registered_at])
        widths = [36, 22, 40, 28, 30, 16, 10, 18, 18]
    elif kind == "presensi":
        sessions = workshop_sessions(session, workshop.id)
        header = ["nama", "nip", "unit_instansi"] + [
            f"{to_wib(s.starts_at):%d/%m %H:%M}" for s in sessions] + ["hadir", "persen"]
        marks = {s.id: attendance_of(session, s.id) for s in sessions}
        rows = []
        for c in completions(session, workshop, scope_path):
            cells = [STATUS_LABELS.get(getattr(marks[s.id].get(c.row.participant.id), "status", ""), "")
                     for s in sessions]
            rows.append([c.row.name, c.row.nip, c.row.affiliation, *cells, c.present, round(c.percent, 1)])
        widths = [36, 22, 40] + [13] * len(sessions) + [8, 8]
    else:
        raise ValueError(kind)
    return header, rows, widths


# --- pages ---------------------------------------------------------------------------------------------------------

def visible_workshops(session, user, now=None):
    """Open and upcoming workshops an employee may see (not drafts), with their own participation."""
    rows = session.exec(select(Workshop).where(Workshop.status != "draft")
                        .order_by(Workshop.created_at.desc(), Workshop.id.desc())).all()
    mine = {p.workshop_id: p for p in session.exec(select(WorkshopParticipant).where(
        WorkshopParticipant.user_id == user.id)).all()}
    audience = audience_filter(session, user, rows)
    return [(w, mine.get(w.id)) for w in rows if mine.get(w.id) or w.id in audience]


def first_session(session, workshop_id):
    return session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop_id)
                        .order_by(WorkshopSession.starts_at)).first()


def upcoming_sessions(session, workshop_ids, now=None, limit=10):
    if not workshop_ids:
        return []
    now = as_utc(now or utcnow())
    return session.exec(select(WorkshopSession, Workshop).join(Workshop, Workshop.id == WorkshopSession.workshop_id)
                        .where(WorkshopSession.workshop_id.in_(workshop_ids), WorkshopSession.ends_at >= now)
                        .order_by(WorkshopSession.starts_at).limit(limit)).all()


def my_certificates(session, user):
    return session.exec(select(Certificate).where(Certificate.kind == "workshop", Certificate.user_id == user.id)
                        .order_by(Certificate.issued_at.desc())).all()


def dashboard_cards(session, user):
    cards = []
    mine = session.exec(select(WorkshopParticipant).where(WorkshopParticipant.user_id == user.id,
                                                          WorkshopParticipant.status != "cancelled")).all()
    upcoming = upcoming_sessions(session, [p.workshop_id for p in mine if p.status == "registered"], limit=3)
    for ws_session, workshop in upcoming:
        cards.append({"title": _("Sesi pelatihan berikutnya"),
                      "body": _("%(t)s: %(when)s WIB%(topic)s.", t=workshop.title,
                                when=format_datetime(as_utc(ws_session.starts_at), "EEEE, d MMMM yyyy HH:mm"),
                                topic=f" — {ws_session.topic}" if ws_session.topic else ""),
                      "url": url_for("workshops.detail", workshop_id=workshop.id), "action": _("Lihat pelatihan"),
                      "progress": None, "tone": "info"})
    registered = {p.workshop_id for p in mine}
    candidates = [w for w in session.exec(select(Workshop).where(Workshop.status == "open")).all()
                  if w.id not in registered and registration_open(w)]
    audience = audience_filter(session, user, candidates)
    open_ones = [w for w in candidates if w.id in audience]
    if open_ones:
        cards.append({"title": _("Pelatihan terbuka untuk didaftari"),
                      "body": ", ".join(w.title for w in open_ones[:3]),
                      "url": url_for("workshops.index"), "action": _("Daftar pelatihan"), "progress": None,
                      "tone": "warn"})
    earned = my_certificates(session, user)
    if earned:
        cards.append({"title": _("Sertifikat pelatihan"),
                      "body": _("Anda sudah menyelesaikan %(n)d pelatihan: %(t)s.", n=len(earned),
                                t=", ".join(c.title for c in earned[:3])),
                      "url": url_for("workshops.index") + "#riwayat", "action": _("Lihat riwayat"),
                      "progress": None, "tone": "ok"})
    return cards
