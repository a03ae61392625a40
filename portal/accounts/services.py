"""Accounts and units: authentication, user and unit management. Every admin write is audited."""

import functools
import secrets
import threading

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, func, or_, text, true
from sqlalchemy import column as sql_column
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from portal import audit, cache, db, generations
from portal.accounts import sessions
from portal.accounts.validation import USERNAME_RE, email_problem, nip_problem, password_problem
from portal.errors import DomainError
from portal.models import ROLES, Unit, User, UserRole, utcnow
from portal.models.accounts import USER_SEARCH_TEXT_PG

USER_AUDIT_FIELDS = ("username", "nip", "full_name", "email", "unit_id", "active", "roles")

# scrypt takes about 32 MB for every hash being computed. A process computes one at a time: its other threads keep
# serving pages meanwhile (hashlib releases the GIL), and a burst of logins queues here instead of raising a
# worker's memory by 32 MB per simultaneous login.
_HASHING = threading.BoundedSemaphore(1)


def _check_hash(password_hash, password):
    with _HASHING:
        return check_password_hash(password_hash, password)


@functools.cache
def _dummy_hash():
    """Compared against when the username does not exist, so a wrong username costs as much time as a wrong
    password. Made on first use, not at import (every worker would pay a hash at start)."""
    with _HASHING:
        return generate_password_hash("not-a-real-password-0000")


# --- sessions and authentication ---------------------------------------------------------------------------------

def find_login_user(session, username):
    """The account a login form names (username or NIP), active or not; None when there is none."""
    username = (username or "").strip().lower()
    return session.exec(select(User).where(or_(User.username == username, User.nip == username))).first()


def check_password(user, password):
    """True when `user` is active and `password` is theirs. As slow for a missing user as for a wrong password, so
    timing does not tell which part was wrong. Runs outside any transaction (scrypt is slow on purpose)."""
    if user is None or not user.password_hash:
        _check_hash(_dummy_hash(), password or "")
        return False
    return _check_hash(user.password_hash, password or "") and user.active


def authenticate(session, username, password):
    """The active user with these credentials, or None. Never says which part was wrong."""
    user = find_login_user(session, username)
    return user if check_password(user, password) else None


def sign_in(session, user, user_agent, ip, hours):
    """A new server-side session for `user` (the token for the cookie) and the audit record of the login."""
    user.last_login_at = utcnow()
    session.add(user)
    audit.record(session, user, "auth.login", "user", user.id, f"{user.username} signed in")
    return sessions.start(session, user, user_agent, ip, hours)


def record_failed_login(username, reason, actor=None):
    """Audit a failed or throttled login in a transaction of its own: the request itself answers with an error and
    rolls back, but the record must stay."""
    with db.unit_of_work() as session:
        audit.record(session, actor, f"auth.{reason}", "user", getattr(actor, "id", None),
                     f"{reason} for {(username or '').strip().lower()[:80]!r}")


def sign_out(session, user, session_id):
    sessions.end(session, session_id, "logout")
    audit.record(session, user, "auth.logout", "user", user.id, f"{user.username} signed out")


def end_own_session(session, user, session_id):
    if sessions.get_live(session, user.id, session_id) is None:
        raise DomainError(_("Sesi ini sudah berakhir."))
    sessions.end(session, session_id, "ended_by_user")
    audit.record(session, user, "auth.session_end", "user", user.id, f"{user.username} ended a session")


def end_all_sessions(session, actor, user):
    count = sessions.end_all(session, user.id, "ended_by_admin")
    audit.record(session, actor, "auth.sessions_end_all", "user", user.id,
                 f"all {count} session(s) of {user.username} ended")
    return count


def hash_password(password):
    with _HASHING:
        return generate_password_hash(password, method="scrypt")


def change_password(session, user, current_password, new_password, keep_session_id=None):
    """Checks and hashes outside any transaction (both are slow on purpose), then takes the write lock. Every other
    session of the person ends; `keep_session_id` (the browser that changed it) stays signed in."""
    if not user.password_hash or not _check_hash(user.password_hash, current_password or ""):
        raise DomainError(_("Kata sandi saat ini salah."), field="current_password")
    problem = password_problem(new_password)
    if problem:
        raise DomainError(problem, field="new_password")
    new_hash = hash_password(new_password)
    db.begin_write(session)
    user.password_hash = new_hash
    user.auth_version += 1
    session.add(user)
    sessions.end_all(session, user.id, "password", keep_id=keep_session_id)
    audit.record(session, user, "user.password_change", "user", user.id, f"{user.username} changed own password")


