"""Personal data under UU 27/2022 (PDP): one person's data exported, a departed person anonymised, old data purged.

Each pillar contributes through two fields of `portal/pillars.py`:
- `personal_data(session, user) -> {section title: [row dicts]}`: everything it stores about the person;
- `anonymise(session, user)`: removes what identifies the person, keeping the rows that aggregate statistics count
  (attempts and scores, attendance, acknowledgements stay, tied to an account that no longer names anyone).
The accounts part (profile, roles, sessions, certificates, jobs, the audit entries about the person) lives here.

Retention (config): AUDIT_RETENTION_DAYS (audit log entries, default 730), SESSION_RETENTION_DAYS (records of ended
sessions with their address and browser, default 90), IMPORT_PREVIEW_HOURS (staged import files, default 24).
`flask --app portal purge` applies them; every export, anonymisation and purge is in the audit log.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, update
from sqlmodel import select

from portal import audit, export_jobs, exports, staging
from portal.errors import DomainError
from portal.models import AuditLog, Certificate, Job, UserRole, UserSession, utcnow

SECRET_COLUMNS = {"password_hash", "token_hash"}
ANONYMOUS_NAME = "Pegawai anonim"


def rows(session, model, *where):
    """Rows of `model` as plain dicts (secrets left out), for an export."""
    found = session.exec(select(model).where(*where)).all()
    return [{k: v for k, v in row.model_dump().items() if k not in SECRET_COLUMNS} for row in found]


def rows_about(*specs):
    """A `personal_data` provider for a pillar whose rows simply name the person: specs are (title, model, column
    names that hold a user id); a row is the person's when any of those columns is their id."""

    def personal_data(session, user):
        return {title: rows(session, model, or_(*(getattr(model, c) == user.id for c in columns)))
                for title, model, columns in specs}

    return personal_data


def _providers(field):
    for pillar in current_app.extensions["pillars"]:
        fn = getattr(pillar, field, None)
        if fn is not None:
            yield pillar, fn


def _accounts_data(session, user):
    profile = {k: v for k, v in user.model_dump().items() if k not in SECRET_COLUMNS}
    profile["unit"] = user.unit.name if user.unit else None
    profile["roles"] = sorted(user.roles)
    return {
        "Profil": [profile],
        "Sesi masuk": rows(session, UserSession, UserSession.user_id == user.id),
        "Sertifikat": rows(session, Certificate, Certificate.user_id == user.id),
        "Pekerjaan latar": rows(session, Job, Job.created_by_id == user.id),
        "Log audit": rows(session, AuditLog, or_(AuditLog.actor_id == user.id,
                                                 (AuditLog.object_type == "user")
                                                 & (AuditLog.object_id == str(user.id)))),
    }


def collect(session, user):
    """{section title: [rows]} over the accounts part and every pillar."""
    data = _accounts_data(session, user)
    for pillar, fn in _providers("personal_data"):
        for title, found in fn(session, user).items():
            data[f"{pillar.name}: {title}"] = found
    return data


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


@dataclass
class Export:
    body: bytes
    mimetype: str
    filename: str


def export(session, actor, user, fmt):
    """One person's data as JSON or XLSX (one sheet per section); audited."""
    data = collect(session, user)
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "json":
        payload = {"exported_at": utcnow().isoformat(), "user_id": user.id, "data": data}
        body = json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default).encode()
        result = Export(body, "application/json", f"data-pribadi-{user.id}-{stamp}.json")
    elif fmt == "xlsx":
        result = Export(_xlsx(data), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        f"data-pribadi-{user.id}-{stamp}.xlsx")
    else:
        raise DomainError(_("Format ekspor tidak dikenal."))
    audit.record(session, actor, "privacy.export", "user", user.id,
                 f"personal data of {user.username} exported as {fmt} ({sum(map(len, data.values()))} rows)")
    return result


def _xlsx(data):
    sheets = []
    for title, found in data.items():
        headers = sorted({key for row in found for key in row}) or ["-"]
        sheets.append((title, exports.columns(headers),
                       [[_cell(row.get(key)) for key in headers] for row in found]))
    return exports.to_xlsx_sheets(sheets)


def _cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def anonymise(session, actor, user):
    """Remove what identifies a departed person; keep what statistics count. Not reversible; audited."""
    if user.id == getattr(actor, "id", None):
        raise DomainError(_("Anda tidak dapat menganonimkan akun Anda sendiri."))
    if user.username.startswith("anonim-"):
        raise DomainError(_("Akun ini sudah dianonimkan."))
    before = audit.snapshot(user, ("username", "full_name", "nip", "email", "active"))
    for _pillar, fn in _providers("anonymise"):
        fn(session, user)
    user.username = f"anonim-{user.id}"
    user.full_name = f"{ANONYMOUS_NAME} {user.id}"
    user.nip = user.email = user.password_hash = user.last_login_at = None
    user.active = False
    user.auth_version += 1
    session.add(user)
    session.exec(delete(UserRole).where(UserRole.user_id == user.id))
    session.exec(delete(UserSession).where(UserSession.user_id == user.id))  # addresses and browsers
    session.exec(update(Certificate).where(Certificate.user_id == user.id).values(holder_name=user.full_name))
    session.exec(update(AuditLog).where(AuditLog.actor_id == user.id).values(ip=None))
    session.flush()
    audit.record(session, actor, "privacy.anonymise", "user", user.id, f"user {user.id} anonymised",
                 before=before, after=audit.snapshot(user, ("username", "full_name", "nip", "email", "active")))
    return user


@dataclass
class PurgeReport:
    audit_entries: int = 0
    sessions: int = 0
    previews: int = 0
    exports: int = 0
    jobs: int = 0

    def line(self):
        return (f"removed {self.audit_entries} audit entries, {self.sessions} ended sessions, "
                f"{self.previews} import previews, {self.exports} exported files, {self.jobs} finished jobs")


def purge(session, now=None):
    """Apply the retention settings (the caller commits). Audited."""
    now = now or utcnow()
    config = current_app.config
    report = PurgeReport()
    audit_before = now - timedelta(days=config["AUDIT_RETENTION_DAYS"])
    report.audit_entries = session.exec(delete(AuditLog).where(AuditLog.at < audit_before)).rowcount
    session_before = now - timedelta(days=config["SESSION_RETENTION_DAYS"])
    report.sessions = session.exec(delete(UserSession).where(
        or_(UserSession.ended_at < session_before, UserSession.expires_at < session_before))).rowcount
    report.previews = staging.purge_expired() or 0
    report.exports = export_jobs.purge_expired()
    report.jobs = session.exec(delete(Job).where(
        Job.status.in_(("done", "failed")),
        Job.finished_at < now - timedelta(days=config["JOB_RETENTION_DAYS"]))).rowcount
    audit.record(session, None, "privacy.purge", "retention", None, report.line(),
                 after={"audit_days": config["AUDIT_RETENTION_DAYS"],
                        "session_days": config["SESSION_RETENTION_DAYS"], "job_days": config["JOB_RETENTION_DAYS"],
                        "preview_hours": config.get("IMPORT_PREVIEW_HOURS", 24)})
    return report
