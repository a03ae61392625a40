"""Accounts and units: authentication, user and unit management. Every admin write is audited."""

import functools
import secrets
import threading
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from portal import audit, cache, db, generations
from portal.accounts import sessions
from portal.accounts.validation import USERNAME_RE, email_problem, nip_problem, password_problem
from portal.errors import DomainError
from portal.models import ROLES, Unit, User, UserRole, utcnow

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


class UnitRef(NamedTuple):
    """A unit as lists and reports show it (read as columns, kept: see `unit_tree`)."""

    id: int
    code: str
    name: str
    parent_id: int | None
    path: str


def _units_key(session):
    """What the kept unit lists are keyed by: the units' generation (`units_changed`), and the count and highest id
    (a unit added or removed behind the services' back)."""
    return generations.read_with(session, UNITS_GENERATION, "SELECT count(*) FROM unit", "SELECT max(id) FROM unit")


def unit_tree(session):
    """Every unit as a UnitRef in tree order (parents before children, siblings by code), kept in this process
    until the units change (`_units_key`): reports walk it on every page (300 units as ORM objects: 2 ms)."""
    return cache.remembered("unit_tree", _units_key(session), 3600, lambda: _build_unit_tree(session))


def _build_unit_tree(session):
    rows = session.exec(select(Unit.id, Unit.code, Unit.name, Unit.parent_id, Unit.path)).all()
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(UnitRef(*row))
    ordered = []
    stack = [sorted(children.get(None, []), key=lambda r: r.code, reverse=True)]
    while stack:
        if not stack[-1]:
            stack.pop()
            continue
        unit = stack[-1].pop()
        ordered.append(unit)
        stack.append(sorted(children.get(unit.id, []), key=lambda r: r.code, reverse=True))
    return tuple(ordered)


def unit_choices(session):
    """(id, label indented by depth) in tree order, for select fields, kept like `unit_tree`: building them reads
    every unit, and with a few hundred that was a third of the admin user search (make bench)."""
    return cache.remembered("unit_choices", _units_key(session), 3600, lambda: tuple(
        (unit.id, ("— " * unit.path.strip("/").count("/")) + f"{unit.name} ({unit.code})")
        for unit in unit_tree(session)))


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