def set_preferred_language(session, user, lang):
    user.preferred_language = lang
    session.add(user)


# --- units -------------------------------------------------------------------------------------------------------

def all_units(session):
    """Every unit in tree order (parents before children, siblings by code)."""
    units = session.exec(select(Unit)).all()
    children = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered = []

    def walk(parent_id):
        for unit in sorted(children.get(parent_id, []), key=lambda u: u.code):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def unit_children(session):
    """{parent id (None for the top): [its units by code]}: the whole tree in one query, walked in O(n)."""
    children = {}
    for unit in session.exec(select(Unit).order_by(Unit.code)).all():
        children.setdefault(unit.parent_id, []).append(unit)
    return children


UNITS_GENERATION = "units"  # moved by every unit write (generations.move): names and places in the tree


def units_changed(session):
    generations.move(session, UNITS_GENERATION)


def unit_choices(session):
    """(id, label indented by depth) in tree order, for select fields. Kept in this process until a unit write
    moves the units' generation (`units_changed`; a unit added or removed behind the services' back changes the
    count or the highest id, also in the key): building them reads every unit, and with a few hundred that was a
    third of the admin user search (make bench)."""
    key = generations.read_with(session, UNITS_GENERATION, "SELECT count(*) FROM unit", "SELECT max(id) FROM unit")
    return cache.remembered("unit_choices", key, 3600, lambda: _build_unit_choices(session))


def _build_unit_choices(session):
    rows = session.exec(select(Unit.id, Unit.parent_id, Unit.code, Unit.name, Unit.path)).all()
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    choices = []
    stack = [sorted(children.get(None, []), key=lambda r: r.code, reverse=True)]
    while stack:
        if not stack[-1]:
            stack.pop()
            continue
        row = stack[-1].pop()
        choices.append((row.id, ("— " * row.path.strip("/").count("/")) + f"{row.name} ({row.code})"))
        stack.append(sorted(children.get(row.id, []), key=lambda r: r.code, reverse=True))
    return tuple(choices)


def subtree_ids(session, unit):
    return list(session.exec(select(Unit.id).where(Unit.path.startswith(unit.path))).all())


def _check_unit_fields(session, code, name, unit_id=None):
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_." for c in code):
        raise DomainError(_("Kode unit wajib diisi: huruf, angka, titik, minus atau garis bawah."), field="code")
    if not name or len(name) > 200:
        raise DomainError(_("Nama unit wajib diisi (paling banyak 200 karakter)."), field="name")
    clash = session.exec(select(Unit).where(Unit.code == code)).first()
    if clash is not None and clash.id != unit_id:
        raise DomainError(_("Kode unit %(code)s sudah dipakai.", code=code), field="code")
    return code, name


