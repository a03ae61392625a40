"""Import of employees and units from CSV or XLSX: a full check (the preview) first, then the write: all or nothing
for a small file (in the request), in committed batches for a large one (a job, `staging.apply_in_job`).

Files are read by `portal/tabular.py` (any encoding and separator Excel writes, or XLSX). Re-importing the same file
changes nothing; a changed row updates that record. The write is a handful of bulk statements whatever the number of
rows (no query per row): 5,000 rows preview in well under a second and confirm in about one.
"""

from flask import has_request_context, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import select

from portal import audit, db, jobs, staging, tabular
from portal.accounts.services import units_changed
from portal.accounts.sessions import role_text
from portal.accounts.validation import email_problem, read_nip
from portal.models import ROLES, AuditLog, Unit, User, UserRole, UserSession, utcnow
from portal.staging import Preview

USER_COLUMNS = ("nip", "nama", "email", "unit_kode", "peran")
UNIT_COLUMNS = ("kode", "nama", "induk_kode")
MAX_ROWS = tabular.MAX_ROWS
USER_AUDIT_FIELDS = ("username", "nip", "full_name", "email", "unit_id", "active", "roles")

USER_TEMPLATE_HELP = (
    ("nip", _l("NIP 18 angka (boleh ditulis dengan spasi). Kolom sudah berformat Teks agar Excel tidak mengubahnya.")),
    ("nama", _l("Nama lengkap pegawai.")),
    ("email", _l("Email dinas; boleh kosong.")),
    ("unit_kode", _l("Kode unit kerja, misalnya BHM-MKP (lihat Admin → Unit kerja).")),
    ("peran", _l("Kosong untuk pegawai biasa, atau beberapa kode dipisah koma, titik koma atau |: employee, "
                 "supervisor, humas, trainer, admin.")),
)
UNIT_TEMPLATE_HELP = (
    ("kode", _l("Kode unit: huruf, angka, titik, minus atau garis bawah (paling banyak 40).")),
    ("nama", _l("Nama unit kerja.")),
    ("induk_kode", _l("Kode unit induk; kosong untuk unit teratas. Induk boleh ada di berkas yang sama.")),
)


def read(raw, columns, multi=()):
    """The file's Table (tabular.read_table) with every column of `columns` required."""
    return tabular.read_table(raw, required=columns, multi=multi)


def template(kind, fmt):
    """The empty file to fill in for `kind` ("users" or "units") as "csv" or "xlsx"."""
    if kind == "users":
        return tabular.template(USER_COLUMNS, fmt, USER_TEMPLATE_HELP, sheet_title=str(_("Pegawai")))
    return tabular.template(UNIT_COLUMNS, fmt, UNIT_TEMPLATE_HELP, sheet_title=str(_("Unit kerja")))


def _start(table):
    preview = Preview()
    preview.notes.append(table.description)
    preview.errors.extend(table.problems)
    return preview


# --- users -------------------------------------------------------------------------------------------------------

def _existing_users(session):
    """{nip: {id, full_name, email, unit_id, roles}} of every account with a NIP, and {email: nip} and the set of
    usernames of every account: three queries whatever the number of users."""
    by_nip = {nip: {"id": uid, "full_name": name, "email": email, "unit_id": unit_id, "roles": {"employee"}}
              for uid, nip, name, email, unit_id in session.exec(
                  select(User.id, User.nip, User.full_name, User.email, User.unit_id).where(User.nip.is_not(None)))}
    by_id = {record["id"]: record for record in by_nip.values()}
    for user_id, role in session.exec(select(UserRole.user_id, UserRole.role)):
        if user_id in by_id:
            by_id[user_id]["roles"].add(role)
    emails, usernames = {}, set()
    for username, nip, email in session.exec(select(User.username, User.nip, User.email)):
        usernames.add(username)
        if email:
            emails[email.lower()] = nip  # the file's e-mails are compared lower-case: so are the accounts'
    return by_nip, emails, usernames


