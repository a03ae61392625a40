"""portal/uploads.py: type from content, re-encoding without metadata, size and decompression-bomb limits, storage by
content hash, renditions, removal, serving."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from portal import uploads
from portal.errors import DomainError
from tests import factories

MB = 1024 * 1024


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def root(app):
    return Path(app.config["UPLOAD_DIR"])


def files(app):
    return sorted(str(p.relative_to(root(app))) for p in root(app).rglob("*") if p.is_file())


def png_declaring(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 32)) + chunk(b"IEND", b""))


def metadata_of(raw):
    with Image.open(io.BytesIO(raw)) as image:
        return dict(image.getexif()), dict(image.info)


@pytest.mark.parametrize("fmt, mime, extension", [("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png"),
                                                   ("WEBP", "image/webp", ".webp")])
def test_store_image_accepts_the_three_formats(ctx, fmt, mime, extension):
    stored = uploads.store_image(factories.image_bytes(size=(50, 40), fmt=fmt), "t", 20 * MB)
    assert (stored.mime, stored.width, stored.height) == (mime, 50, 40)
    assert stored.path == f"t/{stored.sha256[:2]}/{stored.sha256}{extension}"
    data = (root(ctx) / stored.path).read_bytes()
    assert stored.size == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == fmt


def test_jpeg_loses_exif_gps_comment_and_xmp(ctx):
    raw = factories.image_bytes(size=(80, 60), fmt="JPEG", exif=factories.gps_exif(), comment=b"<script>x</script>",
                                xmp=b'<x:xmpmeta><exif:GPSLatitude>6,10S</exif:GPSLatitude></x:xmpmeta>')
    exif, info = metadata_of(raw)
    assert ExifTags.Base.GPSInfo in exif and "comment" in info
    stored = uploads.store_image(raw, "t", 20 * MB)
    data = (root(ctx) / stored.path).read_bytes()
    exif, info = metadata_of(data)
    assert exif == {}
    assert not {"comment", "xmp", "exif"} & set(info)
    assert b"<script" not in data and b"GPSLatitude" not in data and b"KameraUji" not in data


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_lose_exif(ctx, fmt):
    raw = factories.image_bytes(fmt=fmt, exif=factories.gps_exif())
    assert metadata_of(raw)[0]
    data = (root(ctx) / uploads.store_image(raw, "t", 20 * MB).path).read_bytes()
    assert metadata_of(data)[0] == {}


def test_orientation_is_applied_before_the_exif_goes(ctx):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    stored = uploads.store_image(factories.image_bytes(size=(80, 40), fmt="JPEG", exif=exif), "t", 20 * MB)
    assert (stored.width, stored.height) == (40, 80)


def test_same_content_is_stored_once(ctx):
    raw = factories.image_bytes()
    first, second = uploads.store_image(raw, "t", MB), uploads.store_image(raw, "t", MB)
    assert first.path == second.path and len(files(ctx)) == 1


@pytest.mark.parametrize("raw, message", [
    (b"", "Berkas kosong"),
    (b"x" * (MB + 1), "terlalu besar (paling besar 1 MB)"),
    (factories.image_bytes(fmt="GIF"), "Hanya gambar JPEG, PNG, atau WebP"),
    (factories.image_bytes(fmt="BMP"), "Hanya gambar JPEG, PNG, atau WebP"),
    (b"%PDF-1.4\n%%EOF\n", "bukan gambar yang valid"),
    (b"GIF89a/*" + b"\0" * 10 + b"*/alert(1)//", "bukan gambar yang valid"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "bukan gambar yang valid"),
    (factories.image_bytes(fmt="PNG")[:60], "bukan gambar yang valid"),  # truncated
    (png_declaring(100_000, 100_000), "Resolusi gambar terlalu besar"),  # Pillow's own bomb error
    (png_declaring(9_000, 9_000), "Resolusi gambar terlalu besar"),  # above our limit, below Pillow's error
])
def test_store_image_refuses(ctx, raw, message):
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        uploads.store_image(raw, "t", MB)
    assert files(ctx) == []


def test_store_pdf_checks_the_signature(ctx):
    pdf = factories.pdf_bytes()
    stored = uploads.store_pdf(pdf, "p", MB)
    assert stored.mime == "application/pdf" and stored.path.endswith(".pdf")
    for bad in (factories.image_bytes(fmt="JPEG"), b"<html>%PDF-1.4 %%EOF", b"%PDF-1.4 no end", b""):
        with pytest.raises(DomainError):
            uploads.store_pdf(bad, "p", MB)
    with pytest.raises(DomainError, match="PDF terlalu besar"):
        uploads.store_pdf(b"%PDF-1.4" + b"0" * MB + b"%%EOF", "p", MB)
    assert files(ctx) == [stored.path]


def test_store_document_takes_a_pdf_or_an_image(ctx):
    assert uploads.store_document(factories.pdf_bytes(), "d", MB).mime == "application/pdf"
    assert uploads.store_document(factories.image_bytes(fmt="JPEG"), "d", MB).mime == "image/jpeg"
    with pytest.raises(DomainError, match="PDF atau gambar"):
        uploads.store_document(b"PK\x03\x04 a zip", "d", MB)
    with pytest.raises(DomainError, match="Resolusi"):
        uploads.store_document(png_declaring(9_000, 9_000), "d", MB)


def test_renditions(ctx):
    stored = uploads.store_image(factories.image_bytes(size=(2000, 1000), fmt="PNG", color=(1, 2, 3)), "t", 20 * MB)
    expected = {"thumb": (320, 160), "web": (1280, 640), "square": (1080, 1080), "landscape": (1200, 675)}
    for name, size in expected.items():
        relative = uploads.rendition(stored.path, name)
        assert relative == f"renditions/{stored.sha256[:2]}/{stored.sha256}-{name}.jpg"
        with Image.open(root(ctx) / relative) as image:
            assert (image.format, image.size) == ("JPEG", size)
            assert dict(image.getexif()) == {}
    small = uploads.store_image(factories.image_bytes(size=(100, 50)), "t", MB)
    with Image.open(root(ctx) / uploads.rendition(small.path, "web")) as image:
        assert image.size == (100, 50)  # never enlarged
    with pytest.raises(DomainError):
        uploads.rendition(stored.path, "huge")


def test_transparent_png_rendition_is_flattened_on_white(ctx):
    out = io.BytesIO()
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(out, "PNG")
    stored = uploads.store_image(out.getvalue(), "t", MB)
    with Image.open(root(ctx) / uploads.rendition(stored.path, "thumb")) as image:
        assert image.getpixel((5, 5)) == (255, 255, 255)


def test_remove_if_unused_takes_the_renditions_along(ctx):
    stored = uploads.store_image(factories.image_bytes(size=(400, 300)), "t", MB)
    uploads.rendition(stored.path, "thumb")
    uploads.rendition(stored.path, "square")
    uploads.remove_if_unused(stored.path, still_used=True)
    assert len(files(ctx)) == 3
    uploads.remove_if_unused(stored.path, still_used=False)
    assert files(ctx) == []
    uploads.remove_if_unused(stored.path, still_used=False)  # already gone: no error
    uploads.remove_if_unused(None, still_used=False)


def test_paths_cannot_leave_the_upload_folder(ctx):
    for bad in ("../secret_key", "/etc/passwd", "t/../../x"):
        with pytest.raises(DomainError):
            uploads.absolute(bad)


def test_send_stored_headers(ctx):
    stored = uploads.store_pdf(factories.pdf_bytes(), "p", MB)
    with ctx.test_request_context():
        inline = uploads.send_stored(stored.path, stored.mime, "pp-94-2021.pdf")
        attachment = uploads.send_stored(stored.path, stored.mime, "pp-94-2021.pdf", as_attachment=True)
    assert inline.headers["Content-Type"] == "application/pdf"
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    assert inline.headers["Content-Disposition"] == "inline; filename=pp-94-2021.pdf"
    assert attachment.headers["Content-Disposition"] == "attachment; filename=pp-94-2021.pdf"
    assert "private" in inline.headers["Cache-Control"]
    inline.close()
    attachment.close()
