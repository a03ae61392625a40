"""The one check for uploaded PDFs: no active content.

A PDF can carry JavaScript (`/JS`, `/JavaScript`), actions that run when it is opened or when a page is shown
(`/OpenAction`, `/AA`), launch actions that start a program (`/Launch`) and embedded files (`/EmbeddedFile(s)`,
file attachments). Viewers in browsers and on desktops run some of them. pypdf reads the document's object graph,
with compressed object streams and escaped names (`/J#61vaScript`) already decoded, and every dictionary reachable
from the trailer is walked (streams' dictionaries too, never their contents). The walk is bounded: a document
whose structure is too large to check is refused, as is one that cannot be read or is encrypted.
"""

import io
import logging

from flask_babel import gettext as _

from portal.errors import DomainError

log = logging.getLogger(__name__)
MAX_OBJECTS = 200_000  # dictionaries and arrays visited; a 500-page report has a few tens of thousands
ACTIVE_KEYS = {
    "/JS": "javascript", "/JavaScript": "javascript",
    "/OpenAction": "open_action", "/AA": "open_action",
    "/Launch": "launch",
    "/EmbeddedFile": "embedded_file", "/EmbeddedFiles": "embedded_file", "/RichMedia": "embedded_file",
}
ACTION_TYPES = {"/JavaScript": "javascript", "/Launch": "launch", "/ImportData": "launch",
                "/SubmitForm": "open_action", "/GoToE": "embedded_file"}
ANNOTATION_TYPES = {"/FileAttachment": "embedded_file", "/RichMedia": "embedded_file", "/Movie": "embedded_file"}


class _TooComplex(Exception):
    pass


def active_content(raw):
    """The kinds of active content in a PDF (a sorted list of codes: javascript, open_action, launch,
    embedded_file); ["unreadable"], ["encrypted"] or ["too_complex"] when it cannot be checked."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            return ["encrypted"]
        trailer = reader.trailer
    except (PdfReadError, ValueError, TypeError, KeyError, IndexError, OSError, RecursionError) as error:
        log.info("unreadable PDF refused: %s", error)
        return ["unreadable"]
    found, seen, stack, visited = set(), set(), [trailer], 0
    try:
        while stack:
            node = stack.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    node = node.get_object()
                except Exception:  # noqa: BLE001, S112 - a broken reference is skipped, as viewers do
                    continue
            visited += 1
            if visited > MAX_OBJECTS:
                raise _TooComplex
            if isinstance(node, DictionaryObject):
                for name, value in node.items():
                    if name in ACTIVE_KEYS:
                        found.add(ACTIVE_KEYS[name])
                    if name == "/S" and isinstance(value, NameObject) and value in ACTION_TYPES:
                        found.add(ACTION_TYPES[value])
                    if name == "/Subtype" and isinstance(value, NameObject) and value in ANNOTATION_TYPES:
                        found.add(ANNOTATION_TYPES[value])
                    if name != "/Parent":  # back-references up the page tree: already on the way down
                        stack.append(value)
            elif isinstance(node, ArrayObject):
                stack.extend(node)
    except _TooComplex:
        return ["too_complex"]
    except (PdfReadError, ValueError, TypeError, KeyError, IndexError, OSError, RecursionError) as error:
        log.info("unreadable PDF refused: %s", error)
        return ["unreadable"]
    return sorted(found)


def refuse_active_content(raw):
    """Raise a DomainError with a clear message when the PDF is not known to be free of active content."""
    found = active_content(raw)
    if not found:
        return
    if found == ["encrypted"]:
        raise DomainError(_("PDF ini terkunci dengan kata sandi sehingga isinya tidak dapat diperiksa. Unggah PDF "
                            "tanpa kata sandi."))
    if found == ["unreadable"]:
        raise DomainError(_("PDF ini rusak atau tidak dapat dibaca. Simpan ulang sebagai PDF lalu unggah lagi."))
    if found == ["too_complex"]:
        raise DomainError(_("Struktur PDF ini terlalu besar untuk diperiksa. Perkecil dokumennya lalu unggah lagi."))
    names = {"javascript": _("JavaScript"), "open_action": _("tindakan otomatis saat dibuka"),
             "launch": _("perintah menjalankan program"), "embedded_file": _("berkas sisipan")}
    raise DomainError(_("PDF ini memuat %(what)s, yang tidak diizinkan demi keamanan pembaca. Cetak ulang dokumen "
                        "sebagai PDF biasa (misalnya dengan “Cetak → Simpan sebagai PDF”) lalu unggah lagi.",
                        what=", ".join(str(names[code]) for code in found)))
