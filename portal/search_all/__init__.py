"""One search in the header: every pillar's own search, grouped, with typo tolerance from the index's vocabulary.

Each group comes from the pillar's existing search (handbook: `search_published`, toolkit: `search_items`, so
employees see only visible items) or, for the small tables without an index (quiz topics, workshops), the same
stemming applied in Python. A pillar added later contributes a group by giving its Pillar a `search` function
(`fn(session, user, q, limit) -> SearchGroup | None`, see portal/pillars.py), e.g. the content plan's posts.

Typo tolerance: a word whose stem the vocabulary does not know is corrected to a known word one deleted letter away
("netralitass", "hoakss", "unggahh") or else to the closest known word of similar length (difflib). When the query as
typed finds nothing, the corrected query is searched and the page says so ("Maksud Anda: ...?").
"""

import difflib
import itertools
import re
import time
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import search
from portal.permissions import can

GROUP_LIMIT = 5
VOCABULARY_SECONDS = 300
VOCABULARY_MAX_DOCS = 20_000  # titles of other kinds (toolkit) read for the vocabulary, newest first


@dataclass
class SearchResult:
    title: object
    url: str
    snippet: object = ""
    meta: str = ""
    meta_is_content: bool = False  # a handbook chapter title is Indonesian content; a toolkit kind is interface text


@dataclass
class SearchGroup:
    pillar: str
    label: object
    results: list = field(default_factory=list)
    total: int = 0
    more_url: str = ""  # the pillar's own search (or page) for this query


@dataclass
class Outcome:
    query: str
    groups: list = field(default_factory=list)
    suggestion: str = ""  # "Maksud Anda: ...?" when a word was corrected
    searched_instead: bool = False  # the groups are for the suggestion (the query as typed found nothing)

    @property
    def total(self):
        return sum(g.total for g in self.groups)


# --- providers (the pillars' own searches) ------------------------------------------------------------------------

def _handbook(session, user, q, limit):
    from portal.handbook import services as handbook

    if not can(user, "handbook.read"):
        return None
    results, total = handbook.search_published(session, q, limit=limit)
    return SearchGroup("handbook", _l("Pedoman"), [
        SearchResult(r["title_html"], url_for("handbook.section", slug=r["slug"]), r["snippet"], r["chapter"],
                     meta_is_content=True)
        for r in results], total, url_for("handbook.search", q=q))


def _toolkit(session, user, q, limit):
    from portal.toolkit import finder
    from portal.toolkit.labels import KIND_LABELS

    if not can(user, "toolkit.view"):
        return None
    found = finder.search_items(session, user, finder.SearchRequest(q=q, facets=False))
    if not found.searched:
        return SearchGroup("toolkit", _l("Perangkat Humas"), [], 0, url_for("toolkit.index", q=q))
    results = [SearchResult(r.title_html, url_for("toolkit.item", item_id=r.item.id), r.snippet,
                            str(KIND_LABELS.get(r.item.kind, r.item.kind)))
               for r in found.results[:limit]]
    return SearchGroup("toolkit", _l("Perangkat Humas"), results, found.total, url_for("toolkit.index", q=q))


def _stems(text):
    return {search.stem(t) for t in search.tokens(text)}


def _matches(stems, terms):
    """Every term is a stem of the text; the last may be a prefix (search as you type)."""
    *whole, last = terms
    return all(t in stems for t in whole) and (last in stems or (len(last) >= 3 and
                                                                 any(s.startswith(last) for s in stems)))


def _quiz_topics(session, user, q, limit):
    """Topic names and descriptions only: never questions or answers."""
    from portal.models import QuizTopic

    if not can(user, "quiz.take"):
        return None
    terms = search.query_terms(q)
    if not terms:
        return None
    topics = [t for t in session.exec(select(QuizTopic).order_by(QuizTopic.name)).all()
              if _matches(_stems(f"{t.name} {t.description}"), terms)]
    return SearchGroup("quiz", _l("Topik kuis"), [
        SearchResult(search.highlight(t.name, q, 200), url_for("quiz.index"), search.highlight(t.description, q))
        for t in topics[:limit]], len(topics), url_for("quiz.index"))


