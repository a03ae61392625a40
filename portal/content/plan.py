"""The weekly content plan: planned posts (create, edit, move, copy). The week as the plan shows it is in
portal/content/week.py; what the post and account pages read in portal/content/pages.py. Creating or changing a post
(a copy is created) also writes its full-text document (portal/content/post_search.py)."""

import json
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import select

from portal import audit, db
from portal.content import screening
from portal.content.access import Scope, can_edit_post, post_account_ids
from portal.content.common import MAX_CAPTION, clean_line, clean_text, parse_tags, text_key
from portal.content.pillars import list_pillars
from portal.content.post_search import changed, index_post
from portal.errors import DomainError
from portal.i18n import ngettext
from portal.models import (
    ContentAccount,
    ContentPillar,
    ContentPost,
    ContentPostAccount,
    ContentPostChange,
    ContentPostLink,
    KeyMessage,
    Section,
    ToolkitItem,
    utcnow,
)
from portal.timezone import from_wib, to_wib, today_wib

DAYS_BACK, DAYS_AHEAD = 31, 366  # how far from today a post may be planned or moved
AUDIT_FIELDS = ("scheduled_at", "pillar_id", "key_message_id", "topic", "audience", "caption", "tags", "status",
                "published_url")
EDITABLE_STATUSES = ("ide", "draf", "diajukan", "disetujui")


@dataclass
class PostInput:
    account_ids: list
    day: date | None
    clock: time | None
    pillar_id: int | None
    topic: str
    audience: str = ""
    caption: str = ""
    tags: str = ""
    key_message_id: int | None = None
    toolkit_ids: list = field(default_factory=list)
    section_ids: list = field(default_factory=list)
    status: str = "draf"  # for a new post: ide or draf


# --- writing --------------------------------------------------------------------------------------------------------

def _check_when(day, clock, today):
    if day is None or clock is None:
        raise DomainError(_("Tanggal dan jam tayang wajib diisi."), field="day")
    low, high = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    if not low <= day <= high:
        raise DomainError(_("Tanggal %(day)s di luar rentang rencana: antara %(low)s dan %(high)s.",
                            day=day.strftime("%d-%m-%Y"), low=low.strftime("%d-%m-%Y"),
                            high=high.strftime("%d-%m-%Y")), field="day")
    return from_wib(day, clock.replace(second=0, microsecond=0))


def _check_accounts(session, user_scope, account_ids):
    ids, bad = [], False
    for value in account_ids or ():
        if not isinstance(value, int) or not 0 < value <= db.MAX_INT:
            bad = True
        elif value not in ids:
            ids.append(value)
    if not ids and not bad:
        raise DomainError(_("Pilih sedikitnya satu akun resmi."), field="account_ids")
    accounts = session.exec(select(ContentAccount).where(ContentAccount.id.in_(ids))).all() if ids else []
    if bad or len(accounts) != len(ids):
        raise DomainError(_("Akun yang dipilih tidak dikenal. Muat ulang halaman dan pilih dari daftar."),
                          field="account_ids")
    for account in accounts:
        if not user_scope.plans_for(account):
            raise DomainError(_("Akun %(handle)s milik unit lain dan tidak Anda kelola.", handle=account.handle),
                              field="account_ids")
        if account.status != "aktif":
            raise DomainError(_("Akun %(handle)s tidak aktif.", handle=account.handle), field="account_ids")
    if len({a.unit_id for a in accounts}) > 1:
        raise DomainError(_("Satu pos hanya untuk akun-akun dari satu unit. Buat pos terpisah (atau salin pos) untuk "
                            "unit lain."), field="account_ids")
    return accounts


