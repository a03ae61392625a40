"""Toolkit (Perangkat Kerja Humas): photos, regulations and answer templates.

One `ToolkitItem` row per item holds what every kind shares (title, description, owner unit, workflow status, validity,
counters); `ToolkitPhoto`, `ToolkitRegulation` and `ToolkitTemplate` hold what one kind adds, keyed by the item id.
Employees see an item only when it is approved and `visible_until` (the earlier of its valid-until date and, for a
photo, its consent expiry) is not in the past; the filter columns are indexed so search and facets stay fast with
100,000 items.
"""

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow

KINDS = ("photo", "regulation", "template")
STATUSES = ("draf", "diajukan", "disetujui", "ditolak", "diarsipkan")
REGULATION_TYPES = ("UU", "PP", "Perpres", "Permen", "SE", "SKB", "Keputusan", "Inpres", "Pedoman internal")
LEGAL_STATUSES = ("berlaku", "diubah", "dicabut")
RELATION_KINDS = ("mengubah", "mencabut")  # stored direction; the other one ("diubah oleh", "dicabut oleh") is derived
CONSENT_CHOICES = ("ya", "tidak", "tidak_perlu")
TEMPLATE_CATEGORIES = ("keluhan", "klarifikasi hoaks", "permintaan informasi", "moderasi", "krisis", "koreksi",
                       "akun palsu", "netralitas", "lainnya")
CHANNELS = ("Instagram", "X", "Facebook", "TikTok", "WhatsApp", "email")


class ToolkitItem(SQLModel, table=True):
    __tablename__ = "toolkit_item"
    __table_args__ = (
        # employees' listing: approved and still valid, newest or most used first
        Index("ix_toolkit_item_status_created", "status", "created_at"),
        Index("ix_toolkit_item_status_usage", "status", "usage_count"),
        # humas' work list: what waits (oldest first), drafts (last changed first), rejected (last decided first)
        Index("ix_toolkit_item_status_submitted", "status", "submitted_at", "id"),
        Index("ix_toolkit_item_status_updated", "status", "updated_at"),
        Index("ix_toolkit_item_status_decided", "status", "decided_at"),
        # covering index for the employees' visible set and its kind/unit/year facets (no table lookups)
        Index("ix_toolkit_item_visible_facets", "status", "visible_until", "kind", "owner_unit_id", "year"),
        Index("ix_toolkit_item_kind_status", "kind", "status"),
        # the same columns by id: a search's matches are checked for visibility and filters (and counted, grouped)
        # through this index instead of the items' rows (SQLite: named with INDEXED BY, see finder.BY_ID_INDEX)
        Index("ix_toolkit_item_id_facets", "id", "status", "visible_until", "kind", "owner_unit_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    owner_unit_id: int = Field(foreign_key="unit.id", index=True)
    status: str = Field(default="draf", max_length=20)
    year: int | None = Field(default=None, index=True)  # regulation year, photo year taken, template year made
    valid_until: date | None = Field(default=None)
    visible_until: date | None = Field(default=None)  # min(valid_until, consent expiry): what employees are shown by
    created_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    submitted_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    rejection_reason: str = Field(default="", max_length=1000)
    download_count: int = Field(default=0)
    use_count: int = Field(default=0)
    usage_count: int = Field(default=0)  # download_count + use_count, for "most used" sorting


class ToolkitTag(SQLModel, table=True):
    """A tag of an item, stored as normalised text (lowercase, single spaces): the tag facet is one GROUP BY."""

    __tablename__ = "toolkit_item_tag"
    __table_args__ = (Index("ix_toolkit_item_tag_tag", "tag", "item_id"),)

    item_id: int = Field(foreign_key="toolkit_item.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=60, primary_key=True)


class ToolkitStatusChange(SQLModel, table=True):
    """Who moved an item to which status, when, and why (the reason of a rejection)."""

    __tablename__ = "toolkit_status_change"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="toolkit_item.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=1000)


class ToolkitPhoto(SQLModel, table=True):
    __tablename__ = "toolkit_photo"

    item_id: int = Field(foreign_key="toolkit_item.id", primary_key=True, ondelete="CASCADE")
    sha256: str = Field(max_length=64, index=True)
    path: str = Field(max_length=200)  # relative to UPLOAD_DIR (portal.uploads)
    mime: str = Field(max_length=40)
    size: int
    width: int
    height: int
    original_name: str = Field(default="", max_length=200)
    credit: str = Field(default="", max_length=200)
    taken_on: date | None = None
    place: str = Field(default="", max_length=200)
    licence: str = Field(default="", max_length=200)
    consent: str = Field(default="tidak_perlu", max_length=20)
    consent_path: str | None = Field(default=None, max_length=200, index=True)
    consent_mime: str | None = Field(default=None, max_length=40)
    consent_expires_on: date | None = Field(default=None)


class ToolkitRegulation(SQLModel, table=True):
    __tablename__ = "toolkit_regulation"

    item_id: int = Field(foreign_key="toolkit_item.id", primary_key=True, ondelete="CASCADE")
    reg_type: str = Field(max_length=30, index=True)
    number: str | None = Field(default=None, max_length=120)  # null for e.g. the SKB of 11 ministries (2019)
    short_name: str = Field(default="", max_length=80)  # how people call it: "UU ITE", "SKB 11 K/L"
    # the year is ToolkitItem.year (also the year facet)
    issuer: str = Field(default="", max_length=500)
    enacted_on: date | None = None
    legal_status: str = Field(default="berlaku", max_length=20, index=True)
    pdf_path: str | None = Field(default=None, max_length=200, index=True)
    pdf_size: int | None = None
    # True once the PDF passed portal.pdfs (no JavaScript, actions or embedded files): only then may it open inline
    pdf_checked: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class ToolkitRegulationRelation(SQLModel, table=True):
    """`source` mengubah/mencabut `target`; "diubah oleh" / "dicabut oleh" is the same row read from the target."""

    __tablename__ = "toolkit_regulation_relation"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "kind", name="uq_toolkit_relation"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="toolkit_item.id", index=True, ondelete="CASCADE")
    target_id: int = Field(foreign_key="toolkit_item.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)


class ToolkitTemplate(SQLModel, table=True):
    __tablename__ = "toolkit_template"

    item_id: int = Field(foreign_key="toolkit_item.id", primary_key=True, ondelete="CASCADE")
    body: str = Field(sa_column=Column(Text, nullable=False))
    category: str = Field(max_length=40, index=True)
    channels: str = Field(default="", max_length=200)  # comma-separated, from CHANNELS


class ToolkitCitation(SQLModel, table=True):
    """A template cites a regulation."""

    __tablename__ = "toolkit_citation"

    template_id: int = Field(foreign_key="toolkit_item.id", primary_key=True, ondelete="CASCADE")
    regulation_id: int = Field(foreign_key="toolkit_item.id", primary_key=True, index=True, ondelete="CASCADE")