def preview_users(session, raw, actor=None):
    table = read(raw, USER_COLUMNS, multi=("peran",))
    preview = _start(table)
    units = dict(session.exec(select(Unit.code, Unit.id)).all())
    existing, existing_email, usernames = _existing_users(session)
    seen_nip, seen_email = {}, {}
    for row in table.rows:
        line, values = row.number, row.values
        problems = []
        nip, nip_issue = read_nip(values["nip"])
        name, email = tabular.one_line(values["nama"]), values["email"].strip().lower()
        unit_code = values["unit_kode"].strip().upper()
        roles = sorted({r.lower() for r in tabular.split_multi(values["peran"])})
        if nip_issue:
            problems.append(nip_issue)
        elif nip in seen_nip:
            problems.append(_("NIP ganda dalam berkas (sama dengan baris %(line)d).", line=seen_nip[nip]))
        elif nip not in existing and nip in usernames:
            problems.append(_("Nama pengguna %(nip)s sudah dipakai akun lain.", nip=nip))
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
        elif actor is not None and nip and nip == getattr(actor, "nip", None) and "admin" not in roles:
            problems.append(_("Anda tidak dapat mencabut peran admin dari akun Anda sendiri."))
        seen_nip.setdefault(nip, line)
        if email:
            seen_email.setdefault(email, line)
        if problems:
            preview.errors.extend((line, p) for p in problems)
            continue
        values = {"nip": nip, "full_name": name, "email": email or None, "unit_id": units[unit_code],
                  "unit_code": unit_code, "roles": set(roles) | {"employee"}}
        user = existing.get(nip)
        if user is None:
            action = "create"
        elif (user["full_name"], user["email"], user["unit_id"], user["roles"]) == (
                values["full_name"], values["email"], values["unit_id"], values["roles"]):
            action = "same"
        else:
            action, values["id"], values["before"] = "update", user["id"], user
        preview.rows.append({"line": line, "action": action, **values})
    preview.errors.sort(key=lambda error: error[0])
    return preview


def _user_snapshot(username, row, unit_id=None, active=True):
    return {"username": username, "nip": row["nip"], "full_name": row["full_name"], "email": row["email"],
            "unit_id": unit_id if unit_id is not None else row["unit_id"], "active": active,
            "roles": sorted(row["roles"])}


def _write_users(session, actor, rows):
    """Write these create/update rows of a checked file in a few bulk statements: an upsert by NIP (a row already
    written by an earlier run of the same import is left as it is), with their roles and audit rows."""
    now = utcnow()
    users = User.__table__
    creates = [r for r in rows if r["action"] == "create"]
    updates = [r for r in rows if r["action"] == "update"]
    if creates:
        db.insert_new(session, users, [
            {"username": r["nip"], "nip": r["nip"], "full_name": r["full_name"], "email": r["email"],
             "unit_id": r["unit_id"], "active": True, "preferred_language": "id", "auth_version": 1,
             "created_at": now} for r in creates], keys=("nip",))
        ids = dict(session.exec(select(User.nip, User.id).where(User.nip.in_([r["nip"] for r in creates]))).all())
        for r in creates:
            r["id"] = ids[r["nip"]]
    if updates:
        session.execute(update(users).where(users.c.id == bindparam("uid")).values(
            full_name=bindparam("full_name"), email=bindparam("email"), unit_id=bindparam("unit_id")),
            [{"uid": r["id"], "full_name": r["full_name"], "email": r["email"], "unit_id": r["unit_id"]}
             for r in updates])
    changed_roles = [r for r in updates if r["roles"] != r["before"]["roles"]]
    role_table, session_table = UserRole.__table__, UserSession.__table__
    if changed_roles:
        session.execute(delete(role_table).where(role_table.c.user_id == bindparam("uid")),
                        [{"uid": r["id"]} for r in changed_roles])
        # Role changes take effect in the person's live sessions at their next request.
        session.execute(update(session_table).where(session_table.c.user_id == bindparam("uid"),
                                                    session_table.c.ended_at.is_(None))
                        .values(roles=bindparam("role_text")),
                        [{"uid": r["id"], "role_text": role_text(r["roles"])} for r in changed_roles])
    db.insert_new(session, role_table, [{"user_id": r["id"], "role": role} for r in creates + changed_roles
                                        for role in sorted(r["roles"] - {"employee"})], keys=("user_id", "role"))
    entries = [_audit_row(actor, "user.create", "user", r["id"], f"{r['nip']} ({r['full_name']})", now,
                          after=_user_snapshot(r["nip"], r)) for r in creates]
    for r in updates:
        before = r["before"]
        username = r["nip"]
        entries.append(_audit_row(actor, "user.update", "user", r["id"], f"{username} ({r['full_name']})", now,
                                  before={"full_name": before["full_name"], "email": before["email"],
                                          "unit_id": before["unit_id"], "roles": sorted(before["roles"])},
                                  after={"full_name": r["full_name"], "email": r["email"], "unit_id": r["unit_id"],
                                         "roles": sorted(r["roles"])}))
    if entries:
        session.execute(insert(AuditLog.__table__), entries)


def _finish_users(session, actor, counts):
    audit.record(session, actor, "user.import", "user", None,
                 f"import: {counts['created']} new, {counts['updated']} updated")