def _workshops(session, user, q, limit):
    from portal.workshops import pages as workshops

    if not can(user, "workshop.view"):
        return None
    terms = search.query_terms(q)
    if not terms:
        return None
    found = [w for w, _mine in workshops.visible_workshops(session, user)
             if _matches(_stems(f"{w.title} {getattr(w, 'description', '')} {getattr(w, 'location', '')}"), terms)]
    return SearchGroup("workshops", _l("Pelatihan"), [
        SearchResult(search.highlight(w.title, q, 200), url_for("workshops.detail", workshop_id=w.id),
                     search.highlight(getattr(w, "description", "") or "", q))
        for w in found[:limit]], len(found), url_for("workshops.index"))


PROVIDERS = {"handbook": _handbook, "toolkit": _toolkit, "quiz": _quiz_topics, "workshops": _workshops}


def providers():
    """(name, fn) in the pillars' navigation order: the built-in ones above, then each pillar's own `search`."""
    out = []
    for pillar in current_app.extensions["pillars"]:
        fn = PROVIDERS.get(pillar.name) or getattr(pillar, "search", None)
        if fn is not None:
            out.append((pillar.name, fn))
    return out


def _run(session, user, q, limit):
    groups = []
    for _name, fn in providers():
        group = fn(session, user, q, limit)
        if group is not None:
            groups.append(group)
    return groups


# --- typo tolerance -----------------------------------------------------------------------------------------------

def vocabulary(session):
    """Stems the index knows (handbook text, titles of the other kinds, quiz topics, workshops), cached a while."""
    cache = current_app.extensions.setdefault("search_vocabulary", {})
    entry = cache.get("words")
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    from portal.models import QuizTopic, SearchDocument, Workshop

    words = set()
    for title_terms, body_terms in session.exec(select(SearchDocument.title_terms, SearchDocument.body_terms)
                                                .where(SearchDocument.kind == "handbook")).all():
        words.update(f"{title_terms} {body_terms}".split())
    for (title_terms,) in session.execute(select(SearchDocument.title_terms)
                                          .where(SearchDocument.kind != "handbook")
                                          .order_by(SearchDocument.id.desc()).limit(VOCABULARY_MAX_DOCS)).all():
        words.update(title_terms.split())
    for name, description in session.exec(select(QuizTopic.name, QuizTopic.description)).all():
        words.update(_stems(f"{name} {description}"))
    for (title,) in session.execute(select(Workshop.title).where(Workshop.status != "draft")).all():
        words.update(_stems(title))
    words = frozenset(w for w in words if len(w) >= 3 and not w.isdigit())
    by_initial = {k: tuple(g) for k, g in itertools.groupby(sorted(words), key=lambda w: w[0])}
    cache["words"] = (time.monotonic() + VOCABULARY_SECONDS, (words, by_initial))
    return words, by_initial


def forget_vocabulary():
    current_app.extensions.get("search_vocabulary", {}).clear()


def correct_word(word, words, by_initial):
    """A known word for `word` (None when it is known already or nothing is close)."""
    if len(word) < 4 or word.isdigit() or search.stem(word) in words or word in words:
        return None
    for i in range(len(word)):  # one letter too many: "hoakss", "unggahh", "netralitass"
        candidate = word[:i] + word[i + 1:]
        if search.stem(candidate) in words:
            return candidate
    stemmed = search.stem(word)
    pool = [w for w in by_initial.get(stemmed[0], ()) if abs(len(w) - len(stemmed)) <= 2]
    close = difflib.get_close_matches(stemmed, pool, n=1, cutoff=0.8)
    return close[0] if close else None


def suggest(session, q):
    """The query with unknown words corrected, or "" when nothing changes."""
    words, by_initial = vocabulary(session)
    changed = False

    def replace(match):
        nonlocal changed
        word = match.group(0)
        lower = word.lower()
        if lower in search.STOPWORDS:
            return word
        fixed = correct_word(lower, words, by_initial)
        if fixed:
            changed = True
            return fixed
        return word

    corrected = re.sub(search.TOKEN_RE, replace, q)
    return corrected if changed else ""


# --- the one entry point ------------------------------------------------------------------------------------------

def search_everything(session, user, q, limit=GROUP_LIMIT):
    q = (q or "").strip()[:200]
    outcome = Outcome(query=q)
    if not search.query_terms(q):
        return outcome
    outcome.groups = _run(session, user, q, limit)
    suggestion = suggest(session, q)
    if suggestion and suggestion.lower() != q.lower():
        outcome.suggestion = suggestion
        if outcome.total == 0:
            outcome.groups = _run(session, user, suggestion, limit)
            outcome.searched_instead = outcome.total > 0
    return outcome

