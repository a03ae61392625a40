"""Scenario images of quiz questions (e.g. a mock social media post).

The type comes from the content, never the name: Pillow decodes the upload (JPEG, PNG or WebP only, at most 5 MB,
refusing decompression bombs) and it is re-encoded, which drops EXIF and GPS data. The file is stored under its
content hash in UPLOAD_DIR/quiz/ (outside static/) and served by a permission-checked route.
"""

import hashlib
import io
import re
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # far more than any screenshot; a larger canvas is refused before decoding
MAX_SIDE = 2400  # larger images are scaled down when re-encoded
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
NAME_RE = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
MIMETYPES = {ext: mime for ext, mime in FORMATS.values()}


def image_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "quiz"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reencode(raw):
    """(bytes, extension) of a cleaned copy of an uploaded image; DomainError with a clear message otherwise."""
    if not raw:
        raise DomainError(_("Berkas gambar kosong."), field="image")
    if len(raw) > MAX_BYTES:
        raise DomainError(_("Gambar terlalu besar: paling besar 5 MB."), field="image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format
                width, height = probe.size
                if kind not in FORMATS:
                    raise DomainError(_("Gambar harus berformat JPEG, PNG, atau WebP."), field="image")
                if width * height > MAX_PIXELS:
                    raise DomainError(_("Ukuran gambar terlalu besar (%(w)d × %(h)d piksel). Perkecil gambar "
                                        "lalu unggah lagi.", w=width, h=height), field="image")
                probe.load()
                image = ImageOps.exif_transpose(probe)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(_("Gambar ditolak: ukurannya dalam piksel terlalu besar (kemungkinan “bom dekompresi”)."),
                          field="image") from None
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DomainError(_("Berkas ini bukan gambar yang dapat dibaca. Unggah gambar JPEG, PNG, atau WebP."),
                          field="image") from None
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=88)
    return out.getvalue(), FORMATS[kind][0]


def store(raw):
    """Clean and store an upload; returns its stored name "<sha256>.<ext>"."""
    data, ext = reencode(raw)
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    path = image_dir() / name
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return name


def path_of(name):
    """The stored file for a name, or None (names are checked, so nothing outside the folder can be reached)."""
    if not name or not NAME_RE.match(name):
        return None
    path = image_dir() / name
    return path if path.is_file() else None


def mimetype_of(name):
    return MIMETYPES[name.rsplit(".", 1)[1]]
