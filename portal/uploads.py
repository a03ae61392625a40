"""Uploaded files: checked by content (never by name); images cleaned by the one pipeline in portal/images.py
(re-encoded, metadata dropped), PDFs checked by signature and for active content (portal/pdfs.py); stored by
content hash under UPLOAD_DIR (outside static/), served only through permission-checked routes with `send_stored`.

A use case that records a file in the database checks it first (`checked_image`, `checked_pdf`,
`checked_document`), then `place_after_commit`: the bytes go to `<final name>.part` at once and are renamed into
place only after the transaction commits (removed on rollback). A crash before the commit leaves only a `.part`
leftover, never a file without a record; `flask fsck --repair` removes such leftovers and finishes a rename that a
crash interrupted after the commit.

Every pillar uses these functions; none writes upload files by itself.
"""

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import event

from portal import images, pdfs
from portal.errors import DomainError

IMAGE_FORMATS = images.FORMATS
NotAnImage = images.NotAnImage


@dataclass
class Stored:
    sha256: str
    path: str  # relative to UPLOAD_DIR
    mime: str
    size: int
    width: int | None = None
    height: int | None = None


def remove_older_than(paths, max_age_seconds, now=None):
    """Delete the files among `paths` last written more than `max_age_seconds` ago (a file gone meanwhile is
    skipped); returns how many were removed. For kept work files: import previews, prepared exports."""
    now = now or time.time()
    removed = 0
    for path in paths:
        try:
            if now - path.stat().st_mtime > max_age_seconds:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _root():
    return Path(current_app.config["UPLOAD_DIR"])


@dataclass
class Pending:
    """A checked upload that is not written yet: where it will live and its bytes."""

    stored: Stored
    data: bytes


def _relative(data, folder, extension):
    digest = hashlib.sha256(data).hexdigest()
    return digest, f"{folder}/{digest[:2]}/{digest}{extension}"


def _write(data, folder, extension):
    digest, relative = _relative(data, folder, extension)
    target = _root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename: a crash never leaves a half-written file under the final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    return digest, relative


def store_image(raw, folder, max_bytes):
    """Validate and re-encode an uploaded image (portal/images.py); returns Stored. DomainError when refused."""
    clean = images.clean_image(raw, max_bytes)
    digest, relative = _write(clean.data, folder, clean.extension)
    return Stored(digest, relative, clean.mime, len(clean.data), clean.width, clean.height)


