"""The files the quiz's records name (for `flask fsck`)."""

from sqlmodel import select

from portal.models import QuestionVersion


def stored_files(session):
    names = session.exec(select(QuestionVersion.image).where(QuestionVersion.image.is_not(None)).distinct()).all()
    return {f"quiz/{name}": "quiz scenario image" for name in names}
