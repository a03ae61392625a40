"""Participants from a CSV file (employees by NIP, guests by name): preview first, then apply in one transaction.

The file is read by the shared CSV reader of the importers; the upload -> preview -> confirm steps are
portal/staging.py's. Services flush and never commit.
"""

from flask_babel import gettext as _
from sqlmodel import select

from portal import audit
from portal.models import User, WorkshopParticipant, utcnow
from portal.staging import Preview
from portal.workshops.registration import lock_workshop, new_code, participant_of, seat_status

# --- CSV import -------------------------------------------------------------------------------------------------

IMPORT_COLUMNS = ("nama", "nip", "instansi", "jabatan", "email", "telepon")
REQUIRED_IMPORT_COLUMNS = ("nama",)


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
    locked = lock_workshop(session, workshop.id)
    for row in preview.rows:
        if row["user_id"]:
            participant = participant_of(session, locked.id, row["user_id"])
            if participant is None:
                participant = WorkshopParticipant(workshop_id=locked.id, user_id=row["user_id"],
                                                  code=new_code(session))
                session.add(participant)
            participant.status, participant.source = seat_status(session, locked), "import"
            participant.registered_at, participant.cancelled_at = utcnow(), None
        else:
            session.add(WorkshopParticipant(workshop_id=locked.id, name=row["name"], institution=row["institution"],
                                            position=row["position"], email=row["email"], phone=row["phone"],
                                            status=seat_status(session, locked), source="import",
                                            code=new_code(session)))
        session.flush()
    audit.record(session, actor, "workshop.import", "workshop", workshop.id,
                 f"{workshop.title}: {len(preview.rows)} peserta diimpor")
    return preview
