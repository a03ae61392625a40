"""Attendance of workshop sessions (the meetings of a workshop): the trainer's roster (hadir / terlambat / izin /
sakit / tidak hadir), QR self check-in with a token that changes every minute, and guests' check-in by their
personal link.

The (workshop session, participant) primary key of attendance stops double rows; a check-in or a mark locks the
participant's row first, so two at once queue and the second sees the first. Services flush and never commit.
Every trainer/admin write is audited.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, func
from sqlmodel import select

from portal import audit
from portal.errors import DomainError
from portal.models import User, Workshop, WorkshopAttendance, WorkshopParticipant, WorkshopSession, utcnow
from portal.models.workshops import ATTENDANCE_STATUSES, PRESENT_STATUSES
from portal.timezone import as_utc
from portal.workshops.catalog import workshop_sessions
from portal.workshops.registration import (
    PAGE_SIZE,
    display_name,
    lock_participant,
    participant_of,
    participant_page,
    participant_rows,
)

CHECKIN_BEFORE = timedelta(minutes=30)  # self check-in opens this long before a session starts
LATE_AFTER = timedelta(minutes=15)  # a check-in later than this after the start is "terlambat"
TOKEN_SALT = "workshop-checkin"  # noqa: S105 - a salt, not a secret
ROSTER_PAGE_SIZE = PAGE_SIZE


def minute_of(now):
    return int(as_utc(now).timestamp() // 60)


# --- the trainer's roster -----------------------------------------------------------------------------------------

def attendance_of(session, workshop_session_id, participant_ids=None):
    """{participant id: WorkshopAttendance} of a workshop session (of the participants `participant_ids` only,
    when given)."""
    statement = select(WorkshopAttendance).where(WorkshopAttendance.session_id == workshop_session_id)
    if participant_ids is not None:
        statement = statement.where(WorkshopAttendance.participant_id.in_(participant_ids))
    return {a.participant_id: a for a in session.exec(statement).all()}


def roster(session, workshop, workshop_session, participant_id=None, rows=None):
    """[(ParticipantRow, WorkshopAttendance | None, marker name)] of registered participants (or of one, or of
    the given ParticipantRows)."""
    whole = rows is None and participant_id is None  # every registered participant: every mark of the session
    if rows is None:
        rows = participant_rows(session, workshop.id, ("registered",),
                                ids=None if participant_id is None else [participant_id])
    marks = attendance_of(session, workshop_session.id, None if whole else [row.participant.id for row in rows])
    marker_ids = {a.marked_by_id for a in marks.values() if a.marked_by_id}
    markers = dict(session.exec(select(User.id, User.full_name).where(User.id.in_(marker_ids))).all()) \
        if marker_ids else {}
    out = []
    for row in rows:
        mark_row = marks.get(row.participant.id)
        out.append((row, mark_row, markers.get(getattr(mark_row, "marked_by_id", None))))
    return out


def roster_page(session, workshop, workshop_session, page=1, query="", per_page=ROSTER_PAGE_SIZE):
    """The roster page: one page of the roster (filtered by a name, NIP or affiliation fragment), its counts and
    the workshop's sessions (to switch between them)."""
    shown = participant_page(session, workshop.id, page, query, ("registered",), per_page)
    marked, present = session.execute(
        select(func.count(), func.count(case((WorkshopAttendance.status.in_(PRESENT_STATUSES), 1))))
        .select_from(WorkshopAttendance)
        .join(WorkshopParticipant, WorkshopParticipant.id == WorkshopAttendance.participant_id)
        .where(WorkshopAttendance.session_id == workshop_session.id, WorkshopParticipant.workshop_id == workshop.id,
               WorkshopParticipant.status == "registered")).one()
    counts = {"total": shown["total"], "marked": marked, "present": present}
    return {**shown, "rows": roster(session, workshop, workshop_session, rows=shown["rows"]), "counts": counts,
            "sessions": workshop_sessions(session, workshop.id)}


def mark(session, actor, workshop, workshop_session, participant, status, note=""):
    if status not in ATTENDANCE_STATUSES:
        raise DomainError(_("Status kehadiran tidak dikenal."))
    participant = lock_participant(session, participant.id)
    if participant.workshop_id != workshop.id or participant.status != "registered":
        raise DomainError(_("Peserta tidak terdaftar di pelatihan ini."))
    row = session.get(WorkshopAttendance, (workshop_session.id, participant.id))
    before = None if row is None else {"status": row.status, "note": row.note}
    if row is None:
        row = WorkshopAttendance(session_id=workshop_session.id, participant_id=participant.id, status=status)
        session.add(row)
    row.status, row.note, row.method = status, (note or "").strip()[:300], "manual"
    row.marked_by_id, row.marked_at = actor.id, utcnow()
    session.flush()
    audit.record(session, actor, "workshop.attendance", "workshop_attendance",
                 f"{workshop_session.id}:{participant.id}",
                 f"{workshop.title}: {display_name(session, participant)} {status}", before=before,
                 after={"status": status, "note": row.note})
    return row


