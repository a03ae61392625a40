"""CSV import of employees and units: a full check (the preview) first, then an all-or-nothing write.

Accepted: UTF-8 with or without BOM, comma or semicolon separated (Excel in Indonesia writes semicolons).
Re-importing the same file changes nothing; a changed row updates that record.
"""

import csv
import io

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import audit, jobs
from portal.accounts import services
from portal.accounts.validation import email_problem, nip_problem
from portal.errors import DomainError
from portal.models import ROLES, Unit, User
from portal.staging import Preview

USER_COLUMNS = ("nip", "nama", "email", "unit_kode", "peran")
UNIT_COLUMNS = ("kode", "nama", "induk_kode")
MAX_ROWS = 50_000


def read_csv(raw, expected_columns):
    """(line number, row dict) pairs; raises DomainError for a file that cannot be read at all."""
    if not raw or not raw.strip():
        raise DomainError(_("Berkas kosong."))
    if b"\x00" in raw[:65536]:  # images, spreadsheets (.xlsx), PDFs: say so rather than "not UTF-8"
        raise DomainError(_("Berkas ini bukan CSV teks (berisi data biner)."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("Berkas tidak terbaca sebagai UTF-8. Simpan ulang dari Excel sebagai "
                            "\"CSV UTF-8 (Comma delimited)\".")) from None
    if "\x00" in text:
        raise DomainError(_("Berkas ini bukan CSV teks (berisi data biner)."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise DomainError(_("Baris judul kolom tidak terbaca.")) from None
    missing = [c for c in expected_columns if c not in header]
    if missing:
        raise DomainError(_("Kolom wajib tidak ada: %(missing)s. Baris pertama harus berisi: %(expected)s.",
                            missing=", ".join(missing), expected=",".join(expected_columns)))
    index = {name: header.index(name) for name in expected_columns}
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise DomainError(_("Berkas terlalu besar: paling banyak %(n)d baris.", n=MAX_ROWS))
            row = {name: (values[i].strip() if i < len(values) else "") for name, i in index.items()}
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise DomainError(_("CSV rusak di baris %(line)d: %(error)s", line=reader.line_num, error=str(error))) from None
    if not rows:
        raise DomainError(_("Berkas tidak berisi baris data."))
    return rows


# --- users -------------------------------------------------------------------------------------------------------

def preview_users(session, raw):
    preview = Preview()
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    existing_by_nip = {u.nip: u for u in session.exec(select(User).where(User.nip.is_not(None))).all()}
    existing_email = dict(session.exec(select(User.email, User.nip).where(User.email.is_not(None))).all())
    seen_nip, seen_email = {}, {}
    for line, row in read_csv(raw, USER_COLUMNS):
        problems = []
        nip, name, email = row["nip"], " ".join(row["nama"].split()), row["email"].lower()
        unit_code = row["unit_kode"].upper()
        roles = sorted({r.strip().lower() for r in row["peran"].replace(",", ";").split(";") if r.strip()})
        if problem := nip_problem(nip):
            problems.append(problem)
        elif nip in seen_nip:
            problems.append(_("NIP ganda dalam berkas (sama dengan baris %(line)d).", line=seen_nip[nip]))
        if not name:
            problems.append(_("Nama wajib diisi."))
        elif len(name) > 200:
            problems.append(_("Nama terlalu panjang."))
        if email:
            if problem := email_problem(email):
                problems.append(problem)
            elif email in seen_email:
                problems.append(_("Email ganda dalam berkas (sama dengan baris %(line)d).", line=seen_email[email]))
            elif email in existing_email and existing_email[email] != nip:  # also an account without NIP
                problems.append(_("Email sudah dipakai pegawai lain."))
        if unit_code not in units:
            problems.append(_("Unit %(code)s tidak dikenal.", code=unit_code or "–"))
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            problems.append(_("Peran tidak dikenal: %(roles)s.", roles=", ".join(unknown)))
        seen_nip.setdefault(nip, line)
        if email:
            seen_email.setdefault(email, line)
        if problems:
            preview.errors.extend((line, p) for p in problems)
            continue
        values = {"nip": nip, "full_name": name, "email": email or None, "unit_id": units[unit_code].id,
                  "unit_code": unit_code, "roles": set(roles) | {"employee"}}
        user = existing_by_nip.get(nip)
        if user is None:
            action = "create"
        elif (user.full_name, user.email, user.unit_id, user.roles) == (
                values["full_name"], values["email"], values["unit_id"], values["roles"]):
            action = "same"
        else:
            action = "update"
        preview.rows.append({"line": line, "action": action, **values})
    return preview


def apply_users(session, actor, raw):
    """Check again and write everything, or nothing (a Preview with errors: the caller rolls back)."""
    preview = preview_users(session, raw)
    if not preview.ok:
        return preview
    try:
        for row in preview.rows:
            if row["action"] == "create":
                services.create_user(session, actor, username=row["nip"], full_name=row["full_name"],
                                     unit_id=row["unit_id"], roles=row["roles"], nip=row["nip"],
                                     email=row["email"])
            elif row["action"] == "update":
                user = session.exec(select(User).where(User.nip == row["nip"])).one()
                services.update_user(session, actor, user, username=user.username, full_name=row["full_name"],
                                     unit_id=row["unit_id"], roles=row["roles"], nip=row["nip"],
                                     email=row["email"], active=user.active)
        if preview.count("create") or preview.count("update"):  # an import that changes nothing leaves no trace
            audit.record(session, actor, "user.import", "user", None,
                         f"import: {preview.count('create')} new, {preview.count('update')} updated")
        session.flush()
    except DomainError as error:
        preview.errors.append((0, error.message))  # the caller rolls back: nothing is written
    return preview


# --- units -------------------------------------------------------------------------------------------------------

def preview_units(session, raw):
    preview = Preview()
    existing = {u.code: u for u in session.exec(select(Unit)).all()}
    in_file = {}
    parsed = []
    for line, row in read_csv(raw, UNIT_COLUMNS):
        code, name, parent = row["kode"].upper(), " ".join(row["nama"].split()), row["induk_kode"].upper()
        problems = []
        if not code or len(code) > 40 or not all(c.isalnum() or c in "-_." for c in code):
            problems.append(_("Kode unit tidak valid."))
        elif code in in_file:
            problems.append(_("Kode ganda dalam berkas (sama dengan baris %(line)d).", line=in_file[code]))
        if not name or len(name) > 200:
            problems.append(_("Nama unit wajib diisi (paling banyak 200 karakter)."))
        if parent and parent == code:
            problems.append(_("Unit tidak bisa menjadi induk dirinya sendiri."))
        in_file.setdefault(code, line)
        if problems:
            preview.errors.extend((line, p) for p in problems)
        parsed.append((line, code, name, parent, bool(problems)))
    for line, code, name, parent, bad in parsed:
        if parent and parent not in in_file and parent not in existing:
            preview.errors.append((line, _("Unit induk %(code)s tidak dikenal.", code=parent)))
            continue
        if bad:
            continue
        parents = {c: p for _line, c, _n, p, _b in parsed}
        if _has_cycle(code, parents, existing):
            preview.errors.append((line, _("Susunan induk membentuk lingkaran.")))
            continue
        unit = existing.get(code)
        parent_id_now = unit.parent_id if unit else None
        parent_code_now = next((c for c, u in existing.items() if u.id == parent_id_now), "") if unit else ""
        action = "create" if unit is None else ("same" if (unit.name, parent_code_now) == (name, parent) else "update")
        preview.rows.append({"line": line, "action": action, "code": code, "name": name, "parent_code": parent})
    preview.errors.sort()
    return preview


def _has_cycle(code, parents_in_file, existing):
    by_id = {u.id: c for c, u in existing.items()}
    seen = set()
    current = code
    while current:
        if current in seen:
            return True
        seen.add(current)
        if current in parents_in_file:
            current = parents_in_file[current]
        elif current in existing:
            current = by_id.get(existing[current].parent_id)
        else:
            return False
    return False


def apply_units(session, actor, raw):
    preview = preview_units(session, raw)
    if not preview.ok:
        return preview
    try:
        by_code = {u.code: u for u in session.exec(select(Unit)).all()}
        pending = list(preview.rows)
        # Parents first: keep taking rows whose parent already exists.
        while pending:
            progressed = False
            for row in list(pending):
                if row["parent_code"] and row["parent_code"] not in by_code:
                    continue
                parent_id = by_code[row["parent_code"]].id if row["parent_code"] else None
                if row["action"] == "create":
                    by_code[row["code"]] = services.create_unit(session, actor, row["code"], row["name"], parent_id)
                elif row["action"] == "update":
                    services.update_unit(session, actor, by_code[row["code"]], row["code"], row["name"], parent_id)
                pending.remove(row)
                progressed = True
            if not progressed:
                raise DomainError(_("Susunan induk tidak dapat diselesaikan."))
        if preview.count("create") or preview.count("update"):
            audit.record(session, actor, "unit.import", "unit", None,
                         f"import: {preview.count('create')} new, {preview.count('update')} updated")
        session.flush()
    except DomainError as error:
        preview.errors.append((0, error.message))  # the caller rolls back: nothing is written
    return preview


# --- as jobs (large files): the confirm step queues them; they re-check everything, like the direct path --------------

def _import_job(apply_fn, ctx, token):
    from portal import staging

    raw = staging.read_staged(token)
    if raw is None:
        raise DomainError(_("Berkas impor sudah tidak ada (kedaluwarsa). Unggah berkasnya lagi."))
    preview = apply_fn(ctx.session, ctx.actor, raw)
    if not preview.ok:
        ctx.session.rollback()
        line, message = preview.errors[0]
        raise DomainError(_("Impor dibatalkan, tidak ada yang disimpan: baris %(line)d: %(message)s",
                            line=line, message=message))
    staging.discard(token)
    return {"created": preview.count("create"), "updated": preview.count("update"), "same": preview.count("same")}


def _describe(result):
    return _("Impor selesai: %(created)d baru, %(updated)d diperbarui, %(same)d tidak berubah.", **result)


@jobs.job("import.users", title=_l("Impor pegawai"), describe=_describe,
          next_url=lambda _result, _params: url_for("admin.users"))
def import_users_job(ctx, token):
    return _import_job(apply_users, ctx, token)


@jobs.job("import.units", title=_l("Impor unit kerja"), describe=_describe,
          next_url=lambda _result, _params: url_for("admin.units"))
def import_units_job(ctx, token):
    return _import_job(apply_units, ctx, token)