def create_unit(session, actor, code, name, parent_id=None):
    code, name = _check_unit_fields(session, code, name)
    parent = session.get(Unit, parent_id) if parent_id else None
    if parent_id and parent is None:
        raise DomainError(_("Unit induk tidak ditemukan."), field="parent_id")
    unit = Unit(code=code, name=name, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    units_changed(session)
    audit.record(session, actor, "unit.create", "unit", unit.id, f"{code} {name}",
                 after={"code": code, "name": name, "parent_id": unit.parent_id})
    return unit


def update_unit(session, actor, unit, code, name, parent_id=None):
    before = audit.snapshot(unit, ("code", "name", "parent_id"))
    code, name = _check_unit_fields(session, code, name, unit.id)
    unit.code, unit.name = code, name
    if (parent_id or None) != unit.parent_id:
        _move_unit(session, unit, parent_id or None)
    session.add(unit)
    after = audit.snapshot(unit, ("code", "name", "parent_id"))
    if after != before:
        units_changed(session)
        audit.record(session, actor, "unit.update", "unit", unit.id, f"{code} {name}", before=before, after=after)
    return unit


def _move_unit(session, unit, new_parent_id):
    parent = session.get(Unit, new_parent_id) if new_parent_id else None
    if new_parent_id and parent is None:
        raise DomainError(_("Unit induk tidak ditemukan."), field="parent_id")
    if parent is not None and parent.path.startswith(unit.path):
        raise DomainError(_("Unit tidak bisa dipindahkan ke bawah dirinya sendiri."), field="parent_id")
    old_path = unit.path
    new_path = f"{parent.path if parent else '/'}{unit.id}/"
    for descendant in session.exec(select(Unit).where(Unit.path.startswith(old_path))).all():
        descendant.path = new_path + descendant.path[len(old_path):]
        session.add(descendant)
    unit.parent_id = parent.id if parent else None


def unit_member_counts(session):
    rows = session.exec(select(User.unit_id, func.count()).group_by(User.unit_id)).all()
    return dict(rows)


# --- users -------------------------------------------------------------------------------------------------------

def _search_text(q):
    """The text a user search looks for: lower case, single spaces, no NUL (FTS5 ends the string at one,
    PostgreSQL refuses it)."""
    return " ".join(q.replace("\x00", "").strip().lower().split())


def _contains_on_row(q):
    """For an ASCII text of 3+ characters, the condition on the user's row that finds what the trigram index finds:
    name, username, NIP or e-mail contains it (SQLite's LIKE folds ASCII case, as the index does). None otherwise
    (the index also folds the case of other letters; LIKE does not)."""
    q = _search_text(q)
    if len(q) < 3 or not q.isascii():
        return None
    like = _contains_pattern(q)
    return or_(*(column.like(like, escape="\\") for column in (User.full_name, User.username, User.nip, User.email)))


def _contains_pattern(q):
    """A LIKE pattern (escape character a backslash) for text containing `q`."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching_user_ids(session, q):
    """A subquery of the ids of users whose name, username, NIP or e-mail contains `q` (3+ characters) through a
    trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL); one or two characters match the start of the name or the
    username through their indexes. Never a table scan."""
    q = _search_text(q)
    if not q:
        return select(User.id)
    if len(q) < 3:
        upper = q[:-1] + chr(ord(q[-1]) + 1)
        return select(User.id).where(or_(and_(func.lower(User.full_name) >= q, func.lower(User.full_name) < upper),
                                         and_(User.username >= q, User.username < upper)))
    if session.get_bind().dialect.name == "sqlite":
        return text("SELECT rowid AS id FROM fts_user WHERE fts_user MATCH :phrase").bindparams(
            phrase=_fts_phrase(q)).columns(sql_column("id", Integer))
    return select(User.id).where(_trigram_condition(q))


def _fts_phrase(q):
    """SQLite: `q` as one quoted FTS5 string (no FTS syntax from the user)."""
    return '"' + q.replace('"', '""') + '"'


def _trigram_condition(q):
    """PostgreSQL: the condition on the user's row that the pg_trgm index answers for a normalised text of 3+
    characters (name, username, NIP or e-mail contains it)."""
    # The expression is our constant (it must match the index's); the user's text is a bound parameter.
    return text(f"{USER_SEARCH_TEXT_PG} LIKE :like ESCAPE '\\'").bindparams(like=_contains_pattern(q))


# A text search matching more people than this walks the name index (see search_users). Below it, sorting the
# matches is cheaper: a first name's few thousand matches sit together in name order, far along the index
# ("Rina", "Wulan": 8-9 ms walking at 1,000, 2.5 ms sorted); above it they are dense enough to meet soon.
BROAD_MATCH = 5000
COUNT_CAP = 1000  # a text search counts this many matches, then says "more than" (total COUNT_CAP + 1)


def search_users(session, q="", unit_id=None, role=None, active=None, page=1, per_page=25):
    """Filtered, paginated users sorted by name; returns (users, total). A text search counts at most COUNT_CAP + 1
    people: beyond COUNT_CAP the page says "more than" and asks for a narrower search (counting every one of 50,000
    e-mail addresses that contain "kementerian" took longer than the rest of the page).

    A text search counts its matches through its index first. A broad one (a NIP prefix like "196", thousands of
    people) then walks the (full_name, id) index and stops at the page (on SQLite checking each person on the row,
    `_contains_on_row`), instead of sorting every match by name; a narrow one sorts its few matches. PostgreSQL's
    planner would walk the name index for those too, expecting the matches spread evenly along it: "rina" (1,026
    people whose names sit together far along it) read 37,779 rows there, 100 ms instead of 5; so a narrow match is
    sorted there too. Without other filters the count is the index's own."""
    query = select(User)
    matches = None
    order = (User.full_name, User.id)
    if q.strip():
        matching = _matching_user_ids(session, q)
        sqlite = session.get_bind().dialect.name == "sqlite"
        text_q = _search_text(q)
        # PostgreSQL: the match on the row itself (as `id IN (...)` the planner joined the table to itself and read
        # all 50,000 rows for 1,500 matches).
        condition = User.id.in_(matching) if sqlite or len(text_q) < 3 else _trigram_condition(text_q)
        if len(text_q) >= 3 and not unit_id and not role and active is None:
            matches, page_ids = _count_and_page(session, matching, text_q, sqlite, page, per_page)
            if page_ids is not None:
                users = session.exec(select(User).where(User.id.in_(page_ids)).order_by(*order)).all()
                return users, min(matches, COUNT_CAP + 1)
        else:
            matches = _count_matches(session, matching)
        if sqlite and matches > BROAD_MATCH:
            # SQLite walks the name index in order, checks each person and stops at the page: on the row itself
            # when it can (materialising tens of thousands of matching ids cost more than the rest of the page),
            # else against the match ("+id IN (...)": the match may not drive the query by primary key).
            on_row = _contains_on_row(q)
            condition = on_row if on_row is not None else \
                UnaryExpression(User.id, operator=custom_op("+"), type_=Integer).in_(matching)
        elif not sqlite and matches <= BROAD_MATCH:
            # Sorted by an expression no index serves: the planner then sorts the matches instead of walking the
            # name index (same order: `full_name || ''` is full_name).
            order = (User.full_name.concat(""), User.id)
        query = query.where(condition)
    if unit_id:
        unit = session.get(Unit, unit_id)
        if unit is not None:
            query = query.join(Unit, Unit.id == User.unit_id).where(Unit.path.startswith(unit.path))
    if role == "employee":
        query = query.where(~User.id.in_(select(UserRole.user_id)))
    elif role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        query = query.where(User.active == active)
    if matches is not None and not unit_id and not role and active is None:
        total = min(matches, COUNT_CAP + 1)
    else:
        counted = query.with_only_columns(User.id)
        if q.strip():
            counted = counted.limit(COUNT_CAP + 1)
        total = session.exec(select(func.count()).select_from(counted.subquery())).one()
    users = session.exec(query.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all()
    return users, total


def _count_matches(session, matching):
    """How many people `matching` finds, counted up to the larger of COUNT_CAP and BROAD_MATCH, plus one (the total
    shown is exact up to COUNT_CAP; beyond BROAD_MATCH the search is broad)."""
    return session.execute(select(func.count()).select_from(
        select(matching.subquery()).limit(_match_count_limit()).subquery())).scalar_one()


def _match_count_limit():
    return max(COUNT_CAP, BROAD_MATCH) + 1


def _count_and_page(session, matching, text_q, sqlite, page, per_page):
    """(matches as `_count_matches` counts them, the ids of one page in name order) of a text search of 3+
    characters without other filters; the ids are None beyond BROAD_MATCH, where the caller reads the page along
    the name index instead.

    SQLite counts the FTS5 match alone, then sorts the matches' names from the (id, full_name) index, not their
    whole rows ("putra", 4,499 people: 5.2 -> 1.9 ms), and is told to: its planner reads the rows otherwise (the ids
    are a subquery). PostgreSQL counts and sorts in one statement over one trigram match (each match rechecks its
    rows: "putra" 17 -> 8 ms)."""
    if sqlite:
        matches = _count_matches(session, matching)
        ids = text("SELECT u.id FROM fts_user JOIN user AS u INDEXED BY ix_user_id_full_name ON u.id = fts_user.rowid "
                   "WHERE fts_user MATCH :phrase ORDER BY u.full_name, u.id LIMIT :limit OFFSET :offset").bindparams(
            phrase=_fts_phrase(text_q), limit=per_page, offset=(page - 1) * per_page).columns(
            sql_column("id", Integer))
        return matches, ids if matches <= BROAD_MATCH else None
    matched = select(User.id.label("id"), User.full_name.label("full_name")).where(
        _trigram_condition(text_q)).limit(_match_count_limit()).cte("matched")
    total = select(func.count().label("total")).select_from(matched)
    paged = (select(matched.c.id, matched.c.full_name)
             .where(total.scalar_subquery() <= BROAD_MATCH)  # a broad match: no page is sorted
             .order_by(matched.c.full_name, matched.c.id).limit(per_page).offset((page - 1) * per_page).subquery())
    counted = total.subquery()
    rows = session.execute(select(counted.c.total, paged.c.id).select_from(counted.outerjoin(paged, true()))
                           .order_by(paged.c.full_name, paged.c.id)).all()
    matches = rows[0].total
    return matches, [row.id for row in rows if row.id is not None] if matches <= BROAD_MATCH else None


def _clean_user_fields(session, username, nip, full_name, email, unit_id, roles, user_id=None):
    username = (username or "").strip().lower()
    nip = (nip or "").strip() or None
    full_name = " ".join((full_name or "").split())
    email = (email or "").strip().lower() or None

    if not USERNAME_RE.match(username):
        raise DomainError(_("Nama pengguna 3–80 karakter: huruf kecil, angka, titik, minus atau garis bawah."),
                          field="username")
    if nip and (problem := nip_problem(nip)):
        raise DomainError(problem, field="nip")
    if not full_name or len(full_name) > 200:
        raise DomainError(_("Nama lengkap wajib diisi (paling banyak 200 karakter)."), field="full_name")
    if email and (problem := email_problem(email)):
        raise DomainError(problem, field="email")
    if session.get(Unit, unit_id or 0) is None:
        raise DomainError(_("Pilih unit kerja yang ada."), field="unit_id")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise DomainError(_("Peran tidak dikenal: %(roles)s", roles=", ".join(sorted(unknown))), field="roles")
    for column, value, field, message in (
        (User.username, username, "username", _l("Nama pengguna sudah dipakai.")),
        (User.nip, nip, "nip", _l("NIP sudah terdaftar.")),
        (User.email, email, "email", _l("Email sudah dipakai pengguna lain.")),
    ):
        if value is None:
            continue
        clash = session.exec(select(User.id).where(column == value)).first()
        if clash is not None and clash != user_id:
            raise DomainError(str(message), field=field)
    return username, nip, full_name, email


def _set_roles(user, roles):
    wanted = set(roles) - {"employee"}
    user.role_links = [link for link in user.role_links if link.role in wanted]
    have = {link.role for link in user.role_links}
    for role in sorted(wanted - have):
        user.role_links.append(UserRole(role=role))


def create_user(session, actor, username, full_name, unit_id, roles=(), nip=None, email=None, password=None,
                preferred_language="id"):
    username, nip, full_name, email = _clean_user_fields(session, username, nip, full_name, email, unit_id, roles)
    if password is not None and (problem := password_problem(password)):
        raise DomainError(problem, field="password")
    user = User(username=username, nip=nip, full_name=full_name, email=email, unit_id=unit_id,
                password_hash=hash_password(password) if password else None,
                preferred_language=preferred_language if preferred_language in ("id", "en") else "id")
    _set_roles(user, roles)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, f"{username} ({full_name})",
                 after=audit.snapshot(user, USER_AUDIT_FIELDS))
    return user


