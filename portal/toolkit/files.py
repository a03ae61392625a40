"""The files the toolkit's records name (for `flask fsck`)."""

from sqlmodel import select

from portal.models import ToolkitPhoto, ToolkitRegulation


def stored_files(session):
    files = {}
    for path, consent in session.exec(select(ToolkitPhoto.path, ToolkitPhoto.consent_path)).all():
        files[path] = "toolkit photo"
        if consent:
            files[consent] = "toolkit photo consent document"
    for path in session.exec(select(ToolkitRegulation.pdf_path).where(ToolkitRegulation.pdf_path.is_not(None))).all():
        files[path] = "toolkit regulation PDF"
    return files
