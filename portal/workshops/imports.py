"""Import of workshop participants from CSV or XLSX: a full check (the preview), then the write: all or nothing for
a small file, in committed batches for a large one (a job).

The file is read by `portal/tabular.py` (any encoding and separator Excel writes, or XLSX). A row whose NIP belongs
to an account becomes that employee's registration; any other row a guest (name required). Seats are given in file
order; rows past the capacity go to the waiting list. Whatever the number of rows, the check is a few queries and
the write a few bulk statements.
"""

import secrets

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, update
from sqlmodel import select

from portal import audit, certificates, jobs, staging, tabular
from portal.accounts.validation import excel_nip_problem, read_nip
from portal.errors import DomainError
from portal.i18n import ngettext
from portal.models import User, Workshop, WorkshopParticipant, utcnow
from portal.staging import Preview
from portal.workshops.registration import CODE_LENGTH  # the same codes as those made one at a time

IMPORT_COLUMNS = ("nama", "nip", "instansi", "jabatan", "email", "telepon")
REQUIRED_IMPORT_COLUMNS = ("nama",)

TEMPLATE_HELP = (
    ("nama", _l("Nama lengkap peserta; wajib untuk tamu.")),
    ("nip", _l("NIP pegawai yang punya akun di portal (18 angka, boleh dengan spasi); kosong untuk tamu.")),
    ("instansi", _l("Instansi atau unit asal tamu.")),
    ("jabatan", _l("Jabatan.")),
    ("email", _l("Email; boleh kosong.")),
    ("telepon", _l("Nomor telepon; kolom sudah berformat Teks agar angka 0 di depan tetap ada.")),
)


def template(fmt):
    return tabular.template(IMPORT_COLUMNS, fmt, TEMPLATE_HELP, sheet_title=str(_("Peserta")))


def preview_import(session, workshop, raw):
    table = tabular.read_table(raw, required=REQUIRED_IMPORT_COLUMNS, optional=IMPORT_COLUMNS)
    preview = Preview(notes=[table.description], errors=list(table.problems))
    taken_users, taken_emails = set(), set()
    for user_id, email in session.exec(select(WorkshopParticipant.user_id, WorkshopParticipant.email).where(
            WorkshopParticipant.workshop_id == workshop.id, WorkshopParticipant.status != "cancelled")):
        if user_id:
            taken_users.add(user_id)
        if email:
            taken_emails.add(email.lower())
    accounts = {nip: (uid, name) for uid, nip, name in session.exec(
        select(User.id, User.nip, User.full_name).where(User.nip.is_not(None)))}
    seen_nip, seen_email = {}, {}
    for row in table.rows:
        line, values = row.number, row.values
        name, email = tabular.one_line(values["nama"]), values["email"].strip().lower()
        problems, user = [], None
        if values["nip"].strip():
            nip, _problem = read_nip(values["nip"])
            user = accounts.get(nip)
            if nip in seen_nip:
                problems.append(_("NIP ganda dalam berkas (sama dengan baris %(line)d).", line=seen_nip[nip]))
            elif user is None and (problem := excel_nip_problem(nip)):
                problems.append(problem)  # what Excel did to the NIP, and how to undo it
            elif user is None and not nip.isdigit():
                problems.append(_("NIP hanya berisi angka."))
            elif user is not None and user[0] in taken_users:
                problems.append(_("%(name)s sudah terdaftar di pelatihan ini.", name=user[1]))
            seen_nip.setdefault(nip, line)
        else:
            nip = ""
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
        preview.rows.append({"line": line, "action": "create", "kind": "employee" if user else "guest",
                             "user_id": user[0] if user else None, "name": user[1] if user else name,
                             "nip": nip, "institution": tabular.one_line(values["instansi"])[:200],
                             "position": tabular.one_line(values["jabatan"])[:200], "email": email,
                             "phone": tabular.one_line(values["telepon"])[:40]})
    preview.errors.sort(key=lambda error: error[0])
    return preview


