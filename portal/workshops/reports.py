"""A workshop's report (attendance per session and per unit, completion, learning gain) and its exports (XLSX and
CSV through portal/exports.py: real dates and numbers, headers and values in the interface language)."""

from dataclasses import dataclass

from flask_babel import gettext as _

from portal import exports
from portal.models import WorkshopSession
from portal.models.workshops import PRESENT_STATUSES
from portal.workshops.attendance import attendance_of
from portal.workshops.catalog import workshop_sessions
from portal.workshops.completion import average_gain, completions
from portal.workshops.labels import ATTENDANCE_LABELS, CHECKIN_METHOD_LABELS, PARTICIPANT_STATUS_LABELS
from portal.workshops.registration import in_scope, participant_rows

EXPORT_KINDS = ("peserta", "presensi", "rekap")


@dataclass
class SessionRate:
    workshop_session: WorkshopSession
    present: int
    expected: int

    @property
    def rate(self):
        return 100 * self.present / self.expected if self.expected else 0


def session_rates(session, workshop, scope_path=None, sessions=None):
    rows = [r for r in participant_rows(session, workshop.id, ("registered",)) if in_scope(r, scope_path)]
    ids = {r.participant.id for r in rows}
    out = []
    for s in workshop_sessions(session, workshop.id) if sessions is None else sessions:
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


@dataclass
class Report:
    rows: list  # Completion
    session_rates: list
    units: list
    average_gain: float | None


def report(session, workshop, scope_path=None):
    """Everything the report page shows, for the whole workshop (scope None) or one unit tree."""
    sessions = workshop_sessions(session, workshop.id)
    rows = completions(session, workshop, scope_path, sessions=sessions)
    return Report(rows, session_rates(session, workshop, scope_path, sessions), unit_rates(rows),
                  average_gain(rows))


# --- exports -----------------------------------------------------------------------------------------------------

def _yes_no(value):
    return _("ya") if value else _("tidak")


def _participants(session, workshop, scope_path):
    cols = [exports.Column(_("Nama"), 36), exports.Column(_("NIP"), 22), exports.Column(_("Unit / instansi"), 40),
            exports.Column(_("Jabatan"), 28), exports.Column(_("Email"), 30), exports.Column(_("Telepon"), 16),
            exports.Column(_("Jenis"), 10), exports.Column(_("Status"), 16),
            exports.Column(_("Nomor daftar tunggu"), 12), exports.Column(_("Mendaftar (WIB)"), 18)]
    rows = []
    for r in participant_rows(session, workshop.id):
        if not in_scope(r, scope_path):
            continue
        p = r.participant
        rows.append([r.name, r.nip, r.affiliation, p.position, p.email, p.phone,
                     _("pegawai") if p.user_id else _("tamu"), str(PARTICIPANT_STATUS_LABELS[p.status]),
                     r.position, p.registered_at])
    return cols, rows


def _attendance(session, workshop, scope_path):
    """One row per participant and session: the session's start and the moment attendance was recorded are real
    date-times (WIB) that a spreadsheet can sort and filter."""
    cols = [exports.Column(_("Nama"), 36), exports.Column(_("NIP"), 22), exports.Column(_("Unit / instansi"), 40),
            exports.Column(_("Sesi dimulai (WIB)"), 18), exports.Column(_("Sesi selesai (WIB)"), 18),
            exports.Column(_("Topik"), 30), exports.Column(_("Kehadiran"), 14),
            exports.Column(_("Dicatat (WIB)"), 18), exports.Column(_("Cara"), 14), exports.Column(_("Catatan"), 30)]
    participants = [r for r in participant_rows(session, workshop.id, ("registered",)) if in_scope(r, scope_path)]
    rows = []
    for s in workshop_sessions(session, workshop.id):
        marks = attendance_of(session, s.id)
        for r in participants:
            a = marks.get(r.participant.id)
            rows.append([r.name, r.nip, r.affiliation, s.starts_at, s.ends_at, s.topic,
                         str(ATTENDANCE_LABELS[a.status]) if a else None, a.marked_at if a else None,
                         str(CHECKIN_METHOD_LABELS.get(a.method, a.method)) if a and a.method else None,
                         (a.note or None) if a else None])
    return cols, rows


def _completion(session, workshop, scope_path):
    cols = [exports.Column(_("Nama"), 36), exports.Column(_("NIP"), 22), exports.Column(_("Unit / instansi"), 40),
            exports.Column(_("Sesi dihadiri"), 10), exports.Column(_("Jumlah sesi"), 10),
            exports.Column(_("Kehadiran (%)"), 12, "0.0"), exports.Column(_("Pre-test"), 10, "0.0"),
            exports.Column(_("Post-test"), 10, "0.0"), exports.Column(_("Peningkatan"), 12, "+0.0;-0.0;0.0"),
            exports.Column(_("Lulus post-test"), 12), exports.Column(_("Memenuhi syarat"), 14),
            exports.Column(_("Kode sertifikat"), 18), exports.Column(_("Sertifikat terbit (WIB)"), 18)]
    rows = []
    for c in completions(session, workshop, scope_path):
        rows.append([c.row.name, c.row.nip, c.row.affiliation, c.present, c.total, round(c.percent, 1),
                     c.pre, c.post, c.gain, None if c.post_passed is None else _yes_no(c.post_passed),
                     _yes_no(c.qualifies), c.certificate.code if c.certificate else None,
                     c.certificate.issued_at if c.certificate else None])
    return cols, rows


EXPORTS = {"peserta": _participants, "presensi": _attendance, "rekap": _completion}


def export_titles():
    return {"peserta": _("Peserta"), "presensi": _("Presensi"), "rekap": _("Rekap kelulusan")}


def export_table(session, workshop, kind, scope_path=None):
    """(columns, rows, sheet title) of one export of a workshop (scope: a supervisor's unit tree)."""
    cols, rows = EXPORTS[kind](session, workshop, scope_path)
    return cols, rows, export_titles()[kind]
