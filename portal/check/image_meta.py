"""What an image's metadata gives away: GPS position, device, owner fields, software and the time it was taken.

`inspect_image(raw_bytes)` reads the EXIF block with Pillow (the main IFD, the Exif IFD 0x8769 and the GPS IFD
0x8825) without decoding the pixels, and returns a list of ImageFinding. It never raises: bytes that are not an image,
a truncated file or a broken EXIF block give one finding with code "unreadable" (or "unsupported" for an image type
other than those the image pipeline takes), so a view can show a clear message. The copy without metadata comes from
the one image pipeline (`portal.images.clean_image`, whose `removed` codes use the same names); this module only
reports, with the values found, so the employee sees what would have been published.
"""

import io
import warnings
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from PIL import Image

from portal.images import FORMATS, GPS_IFD

EXIF_IFD = 0x8769

# Main IFD (0th) tags
MAKE, MODEL, SOFTWARE, DATETIME, ARTIST, COPYRIGHT = 0x010F, 0x0110, 0x0131, 0x0132, 0x013B, 0x8298
XP_AUTHOR = 0x9C9D  # Windows "Authors", UTF-16
# Exif IFD tags
DATETIME_ORIGINAL, OWNER_NAME, BODY_SERIAL, LENS_MODEL = 0x9003, 0xA430, 0xA431, 0xA434
# GPS IFD tags
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_ALTITUDE = 1, 2, 3, 4, 6

SUPPORTED = set(FORMATS) | {"MPO"}  # MPO: how Pillow opens some phones' JPEG photos
MAX_BYTES = 30 * 1024 * 1024


@dataclass(frozen=True)
class FindingKind:
    severity: str
    section: str
    label: object  # lazy string


KINDS = {
    "gps": FindingKind("tinggi", "berbagi-lokasi-dan-jadwal", _l(
        "Foto menyimpan lokasi GPS tempat foto diambil. Siapa pun yang mengunduhnya dapat melihat lokasi itu, "
        "misalnya rumah Anda.")),
    "owner": FindingKind("sedang", "kewajiban-uu-pdp", _l(
        "Foto menyimpan nama pemilik, pembuat, atau hak cipta.")),
    "device": FindingKind("rendah", "berbagi-lokasi-dan-jadwal", _l(
        "Foto menyimpan merek, model, atau nomor seri perangkat.")),
    "software": FindingKind("rendah", "berbagi-lokasi-dan-jadwal", _l(
        "Foto menyimpan nama aplikasi yang menyuntingnya.")),
    "date_taken": FindingKind("rendah", "berbagi-lokasi-dan-jadwal", _l(
        "Foto menyimpan tanggal dan jam pengambilan.")),
    "xmp": FindingKind("rendah", "berbagi-lokasi-dan-jadwal", _l(
        "Foto menyimpan metadata XMP, yang dapat berisi lokasi, nama, atau riwayat suntingan.")),
    "comment": FindingKind("rendah", "berbagi-lokasi-dan-jadwal", _l(
        "Foto menyimpan komentar tersembunyi.")),
    "unreadable": FindingKind("sedang", "berbagi-lokasi-dan-jadwal", _l(
        "Berkas ini tidak dapat dibaca sebagai gambar, atau metadatanya rusak. Metadatanya tidak dapat diperiksa.")),
    "unsupported": FindingKind("rendah", "berbagi-lokasi-dan-jadwal", _l(
        "Jenis gambar ini tidak didukung; gunakan JPEG, PNG, atau WebP.")),
}


@dataclass(frozen=True)
class ImageFinding:
    code: str
    value: str = ""

    @property
    def severity(self):
        return KINDS[self.code].severity

    @property
    def section(self):
        return KINDS[self.code].section

    @property
    def label(self):
        return KINDS[self.code].label

    @property
    def is_error(self):
        return self.code in ("unreadable", "unsupported")

    def to_dict(self):
        return {"code": self.code, "severity": self.severity, "value": self.value, "label": str(self.label),
                "section": self.section}


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        for encoding in ("utf-16-le", "utf-8"):
            try:
                decoded = value.decode(encoding)
            except UnicodeDecodeError:
                continue
            if decoded.isprintable() or "\x00" in decoded:
                return decoded.replace("\x00", "").strip()
        return ""
    return str(value).replace("\x00", "").strip()


def _degrees(value, ref):
    """Decimal degrees from EXIF (degrees, minutes, seconds) rationals, or None."""
    try:
        d, m, s = (Fraction(float(x)).limit_denominator(1_000_000) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = float(d + m / 60 + s / 3600)
    if _text(ref).upper() in ("S", "W"):
        result = -result
    return round(result, 6)


def _gps(gps):
    lat = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF))
    lon = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF))
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        return f"{lat:.6f}, {lon:.6f}"
    return ""


def inspect_image(raw_bytes):
    """[ImageFinding] for the metadata in the image; never raises."""
    if not raw_bytes:
        return [ImageFinding("unreadable", "")]
    if len(raw_bytes) > MAX_BYTES:
        return [ImageFinding("unreadable", "")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(raw_bytes)) as image:
                if image.format not in SUPPORTED:
                    return [ImageFinding("unsupported", image.format or "")]
                return _findings(image)
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError, struct.error, ...)
        return [ImageFinding("unreadable", "")]


def _findings(image):
    exif = image.getexif()
    findings = []
    xmp = _text(image.info.get("xmp") or image.info.get("XML:com.adobe.xmp"))
    gps = exif.get_ifd(GPS_IFD)
    if gps:
        findings.append(ImageFinding("gps", _gps(gps)))
    elif "GPSLatitude" in xmp or "GPSLongitude" in xmp:
        findings.append(ImageFinding("gps", ""))
    sub = exif.get_ifd(EXIF_IFD)

    owners = [_text(exif.get(ARTIST)), _text(exif.get(COPYRIGHT)), _text(exif.get(XP_AUTHOR)),
              _text(sub.get(OWNER_NAME))]
    owners += [_text(image.info.get(key)) for key in ("Author", "Artist", "Copyright")]  # PNG text chunks
    owners = [o for o in owners if o]
    if owners:
        findings.append(ImageFinding("owner", "; ".join(dict.fromkeys(owners))))

    device = " ".join(x for x in (_text(exif.get(MAKE)), _text(exif.get(MODEL))) if x)
    serial = _text(sub.get(BODY_SERIAL))
    lens = _text(sub.get(LENS_MODEL))
    details = [x for x in (device, lens, f"S/N {serial}" if serial else "") if x]
    if details:
        findings.append(ImageFinding("device", "; ".join(details)))

    software = _text(exif.get(SOFTWARE)) or _text(image.info.get("Software"))
    if software:
        findings.append(ImageFinding("software", software))

    taken = _text(sub.get(DATETIME_ORIGINAL)) or _text(exif.get(DATETIME))
    if taken:
        findings.append(ImageFinding("date_taken", taken))
    if xmp:
        findings.append(ImageFinding("xmp", ""))
    comment = _text(image.info.get("comment") or image.info.get("Comment"))
    if comment:
        findings.append(ImageFinding("comment", comment[:200]))
    return findings