def _check_content(session, data):
    data.topic = clean_line(data.topic, 201)
    if not data.topic:
        raise DomainError(_("Topik wajib diisi."), field="topic")
    if len(data.topic) > 200:
        raise DomainError(_("Topik paling panjang 200 karakter."), field="topic")
    data.audience = clean_line(data.audience, 200)
    data.caption = clean_text(data.caption)
    if len(data.caption) > MAX_CAPTION:
        raise DomainError(ngettext("Draf keterangan terlalu panjang: %(num)s karakter, paling banyak %(max)d. "
                                   "Teks Anda masih ada di kotak; pendekkan lalu simpan lagi.",
                                   "Draf keterangan terlalu panjang: %(num)s karakter, paling banyak %(max)d. "
                                   "Teks Anda masih ada di kotak; pendekkan lalu simpan lagi.",
                                   len(data.caption), max=MAX_CAPTION),
                          field="caption")
    pillar = session.get(ContentPillar, data.pillar_id) if data.pillar_id else None
    if pillar is None or not pillar.active:
        raise DomainError(_("Pilih pilar konten dari daftar."), field="pillar_id")
    if data.key_message_id and session.get(KeyMessage, data.key_message_id) is None:
        raise DomainError(_("Pesan kunci tidak dikenal."), field="key_message_id")
    toolkit_ids = sorted({i for i in data.toolkit_ids if isinstance(i, int)})
    if toolkit_ids:
        approved = set(session.exec(select(ToolkitItem.id).where(ToolkitItem.id.in_(toolkit_ids),
                                                                 ToolkitItem.status == "disetujui")).all())
        if approved != set(toolkit_ids):
            raise DomainError(_("Hanya item perangkat humas yang sudah disetujui yang dapat ditautkan."),
                              field="toolkit_ids")
    section_ids = sorted({i for i in data.section_ids if isinstance(i, int)})
    if section_ids and len(session.exec(select(Section.id).where(Section.id.in_(section_ids))).all()) != len(
            section_ids):
        raise DomainError(_("Bagian pedoman tidak dikenal."), field="section_ids")
    data.toolkit_ids, data.section_ids = toolkit_ids, section_ids


def _set_links(session, post, data):
    current = {(link.kind, link.ref_id): link for link in session.exec(
        select(ContentPostLink).where(ContentPostLink.post_id == post.id)).all()}
    wanted = {("toolkit", i) for i in data.toolkit_ids} | {("handbook", i) for i in data.section_ids}
    for key, link in current.items():
        if key not in wanted:
            session.delete(link)
    for kind, ref_id in wanted - set(current):
        session.add(ContentPostLink(post_id=post.id, kind=kind, ref_id=ref_id))


def _set_accounts(session, post, accounts):
    current = set(post_account_ids(session, post.id))
    wanted = {a.id for a in accounts}
    for account_id in current - wanted:
        session.delete(session.get(ContentPostAccount, (post.id, account_id)))
    for account_id in wanted - current:
        session.add(ContentPostAccount(post_id=post.id, account_id=account_id))


def record_change(session, post, actor, from_status, to_status, note=""):
    session.add(ContentPostChange(post_id=post.id, from_status=from_status, to_status=to_status,
                                  actor_id=getattr(actor, "id", None), note=note[:1000]))


def create_post(session, actor, data, today=None):
    user_scope = Scope(session, actor)
    today = today or today_wib()
    accounts = _check_accounts(session, user_scope, data.account_ids)
    scheduled = _check_when(data.day, data.clock, today)
    _check_content(session, data)
    status = data.status if data.status in ("ide", "draf") else "draf"
    post = ContentPost(unit_id=accounts[0].unit_id, scheduled_at=scheduled, pillar_id=data.pillar_id,
                       key_message_id=data.key_message_id or None, topic=data.topic, topic_key=text_key(data.topic),
                       audience=data.audience, caption=data.caption, tags=parse_tags(data.tags), status=status,
                       check_flags=json.dumps(screening.screen_caption(data.caption)), created_by_id=actor.id)
    session.add(post)
    session.flush()
    _set_accounts(session, post, accounts)
    _set_links(session, post, data)
    index_post(session, post)
    record_change(session, post, actor, None, status)
    audit.record(session, actor, "content.post.create", "content_post", post.id, post.topic,
                 after=audit.snapshot(post, AUDIT_FIELDS))
    return post


def _bump(session, post, version):
    """Compare-and-set on the post's version: the later of two concurrent changes is refused, not merged."""
    result = session.exec(update(ContentPost).where(ContentPost.id == post.id, ContentPost.version == version)
                          .values(version=version + 1, updated_at=utcnow()))
    changed(session)  # every change of a post (edit, move, status) bumps its version here; a new one is indexed
    if result.rowcount != 1:
        raise DomainError(_("Pos ini baru saja diubah orang lain. Muat ulang halaman untuk melihat perubahannya, "
                            "lalu ulangi bila masih perlu."), field="version")
    session.refresh(post)


