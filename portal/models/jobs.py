"""Background jobs: work longer than a second runs in the job worker; this row is what people see of it."""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    status: str = Field(default="queued", max_length=20, index=True)
    progress: int = Field(default=0)  # 0-100
    message: str = Field(default="", max_length=500)  # the failure reason, or what it is doing now
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    result: str | None = Field(default=None, sa_column=Column(Text))  # JSON, once done
    created_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None  # a running job older than this is taken over after a worker restart
    attempts: int = Field(default=0)