def mark_all_present(session, actor, workshop, workshop_session):
    marks = attendance_of(session, workshop_session.id)
    count = 0
    for row in participant_rows(session, workshop.id, ("registered",)):
        if row.participant.id not in marks:
            session.add(WorkshopAttendance(session_id=workshop_session.id, participant_id=row.participant.id,
                                           status="hadir", method="bulk", marked_by_id=actor.id))
            count += 1
    session.flush()
    audit.record(session, actor, "workshop.attendance_all", "workshop_session", workshop_session.id,
                 f"{workshop.title}: {count} ditandai hadir")
    return count


# --- self check-in ------------------------------------------------------------------------------------------------

def checkin_window(workshop_session):
    return as_utc(workshop_session.starts_at) - CHECKIN_BEFORE, as_utc(workshop_session.ends_at)


def in_window(workshop_session, now=None):
    start, end = checkin_window(workshop_session)
    return start <= as_utc(now or utcnow()) <= end


def make_token(secret_key, workshop_session_id, now=None):
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT).dumps([workshop_session_id, minute_of(now or utcnow())])


def read_token(secret_key, token, now=None):
    """The workshop session id a QR token stands for; DomainError when forged or older than the previous minute."""
    try:
        workshop_session_id, minute = URLSafeSerializer(secret_key, salt=TOKEN_SALT).loads(token)
        workshop_session_id, minute = int(workshop_session_id), int(minute)
    except (BadSignature, TypeError, ValueError):
        raise DomainError(_("Kode QR tidak sah. Pindai kode yang tampil di layar pelatih.")) from None
    if minute_of(now or utcnow()) - minute not in (0, 1):
        raise DomainError(_("Kode QR sudah kedaluwarsa. Pindai kode terbaru di layar pelatih."))
    return workshop_session_id


def _check_in(session, participant, workshop_session, method, now):
    participant = lock_participant(session, participant.id)
    if participant.status != "registered":
        raise DomainError(_("Anda tidak terdaftar sebagai peserta pelatihan ini."))
    if not in_window(workshop_session, now):
        start, end = checkin_window(workshop_session)
        raise DomainError(_("Presensi mandiri hanya dapat dilakukan %(start)s sampai %(end)s WIB.",
                            start=format_datetime(start, "d MMM yyyy HH:mm"), end=format_datetime(end, "HH:mm")))
    row = session.get(WorkshopAttendance, (workshop_session.id, participant.id))
    if row is not None and row.status in PRESENT_STATUSES:
        raise DomainError(_("Anda sudah tercatat hadir pada sesi ini."))
    status = "terlambat" if as_utc(now) > as_utc(workshop_session.starts_at) + LATE_AFTER else "hadir"
    if row is None:
        row = WorkshopAttendance(session_id=workshop_session.id, participant_id=participant.id, status=status)
        session.add(row)
    row.status, row.method, row.marked_by_id, row.marked_at = status, method, None, now
    session.flush()
    return row


def token_target(session, secret_key, token, now=None):
    """(workshop, workshop session) of a token that is still valid; DomainError otherwise."""
    workshop_session_id = read_token(secret_key, token, now)
    workshop_session = session.get(WorkshopSession, workshop_session_id) if 0 < workshop_session_id < 2**31 else None
    if workshop_session is None:
        raise DomainError(_("Sesi pelatihan tidak ditemukan."))
    return session.get(Workshop, workshop_session.workshop_id), workshop_session


def check_in_employee(session, user, secret_key, token, now=None):
    now = as_utc(now or utcnow())
    workshop, workshop_session = token_target(session, secret_key, token, now)
    participant = participant_of(session, workshop.id, user.id)
    if participant is None:
        raise DomainError(_("Anda tidak terdaftar sebagai peserta pelatihan ini."))
    return _check_in(session, participant, workshop_session, "qr", now)


def current_workshop_session(session, workshop_id, now=None):
    """The workshop session whose check-in window holds `now`, if any."""
    now = as_utc(now or utcnow())
    for row in workshop_sessions(session, workshop_id):
        if in_window(row, now):
            return row
    return None


def check_in_guest(session, participant, now=None):
    now = as_utc(now or utcnow())
    workshop_session = current_workshop_session(session, participant.workshop_id, now)
    if workshop_session is None:
        raise DomainError(_("Tidak ada sesi yang sedang berlangsung. Presensi dibuka 30 menit sebelum sesi dimulai "
                            "sampai sesi selesai."))
    return _check_in(session, participant, workshop_session, "code", now)


@dataclass
class CheckInResult:
    """What a check-in page shows: the workshop session (None when the token is not valid), the attendance just
    recorded, or the reason it was not. Nothing is written when `error` is set."""

    workshop: Workshop | None = None
    workshop_session: WorkshopSession | None = None
    done: WorkshopAttendance | None = None
    error: str | None = None


def employee_checkin(session, user, secret_key, token, submit, now=None):
    """The QR check-in page: the token's workshop session, and with `submit` the person's check-in."""
    now = as_utc(now or utcnow())
    result = CheckInResult()
    try:
        result.workshop, result.workshop_session = token_target(session, secret_key, token, now)
        if submit:
            result.done = check_in_employee(session, user, secret_key, token, now)
    except DomainError as error:
        result.error = error.message
    return result


def guest_checkin(session, participant, now=None):
    """A guest's check-in by their personal link (the workshop session running now)."""
    try:
        return CheckInResult(done=check_in_guest(session, participant, now))
    except DomainError as error:
        return CheckInResult(error=error.message)
