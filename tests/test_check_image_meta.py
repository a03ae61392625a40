"""Image metadata for the pre-post checker (portal/check/image_meta.py), on images built here with Pillow."""

import io

import pytest
from PIL import Image, PngImagePlugin

from portal.check import inspect_image
from portal.check.image_meta import GPS_IFD, KINDS

MONAS = {1: "S", 2: (6.0, 10.0, 31.5), 3: "E", 4: (106.0, 49.0, 38.0), 6: 40.0}


def image_bytes(kind="JPEG", exif=None, pnginfo=None, size=(16, 12)):
    buf = io.BytesIO()
    options = {}
    if exif is not None:
        options["exif"] = exif
    if pnginfo is not None:
        options["pnginfo"] = pnginfo
    Image.new("RGB", size, (200, 30, 30)).save(buf, kind, **options)
    return buf.getvalue()


def phone_photo_exif(gps=MONAS):
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    exif[0x0110] = "SM-A546E"
    exif[0x0131] = "Snapseed 2.0"
    exif[0x0132] = "2025:08:17 07:30:00"
    exif[0x013B] = "Rina Prasetyo"
    exif[0x8298] = "(c) Rina"
    if gps is not None:
        exif[GPS_IFD] = gps
    return exif


def by_code(findings):
    return {f.code: f for f in findings}


def test_a_phone_photo_reports_gps_owner_device_software_and_date():
    found = by_code(inspect_image(image_bytes(exif=phone_photo_exif())))
    assert set(found) == {"gps", "owner", "device", "software", "date_taken"}
    assert found["gps"].value == "-6.175417, 106.827222"  # south and east: latitude negative
    assert found["gps"].severity == "tinggi" and found["gps"].section == "berbagi-lokasi-dan-jadwal"
    assert found["owner"].value == "Rina Prasetyo; (c) Rina"
    assert found["device"].value == "Samsung SM-A546E"
    assert found["software"].value == "Snapseed 2.0"
    assert found["date_taken"].value == "2025:08:17 07:30:00"
    assert "GPS" in str(found["gps"].label) and not found["gps"].is_error
    assert found["gps"].to_dict()["code"] == "gps"


def test_western_hemisphere_and_exif_ifd_fields():
    exif = phone_photo_exif(gps={1: "N", 2: (40.0, 41.0, 21.0), 3: "W", 4: (74.0, 2.0, 40.0)})
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = "2024:01:02 03:04:05"
    exif_ifd[0xA430] = "Budi"
    exif_ifd[0xA431] = "SN12345"
    found = by_code(inspect_image(image_bytes(exif=exif)))
    assert found["gps"].value == "40.689167, -74.044444"
    assert found["date_taken"].value == "2024:01:02 03:04:05"  # the original time wins over the file time
    assert "Budi" in found["owner"].value and "S/N SN12345" in found["device"].value


def test_gps_without_usable_coordinates_is_still_reported():
    found = by_code(inspect_image(image_bytes(exif=phone_photo_exif(gps={0: b"\x02\x03\x00\x00", 1: "N"}))))
    assert found["gps"].value == ""


def test_a_clean_image_has_no_findings():
    assert inspect_image(image_bytes()) == []
    assert inspect_image(image_bytes("PNG")) == []


def test_webp_and_png_metadata():
    assert "gps" in by_code(inspect_image(image_bytes("WEBP", exif=phone_photo_exif())))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Siti")
    info.add_text("Software", "GIMP 2.10")
    found = by_code(inspect_image(image_bytes("PNG", pnginfo=info)))
    assert found["owner"].value == "Siti" and found["software"].value == "GIMP 2.10"


def test_jpeg_comment_and_xmp_with_a_location():
    buf = io.BytesIO()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="6,10.5S" '
           b'exif:GPSLongitude="106,49.6E"/></rdf:RDF></x:xmpmeta>')
    Image.new("RGB", (8, 8)).save(buf, "JPEG", comment=b"<script>alert(1)</script>", xmp=xmp)
    found = by_code(inspect_image(buf.getvalue()))
    assert found["comment"].value == "<script>alert(1)</script>"  # reported as text; escaping is the view's job
    assert "xmp" in found and "gps" in found


def test_windows_author_field_in_utf16():
    exif = Image.Exif()
    exif[0x9C9D] = "Agus".encode("utf-16-le") + b"\x00\x00"
    assert by_code(inspect_image(image_bytes(exif=exif)))["owner"].value == "Agus"


@pytest.mark.parametrize("raw", [
    b"", b"not an image at all", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,
    b"\x00" * 1000,
])
def test_broken_files_give_a_clear_finding_and_never_raise(raw):
    [finding] = inspect_image(raw)
    assert finding.code == "unreadable" and finding.is_error
    assert "tidak dapat dibaca" in str(finding.label)


def test_a_truncated_photo_never_raises():
    raw = image_bytes(exif=phone_photo_exif())
    for cut in (10, 50, 120, len(raw) // 2):
        findings = inspect_image(raw[:cut])
        assert isinstance(findings, list)


def test_an_unsupported_type_is_named():
    [finding] = inspect_image(image_bytes("GIF"))
    assert finding.code == "unsupported" and finding.value == "GIF" and finding.is_error


def test_every_finding_kind_has_a_label_and_a_handbook_section():
    slugs = set()
    from pathlib import Path

    for line in (Path(__file__).resolve().parent.parent / "portal/demo/handbook/SLUGS.txt").read_text().splitlines():
        slugs.add(line.split("\t")[0])
    for code, kind in KINDS.items():
        assert kind.section in slugs and str(kind.label), code
