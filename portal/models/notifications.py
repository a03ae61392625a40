"""Notifications inside the portal, per-person e-mail settings, the e-mail outbox, and the checker's stored data
(admin-edited term lists, checks a person chose to save)."""

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow


class Notification(SQLModel, table=True):
    """One notice for one person, stored as a kind and its values (JSON) so it is worded in the reader's language
    when shown. `key` (when given) makes a notice unique per person: the same event or the same
    time-based reminder never reaches anyone twice."""

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON, shown per kind
    url: str = Field(default="", max_length=500)
    key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)


class NotificationSetting(SQLModel, table=True):
    """Whether a kind of notice also goes by e-mail to this person (no row: the kind's default)."""

    __tablename__ = "notification_setting"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=40, primary_key=True)
    email: bool = Field(default=False)


class EmailOutbox(SQLModel, table=True):
    """An e-mail waiting to be sent. Written in the same transaction as its notification (so it exists exactly when
    the notification was committed) and sent afterwards by `flask --app portal send-email` or the job worker."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_pending", "sent_at", "next_try_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    notification_id: int | None = Field(default=None, foreign_key="notification.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    next_try_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = Field(default=None)
    sent_at: datetime | None = Field(default=None)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)


class CheckTermList(SQLModel, table=True):
    """An admin's version of one of the checker's term lists (one term per line); replaces the default list."""

    __tablename__ = "check_term_list"

    name: str = Field(primary_key=True, max_length=60)
    terms: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class SavedCheck(SQLModel, table=True):
    """A check the person chose to keep (nothing else typed into the checker is stored)."""

    __tablename__ = "check_saved"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    codes: str = Field(default="", max_length=500)  # the flag codes raised, comma-separated
    severity: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