USERS = staging.Batched(check=lambda session, actor, raw: preview_users(session, raw, actor), write=_write_users,
                        finish=_finish_users)


def apply_users(session, actor, raw):
    """Check again and write everything in a few bulk statements, or nothing (a Preview with errors: the caller
    rolls back). An import that changes nothing leaves no trace."""
    return staging.apply_now(session, actor, raw, USERS)


def _audit_row(actor, action, object_type, object_id, summary, at, before=None, after=None):
    """One audit_log row for a bulk insert, as audit.record would write it."""
    import json

    return {"actor_id": getattr(actor, "id", None), "action": action, "object_type": object_type,
            "object_id": None if object_id is None else str(object_id), "summary": summary[:500], "at": at,
            "before": json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
            "after": json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None,
            "ip": request.remote_addr if has_request_context() else None}


# --- units -------------------------------------------------------------------------------------------------------

def _code_problem(code):
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_." for c in code):
        return _("Kode unit tidak valid.")
    return None


def preview_units(session, raw, actor=None):
    table = read(raw, UNIT_COLUMNS)
    preview = _start(table)
    existing = {code: (uid, name, parent_id) for uid, code, name, parent_id in session.exec(
        select(Unit.id, Unit.code, Unit.name, Unit.parent_id))}
    code_of = {uid: code for code, (uid, _name, _parent) in existing.items()}
    in_file, parsed = {}, []
    for row in table.rows:
        line = row.number
        code = row.values["kode"].strip().upper()
        name = tabular.one_line(row.values["nama"])
        parent = row.values["induk_kode"].strip().upper()
        problems = []
        if problem := _code_problem(code):
            problems.append(problem)
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
    # Each unit's parent after the import: the file's word for the units it names, the database's for the rest.
    parents = {code: code_of.get(parent_id, "") for code, (_uid, _name, parent_id) in existing.items()}
    parents.update({code: parent for _line, code, _name, parent, _bad in parsed})
    in_cycle = _units_in_cycles(parents)
    for line, code, name, parent, bad in parsed:
        if parent and parent not in in_file and parent not in existing:
            preview.errors.append((line, _("Unit induk %(code)s tidak dikenal.", code=parent)))
            continue
        if bad:
            continue
        if code in in_cycle:
            preview.errors.append((line, _("Susunan induk membentuk lingkaran.")))
            continue
        unit = existing.get(code)
        if unit is None:
            action = "create"
        else:
            action = "same" if (unit[1], code_of.get(unit[2], "")) == (name, parent) else "update"
        preview.rows.append({"line": line, "action": action, "code": code, "name": name, "parent_code": parent})
    preview.errors.sort(key=lambda error: error[0])
    return preview


def _units_in_cycles(parents):
    """The codes whose chain of parents loops (in O(n): each chain is walked once)."""
    state, looping = {}, set()  # state: 1 while on the current walk, 2 when done
    for start in parents:
        path, current = [], start
        while current and current in parents and current not in state:
            state[current] = 1
            path.append(current)
            current = parents[current]
        if current in state and state[current] == 1:  # came back to this walk: everything from there loops
            looping.update(path[path.index(current):])
        for code in path:
            state[code] = 2
    return looping


def _parents_first(rows):
    """The unit rows to write, each after the row of its parent (when that is written too)."""
    parent_of = {r["code"]: r["parent_code"] for r in rows}
    depth = {}

    def depth_of(code):
        chain = []
        while code in parent_of and code not in depth:
            chain.append(code)
            code = parent_of[code]
        level = depth.get(code, 0)
        for item in reversed(chain):
            level += 1
            depth[item] = level
        return depth[chain[0]] if chain else level

    return sorted(rows, key=lambda r: (depth_of(r["code"]), r["line"]))


