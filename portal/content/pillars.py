"""Content pillars (pilar konten): an admin-edited list, each with a colour, and a unit's balance across them."""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from portal import audit
from portal.content.common import clean_line
from portal.errors import DomainError
from portal.models import ContentPillar, ContentPost
from portal.timezone import from_wib

COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
AUDIT_FIELDS = ("name", "description", "colour", "position", "active")

# Seven pillars, the common advice for a ministry's channels.
DEFAULTS = (
    ("Kebijakan & Program", "Kebijakan baru, program, dan regulasi dijelaskan dengan bahasa sederhana.", "#1f5f99"),
    ("Layanan Publik", "Cara, syarat, jadwal, dan kanal layanan bagi masyarakat.", "#1b7f5b"),
    ("Capaian Kinerja", "Hasil kerja dan data capaian yang dapat dipertanggungjawabkan.", "#8a4fbf"),
    ("Edukasi & Literasi", "Literasi digital, bijak bermedia sosial, cek fakta.", "#c26a00"),
    ("Profil & Human Interest", "Cerita pegawai, penerima manfaat, dan wajah di balik layanan.", "#b03a5b"),
    ("Momen & Hari Besar", "Hari nasional, hari besar keagamaan, dan peringatan penting.", "#5c6b7a"),
    ("Interaksi & Klarifikasi", "Tanya jawab, kuis, dan klarifikasi hoaks.", "#2a8a99"),
)


@dataclass
class PillarInput:
    name: str
    description: str = ""
    colour: str = "#1f5f99"
    position: int = 0
    active: bool = True


@dataclass
class BalanceRow:
    pillar: ContentPillar | None
    count: int
    percent: float


def list_pillars(session, active_only=False):
    stmt = select(ContentPillar)
    if active_only:
        stmt = stmt.where(ContentPillar.active)
    return list(session.exec(stmt.order_by(ContentPillar.position, ContentPillar.name)).all())


def seed_defaults(session):
    if session.exec(select(ContentPillar.id)).first() is not None:
        return 0
    for position, (name, description, colour) in enumerate(DEFAULTS, start=1):
        session.add(ContentPillar(name=name, description=description, colour=colour, position=position))
    session.flush()
    return len(DEFAULTS)


def _validate(session, data, pillar=None):
    data.name = clean_line(data.name, 80)
    if not data.name:
        raise DomainError(_("Nama pilar wajib diisi."), field="name")
    data.description = clean_line(data.description, 300)
    if not COLOUR_RE.match(data.colour or ""):
        raise DomainError(_("Warna ditulis sebagai kode heksadesimal, misalnya #1f5f99."), field="colour")
    clash = session.exec(select(ContentPillar).where(func.lower(ContentPillar.name) == data.name.lower())).first()
    if clash is not None and (pillar is None or clash.id != pillar.id):
        raise DomainError(_("Pilar \"%(name)s\" sudah ada.", name=data.name), field="name")


def create_pillar(session, actor, data):
    _validate(session, data)
    pillar = ContentPillar(name=data.name, description=data.description, colour=data.colour.lower(),
                           position=data.position, active=data.active)
    session.add(pillar)
    session.flush()
    audit.record(session, actor, "content.pillar.create", "content_pillar", pillar.id, pillar.name,
                 after=audit.snapshot(pillar, AUDIT_FIELDS))
    return pillar


def update_pillar(session, actor, pillar, data):
    before = audit.snapshot(pillar, AUDIT_FIELDS)
    _validate(session, data, pillar)
    pillar.name, pillar.description, pillar.colour = data.name, data.description, data.colour.lower()
    pillar.position, pillar.active = data.position, data.active
    session.add(pillar)
    audit.record(session, actor, "content.pillar.update", "content_pillar", pillar.id, pillar.name, before=before,
                 after=audit.snapshot(pillar, AUDIT_FIELDS))
    return pillar


def balance(session, unit_id, first_day, last_day, pillars=None):
    """Posts of a unit per pillar between two WIB days (ideas left out), with shares in percent; every active
    pillar is listed, also with zero posts, so a gap shows."""
    from datetime import time, timedelta

    start, end = from_wib(first_day, time()), from_wib(last_day + timedelta(days=1), time())
    stmt = (select(ContentPost.pillar_id, func.count()).where(
        ContentPost.scheduled_at >= start, ContentPost.scheduled_at < end, ContentPost.status != "ide")
        .group_by(ContentPost.pillar_id))
    if unit_id:
        stmt = stmt.where(ContentPost.unit_id == unit_id)
    counts = dict(session.exec(stmt).all())
    pillars = pillars if pillars is not None else list_pillars(session)
    total = sum(counts.values()) or 0
    rows = [BalanceRow(p, counts.get(p.id, 0), 100 * counts.get(p.id, 0) / total if total else 0.0)
            for p in pillars if p.active or counts.get(p.id)]
    if counts.get(None):
        rows.append(BalanceRow(None, counts[None], 100 * counts[None] / total))
    return rows
