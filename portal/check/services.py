"""The checker's use cases: check a draft (with the admins' term lists), save a check on request, edit term lists.

Nothing typed or uploaded is stored by `run_check`; only `save_check` writes, and only when the person asks.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import audit
from portal.check import defaults
from portal.check.highlight import highlight
from portal.check.image_meta import inspect_image
from portal.check.model import CATEGORY_LABELS, SEVERITY_RANK
from portal.check.rules import MAX_CHARS, check_text
from portal.errors import DomainError
from portal.models import CheckTermList, SavedCheck, utcnow

MAX_TERMS = 3000  # per list
MAX_TERM_CHARS = 120
SAVED_SHOWN = 10


@dataclass
class CheckView:
    """What the /check/ page shows for one draft: flags by category, the highlighted text, image findings."""

    text: str
    result: object = None
    image_findings: list = field(default_factory=list)
    image_name: str = ""

    @property
    def checked(self):
        return self.result is not None

    @property
    def highlighted(self):
        return highlight(self.text, self.result.flags) if self.result is not None else ""

    @property
    def groups(self):
        """[(category label, [flags])], most severe first within a category."""
        if self.result is None:
            return []
        return [(CATEGORY_LABELS[category], sorted(flags, key=lambda f: -f.severity_rank))
                for category, flags in self.result.by_category().items()]

    @property
    def image_problems(self):
        return [f for f in self.image_findings if not f.is_error]

    @property
    def image_error(self):
        return next((f for f in self.image_findings if f.is_error), None)

    @property
    def severity(self):
        ranks = [SEVERITY_RANK[f.severity] for f in (self.result.flags if self.result else [])]
        ranks += [SEVERITY_RANK[f.severity] for f in self.image_problems]
        if not ranks:
            return None
        return {v: k for k, v in SEVERITY_RANK.items()}[max(ranks)]


def term_overrides(session):
    """{list name: [terms]} for the lists admins have edited (the others keep their defaults)."""
    rows = session.exec(select(CheckTermList)).all()
    return {row.name: [t for t in row.terms.splitlines() if t.strip()] for row in rows
            if row.name in defaults.DEFAULT_TERMS}


def check_caption(session, text):
    """The one checker with the current term lists: what the content plan calls on captions."""
    return check_text(text, term_overrides(session))


def run_check(session, text, image_bytes=None, image_name=""):
    """Check a draft (and optionally an image's metadata). Reads only."""
    view = CheckView(text=text or "")
    if view.text.strip():
        view.result = check_caption(session, view.text)
    if image_bytes is not None:
        view.image_findings = inspect_image(image_bytes)
        view.image_name = image_name
        if view.result is None:
            view.result = check_caption(session, "")
    return view


def save_check(session, user, text):
    """Keep a check at the person's request: the text and the codes raised (re-checked on display)."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Tulis dulu teks yang ingin diperiksa dan disimpan."), field="text")
    if len(text) > MAX_CHARS:
        raise DomainError(_("Teks terlalu panjang (paling banyak %(n)d karakter).", n=MAX_CHARS), field="text")
    result = check_caption(session, text)
    saved = SavedCheck(user_id=user.id, text=text, codes=",".join(sorted(result.codes()))[:500],
                       severity=result.severity)
    session.add(saved)
    session.flush()
    return saved


def saved_checks(session, user, limit=SAVED_SHOWN):
    return session.exec(select(SavedCheck).where(SavedCheck.user_id == user.id)
                        .order_by(SavedCheck.created_at.desc(), SavedCheck.id.desc()).limit(limit)).all()


def delete_saved(session, saved):
    session.delete(saved)
    session.flush()


# --- term lists (admins) ------------------------------------------------------------------------------------------

@dataclass
class TermListRow:
    name: str
    description: str
    count: int
    edited: bool
    updated_at: object = None


def term_lists(session):
    edited = {row.name: row for row in session.exec(select(CheckTermList)).all()}
    rows = []
    for name, default in defaults.DEFAULT_TERMS.items():
        row = edited.get(name)
        terms = [t for t in row.terms.splitlines() if t.strip()] if row else default
        rows.append(TermListRow(name, defaults.LIST_DESCRIPTIONS.get(name, ""), len(terms), row is not None,
                                row.updated_at if row else None))
    return rows


def term_list(session, name):
    """(terms, edited) of one list; DomainError for an unknown name."""
    if name not in defaults.DEFAULT_TERMS:
        raise DomainError(_("Daftar istilah tidak dikenal."))
    row = session.get(CheckTermList, name)
    if row is None:
        return list(defaults.DEFAULT_TERMS[name]), False
    return [t for t in row.terms.splitlines() if t.strip()], True


def clean_terms(raw):
    """One term per line: trimmed, blank lines and repeats dropped (case-insensitively), length-checked."""
    terms, seen = [], set()
    for number, line in enumerate((raw or "").splitlines(), start=1):
        term = " ".join(line.split())
        if not term:
            continue
        if len(term) > MAX_TERM_CHARS:
            raise DomainError(_("Baris %(n)d terlalu panjang (paling banyak %(max)d karakter).", n=number,
                                max=MAX_TERM_CHARS), field="terms")
        if term.lower() not in seen:
            seen.add(term.lower())
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise DomainError(_("Terlalu banyak istilah (paling banyak %(max)d).", max=MAX_TERMS), field="terms")
    return terms


def save_term_list(session, actor, name, raw):
    before, _edited = term_list(session, name)
    terms = clean_terms(raw)
    row = session.get(CheckTermList, name) or CheckTermList(name=name, terms="")
    row.terms = "\n".join(terms)
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    session.add(row)
    added = sorted(set(terms) - set(before))
    removed = sorted(set(before) - set(terms))
    audit.record(session, actor, "check.terms_update", "check_term_list", name,
                 summary=f"{name}: +{len(added)} -{len(removed)}",
                 before={"added": [], "removed": removed[:50]}, after={"added": added[:50], "count": len(terms)})
    session.flush()
    return terms


def reset_term_list(session, actor, name):
    before, edited = term_list(session, name)
    if not edited:
        return
    session.delete(session.get(CheckTermList, name))
    audit.record(session, actor, "check.terms_reset", "check_term_list", name,
                 summary=f"{name}: kembali ke bawaan", before={"count": len(before)},
                 after={"count": len(defaults.DEFAULT_TERMS[name])})
    session.flush()


def dashboard_cards(_session, _user):
    from flask import url_for

    return [{"title": _("Cek sebelum unggah"),
             "body": _("Saring sebelum sharing: periksa draf unggahan dan foto Anda dari data pribadi, rahasia "
                       "jabatan, netralitas, SARA, dan tanda hoaks."),
             "url": url_for("check.index"), "action": _("Periksa draf"), "progress": None, "tone": "info"}]


SEVERITY_BADGES = {"tinggi": "bad", "sedang": "warn", "rendah": "info"}
NOTHING_STORED = _l("Teks dan gambar yang Anda periksa tidak disimpan, kecuali Anda memilih “Simpan hasil”.")