def _check_pdf(raw, max_bytes):
    if not raw:
        raise DomainError(_("Berkas kosong."))
    if len(raw) > max_bytes:
        raise DomainError(_("PDF terlalu besar (paling besar %(mb)d MB).", mb=max_bytes // (1024 * 1024)))
    if not raw.startswith(b"%PDF-") or b"%%EOF" not in raw[-2048:]:
        raise DomainError(_("Berkas ini bukan PDF yang valid."))
    pdfs.refuse_active_content(raw)


def store_pdf(raw, folder, max_bytes):
    _check_pdf(raw, max_bytes)
    digest, relative = _write(raw, folder, ".pdf")
    return Stored(digest, relative, "application/pdf", len(raw))


def store_document(raw, folder, max_bytes):
    """A PDF or an image (e.g. a signed consent form, scanned or photographed), told apart by content."""
    if raw and raw.startswith(b"%PDF-"):
        return store_pdf(raw, folder, max_bytes)
    try:
        return store_image(raw, folder, max_bytes)
    except NotAnImage:
        raise DomainError(_("Dokumen harus berupa PDF atau gambar (JPEG, PNG, atau WebP).")) from None


# --- checked now, written after the commit ----------------------------------------------------------------------------

def checked_image(raw, folder, max_bytes, field_name=None):
    """A re-encoded image (portal/images.py) ready for `place_after_commit`; DomainError when refused."""
    clean = images.clean_image(raw, max_bytes, field_name=field_name)
    digest, relative = _relative(clean.data, folder, clean.extension)
    return Pending(Stored(digest, relative, clean.mime, len(clean.data), clean.width, clean.height), clean.data)


def checked_pdf(raw, folder, max_bytes):
    """A PDF without JavaScript, automatic actions, launch actions or embedded files; DomainError otherwise."""
    _check_pdf(raw, max_bytes)
    digest, relative = _relative(raw, folder, ".pdf")
    return Pending(Stored(digest, relative, "application/pdf", len(raw)), raw)


def checked_document(raw, folder, max_bytes):
    """A PDF or an image (e.g. a signed consent form, scanned or photographed), told apart by content."""
    if raw and raw.startswith(b"%PDF-"):
        return checked_pdf(raw, folder, max_bytes)
    try:
        return checked_image(raw, folder, max_bytes)
    except NotAnImage:
        raise DomainError(_("Dokumen harus berupa PDF atau gambar (JPEG, PNG, atau WebP).")) from None


PENDING_KEY = "uploads_pending"


def part_name(relative):
    return f"{relative}.part"


def place_after_commit(db_session, pending, then=None):
    """Write `pending` to its `.part` name now and rename it into place once `db_session` commits (`then()` runs after
    the rename, e.g. renditions); on rollback the `.part` file is removed. A file already in place (the same content
    uploaded before) is not written again."""
    from portal import db

    relative = pending.stored.path
    target = absolute(relative)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(pending.data)
        os.replace(tmp, absolute(part_name(relative)))
        if not db_session.info.get("uploads_rollback_hook"):
            db_session.info["uploads_rollback_hook"] = True
            event.listen(db_session, "after_rollback", _remove_parts)
            event.listen(db_session, "after_commit", _forget_parts)
        db_session.info.setdefault(PENDING_KEY, []).append(relative)
    db.after_commit(db_session, finish_placing, relative)
    if then is not None:
        db.after_commit(db_session, then)


def finish_placing(relative):
    """Rename `<relative>.part` into place (idempotent: nothing to do when it is already there)."""
    part = absolute(part_name(relative))
    if part.exists():
        os.replace(part, absolute(relative))


def _forget_parts(db_session):
    db_session.info.pop(PENDING_KEY, None)


def _remove_parts(db_session):
    for relative in db_session.info.pop(PENDING_KEY, []):
        absolute(part_name(relative)).unlink(missing_ok=True)


# --- renditions: smaller or cropped versions of a stored image, made once and cached next to it ----------------------

# name -> (how, width, height): "fit" keeps the whole picture inside the box, "cover" fills it and crops the centre.
RENDITIONS = {
    "thumb": ("fit", 320, 320),
    "web": ("fit", 1280, 1280),
    "square": ("cover", 1080, 1080),
    "landscape": ("cover", 1200, 675),
}


def _rendition_relative(relative, name):
    digest = Path(relative).stem
    return f"renditions/{digest[:2]}/{digest}-{name}.jpg"


def rendition(relative, name):
    """The relative path of rendition `name` of the stored image `relative` (JPEG), made on first use.

    Made from the stored original, which was already re-encoded without metadata, and saved without any.
    """
    if name not in RENDITIONS:
        raise DomainError(_("Ukuran gambar tidak dikenal."))
    target_relative = _rendition_relative(relative, name)
    target = absolute(target_relative)
    if target.exists():
        return target_relative
    data = images.render_variant(absolute(relative), *RENDITIONS[name])
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    return target_relative


def existing_rendition(relative, name):
    """The relative path of rendition `name` when it has been made, else None (a viewer's request never makes one)."""
    if name not in RENDITIONS:
        return None
    target_relative = _rendition_relative(relative, name)
    return target_relative if absolute(target_relative).exists() else None


def make_renditions(relative):
    """Every rendition of a stored image that is not made yet (at upload, or by the job worker for large images)."""
    for name in RENDITIONS:
        rendition(relative, name)


def absolute(relative):
    path = (_root() / relative).resolve()
    if _root().resolve() not in path.parents:
        raise DomainError(_("Berkas tidak ditemukan."))
    return path


def remove_if_unused(relative, still_used):
    """Delete a stored file when no record refers to it any more (`still_used` is the caller's check)."""
    if relative and not still_used:
        absolute(relative).unlink(missing_ok=True)
        for name in RENDITIONS:  # cached renditions go with their original
            absolute(_rendition_relative(relative, name)).unlink(missing_ok=True)


def send_stored(relative, mime, download_name, as_attachment=False):
    """Serve a stored file (call only after the permission check)."""
    response = send_file(absolute(relative), mimetype=mime, as_attachment=as_attachment,
                         download_name=download_name, max_age=3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
