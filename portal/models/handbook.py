"""Handbook: chapters and sections (the working draft), revisions, published editions, reading and acknowledgement.

Employees only ever read an edition: publishing snapshots every section's current revision into EditionSection,
so drafts can never leak into what they see.
"""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow


class Chapter(SQLModel, table=True):
    __tablename__ = "handbook_chapter"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(default=0, index=True)
    title: str = Field(max_length=200)
    slug: str = Field(max_length=100, unique=True)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False))
    archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class Section(SQLModel, table=True):
    """A section's slug is its permanent anchor: quiz questions and workshop materials link to it."""

    __tablename__ = "handbook_section"

    id: int | None = Field(default=None, primary_key=True)
    chapter_id: int = Field(foreign_key="handbook_chapter.id", index=True)
    position: int = Field(default=0)
    slug: str = Field(max_length=100, unique=True, index=True)
    current_revision_id: int | None = Field(default=None)  # the head of the draft; set after the first revision
    archived: bool = Field(default=False)
    core: bool = Field(default=False)  # in the core set (when the acknowledgement rule asks only for the core)
    created_at: datetime = Field(default_factory=utcnow)


class SectionRevision(SQLModel, table=True):
    __tablename__ = "handbook_revision"
    __table_args__ = (UniqueConstraint("section_id", "number", name="uq_handbook_revision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="handbook_section.id", index=True)
    number: int
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))  # rendered once, at save time
    summary: str = Field(default="", max_length=300)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Edition(SQLModel, table=True):
    __tablename__ = "handbook_edition"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=20, unique=True)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    material: bool = Field(default=False)
    published_at: datetime = Field(default_factory=utcnow, index=True)
    published_by_id: int | None = Field(default=None, foreign_key="user.id")


class EditionChapter(SQLModel, table=True):
    __tablename__ = "handbook_edition_chapter"

    edition_id: int = Field(foreign_key="handbook_edition.id", primary_key=True)
    chapter_id: int = Field(foreign_key="handbook_chapter.id", primary_key=True)
    position: int
    title: str = Field(max_length=200)
    slug: str = Field(max_length=100)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False))


class EditionSection(SQLModel, table=True):
    __tablename__ = "handbook_edition_section"

    edition_id: int = Field(foreign_key="handbook_edition.id", primary_key=True)
    section_id: int = Field(foreign_key="handbook_section.id", primary_key=True)
    revision_id: int = Field(foreign_key="handbook_revision.id")
    chapter_id: int = Field(foreign_key="handbook_chapter.id")
    position: int  # order in the whole edition


class SectionRead(SQLModel, table=True):
    __tablename__ = "handbook_read"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    section_id: int = Field(foreign_key="handbook_section.id", primary_key=True)
    read_at: datetime = Field(default_factory=utcnow)


class Acknowledgement(SQLModel, table=True):
    __tablename__ = "handbook_acknowledgement"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    edition_id: int = Field(foreign_key="handbook_edition.id", primary_key=True, index=True)
    acknowledged_at: datetime = Field(default_factory=utcnow)


ACK_SCOPES = ("all", "core")


class AcknowledgementRule(SQLModel, table=True):
    """What a first acknowledgement requires, set by admins (one row; none means "all"): every section of the
    edition opened ("all"), or only the sections marked `core`. After a material edition every section changed
    since the person's last acknowledgement must have been opened again, whatever the scope."""

    __tablename__ = "handbook_rule"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(default="all", max_length=10)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
