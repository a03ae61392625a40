"""The one image pipeline: every uploaded or checked image goes through `clean_image`.

The type comes from the content, never the name: Pillow decodes the bytes (JPEG, PNG or WebP only), refusing
decompression bombs and canvases larger than MAX_PIXELS before anything is decoded, and the pixels are re-encoded
into a new file. Nothing of the source but its pixels survives: EXIF (camera, owner, GPS location), XMP, ICC
profiles and comments (a JPEG COM segment can carry HTML or script) are dropped, and `CleanImage.removed` says
what was there. Decoding is bounded in memory: at most IMAGE_WORKERS images are decoded at once per process.
"""

import io
import threading
import warnings
from dataclasses import dataclass, field

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone photo; about 160 MB once decoded as RGBA
IMAGE_WORKERS = 2  # images decoded at the same time in one process (each may take MAX_PIXELS × 4 bytes)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_decoding = threading.BoundedSemaphore(IMAGE_WORKERS)
GPS_IFD = 0x8825
OWNER_TAGS = {0x013B: "Artist", 0xA430: "CameraOwnerName", 0x8298: "Copyright"}
DEVICE_TAGS = {0x010F: "Make", 0x0110: "Model", 0x0131: "Software"}


class NotAnImage(DomainError):
    """The bytes are not a JPEG, PNG or WebP image."""


@dataclass
class CleanImage:
    data: bytes
    kind: str  # JPEG, PNG or WEBP
    width: int
    height: int
    removed: list = field(default_factory=list)  # what the source carried and the copy does not (codes, see below)

    @property
    def mime(self):
        return FORMATS[self.kind][0]

    @property
    def extension(self):
        return FORMATS[self.kind][1]


def _metadata(image):
    """Codes of the metadata an opened image carries: gps, owner, device, exif, xmp, comment, icc."""
    found = []
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF is still EXIF that will be dropped
        exif = None
    if exif:
        try:
            if exif.get_ifd(GPS_IFD):
                found.append("gps")
        except Exception:  # noqa: BLE001, S110 - an unreadable GPS block is dropped like any other
            pass
        if any(tag in exif for tag in OWNER_TAGS):
            found.append("owner")
        if any(tag in exif for tag in DEVICE_TAGS):
            found.append("device")
        found.append("exif")
    info = image.info
    if "xmp" in info or "XML:com.adobe.xmp" in info:
        found.append("xmp")
    if "comment" in info or "Comment" in info:
        found.append("comment")
    if "icc_profile" in info:
        found.append("icc")
    return found


def clean_image(raw, max_bytes, max_side=None, field_name=None):
    """A re-encoded copy of an uploaded image (CleanImage); DomainError with a clear message otherwise.

    `max_side` scales larger images down (never up); `field_name` names the form field errors belong to.
    """
    if not raw:
        raise DomainError(_("Berkas kosong."), field=field_name)
    if len(raw) > max_bytes:
        raise DomainError(_("Gambar terlalu besar (paling besar %(mb)d MB).", mb=max(max_bytes // (1024 * 1024), 1)),
                          field=field_name)
    with _decoding:
        try:
            with warnings.catch_warnings():
                # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here a warning is a refusal.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(raw)) as probe:
                    kind = "JPEG" if probe.format == "MPO" else probe.format  # MPO: a phone's JPEG with extras
                    if kind not in FORMATS:
                        raise NotAnImage(_("Hanya gambar JPEG, PNG, atau WebP yang diterima."), field=field_name)
                    width, height = probe.size
                    if width * height > MAX_PIXELS:
                        raise DomainError(_("Resolusi gambar terlalu besar (%(w)d × %(h)d px). Perkecil "
                                            "gambar lalu unggah lagi.", w=width, h=height), field=field_name)
                    removed = _metadata(probe)
                    probe.load()
                    image = ImageOps.exif_transpose(probe)
                    if max_side and max(image.size) > max_side:
                        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                    mode = "RGBA" if kind in ("PNG", "WEBP") and image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
                    clean = image.convert(mode)
                    # convert() copies image.info; the encoders would write its COM comment and XMP back.
                    clean.info = {}
        except DomainError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DomainError(_("Resolusi gambar terlalu besar untuk diproses."), field=field_name) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise NotAnImage(_("Berkas ini bukan gambar yang valid (JPEG, PNG, atau WebP)."),
                             field=field_name) from None
        out = io.BytesIO()
        if kind == "JPEG":
            clean.save(out, "JPEG", quality=88, optimize=True)  # no exif= argument: metadata is not copied
        elif kind == "PNG":
            clean.save(out, "PNG", optimize=True)
        else:
            clean.save(out, "WEBP", quality=88)
    return CleanImage(out.getvalue(), kind, clean.width, clean.height, removed)


def render_variant(source_path, how, width, height):
    """JPEG bytes of a resized copy of a stored (already clean) image: "fit" keeps the whole picture inside the box,
    "cover" fills it and crops the centre. Transparent areas become white."""
    with _decoding, Image.open(source_path) as image:
        image.load()
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = image.convert("RGB")
        if how == "cover":
            result = ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
        else:
            result = image.copy()
            result.thumbnail((width, height), Image.Resampling.LANCZOS)  # never enlarges
        result.info = {}
        out = io.BytesIO()
        result.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()
