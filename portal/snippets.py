"""Snippets of search results: an escaped piece of a text around the first word that matches a query (stemmed, with
the other form of its abbreviations), matching words in <mark>."""

import html
import re
from functools import lru_cache

from markupsafe import Markup

from portal.search_language import ABBREVIATIONS, STOPWORDS, TOKEN_RE, TOKEN_START_RE, _phrases, query_terms, stem


@lru_cache(maxsize=512)
def highlight_terms(query):
    """The query's terms plus the other form of its abbreviations, so `medsos` marks "media sosial" and back. Kept per
    query: a result page highlights fifty titles and snippets for the same query."""
    terms = set(query_terms(query))
    for term in list(terms):
        if term in ABBREVIATIONS:
            terms.update(w for w in (stem(w) for w in ABBREVIATIONS[term].split()) if w not in STOPWORDS)
    for phrase, short in _phrases().items():
        if set(phrase) <= terms:
            terms.add(short)
    return frozenset(terms)


def highlight(value, query, max_length=260):
    """An escaped snippet of `value` around the first match, with matching words in <mark>."""
    terms = highlight_terms(query)
    value, cut_before, cut_after = value or "", False, False
    if len(value) > 6 * max_length:  # a long text (a handbook section): clean only the part around the first match
        raw_first = _first_match(value, terms)
        around = raw_first.start() if raw_first is not None else 0
        begin, finish = max(around - 2 * max_length, 0), around + 2 * max_length
        cut_before, cut_after = begin > 0, finish < len(value)
        value = value[begin:finish]
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", value)  # [text](url) -> text
    plain = re.sub(r"[*_`]+", "", plain)
    plain = re.sub(r"(^|\s)[#>|-]+|\|", " ", plain)
    plain = re.sub(r"\s+", " ", plain).strip()
    first = _first_match(plain, terms)
    if first is not None:
        start = max(first.start() - max_length // 3, 0)
        if start:
            start = plain.find(" ", start) + 1 or start
    else:
        start = 0
    end = min(start + max_length, len(plain))
    if end < len(plain):
        end = plain.rfind(" ", start, end) if plain.rfind(" ", start, end) > start else end
    piece = plain[start:end]
    out, last = [], 0
    for m in TOKEN_RE.finditer(piece):
        if _matches(m.group(0), terms):
            out.append(html.escape(piece[last:m.start()]))
            out.append(f"<mark>{html.escape(m.group(0))}</mark>")
            last = m.end()
    out.append(html.escape(piece[last:]))
    prefix = "… " if start > 0 or cut_before else ""
    suffix = " …" if end < len(plain) or cut_after else ""
    return Markup(prefix + "".join(out) + suffix)  # noqa: S704  # nosec B704  # every piece is escaped above


def _first_match(text, terms):
    """The first word of `text` that matches one of `terms` (a re.Match), or None. Only the places where a term
    without its first letter occurs are looked at (see `_matches`): a long section is not split into words."""
    parts = {t[1:] for t in terms}
    if not terms or "" in parts:  # a one-letter term: every word is a candidate
        return next((m for m in TOKEN_RE.finditer(text) if _matches(m.group(0), terms)), None)
    needle = re.compile("|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True)), re.IGNORECASE)
    position = 0
    for hit in needle.finditer(text):
        if hit.start() < position:
            continue
        start = hit.start() - len(TOKEN_START_RE.search(text, max(hit.start() - 100, 0), hit.start()).group(0))
        word = TOKEN_RE.match(text, start)
        if word is None:
            continue
        if _matches(word.group(0), terms):
            return word
        position = word.end()
    return None


def _matches(word, terms):
    word = word.lower()
    # Stemming strips affixes and at most recodes the stem's first letter (menulis -> tulis, mengirim -> kirim), so
    # a word can match a term only if it contains the term without its first letter: most words of a long text
    # are ruled out here, without stemming them.
    if not any(t[1:] in word for t in terms):
        return False
    stemmed = stem(word)
    if stemmed in terms or word in terms:
        return True
    return any(len(t) >= 3 and (word.startswith(t) or stemmed.startswith(t)) for t in terms)
