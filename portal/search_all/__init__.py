"""One search in the header: every pillar's results grouped, with typo tolerance from the index's vocabulary.

Each group is one full-text statement of the pillar's (`header_matches`: handbook sections of the published edition,
toolkit items the user may see, workshops the user may see, quiz topics by name and description; the content plan's
posts the user may see, from the content pillar's own `search`, portal/content/post_search.py), built on
`portal.search.top`: the engine walks its matches in index order, checks each against the pillar's visibility
through indexes, stops after a window of visible matches, ranks only those and cuts them to the group's size; the
count stops at COUNT_CAP ("lebih dari 50"). Nothing is loaded into Python to be filtered, so a search costs the same
at 100 and at 100,000 toolkit items. A pillar added later contributes a group by giving its Pillar a `search`
function (`fn(session, user, q, limit) -> SearchGroup | None`, see portal/pillars.py), as the content pillar does.

Kept groups (`kept_group`): a group is the same for everyone who shares what decides it, so each provider reads that
scope in the request's transaction and keeps the group per process under it with the query as typed: the published
edition (handbook); the toolkit's generation, the viewer's editing scope and the day; the quiz topics' generation;
the workshops' generation, the person's unit path and their participations outside the audience; the content
posts' generation and the person's planning scope. Every write that changes a group moves its generation in the
write's own transaction, so no process answers from before a committed write.

Typo tolerance: a word the vocabulary (portal.search's SearchTerm: the stemmed words of the index) does not know is
corrected to a known word one edit away: a letter too many ("netralitass", "hoakss", "unggahh"), two letters swapped
("netralitsa"), one wrong or one missing. The candidates are looked up by primary key, a few hundred at most. When
the query as typed finds nothing, the corrected query is searched and the page says so ("Maksud Anda: ...?").
"""

import re
import string
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal import cache, search, snippets
from portal.permissions import can

GROUP_LIMIT = 5
LETTERS = string.ascii_lowercase


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
    more: bool = False  # more than `total` match (the count stopped at search.COUNT_CAP)


@dataclass
class Outcome:
    query: str
    groups: list = field(default_factory=list)
    suggestion: str = ""  # "Maksud Anda: ...?" when a word was corrected
    searched_instead: bool = False  # the groups are for the suggestion (the query as typed found nothing)

    @property
    def total(self):
        return sum(g.total for g in self.groups)

    @property
    def more(self):
        return any(g.more for g in self.groups)


# --- providers (one statement each, in the pillar's own service) ----------------------------------------------------

def kept_group(name, scope, q, limit, build):
    """A group that is the same for everyone who shares `scope` (what decides what they may see, read in this
    request's transaction: a cache generation or the published edition, so a committed write is never answered from
    before it), kept per process for SEARCH_RESULTS_CACHE_SECONDS under (name, scope, the query as typed, the
    locale)."""
    return cache.remembered("header_search", (name, scope, q, limit, str(get_locale())),
                            current_app.config["SEARCH_RESULTS_CACHE_SECONDS"], build, max_entries=1024)


def _handbook(session, user, q, limit):
    from portal.handbook import publishing
    from portal.handbook.editions import latest_edition

    if not can(user, "handbook.read"):
        return None
    edition = latest_edition(session)  # published sections only, the same for every reader

    def build():
        found, rows = publishing.header_matches(session, q, limit=limit, edition=edition)
        return SearchGroup("handbook", _l("Pedoman"), [
            SearchResult(r["title_html"], url_for("handbook.section", slug=r["slug"]), r["snippet"], r["chapter"],
                         meta_is_content=True)
            for r in rows], found.total, url_for("handbook.search", q=q), found.more)

    return kept_group("handbook", publishing.search_scope(session, edition) if edition else None, q, limit, build)


def _toolkit(session, user, q, limit):
    from portal.toolkit import finder
    from portal.toolkit.labels import KIND_LABELS

    if not can(user, "toolkit.view"):
        return None

    def build():
        found, rows = finder.header_matches(session, user, q, limit=limit)
        return SearchGroup("toolkit", _l("Perangkat Humas"), [
            SearchResult(title, url_for("toolkit.item", item_id=item_id), snippet, str(KIND_LABELS.get(kind, kind)))
            for item_id, kind, title, snippet in rows], found.total, url_for("toolkit.index", q=q), found.more)

    return kept_group("toolkit", finder.header_scope(session, user), q, limit, build)