def _write_participants(session, workshop_id, rows):
    """Register these rows of a checked file, in file order: seats while the capacity lasts (counted now, so a later
    batch goes on where the earlier one stopped), then the waiting list; a cancelled registration comes back."""
    locked = session.exec(select(Workshop).where(Workshop.id == workshop_id).with_for_update()).one()
    registered = session.exec(select(func.count()).select_from(WorkshopParticipant).where(
        WorkshopParticipant.workshop_id == locked.id, WorkshopParticipant.status == "registered")).one()
    user_ids = [row["user_id"] for row in rows if row["user_id"]]
    earlier = dict(session.exec(select(WorkshopParticipant.user_id, WorkshopParticipant.id).where(
        WorkshopParticipant.workshop_id == locked.id, WorkshopParticipant.user_id.in_(user_ids))).all()) \
        if user_ids else {}
    now = utcnow()
    inserts, revived = [], []
    for row in rows:
        if locked.capacity is None or registered < locked.capacity:
            status, registered = "registered", registered + 1
        else:
            status = "waitlisted"
        if row["user_id"] and row["user_id"] in earlier:  # a cancelled registration comes back
            revived.append({"pid": earlier[row["user_id"]], "status": status, "registered_at": now})
            continue
        guest = not row["user_id"]
        inserts.append({"workshop_id": locked.id, "user_id": row["user_id"], "status": status, "source": "import",
                        "registered_at": now, "name": row["name"] if guest else "",
                        "institution": row["institution"] if guest else "",
                        "position": row["position"] if guest else "", "email": row["email"] if guest else "",
                        "phone": row["phone"] if guest else ""})
    for entry, code in zip(inserts, _new_codes(session, len(inserts)), strict=True):
        entry["code"] = code
    table = WorkshopParticipant.__table__
    if inserts:
        session.execute(insert(table), inserts)
    if revived:
        session.execute(update(table).where(table.c.id == bindparam("pid")).values(
            status=bindparam("status"), source="import", registered_at=bindparam("registered_at"),
            cancelled_at=None), revived)


def importer(workshop):
    """The participant import of `workshop` for `staging` (a resumed job skips the lines already saved: the check
    refuses a person registered twice)."""
    workshop_id, title = workshop.id, workshop.title

    def finish(session, actor, counts):
        audit.record(session, actor, "workshop.import", "workshop", workshop_id,
                     f"{title}: {counts['created']} peserta diimpor")

    return staging.Batched(check=lambda session, _actor, raw: preview_import(session, workshop, raw),
                           write=lambda session, _actor, rows: _write_participants(session, workshop_id, rows),
                           finish=finish, by_line=True)


def apply_import(session, actor, workshop, raw):
    """Check again, then write every row in a few bulk statements, or nothing (a Preview with errors). The caller's
    transaction commits (or rolls back)."""
    return staging.apply_now(session, actor, raw, importer(workshop))


# --- as a job (large files): the confirm step queues it; it re-checks everything, then writes in batches -----------

def _describe(result):
    return ngettext("%(num)s peserta diimpor.", "%(num)s peserta diimpor.", result["imported"])


@jobs.job("import.participants", title=_l("Impor peserta pelatihan"), describe=_describe,
          next_url=lambda _result, params: url_for("workshops.manage", workshop_id=params["workshop_id"]))
def import_participants_job(ctx, token, workshop_id):
    workshop = ctx.session.get(Workshop, workshop_id)
    if workshop is None:
        raise DomainError(_("Pelatihan ini sudah tidak ada."))
    _preview, saved = staging.apply_in_job(ctx, token, importer(workshop))
    return {"imported": saved["created"]}


@jobs.job("preview.participants", title=_l("Pemeriksaan berkas peserta"), describe=staging.describe_preview,
          next_url=lambda result, params: url_for("workshops.import_csv", workshop_id=params["workshop_id"],
                                                  job=result["job"]))
def preview_participants_job(ctx, token, scope, workshop_id):
    workshop = ctx.session.get(Workshop, workshop_id)
    if workshop is None:
        raise DomainError(_("Pelatihan ini sudah tidak ada."))
    return staging.preview_in_job(ctx, token, importer(workshop).check)


def _new_codes(session, count):
    """`count` fresh participant codes: random, checked against the table in batches (not one query per code)."""
    codes = set()
    while len(codes) < count:
        batch = {"".join(secrets.choice(certificates.ALPHABET) for _ in range(CODE_LENGTH))
                 for _ in range(min(count - len(codes), 900))} - codes
        taken = set(session.exec(select(WorkshopParticipant.code).where(WorkshopParticipant.code.in_(batch))).all())
        codes |= batch - taken
    return list(codes)
