"""Caption screening: the one place the content plan calls the pre-post checker (portal/check), plus the warnings
that need the toolkit (captions citing a revoked regulation) and the platforms' caption limits.

`screen_caption` runs on every save and its result is stored with the post as JSON (codes, severities, spans); the
reasons are looked up from portal.check.RULES when shown, so they appear in the reader's language.
"""

import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import cache, generations
from portal.models import ToolkitItem, ToolkitRegulation
from portal.toolkit.facets import SUBJECT as TOOLKIT_SUBJECT

# Longest caption each platform accepts (characters); longer ones are warned about, never refused.
CAPTION_LIMITS = {"X": 280, "Threads": 500, "Instagram": 2200, "TikTok": 2200, "LinkedIn": 3000, "YouTube": 5000,
                  "Facebook": 5000, "Website": 5000}


def screen_caption(caption):
    """Flags of the pre-post checker for a caption, as plain JSON-able dicts."""
    if not (caption or "").strip():
        return []
    try:
        from portal.check import check_text
    except ImportError:  # the checker is another pillar's; the plan works without it
        return []
    result = check_text(caption)
    return [{"code": flag.code, "severity": flag.severity, "spans": [list(span) for span in flag.spans]}
            for flag in result.flags]


@dataclass(frozen=True)
class ShownFlag:
    code: str
    severity: str
    category: str
    reason: object
    section: str


def shown_flags(stored):
    """Stored flags with their (translated) reason and category, for the plan and the post's page."""
    try:
        raw = json.loads(stored or "[]")
    except ValueError:
        return []
    try:
        from portal.check.model import CATEGORY_LABELS, RULES
    except ImportError:
        return []
    shown = []
    for item in raw:
        rule = RULES.get(item.get("code"))
        if rule is None:
            continue
        shown.append(ShownFlag(item["code"], item.get("severity", rule.severity),
                               str(CATEGORY_LABELS.get(rule.category, rule.category)), rule.reason, rule.section))
    return shown


def caption_limit_warnings(caption, platforms):
    """[(platform, limit)] for each platform whose caption limit the text exceeds."""
    length = len(caption or "")
    return [(p, CAPTION_LIMITS[p]) for p in sorted(set(platforms))
            if p in CAPTION_LIMITS and length > CAPTION_LIMITS[p]]


@dataclass(frozen=True)
class RevokedRegulation:
    item_id: int
    label: str
    source: str  # the pattern that finds it in a caption, compiled on first use (`_compiled`)

    @property
    def pattern(self):
        return _compiled(self.source)


@functools.lru_cache(maxsize=8192)
def _compiled(source):
    # re's own cache holds 512 patterns; a toolkit has thousands of revoked regulations
    return re.compile(source, re.IGNORECASE)


def _number_patterns(reg_type, number, year):
    """Ways a caption names a regulation: "PP 53/2010", "PP No. 53 Tahun 2010", "PP Nomor 53 Tahun 2010"."""
    kind = re.escape(reg_type)
    num = re.escape(number)
    return [rf"\b{kind}\s*(?:no\.?|nomor)?\s*{num}\s*(?:/|tahun|th\.?)\s*{year}\b"]


_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class RevokedIndex:
    """The toolkit's revoked regulations, indexed by what a caption must contain for a pattern to match: the year
    as a whole run of digits (a number pattern ends "/ 2010", "tahun 2010", never after a digit) or the short name's
    first word as a whole word (`\\bUU ITE\\b` begins with the word "uu"). A caption is searched only with the
    patterns of the keys it contains: a few, not thousands."""

    regulations: tuple
    by_year: dict
    by_word: dict
    always: tuple  # short names that begin with a sign: searched in every caption

    def __len__(self):
        return len(self.regulations)

    def mentioned_in(self, caption):
        if not caption or not self.regulations:
            return []
        lowered = caption.lower()
        candidates = set(self.always)
        for year in set(_DIGITS.findall(caption)):
            candidates.update(self.by_year.get(year, ()))
        for word in set(_WORD.findall(lowered)):
            candidates.update(self.by_word.get(word, ()))
        return [reg for position, reg in sorted(candidates) if reg.pattern.search(caption)]


def revoked_index(rows):
    """A RevokedIndex of rows with id, year, title, reg_type, number and short_name, in their order."""
    regulations, by_year, by_word, always = [], defaultdict(list), defaultdict(list), []
    for row in rows:
        patterns, keys = [], []
        if row.number and row.year:
            patterns += _number_patterns(row.reg_type, row.number, row.year)
            keys.append((by_year, str(row.year)))
        if row.short_name and len(row.short_name) >= 5:
            patterns.append(rf"\b{re.escape(row.short_name)}\b")
            first = _WORD.match(row.short_name.lower())
            keys.append((by_word, first.group()) if first else (None, None))
        if not patterns:
            continue
        label = row.short_name or f"{row.reg_type} {row.number or ''}/{row.year or ''}"
        entry = (len(regulations), RevokedRegulation(row.id, f"{label} — {row.title}", "|".join(patterns)))
        regulations.append(entry[1])
        for index, key in keys:
            (index[key] if index is not None else always).append(entry)
    return RevokedIndex(tuple(regulations), dict(by_year), dict(by_word), tuple(always))


def revoked_regulations(session):
    """The toolkit's revoked regulations, indexed for captions (`RevokedIndex`). Kept per process under the
    toolkit's cache generation, which every toolkit write moves: a regulation revoked a moment ago is warned about
    at the next page. (On the benchmark's 100,000 items, 3,471 revoked: reading and compiling them took a week's
    plan 0.5 s a request.)"""
    def build():
        return revoked_index(session.exec(select(
            ToolkitItem.id, ToolkitItem.year, ToolkitItem.title, ToolkitRegulation.reg_type, ToolkitRegulation.number,
            ToolkitRegulation.short_name).join(
            ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id).where(
            ToolkitRegulation.legal_status == "dicabut").order_by(ToolkitItem.id)).all())

    return cache.remembered("content.revoked_regulations", generations.read(session, TOOLKIT_SUBJECT), 3600, build,
                            max_entries=4)


def revoked_mentions(caption, revoked):
    return revoked.mentioned_in(caption)


# Posting-time hints before a unit has evaluated posts of its own (WIB): common advice for Indonesian audiences.
DEFAULT_HINTS = {
    "Instagram": _l("11.00–13.00 dan 19.00–21.00 WIB (jam istirahat dan malam hari)"),
    "Facebook": _l("12.00–13.00 dan 19.00–20.00 WIB"),
    "X": _l("07.00–09.00 WIB (berita pagi) dan 12.00–13.00 WIB"),
    "YouTube": _l("16.00–19.00 WIB, menjelang jam santai"),
    "TikTok": _l("19.00–22.00 WIB"),
    "Threads": _l("12.00–13.00 dan 19.00–21.00 WIB"),
    "LinkedIn": _l("08.00–10.00 WIB pada hari kerja"),
    "Website": _l("pagi hari kerja, 08.00–10.00 WIB"),
}
