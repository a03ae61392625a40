"""Caption screening: the one place the content plan calls the pre-post checker (portal/check), plus the warnings
that need the toolkit (captions citing a revoked regulation) and the platforms' caption limits.

`screen_caption` runs on every save and its result is stored with the post as JSON (codes, severities, spans); the
reasons are looked up from portal.check.RULES when shown, so they appear in the reader's language.
"""

import json
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal.models import ToolkitItem, ToolkitRegulation

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
    pattern: re.Pattern


def _number_patterns(reg_type, number, year):
    """Ways a caption names a regulation: "PP 53/2010", "PP No. 53 Tahun 2010", "PP Nomor 53 Tahun 2010"."""
    kind = re.escape(reg_type)
    num = re.escape(number)
    return [rf"\b{kind}\s*(?:no\.?|nomor)?\s*{num}\s*(?:/|tahun|th\.?)\s*{year}\b"]


def revoked_regulations(session):
    """The toolkit's revoked regulations with a pattern that finds them in a caption (one query per request)."""
    rows = session.exec(select(ToolkitItem, ToolkitRegulation).join(
        ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id).where(
        ToolkitRegulation.legal_status == "dicabut")).all()
    found = []
    for item, regulation in rows:
        patterns = []
        if regulation.number and item.year:
            patterns += _number_patterns(regulation.reg_type, regulation.number, item.year)
        if regulation.short_name and len(regulation.short_name) >= 5:
            patterns.append(rf"\b{re.escape(regulation.short_name)}\b")
        if not patterns:
            continue
        label = regulation.short_name or f"{regulation.reg_type} {regulation.number or ''}/{item.year or ''}"
        found.append(RevokedRegulation(item.id, f"{label} — {item.title}",
                                       re.compile("|".join(patterns), re.IGNORECASE)))
    return found


def revoked_mentions(caption, revoked):
    return [reg for reg in revoked if reg.pattern.search(caption or "")]


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
