"""Uploaded files: checked by content (never by name); images cleaned by the one pipeline in portal/images.py
(re-encoded, metadata dropped), PDFs checked by signature; stored by content hash under UPLOAD_DIR (outside
static/), served only through permission-checked routes with `send_stored`.

Every pillar uses these functions; none writes upload files by itself.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from portal import images
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


def _root():
    return Path(current_app.config["UPLOAD_DIR"])


def _write(data, folder, extension):
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{folder}/{digest[:2]}/{digest}{extension}"
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


def store_pdf(raw, folder, max_bytes):
    if not raw:
        raise DomainError(_("Berkas kosong."))
    if len(raw) > max_bytes:
        raise DomainError(_("PDF terlalu besar (paling besar %(mb)d MB).", mb=max_bytes // (1024 * 1024)))
    if not raw.startswith(b"%PDF-") or b"%%EOF" not in raw[-2048:]:
        raise DomainError(_("Berkas ini bukan PDF yang valid."))
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
