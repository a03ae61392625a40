"""Scenario images of quiz questions (e.g. a mock social media post).

The image is cleaned by the one pipeline (portal/images.py: type from content, bombs refused, re-encoded without
any metadata), at most 5 MB and scaled down to MAX_SIDE. The file is stored under its
content hash in UPLOAD_DIR/quiz/ (outside static/) and served by a permission-checked route.
"""

import hashlib
import re
from pathlib import Path

from flask import current_app

from portal import images

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2400  # larger images are scaled down when re-encoded
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
NAME_RE = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
MIMETYPES = {ext: mime for ext, mime in FORMATS.values()}


def image_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "quiz"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reencode(raw):
    """(bytes, extension) of a cleaned copy of an uploaded image (portal/images.py); DomainError otherwise."""
    clean = images.clean_image(raw, MAX_BYTES, max_side=MAX_SIDE, field_name="image")
    return clean.data, clean.extension.lstrip(".").replace("jpeg", "jpg")


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
