"""Workshops (Pelatihan): workshops, their sessions, participants (employees or guests), attendance and materials.

Times are stored as aware UTC datetimes and shown in WIB (Asia/Jakarta). A participant is an employee (user_id) or
a guest without an account (name, institution, ...); a guest reaches their own page by a random personal code.
"""

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow

WORKSHOP_STATUSES = ("draft", "open", "closed", "finished")
PARTICIPANT_STATUSES = ("registered", "waitlisted", "cancelled")
ATTENDANCE_STATUSES = ("hadir", "terlambat", "izin", "sakit", "tidak_hadir")
PRESENT_STATUSES = ("hadir", "terlambat")


class Workshop(SQLModel, table=True):
    __tablename__ = "workshop"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    place: str = Field(default="", max_length=300)
    online_link: str = Field(default="", max_length=500)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)  # organising unit
    capacity: int | None = Field(default=None)  # None: no limit
    registration_opens_at: datetime | None = Field(default=None)
    registration_closes_at: datetime | None = Field(default=None)
    status: str = Field(default="draft", max_length=20, index=True)
    completion_percent: int = Field(default=80)  # present at >= this share of sessions
    require_post_test: bool = Field(default=False)
    pre_quiz_id: int | None = Field(default=None, foreign_key="quiz.id")
    post_quiz_id: int | None = Field(default=None, foreign_key="quiz.id")
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class WorkshopTrainer(SQLModel, table=True):
    __tablename__ = "workshop_trainer"

    workshop_id: int = Field(foreign_key="workshop.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


class WorkshopAudienceUnit(SQLModel, table=True):
    """The units (with their sub-units) a workshop is for; none means everyone."""

    __tablename__ = "workshop_audience_unit"

    workshop_id: int = Field(foreign_key="workshop.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class WorkshopMaterial(SQLModel, table=True):
    """A link to a handbook section (by slug) or a toolkit item (by id)."""

    __tablename__ = "workshop_material"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)  # handbook | toolkit
    ref: str = Field(max_length=200)
    position: int = Field(default=0)


class WorkshopSession(SQLModel, table=True):
    __tablename__ = "workshop_session"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    topic: str = Field(default="", max_length=300)


class WorkshopParticipant(SQLModel, table=True):
    __tablename__ = "workshop_participant"
    __table_args__ = (
        UniqueConstraint("workshop_id", "user_id", name="uq_workshop_participant_user"),
        Index("ix_workshop_participant_queue", "workshop_id", "status", "registered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # None: a guest
    name: str = Field(default="", max_length=200)  # guests (employees: the account's name)
    institution: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=200)  # jabatan
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    status: str = Field(default="registered", max_length=20)
    source: str = Field(default="self", max_length=20)  # self | trainer | import
    registered_at: datetime = Field(default_factory=utcnow)  # the waiting list is first come, first served
    promoted_at: datetime | None = Field(default=None)
    cancelled_at: datetime | None = Field(default=None)
    code: str = Field(max_length=32, unique=True, index=True)  # personal check-in / certificate link


class WorkshopAttendance(SQLModel, table=True):
    __tablename__ = "workshop_attendance"

    session_id: int = Field(foreign_key="workshop_session.id", primary_key=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="workshop_participant.id", primary_key=True, index=True,
                                ondelete="CASCADE")
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=300)
    method: str = Field(default="manual", max_length=20)  # manual | bulk | qr | code
    marked_by_id: int | None = Field(default=None, foreign_key="user.id")  # None: the participant checked in
    marked_at: datetime = Field(default_factory=utcnow)
