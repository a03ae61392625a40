"""The toolkit's files: photos, consent documents and regulation PDFs.

Uploads are checked before any row is written (portal.uploads: images re-encoded without metadata, PDFs refused
when they carry JavaScript, automatic or launch actions, or embedded files) and put in place only after the commit
(`uploads.place_after_commit`), so a failed or interrupted save leaves no file without a record. A photo's
renditions are made once: right after the commit for ordinary photos, by the job worker for large ones; a viewer's
request never makes one. `stored_files` lists every file the records name, for `flask fsck`.
"""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import jobs, uploads
from portal.errors import DomainError
from portal.models import ToolkitPhoto, ToolkitRegulation
from portal.toolkit.labels import regulation_short

MAX_FILE_BYTES = 20 * 1024 * 1024  # photos, consent documents and regulation PDFs
INLINE_RENDITION_PIXELS = 6_000_000  # larger photos get their renditions from the job worker
PHOTO_VARIANTS = ("asli", "thumb", "web", "square", "landscape")
RENDITION_VARIANTS = ("thumb", "web", "square", "landscape")
FILE_VARIANTS = PHOTO_VARIANTS + ("pdf",)
RENDITIONS_JOB = "toolkit.renditions"
KIND_FILES = {"photo": ("photo", "consent"), "regulation": ("pdf",)}


def stored_files(session):
    files = {}
    for path, consent in session.exec(select(ToolkitPhoto.path, ToolkitPhoto.consent_path)).all():
        files[path] = "toolkit photo"
        if consent:
            files[consent] = "toolkit photo consent document"
    for path in session.exec(select(ToolkitRegulation.pdf_path).where(ToolkitRegulation.pdf_path.is_not(None))).all():
        files[path] = "toolkit regulation PDF"
    return files


def file_in_use(session, relative):
    """True when any toolkit row still refers to the stored file (files are shared by content hash)."""
    if not relative:
        return False
    return any(session.exec(statement).first() is not None for statement in (
        select(ToolkitPhoto.item_id).where(ToolkitPhoto.path == relative),
        select(ToolkitPhoto.item_id).where(ToolkitPhoto.consent_path == relative),
        select(ToolkitRegulation.item_id).where(ToolkitRegulation.pdf_path == relative),
    ))


def _remove_unused(paths):
    from portal import db

    with db.unit_of_work(write=False) as session:
        for relative in paths:
            uploads.remove_if_unused(relative, file_in_use(session, relative))


def remove_after_commit(session, paths):
    """Files that rows no longer name are removed once the change is committed (when nothing else names them)."""
    from portal import db

    paths = [p for p in paths if p]
    if paths:
        db.after_commit(session, _remove_unused, paths)


def check_uploads(kind, files):
    """Check the uploaded files of an item of `kind` before anything is written: {"photo": (Pending, name),
    "consent": Pending, "pdf": Pending}. A DomainError names the form field of the refused file."""
    checked = {}
    try_field = {"photo": "photo", "consent": "consent_doc", "pdf": "pdf"}
    for key, check in (("photo", lambda raw: uploads.checked_image(raw, "toolkit/photos", MAX_FILE_BYTES)),
                       ("consent", lambda raw: uploads.checked_document(raw, "toolkit/consent", MAX_FILE_BYTES)),
                       ("pdf", lambda raw: uploads.checked_pdf(raw, "toolkit/regulations", MAX_FILE_BYTES))):
        if not files.get(key) or key not in KIND_FILES.get(kind, ()):
            continue
        raw = files[key][0] if key == "photo" else files[key]
        try:
            pending = check(raw)
        except DomainError as error:
            raise DomainError(error.message, field=try_field[key]) from None
        checked[key] = (pending, files[key][1]) if key == "photo" else pending
    return checked


def place_photo(session, actor, pending):
    """Put a new photo in place after the commit, with its renditions (inline, or by a job when it is large)."""
    stored = pending.stored
    large = (stored.width or 0) * (stored.height or 0) > INLINE_RENDITION_PIXELS
    uploads.place_after_commit(session, pending,
                               then=None if large else (lambda: uploads.make_renditions(stored.path)))
    if large and not all(uploads.existing_rendition(stored.path, name) for name in RENDITION_VARIANTS):
        jobs.enqueue(session, RENDITIONS_JOB, actor, path=stored.path)


@jobs.job(RENDITIONS_JOB, title=_l("Membuat ukuran foto"))
def _make_renditions(ctx, path):
    """Job: the renditions of a large photo (idempotent: made ones are kept)."""
    if not uploads.absolute(path).exists():
        uploads.finish_placing(path)  # the upload's own rename may not have run yet
    if not uploads.absolute(path).exists():
        return {"made": 0}
    uploads.make_renditions(path)
    return {"made": len(RENDITION_VARIANTS)}


# --- files of an item, for viewers --------------------------------------------------------------------------------

@dataclass
class ItemFile:
    path: str
    mime: str
    download_name: str
    inline_safe: bool = True  # may open in the browser; otherwise always sent as an attachment


def _slug(value, limit=60):
    slug = re.sub(r"[^a-z0-9]+", "-", (value or "").lower()).strip("-")
    return slug[:limit].strip("-") or "berkas"


def ready_renditions(photo):
    """The photo's renditions that have been made (the others are still being made by the job worker)."""
    if photo is None:
        return set()
    return {name for name in RENDITION_VARIANTS if uploads.existing_rendition(photo.path, name)}


def item_file(session, item, variant):
    """The stored file for `variant` of an item the viewer may see, or None. A rendition not made yet falls back to
    the original for viewing (no image work on a viewer's request)."""
    if variant not in FILE_VARIANTS:
        return None
    name = _slug(item.title)
    if item.kind == "photo" and variant in PHOTO_VARIANTS:
        photo = session.get(ToolkitPhoto, item.id)
        if photo is None:
            return None
        made = uploads.existing_rendition(photo.path, variant) if variant != "asli" else None
        if made:
            return ItemFile(made, "image/jpeg", f"{name}-{variant}.jpg")
        extension = photo.path.rsplit(".", 1)[-1]
        return ItemFile(photo.path, photo.mime, f"{name}.{extension}")
    if item.kind == "regulation" and variant == "pdf":
        regulation = session.get(ToolkitRegulation, item.id)
        if regulation is None or not regulation.pdf_path:
            return None
        return ItemFile(regulation.pdf_path, "application/pdf",
                        f"{_slug(regulation_short(regulation, item.year), 40)}-{name}.pdf",
                        inline_safe=bool(regulation.pdf_checked))
    return None


def consent_document(session, item):
    """The consent document of a photo (personal data: the loader checks who may read it); always an attachment."""
    photo = session.get(ToolkitPhoto, item.id) if item.kind == "photo" else None
    if photo is None or not photo.consent_path:
        return None
    extension = photo.consent_path.rsplit(".", 1)[-1]
    return ItemFile(photo.consent_path, photo.consent_mime, f"persetujuan-{_slug(item.title)}.{extension}",
                    inline_safe=False)