def _write_units(session, actor, rows):
    """Write these create/update rows (parents before children, `_parents_first`): an upsert by code, then name,
    parent and path of each, with their audit rows. Paths of units outside the file are settled by `_finish_units`."""
    now = utcnow()
    units = Unit.__table__
    codes = {r["code"] for r in rows} | {r["parent_code"] for r in rows if r["parent_code"]}
    before = {code: (uid, name, parent_id) for uid, code, name, parent_id in session.exec(
        select(Unit.id, Unit.code, Unit.name, Unit.parent_id).where(Unit.code.in_(codes)))}
    units_changed(session)
    db.insert_new(session, units, [{"code": r["code"], "name": r["name"], "parent_id": None, "path": "/",
                                    "created_at": now} for r in rows if r["code"] not in before], keys=("code",))
    current = {code: (uid, path) for uid, code, path in session.exec(
        select(Unit.id, Unit.code, Unit.path).where(Unit.code.in_(codes)))}
    path_of = {code: path for code, (_uid, path) in current.items()}
    for r in rows:
        r["id"] = current[r["code"]][0]
        r["parent_id"] = current[r["parent_code"]][0] if r["parent_code"] else None
        path_of[r["code"]] = f"{path_of[r['parent_code']] if r['parent_code'] else '/'}{r['id']}/"
    session.execute(update(units).where(units.c.id == bindparam("uid")).values(
        name=bindparam("name"), parent_id=bindparam("parent_id"), path=bindparam("path")),
        [{"uid": r["id"], "name": r["name"], "parent_id": r["parent_id"], "path": path_of[r["code"]]}
         for r in rows])
    entries = []
    for r in rows:
        after = {"code": r["code"], "name": r["name"], "parent_id": r["parent_id"]}
        if r["code"] not in before:
            entries.append(_audit_row(actor, "unit.create", "unit", r["id"], f"{r['code']} {r['name']}", now,
                                      after=after))
        else:
            _uid, old_name, old_parent = before[r["code"]]
            entries.append(_audit_row(actor, "unit.update", "unit", r["id"], f"{r['code']} {r['name']}", now,
                                      before={"code": r["code"], "name": old_name, "parent_id": old_parent},
                                      after=after))
    if entries:
        session.execute(insert(AuditLog.__table__), entries)


def _finish_units(session, actor, counts):
    """Every unit's path from the parents as they now are (units under a moved one move with it); the audit entry."""
    units = Unit.__table__
    rows = session.exec(select(Unit.id, Unit.parent_id, Unit.path)).all()
    paths = _paths({uid: parent_id for uid, parent_id, _path in rows})
    moved = [{"uid": uid, "path": paths[uid]} for uid, _parent, path in rows if paths[uid] != path]
    if moved:
        session.execute(update(units).where(units.c.id == bindparam("uid")).values(path=bindparam("path")), moved)
    audit.record(session, actor, "unit.import", "unit", None,
                 f"import: {counts['created']} new, {counts['updated']} updated")


UNITS = staging.Batched(check=lambda session, actor, raw: preview_units(session, raw, actor), write=_write_units,
                        finish=_finish_units, order=_parents_first)


def apply_units(session, actor, raw):
    """Check again, then write (new units, then every name, parent and path), or nothing (a Preview with errors:
    the caller rolls back)."""
    return staging.apply_now(session, actor, raw, UNITS)


def _paths(parent_of):
    """{unit id: materialised path "/1/4/9/"} from {unit id: parent id}, each computed once."""
    paths = {}

    def path(uid):
        chain = []
        while uid is not None and uid not in paths:
            chain.append(uid)
            uid = parent_of.get(uid)
        prefix = paths[uid] if uid is not None else "/"
        for node in reversed(chain):
            prefix = paths[node] = f"{prefix}{node}/"
        return prefix

    for uid in parent_of:
        path(uid)
    return paths


# --- as jobs (large files): the confirm step queues them; they re-check everything, like the direct path --------------

def _import_job(importer, ctx, token):
    preview, saved = staging.apply_in_job(ctx, token, importer)
    same = len(preview.rows) - saved["created"] - saved["updated"]
    return {"created": saved["created"], "updated": saved["updated"], "same": max(same, 0)}


def _describe(result):
    return _("Impor selesai: %(created)d baru, %(updated)d diperbarui, %(same)d tidak berubah.", **result)


@jobs.job("import.users", title=_l("Impor pegawai"), describe=_describe,
          next_url=lambda _result, _params: url_for("admin.users"))
def import_users_job(ctx, token):
    return _import_job(USERS, ctx, token)


@jobs.job("import.units", title=_l("Impor unit kerja"), describe=_describe,
          next_url=lambda _result, _params: url_for("admin.units"))
def import_units_job(ctx, token):
    return _import_job(UNITS, ctx, token)


# --- the check of a large file, as a job (issue 15): its page leads to the preview and the confirm step ---------------

def _to_preview(kind):
    return lambda result, _params: url_for("admin.import_csv", kind=kind, job=result["job"])


@jobs.job("preview.users", title=_l("Pemeriksaan berkas pegawai"), describe=staging.describe_preview,
          next_url=_to_preview("users"))
def preview_users_job(ctx, token, scope):
    return staging.preview_in_job(ctx, token, USERS.check)


@jobs.job("preview.units", title=_l("Pemeriksaan berkas unit kerja"), describe=staging.describe_preview,
          next_url=_to_preview("units"))
def preview_units_job(ctx, token, scope):
    return staging.preview_in_job(ctx, token, UNITS.check)