def _quiz_topics(session, user, q, limit):
    """Topic names and descriptions only: never questions or answers."""
    from portal.quiz import topics

    if not can(user, "quiz.take"):
        return None

    def build():
        found = topics.header_matches(session, q, limit=limit)
        return SearchGroup("quiz", _l("Topik kuis"), [
            SearchResult(snippets.highlight(hit.title, q, 200), url_for("quiz.index"),
                         snippets.highlight(hit.body, q))
            for hit in found.hits], found.total, url_for("quiz.index"), found.more)

    return kept_group("quiz", topics.generation(session), q, limit, build)


def _workshops(session, user, q, limit):
    from portal.workshops import pages as workshops

    if not can(user, "workshop.view"):
        return None

    def build():
        found = workshops.header_matches(session, user, q, limit=limit)
        return SearchGroup("workshops", _l("Pelatihan"), [
            SearchResult(snippets.highlight(hit.title, q, 200), url_for("workshops.detail", workshop_id=hit.ref_id),
                         snippets.highlight(hit.body, q))
            for hit in found.hits], found.total, url_for("workshops.index"), found.more)

    return kept_group("workshops", workshops.header_scope(session, user), q, limit, build)


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

def _edits(word):
    """Words one edit from `word`, the likeliest kinds of typo first: a letter too many, two letters swapped, one
    wrong letter, one missing."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1 and b[0] != b[1]]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS if c != b[0]]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return list(dict.fromkeys([*deletes, *swaps, *replaces, *inserts]))


def correct_words(session, words):
    """{word: correction} for the words of `words` that the vocabulary does not know and that are one edit away
    from a word it knows. Two lookups by primary key in all: the words as typed (and stemmed), then the candidates."""
    words = [w for w in dict.fromkeys(words) if len(w) >= 4 and not w.isdigit() and w.isalpha()]
    if not words:
        return {}
    known = search.known_terms(session, {form for w in words for form in (w, search.stem(w))})
    unknown = [w for w in words if w not in known and search.stem(w) not in known]
    if not unknown:
        return {}
    candidates = {w: _edits(w) for w in unknown[:4]}
    # A letter too many in an affixed word ("mengunggahh"): the stem of the shortened word is what the index holds.
    stems = {w: {c: search.stem(c) for c in candidates[w][:len(w)]} for w in candidates}
    known = search.known_terms(session, {c for w in candidates for c in candidates[w]}
                               | {s for w in stems for s in stems[w].values()})
    corrections = {}
    for word, options in candidates.items():
        for candidate in options:
            if candidate in known or stems[word].get(candidate) in known:
                corrections[word] = candidate
                break
    return corrections


def suggest(session, q):
    """The query with unknown words corrected, or "" when nothing changes."""
    words = [w for w in search.tokens(q) if w not in search.STOPWORDS][:search.MAX_QUERY_TERMS]
    corrections = correct_words(session, words)
    if not corrections:
        return ""
    return re.sub(search.TOKEN_RE, lambda m: corrections.get(m.group(0).lower(), m.group(0)), q)


# --- the one entry point ------------------------------------------------------------------------------------------

def search_everything(session, user, q, limit=GROUP_LIMIT):
    q = (q or "").strip()[:200]
    outcome = Outcome(query=q)
    if not search.query_terms(q):
        return outcome
    outcome.groups = _run(session, user, q, limit)
    # The vocabulary only grows: a kept correction is at most the cache's time behind the words indexed since.
    suggestion = cache.remembered("search_suggestions", q, current_app.config["SEARCH_RESULTS_CACHE_SECONDS"],
                                  lambda: suggest(session, q), max_entries=1024)
    if suggestion and suggestion.lower() != q.lower():
        if outcome.total:
            outcome.suggestion = suggestion
            return outcome
        groups = _run(session, user, suggestion, limit)
        # Offered only when it finds something this person may see: the vocabulary also holds words of drafts.
        if sum(g.total for g in groups):
            outcome.groups, outcome.suggestion, outcome.searched_instead = groups, suggestion, True
    return outcome

