"""Who takes part in a workshop: audience, self-registration with a first-come-first-served waiting list,
participants added by trainers (employees and guests), removal, and the participant list.

Race safety: registration, cancellation and promotion lock the workshop row (SELECT ... FOR UPDATE on PostgreSQL;
SQLite serialises writers with BEGIN IMMEDIATE) before counting seats or looking for an earlier registration, so
the unique (workshop, user) pair is never hit by two requests at once. Services flush and never commit: the request
(or `db.unit_of_work`) commits once.

Naming: `session` is always the database session; a workshop's meeting is a "workshop session" (`WorkshopSession`,
variables `workshop_session`).
"""

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, exists, func, or_
from sqlmodel import select

from portal import audit, certificates, db, events
from portal.errors import DomainError
from portal.models import Unit, User, Workshop, WorkshopAudienceUnit, WorkshopParticipant, utcnow
from portal.timezone import as_utc

CODE_ALPHABET = certificates.ALPHABET
CODE_LENGTH = 10


def new_code(session):
    """A personal code for a participant's check-in link (guests use it without an account)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(WorkshopParticipant.id).where(WorkshopParticipant.code == code)).first() is None:
            return code


# --- audience and registration window ----------------------------------------------------------------------------

def in_audience(session, user, workshop):
    return workshop.id in audience_filter(session, user, [workshop])


def audience_includes(user):
    """SQL: the workshop's audience includes `user`: it names no audience units, or one of them is the person's unit
    or an ancestor of it (an id on the unit's path). The one audience rule: lists, the header search and the
    dashboard use it inside their statements."""
    own_units = [int(part) for part in (user.unit.path if user.unit is not None else "").strip("/").split("/")
                 if part.isdigit()]
    audience = WorkshopAudienceUnit.workshop_id == Workshop.id
    return or_(~exists().where(audience), exists().where(audience, WorkshopAudienceUnit.unit_id.in_(own_units or [-1])))


def audience_filter(session, user, workshops):
    """Ids of `workshops` whose audience includes `user`, in one query."""
    ids = [w.id for w in workshops]
    if not ids:
        return set()
    return set(session.exec(select(Workshop.id).where(Workshop.id.in_(ids), audience_includes(user))).all())


def registration_open(workshop, now=None):
    now = as_utc(now or utcnow())
    if workshop.status != "open":
        return False
    if workshop.registration_opens_at and now < as_utc(workshop.registration_opens_at):
        return False
    return not (workshop.registration_closes_at and now > as_utc(workshop.registration_closes_at))


# --- seats and the waiting list ---------------------------------------------------------------------------------

def participant_of(session, workshop_id, user_id):
    return session.exec(select(WorkshopParticipant).where(WorkshopParticipant.workshop_id == workshop_id,
                                                          WorkshopParticipant.user_id == user_id)).first()


def lock_workshop(session, workshop_id):
    """The workshop row, locked for the rest of the transaction (seat counting must not race)."""
    return session.exec(select(Workshop).where(Workshop.id == workshop_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def registered_count(session, workshop_id):
    return session.exec(select(func.count()).select_from(WorkshopParticipant).where(
        WorkshopParticipant.workshop_id == workshop_id, WorkshopParticipant.status == "registered")).one()


def waiting_position(session, participant):
    if participant is None or participant.status != "waitlisted":
        return None
    return session.exec(select(func.count()).select_from(WorkshopParticipant).where(
        WorkshopParticipant.workshop_id == participant.workshop_id, WorkshopParticipant.status == "waitlisted",
        (WorkshopParticipant.registered_at < participant.registered_at)
        | ((WorkshopParticipant.registered_at == participant.registered_at)
           & (WorkshopParticipant.id < participant.id)))).one() + 1


def seat_status(session, workshop):
    if workshop.capacity is None or registered_count(session, workshop.id) < workshop.capacity:
        return "registered"
    return "waitlisted"


def promote(session, workshop, now=None, actor=None):
    """Fill free seats from the waiting list, first come first served; sends `waitlist_promoted` for each person.
    The caller holds the workshop lock."""
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
    for p in promoted:
        events.waitlist_promoted.send(session, actor=actor, participant=p, workshop=workshop)
    return promoted


def lock_participant(session, participant_id):
    """A participant row, locked for the rest of the transaction: concurrent check-ins or marks of one person queue
    here instead of colliding on the attendance key (SQLite serialises writers anyway)."""
    return session.exec(select(WorkshopParticipant).where(WorkshopParticipant.id == participant_id)
                        .with_for_update().execution_options(populate_existing=True)).one()


def register(session, user, workshop_id, now=None):
    """Self-registration: a seat, or a place on the waiting list when full."""
    now = now or utcnow()
    workshop = lock_workshop(session, workshop_id)
    if not registration_open(workshop, now):
        raise DomainError(_("Pendaftaran pelatihan ini sedang tidak dibuka."))
    if not in_audience(session, user, workshop):
        raise DomainError(_("Pelatihan ini tidak ditujukan untuk unit Anda."))
    participant = participant_of(session, workshop.id, user.id)
    if participant is not None and participant.status != "cancelled":
        raise DomainError(_("Anda sudah terdaftar di pelatihan ini."))
    status = seat_status(session, workshop)
    if participant is None:
        participant = WorkshopParticipant(workshop_id=workshop.id, user_id=user.id, code=new_code(session),
                                          source="self")
        session.add(participant)
    participant.status, participant.registered_at, participant.cancelled_at = status, now, None
    participant.promoted_at = None
    session.flush()
    return participant


def cancel(session, user, workshop_id, now=None):
    workshop = lock_workshop(session, workshop_id)
    participant = participant_of(session, workshop.id, user.id)
    if participant is None or participant.status == "cancelled":
        raise DomainError(_("Anda tidak terdaftar di pelatihan ini."))
    if workshop.status == "finished":
        raise DomainError(_("Pelatihan sudah selesai."))
    participant.status, participant.cancelled_at = "cancelled", now or utcnow()
    session.flush()
    promote(session, workshop, now, actor=user)
    return participant


# --- participants added by trainers ----------------------------------------------------------------------------

def find_employee(session, key):
    key = (key or "").strip()
    if not key:
        return None
    return session.exec(select(User).where((User.nip == key) | (User.username == key), User.active)).first()


def add_employee(session, actor, workshop, user, source="trainer"):
    """The trainer adds an employee: a seat when there is one, else the waiting list."""
    workshop = lock_workshop(session, workshop.id)
    participant = participant_of(session, workshop.id, user.id)
    if participant is not None and participant.status != "cancelled":
        raise DomainError(_("%(name)s sudah terdaftar.", name=user.full_name), field="nip")
    status = seat_status(session, workshop)
    if participant is None:
        participant = WorkshopParticipant(workshop_id=workshop.id, user_id=user.id, code=new_code(session))
        session.add(participant)
    participant.status, participant.source, participant.registered_at = status, source, utcnow()
    participant.cancelled_at = None
    session.flush()
    audit.record(session, actor, "workshop.participant_add", "workshop_participant", participant.id,
                 f"{workshop.title}: {user.full_name} ({status})")
    return participant


def add_participant(session, actor, workshop, nip="", name="", institution="", position="", email="", phone=""):
    """The trainer's form: an employee by NIP or user name, else a guest by name."""
    if (nip or "").strip():
        user = find_employee(session, nip)
        if user is None:
            raise DomainError(_("Pegawai dengan NIP atau nama pengguna itu tidak ditemukan."), field="nip")
        return add_employee(session, actor, workshop, user)
    return add_guest(session, actor, workshop, name, institution or "", position or "", email or "", phone or "")


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
    workshop = lock_workshop(session, workshop.id)
    participant = WorkshopParticipant(workshop_id=workshop.id, name=name, institution=institution.strip()[:200],
                                      position=position.strip()[:200], email=email, phone=phone.strip()[:40],
                                      status=seat_status(session, workshop), source=source, code=new_code(session))
    session.add(participant)
    session.flush()
    audit.record(session, actor, "workshop.participant_add", "workshop_participant", participant.id,
                 f"{workshop.title}: {name} ({institution}) tamu")
    return participant


def remove_participant(session, actor, workshop, participant):
    """Take a participant out (idempotent); the freed seat goes to the waiting list."""
    if participant.status == "cancelled":
        return participant
    workshop = lock_workshop(session, workshop.id)
    participant.status, participant.cancelled_at = "cancelled", utcnow()
    session.flush()
    audit.record(session, actor, "workshop.participant_remove", "workshop_participant", participant.id,
                 f"{workshop.title}: {display_name(session, participant)}")
    promote(session, workshop, actor=actor)
    return participant


# --- the participant list -----------------------------------------------------------------------------------------

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


@dataclass
class ParticipantKey:
    """What a participant list is ordered, filtered and paged by, without loading the participants."""

    id: int
    status: str
    name: str
    nip: str
    affiliation: str
    position: int | None = None  # waiting list


# What a participant list shows and is ordered by, as SQL over the participant joined (outer) to the employee and
# their unit: an employee by their account's name and NIP, a guest by the name and institution they gave.
_NAME = case((User.id.is_not(None), User.full_name), else_=WorkshopParticipant.name)
_NIP = case((User.id.is_not(None), func.coalesce(User.nip, "")), else_="")
_AFFILIATION = case((Unit.id.is_not(None), Unit.name), else_=WorkshopParticipant.institution)


def _in_list_order(statement, workshop_id, statuses):
    """`statement` (a select of participant columns) over the lists `statuses` of a workshop, in the one order of
    every participant list: registered by name, then other listed statuses by name (names folded as Python's
    `str.lower` does, see portal.db.folded; ties in registration order), then the waiting list in its order."""
    rank = case((WorkshopParticipant.status == "registered", 0), (WorkshopParticipant.status == "waitlisted", 2),
                else_=1)
    name_key = db.folded(case((WorkshopParticipant.status != "waitlisted", _NAME)))  # NULL on the waiting list
    return (statement.join(User, User.id == WorkshopParticipant.user_id, isouter=True)
            .join(Unit, Unit.id == User.unit_id, isouter=True)
            .where(WorkshopParticipant.workshop_id == workshop_id, WorkshopParticipant.status.in_(statuses))
            .order_by(rank, name_key, WorkshopParticipant.status, WorkshopParticipant.registered_at,
                      WorkshopParticipant.id))


def participant_keys(session, workshop_id, statuses=("registered", "waitlisted")):
    """Every participant of the lists as plain values, in list order (`_in_list_order`), the waiting list with
    positions; `participant_rows` and `participant_page` load the rows."""
    rows = session.execute(_in_list_order(
        select(WorkshopParticipant.id, WorkshopParticipant.status, _NAME, _NIP, _AFFILIATION),
        workshop_id, statuses)).all()
    keys, waiting = [], 0
    for pid, status, name, nip, affiliation in rows:  # tuples: attribute lookups on 400 result rows cost ~1 ms
        if status == "waitlisted":
            waiting += 1
        keys.append(ParticipantKey(pid, status, name, nip, affiliation, waiting if status == "waitlisted" else None))
    return keys


def participant_rows(session, workshop_id, statuses=("registered", "waitlisted"), ids=None, keys=None):
    """ParticipantRows in `participant_keys`' order (only the participants `ids`, when given; `keys`: the lists'
    keys when the caller has them already)."""
    keys = participant_keys(session, workshop_id, statuses) if keys is None else keys
    if ids is not None:
        wanted = set(ids)
        keys = [k for k in keys if k.id in wanted]
    if not keys:
        return []
    loaded = {p.id: (p, unit) for p, unit in session.exec(
        select(WorkshopParticipant, Unit)
        .join(User, User.id == WorkshopParticipant.user_id, isouter=True)
        .join(Unit, Unit.id == User.unit_id, isouter=True)
        .where(WorkshopParticipant.id.in_([k.id for k in keys]))).all()}
    return [ParticipantRow(loaded[k.id][0], k.name, k.nip, k.affiliation, loaded[k.id][1], k.position)
            for k in keys if k.id in loaded]


def participant_page(session, workshop_id, page=1, query="", statuses=("registered", "waitlisted"),
                     per_page=None, keys=None):
    """`page_of` the participant lists, loading only the shown page's participants; "total" counts all. `keys`:
    the lists' `participant_keys` when the caller has them already. Without a search the database orders and cuts
    the page (`_page_in_database`)."""
    if keys is None and not _needle(query):
        return _page_in_database(session, workshop_id, page, statuses, per_page or PAGE_SIZE)
    keys = participant_keys(session, workshop_id, statuses) if keys is None else keys
    shown = page_of(keys, page, query, row_text, per_page or PAGE_SIZE)
    return {**shown, "rows": participant_rows(session, workshop_id, statuses, keys=shown["rows"]),
            "total": len(keys)}


def _page_in_database(session, workshop_id, page, statuses, per_page):
    """`participant_page` without a search: the database orders and cuts the page, so a workshop of 400
    participants reads 50 rows instead of every key (the trainer's page 12.1 -> 11.0 ms in-process)."""
    counts = dict(session.execute(
        select(WorkshopParticipant.status, func.count())
        .where(WorkshopParticipant.workshop_id == workshop_id, WorkshopParticipant.status.in_(statuses))
        .group_by(WorkshopParticipant.status)).all())
    total = sum(counts.values())
    listed = total - counts.get("waitlisted", 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page or 1, 1), pages)
    rows = session.execute(_in_list_order(select(WorkshopParticipant, Unit, _NAME, _NIP, _AFFILIATION),
                                          workshop_id, statuses)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    shown = [ParticipantRow(participant, name, nip, affiliation, unit,
                            place - listed + 1 if participant.status == "waitlisted" else None)
             for place, (participant, unit, name, nip, affiliation) in enumerate(rows, start=(page - 1) * per_page)]
    return {"rows": shown, "page": page, "pages": pages, "matches": total, "query": "", "total": total}


def in_scope(row, scope_path):
    """A participant row inside a report scope (None: everything; a unit path: that unit's subtree)."""
    return scope_path is None or (row.unit is not None and row.unit.path.startswith(scope_path))


PAGE_SIZE = 50  # long participant lists (manage page, roster) show this many per page


def page_of(rows, page=1, query="", text_of=lambda row: row.name, per_page=PAGE_SIZE):
    """One page of `rows` filtered by a text fragment (case-insensitive, in `text_of(row)`): what a long list
    renders, so that a workshop of hundreds renders only what is shown."""
    needle = _needle(query)
    if needle:
        rows = [row for row in rows if needle in text_of(row).lower()]
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page or 1, 1), pages)
    return {"rows": rows[(page - 1) * per_page:page * per_page], "page": page, "pages": pages,
            "matches": len(rows), "query": needle}


def _needle(query):
    """What a list is searched for: the query's words, lowercased, at most 100 characters."""
    return " ".join((query or "").lower().split())[:100]


def row_text(row):
    """What a participant is found by: name, NIP and unit or institution."""
    return f"{row.name} {row.nip} {row.affiliation}"
