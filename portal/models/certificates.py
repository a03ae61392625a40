"""Certificates of every pillar (quiz passes now, workshop completion later), verifiable at /verify/<code>.

Holder name, unit and title are frozen when the certificate is issued: a later rename or transfer does not change
what was certified.
"""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.accounts import utcnow

CERTIFICATE_KINDS = ("quiz", "workshop")


class Certificate(SQLModel, table=True):
    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("kind", "ref_id", name="uq_certificate_kind_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    kind: str = Field(max_length=20)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # None for guests
    holder_name: str = Field(max_length=200)
    unit_name: str = Field(default="", max_length=200)
    title: str = Field(max_length=300)
    issued_at: datetime = Field(default_factory=utcnow)
    valid_until: datetime | None = Field(default=None)
    ref_id: int | None = Field(default=None)  # the quiz attempt, the workshop participant, ...