def update_user(session, actor, user, username, full_name, unit_id, roles, nip=None, email=None, active=True):
    before = audit.snapshot(user, USER_AUDIT_FIELDS)
    username, nip, full_name, email = _clean_user_fields(session, username, nip, full_name, email, unit_id, roles,
                                                         user_id=user.id)
    if actor is not None and actor.id == user.id:
        if not active:
            raise DomainError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."), field="active")
        if "admin" not in roles:
            raise DomainError(_("Anda tidak dapat mencabut peran admin dari akun Anda sendiri."), field="roles")
    user.username, user.nip, user.full_name, user.email, user.unit_id = username, nip, full_name, email, unit_id
    _set_roles(user, roles)
    if user.active and not active:
        user.auth_version += 1
        sessions.end_all(session, user.id, "deactivated")  # signs the person out everywhere at once
    sessions.refresh_roles(session, user.id, roles)
    user.active = bool(active)
    session.add(user)
    session.flush()
    session.refresh(user, ["unit"])
    after = audit.snapshot(user, USER_AUDIT_FIELDS)
    if after != before:
        action = "user.deactivate" if before["active"] and not active else "user.update"
        audit.record(session, actor, action, "user", user.id, f"{username} ({full_name})", before=before, after=after)
    return user


def reset_password(session, actor, user, new_password=None):
    """Set a new password (generated when none is given) and sign the user out everywhere. Returns the password."""
    password = new_password or generate_temporary_password()
    if problem := password_problem(password):
        raise DomainError(problem, field="password")
    user.password_hash = hash_password(password)
    user.auth_version += 1
    sessions.end_all(session, user.id, "password")
    session.add(user)
    audit.record(session, actor, "user.password_reset", "user", user.id, f"password reset for {user.username}")
    return password


def generate_temporary_password():
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
