"""Highlight flagged spans of a post: everything escaped, overlapping spans merged into one <mark>."""

from markupsafe import Markup, escape

from portal.check.model import CATEGORIES


def _segments(length, flags):
    """[(start, end, [flags])] of merged, non-overlapping marked stretches, in order."""
    spans = sorted((max(0, a), min(length, b), flag) for flag in flags for a, b in flag.spans if min(length, b) > a)
    merged = []
    for a, b, flag in spans:
        if merged and a < merged[-1][1]:
            start, end, members = merged[-1]
            merged[-1] = (start, max(end, b), members + [flag])
        else:
            merged.append((a, b, [flag]))
    return merged


def highlight(text, flags):
    """The text as Markup, with each flagged stretch in <mark class="flag flag-<category>" title="<reasons>">."""
    text = text or ""
    out = []
    last = 0
    for start, end, members in _segments(len(text), flags):
        categories = sorted({f.category for f in members}, key=CATEGORIES.index)
        reasons = []
        for flag in sorted(members, key=lambda f: -f.severity_rank):
            reason = str(flag.reason)
            if reason not in reasons:
                reasons.append(reason)
        classes = " ".join(["flag"] + [f"flag-{c}" for c in categories])
        out.append(escape(text[last:start]))
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(classes, " ".join(reasons),
                                                                           text[start:end]))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)
