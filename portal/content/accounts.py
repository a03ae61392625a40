"""Official accounts registry: every official account of the institution and its units, with its pengelola."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from portal import audit
from portal.content.access import Scope
from portal.content.common import clean_line
from portal.errors import DomainError
from portal.models import ContentAccount, ContentAccountManager, Unit, User, utcnow
from portal.models.content import ACCOUNT_STATUSES, PLATFORMS

HANDLE_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
PROFILE_URLS = {
    "Instagram": "https://www.instagram.com/{}",
    "Facebook": "https://www.facebook.com/{}",
    "X": "https://x.com/{}",
    "YouTube": "https://www.youtube.com/@{}",
    "TikTok": "https://www.tiktok.com/@{}",
    "Threads": "https://www.threads.net/@{}",
    "LinkedIn": "https://www.linkedin.com/company/{}",
    "Website": "https://{}",
}
AUDIT_FIELDS = ("platform", "handle", "url", "unit_id", "status", "verified")


@dataclass
class AccountInput:
    platform: str
    handle: str
    unit_id: int | None
    url: str = ""
    status: str = "aktif"
    verified: bool = False
    managers: str = ""  # usernames or NIPs, separated by commas or new lines
    manager_ids: list = field(default_factory=list)


@dataclass
class AccountRow:
    account: ContentAccount
    unit: Unit
    managers: list


def handle_key(handle):
    return handle.strip().lstrip("@").lower()


def display_handle(platform, handle):
    bare = handle.strip().lstrip("@")
    return bare if platform == "Website" else f"@{bare}"


def list_accounts(session, platform=None, unit_id=None, include_inactive=True):
    stmt = select(ContentAccount, Unit).join(Unit, Unit.id == ContentAccount.unit_id)
    if platform in PLATFORMS:
        stmt = stmt.where(ContentAccount.platform == platform)
    if unit_id:
        stmt = stmt.where(ContentAccount.unit_id == unit_id)
    if not include_inactive:
        stmt = stmt.where(ContentAccount.status == "aktif")
    rows = session.exec(stmt.order_by(Unit.name, ContentAccount.platform, ContentAccount.handle_key)).all()
    managers = managers_of(session, [account.id for account, _unit in rows])
    return [AccountRow(account, unit, managers.get(account.id, [])) for account, unit in rows]


def managers_of(session, account_ids):
    if not account_ids:
        return {}
    found = {}
    for account_id, user in session.exec(select(ContentAccountManager.account_id, User).join(
            User, User.id == ContentAccountManager.user_id).where(
            ContentAccountManager.account_id.in_(account_ids)).order_by(User.full_name)).all():
        found.setdefault(account_id, []).append(user)
    return found


def platforms_in_use(session):
    return list(session.exec(select(ContentAccount.platform).distinct().order_by(ContentAccount.platform)).all())


def unit_choices(session, user_scope):
    """Units the user may register accounts for."""
    units = session.exec(select(Unit).order_by(Unit.path)).all()
    return [(unit.id, unit.name) for unit in units if user_scope.manages_unit(unit.id)]


def _resolve_managers(session, raw):
    ids, unknown = [], []
    for part in re.split(r"[,;\n]", raw or ""):
        name = part.strip()
        if not name:
            continue
        user = session.exec(select(User).where((User.username == name) | (User.nip == name))).first()
        if user is None or not user.active:
            unknown.append(name[:40])
        elif user.id not in ids:
            ids.append(user.id)
    if unknown:
        raise DomainError(_("Pengelola tidak dikenal atau tidak aktif: %(names)s. Tulis NIP atau nama pengguna, "
                            "dipisah koma.", names=", ".join(unknown[:5])), field="managers")
    if len(ids) > 20:
        raise DomainError(_("Paling banyak 20 pengelola per akun."), field="managers")
    return ids


def _validate(session, user_scope, data, account=None):
    if data.platform not in PLATFORMS:
        raise DomainError(_("Pilih platform dari daftar."), field="platform")
    handle = clean_line(data.handle, 101).lstrip("@")
    if not HANDLE_RE.match(handle):
        raise DomainError(_("Nama akun hanya boleh berisi huruf, angka, titik, garis bawah, dan tanda hubung "
                            "(tanpa spasi), paling panjang 100 karakter."), field="handle")
    if data.status not in ACCOUNT_STATUSES:
        raise DomainError(_("Pilih status dari daftar."), field="status")
    unit = session.get(Unit, data.unit_id) if data.unit_id else None
    if unit is None:
        raise DomainError(_("Pilih unit pemilik akun."), field="unit_id")
    if not user_scope.manages_unit(unit.id):
        raise DomainError(_("Anda hanya dapat mendaftarkan akun untuk unit Anda sendiri dan sub-unitnya."),
                          field="unit_id")
    key = handle_key(handle)
    clash = session.exec(select(ContentAccount).where(ContentAccount.platform == data.platform,
                                                      ContentAccount.handle_key == key)).first()
    if clash is not None and (account is None or clash.id != account.id):
        owner = session.get(Unit, clash.unit_id)
        raise DomainError(_("Akun %(platform)s %(handle)s sudah terdaftar (milik %(unit)s). Satu nama akun per "
                            "platform hanya boleh terdaftar sekali.", platform=data.platform,
                            handle=display_handle(data.platform, handle), unit=owner.name if owner else "?"),
                          field="handle")
    url = clean_line(data.url, 500)
    if url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
        raise DomainError(_("Tautan harus diawali https:// dan berisi alamat lengkap."), field="url")
    data.url = url or PROFILE_URLS[data.platform].format(handle)
    data.handle = display_handle(data.platform, handle)
    data.manager_ids = _resolve_managers(session, data.managers)
    return key


def _set_managers(session, account, manager_ids):
    current = set(session.exec(select(ContentAccountManager.user_id).where(
        ContentAccountManager.account_id == account.id)).all())
    for user_id in current - set(manager_ids):
        session.delete(session.get(ContentAccountManager, (account.id, user_id)))
    for user_id in set(manager_ids) - current:
        session.add(ContentAccountManager(account_id=account.id, user_id=user_id))


def create_account(session, actor, data):
    user_scope = Scope(session, actor)
    key = _validate(session, user_scope, data)
    account = ContentAccount(platform=data.platform, handle=data.handle, handle_key=key, url=data.url,
                             unit_id=data.unit_id, status=data.status, verified=data.verified)
    session.add(account)
    session.flush()
    _set_managers(session, account, data.manager_ids)
    audit.record(session, actor, "content.account.create", "content_account", account.id,
                 f"{account.platform} {account.handle}", after=audit.snapshot(account, AUDIT_FIELDS))
    return account


def update_account(session, actor, account, data):
    user_scope = Scope(session, actor)
    if not user_scope.manages_account(account):
        raise DomainError(_("Anda tidak mengelola akun ini."), field="handle")
    before = audit.snapshot(account, AUDIT_FIELDS)
    key = _validate(session, user_scope, data, account)
    account.platform, account.handle, account.handle_key = data.platform, data.handle, key
    account.url, account.unit_id, account.status, account.verified = data.url, data.unit_id, data.status, data.verified
    account.updated_at = utcnow()
    session.add(account)
    _set_managers(session, account, data.manager_ids)
    audit.record(session, actor, "content.account.update", "content_account", account.id,
                 f"{account.platform} {account.handle}", before=before, after=audit.snapshot(account, AUDIT_FIELDS))
    return account


def account_counts(session):
    """(active, total) accounts, for the dashboard card."""
    total = session.exec(select(func.count()).select_from(ContentAccount)).one()
    active = session.exec(select(func.count()).select_from(ContentAccount).where(
        ContentAccount.status == "aktif")).one()
    return active, total
