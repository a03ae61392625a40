"""Content and performance (Konten): official accounts, content pillars, the weekly content plan, key messages.

A planned post (`ContentPost`) belongs to one unit and goes out on one or more of that unit's official accounts
(`ContentPostAccount`). Its time is stored in UTC and shown in WIB. `version` grows with every change, so two people
moving one post at once cannot overwrite each other (the later one is told). Caption screening flags (the pre-post
checker) are stored as JSON with the post so that the plan shows them without re-running the checker.
"""

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow

PLATFORMS = ("Instagram", "Facebook", "X", "YouTube", "TikTok", "Threads", "LinkedIn", "Website")
ACCOUNT_STATUSES = ("aktif", "tidak_aktif")
POST_STATUSES = ("ide", "draf", "diajukan", "disetujui", "terbit", "dievaluasi")
SHARED_STATUSES = ("diajukan", "disetujui", "terbit", "dievaluasi")  # what every unit sees on the shared calendar
KEY_MESSAGE_KINDS = ("pesan_kunci", "agenda")
METRIC_FIELDS = ("reach", "impressions", "likes", "comments", "shares", "saves", "clicks", "video_views")
INTERACTION_FIELDS = ("likes", "comments", "shares", "saves")
REPORT_STATUSES = ("draf", "diajukan", "diterima", "dikembalikan")
LINK_KINDS = ("toolkit", "handbook")


class ContentAccount(SQLModel, table=True):
    """An official social-media account of the institution or one of its units."""

    __tablename__ = "content_account"
    __table_args__ = (UniqueConstraint("platform", "handle_key", name="uq_content_account_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    handle: str = Field(max_length=100)  # as shown, e.g. "@kemenbijak"
    handle_key: str = Field(max_length=100)  # lower case without "@", unique per platform
    url: str = Field(default="", max_length=500)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    status: str = Field(default="aktif", max_length=20)
    verified: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ContentAccountManager(SQLModel, table=True):
    """A pengelola of an account: plans posts for it (besides the unit's humas and central humas)."""

    __tablename__ = "content_account_manager"

    account_id: int = Field(foreign_key="content_account.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True, ondelete="CASCADE")


class ContentPillar(SQLModel, table=True):
    __tablename__ = "content_pillar"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    description: str = Field(default="", max_length=300)
    colour: str = Field(default="#1f5f99", max_length=7)
    position: int = Field(default=0)
    active: bool = Field(default=True)


class KeyMessage(SQLModel, table=True):
    """A key message (pesan kunci) or an agenda item (agenda komunikasi) published by central humas for every unit."""

    __tablename__ = "content_key_message"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="pesan_kunci", max_length=20)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    starts_on: date = Field(index=True)
    ends_on: date = Field(index=True)
    tags: str = Field(default="", max_length=300)  # comma-separated, normalised
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ContentPost(SQLModel, table=True):
    __tablename__ = "content_post"
    __table_args__ = (Index("ix_content_post_scheduled_status", "scheduled_at", "status"),
                      Index("ix_content_post_unit_scheduled", "unit_id", "scheduled_at"))

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    scheduled_at: datetime  # UTC
    pillar_id: int | None = Field(default=None, foreign_key="content_pillar.id", index=True)
    key_message_id: int | None = Field(default=None, foreign_key="content_key_message.id", index=True)
    topic: str = Field(max_length=200)
    topic_key: str = Field(default="", max_length=200, index=True)  # normalised, for clash warnings
    audience: str = Field(default="", max_length=200)
    caption: str = Field(default="", sa_column=Column(Text, nullable=False))
    tags: str = Field(default="", max_length=300)  # comma-separated, normalised
    status: str = Field(default="draf", max_length=20, index=True)
    published_url: str = Field(default="", max_length=500)
    rejection_reason: str = Field(default="", max_length=1000)
    check_flags: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON: caption screening
    planned: bool = Field(default=True)  # False: created by a metrics import for a post nobody planned
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    submitted_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ContentPostAccount(SQLModel, table=True):
    __tablename__ = "content_post_account"

    post_id: int = Field(foreign_key="content_post.id", primary_key=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="content_account.id", primary_key=True, index=True, ondelete="CASCADE")


class ContentPostLink(SQLModel, table=True):
    """A post uses an approved toolkit item or cites a handbook section."""

    __tablename__ = "content_post_link"

    post_id: int = Field(foreign_key="content_post.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=20, primary_key=True)
    ref_id: int = Field(primary_key=True)


class ContentPostChange(SQLModel, table=True):
    """The history of a post: who moved it to which status (or rescheduled it), when, and why."""

    __tablename__ = "content_post_change"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="content_post.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=1000)


class ContentMetric(SQLModel, table=True):
    """What one published post achieved on one account (entered by hand or imported from the platform's export)."""

    __tablename__ = "content_metric"
    __table_args__ = (UniqueConstraint("post_id", "account_id", name="uq_content_metric_post_account"),
                      Index("ix_content_metric_account_published", "account_id", "published_at"))

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="content_post.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="content_account.id", ondelete="CASCADE")
    permalink: str = Field(default="", max_length=500, index=True)  # normalised (see platform_exports.normal_url)
    published_at: datetime | None = None  # UTC
    reach: int | None = None
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    video_views: int | None = None
    source: str = Field(default="manual", max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class ContentAccountMonth(SQLModel, table=True):
    """An account's month: followers at month end, new followers, posts and total reach (as the platform says)."""

    __tablename__ = "content_account_month"

    account_id: int = Field(foreign_key="content_account.id", primary_key=True, ondelete="CASCADE")
    month: date = Field(primary_key=True)  # the first day of the month
    followers: int | None = None
    new_followers: int | None = None
    posts: int | None = None
    reach: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ContentImportMapping(SQLModel, table=True):
    """The column mapping of an account's platform export (header -> field), remembered after an import."""

    __tablename__ = "content_import_mapping"

    account_id: int = Field(foreign_key="content_account.id", primary_key=True, ondelete="CASCADE")
    mapping: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    updated_at: datetime = Field(default_factory=utcnow)


class ContentReport(SQLModel, table=True):
    """A unit's monthly social-media performance report: the figures are computed; the narrative is written."""

    __tablename__ = "content_report"
    __table_args__ = (UniqueConstraint("unit_id", "month", name="uq_content_report_unit_month"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    month: date = Field(index=True)  # the first day of the month
    status: str = Field(default="draf", max_length=20, index=True)
    achievements: str = Field(default="", sa_column=Column(Text, nullable=False))  # capaian
    obstacles: str = Field(default="", sa_column=Column(Text, nullable=False))  # kendala
    follow_up: str = Field(default="", sa_column=Column(Text, nullable=False))  # rencana tindak lanjut
    review_note: str = Field(default="", max_length=2000)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    submitted_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ContentReportChange(SQLModel, table=True):
    __tablename__ = "content_report_change"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="content_report.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=2000)
