"""Certificates of every pillar and their public verification at /verify/<code>.

A pillar issues a certificate with `issue(...)` inside its own transaction (the quiz on a pass; workshops on
completion). The code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 59 bits of
chance, printed in groups of four and as a QR code that opens the public verification page. The page shows the
holder's name and unit, the title, the date and the validity — nothing more.
"""

import io
import re
import secrets

import segno
from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from portal import db
from portal.extensions import rate_limited
from portal.htmx import render
from portal.models import Certificate, utcnow
from portal.models.certificates import CERTIFICATE_KINDS
from portal.permissions import public

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
VERIFY_LIMIT = "300 per minute"  # generous: codes cannot be guessed; this only stops scraping


# --- services -----------------------------------------------------------------------------------------------------

def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value):
    """What a person typed or scanned -> the stored form: upper case, no spaces or dashes."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())[:40]


def format_code(code):
    """ABCD-EFGH-JKMN, easier to read aloud and to type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def issue(session, kind, holder_name, unit_name, title, valid_until=None, user_id=None, ref_id=None,
          issued_at=None):
    """A new certificate, added to the caller's transaction (the caller commits). Issuing again for the same
    (kind, ref_id) returns the existing one."""
    if kind not in CERTIFICATE_KINDS:
        raise ValueError(f"unknown certificate kind {kind!r}")
    if ref_id is not None:
        existing = session.exec(select(Certificate).where(Certificate.kind == kind,
                                                          Certificate.ref_id == ref_id)).first()
        if existing is not None:
            return existing
    code = new_code()
    while session.exec(select(Certificate.id).where(Certificate.code == code)).first() is not None:
        code = new_code()  # practically never: 31^12 codes
    certificate = Certificate(code=code, kind=kind, user_id=user_id, holder_name=holder_name[:200],
                              unit_name=(unit_name or "")[:200], title=title[:300], issued_at=issued_at or utcnow(),
                              valid_until=valid_until, ref_id=ref_id)
    session.add(certificate)
    session.flush()
    return certificate


def find_by_code(session, code):
    code = normalize_code(code)
    if len(code) != CODE_LENGTH:
        return None
    return session.exec(select(Certificate).where(Certificate.code == code)).first()


def find_for(session, kind, ref_id):
    return session.exec(select(Certificate).where(Certificate.kind == kind, Certificate.ref_id == ref_id)).first()


def is_valid(certificate, now=None):
    return certificate.valid_until is None or certificate.valid_until >= (now or utcnow())


def verify_url(code):
    """The absolute URL printed on a certificate and in its QR code."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    return base + url_for("certificates.verify", code=code)


def qr_svg(url):
    """A QR code as standalone SVG markup (no scripts, no styles)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2, dark="#1c2430", light="#ffffff",
                                    xmldecl=True, svgns=True, title=_("Kode QR verifikasi sertifikat"))
    return buffer.getvalue()


# --- the public verification pages --------------------------------------------------------------------------------

bp = Blueprint("certificates", __name__)


@bp.get("/")
@public
@rate_limited(VERIFY_LIMIT)
def lookup():
    """A form to type a code; submitting it (GET ?kode=) goes to the code's page."""
    typed = request.args.get("kode", "")
    if typed.strip():
        code = normalize_code(typed)
        if code:
            return redirect(url_for("certificates.verify", code=code))
    return render("certificates/verify.html", certificate=None, code=typed[:40], searched=bool(typed.strip()),
                  status=200)


@bp.get("/<code>")
@public
@rate_limited(VERIFY_LIMIT)
def verify(code):
    certificate = find_by_code(db.session(), code)
    if certificate is None:
        return render("certificates/verify.html", certificate=None, code=code[:40], searched=True, status=404)
    if code != certificate.code:
        return redirect(url_for("certificates.verify", code=certificate.code), code=301)
    return render("certificates/verify.html", certificate=certificate, valid=is_valid(certificate),
                  code=certificate.code, searched=True, display_code=format_code(certificate.code), status=200)


@bp.get("/<code>/qr.svg")
@public
@rate_limited(VERIFY_LIMIT)
def qr(code):
    certificate = find_by_code(db.session(), code)
    if certificate is None:
        abort(404)
    response = Response(qr_svg(verify_url(certificate.code)), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="sertifikat-{certificate.code}.svg"'
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


__all__ = ["bp", "find_by_code", "format_code", "issue", "is_valid", "qr_svg", "verify_url"]
