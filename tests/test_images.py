"""The one image pipeline (portal/images.py), used by the toolkit and the quiz alike."""

import io

import pytest
from PIL import Image

from portal import images
from portal.errors import DomainError
from portal.quiz import images as quiz_images
from tests import factories

MB = 1024 * 1024


def test_clean_image_drops_and_reports_metadata():
    raw = factories.image_bytes(size=(80, 40), fmt="JPEG", exif=factories.gps_exif(), comment=b"<script>x</script>")
    clean = images.clean_image(raw, MB)
    assert {"gps", "device", "exif", "comment"} <= set(clean.removed)
    assert (clean.kind, clean.width, clean.height, clean.mime) == ("JPEG", 80, 40, "image/jpeg")
    with Image.open(io.BytesIO(clean.data)) as copy:
        assert not copy.getexif() and "comment" not in copy.info
    assert b"<script>" not in clean.data


def test_a_clean_image_reports_nothing_removed():
    assert images.clean_image(factories.image_bytes(fmt="PNG"), MB).removed == []


def test_quiz_images_go_through_the_same_pipeline(app):
    """A JPEG comment (which can carry HTML or script) no longer survives a quiz image upload."""
    raw = factories.image_bytes(size=(3000, 1000), fmt="JPEG", comment=b"<script>alert(1)</script>")
    with app.app_context():
        name = quiz_images.store(raw)
        stored = quiz_images.path_of(name).read_bytes()
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as copy:
        assert copy.size == (2400, 800)  # scaled down to the quiz's largest side


def test_canvas_too_large_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (7740, 7740)).save(buffer, "PNG")  # tiny file, 60 megapixels
    with pytest.raises(DomainError, match="terlalu besar"):
        images.clean_image(buffer.getvalue(), MB)