def _reopen_if_approved(session, actor, post, reason, what):
    """Changing an approved post sends it back to diajukan, with the reason recorded."""
    if post.status != "disetujui":
        return
    reason = clean_line(reason, 1000)
    if not reason:
        raise DomainError(_("Pos ini sudah disetujui: tulis alasan perubahan. Pos akan kembali berstatus diajukan "
                            "untuk disetujui ulang."), field="reason")
    record_change(session, post, actor, "disetujui", "diajukan", f"{what}: {reason}")
    post.status, post.submitted_by_id, post.submitted_at = "diajukan", actor.id, utcnow()
    post.decided_by_id = post.decided_at = None


def update_post(session, actor, post, data, version, reason="", today=None):
    user_scope = Scope(session, actor)
    if not can_edit_post(session, user_scope, post):
        raise DomainError(_("Anda tidak mengelola akun pos ini."), field="topic")
    if post.status not in EDITABLE_STATUSES:
        raise DomainError(_("Pos yang sudah terbit tidak diubah lagi; catat hasilnya pada evaluasi."), field="topic")
    today = today or today_wib()
    accounts = _check_accounts(session, user_scope, data.account_ids)
    if accounts[0].unit_id != post.unit_id:
        raise DomainError(_("Akun pos tidak dapat dipindah ke unit lain; salin pos untuk akun unit lain."),
                          field="account_ids")
    scheduled = _check_when(data.day, data.clock, today)
    _check_content(session, data)
    before = audit.snapshot(post, AUDIT_FIELDS)
    _bump(session, post, version)
    _reopen_if_approved(session, actor, post, reason, _("diubah"))
    post.scheduled_at, post.pillar_id, post.key_message_id = scheduled, data.pillar_id, data.key_message_id or None
    post.topic, post.topic_key, post.audience = data.topic, text_key(data.topic), data.audience
    if post.caption != data.caption:
        post.check_flags = json.dumps(screening.screen_caption(data.caption))
    post.caption, post.tags = data.caption, parse_tags(data.tags)
    if post.status in ("ide", "draf") and data.status in ("ide", "draf"):
        post.status = data.status
    session.add(post)
    _set_accounts(session, post, accounts)
    _set_links(session, post, data)
    index_post(session, post)
    audit.record(session, actor, "content.post.update", "content_post", post.id, post.topic, before=before,
                 after=audit.snapshot(post, AUDIT_FIELDS))
    return post


def move_post(session, actor, post, day, clock, version, reason="", today=None):
    """Another day or time for a post. `version` is what the mover saw: a concurrent move makes this one fail."""
    user_scope = Scope(session, actor)
    if not can_edit_post(session, user_scope, post):
        raise DomainError(_("Anda tidak mengelola akun pos ini."), field="day")
    if post.status not in EDITABLE_STATUSES:
        raise DomainError(_("Pos yang sudah terbit tidak dapat dipindah."), field="day")
    scheduled = _check_when(day, clock, today or today_wib())
    before = to_wib(post.scheduled_at)
    _bump(session, post, version)
    _reopen_if_approved(session, actor, post, reason, _("dipindah"))
    post.scheduled_at = scheduled
    session.add(post)
    audit.record(session, actor, "content.post.move", "content_post", post.id, post.topic,
                 before={"scheduled_at": before.isoformat()}, after={"scheduled_at": to_wib(scheduled).isoformat()})
    return post


def copy_post(session, actor, post, account_id, today=None):
    """A new draft of the same content for another account (of any unit the user plans for)."""
    user_scope = Scope(session, actor)
    accounts = _check_accounts(session, user_scope, [account_id])
    links = session.exec(select(ContentPostLink).where(ContentPostLink.post_id == post.id)).all()
    when = to_wib(post.scheduled_at)
    data = PostInput(account_ids=[accounts[0].id], day=when.date(), clock=when.time(), pillar_id=post.pillar_id,
                     topic=post.topic, audience=post.audience, caption=post.caption, tags=post.tags,
                     key_message_id=post.key_message_id,
                     toolkit_ids=[link.ref_id for link in links if link.kind == "toolkit"],
                     section_ids=[link.ref_id for link in links if link.kind == "handbook"])
    pillar = session.get(ContentPillar, post.pillar_id) if post.pillar_id else None
    if pillar is None or not pillar.active:
        data.pillar_id = next((p.id for p in list_pillars(session, active_only=True)), None)
    if when.date() < (today or today_wib()):
        data.day = today or today_wib()
    copy = create_post(session, actor, data, today=today)
    audit.record(session, actor, "content.post.copy", "content_post", copy.id,
                 _("salinan pos #%(id)d", id=post.id))
    return copy
