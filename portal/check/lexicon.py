"""Compiled term lists and a normalised view of one post.

A Lexicon is built once per set of term lists (cached), a Document once per checked text. Rules ask the document for
the matches of a list (`doc.find("hate_terms")`) and reason about token distances and sentences between matches.
"""

import bisect
import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache

from portal.check import defaults
from portal.check.normalize import normalize, normalize_word

# Lists whose entries are raw lower-case strings (domains, mailbox names, hashtags), not phrases to match in text.
RAW_LISTS = {"institutional_mailboxes", "official_domains", "url_shorteners"}
HASHTAG_LISTS = {"campaign_hashtags", "neutral_hashtags"}
_TOKEN = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n")
MAX_TERM_TOKENS = 12  # no term or pattern spans more tokens than this


def compact(value):
    return re.sub(r"[^a-z0-9*]", "", normalize_word(value))


class TermList:
    """One list compiled into a single regular expression over normalised text."""

    def __init__(self, terms):
        alternatives = []
        self.words = set()
        for term in terms:
            wildcard = term.strip().endswith("*")
            base = normalize_word(term.strip().rstrip("*"))
            tokens = _TOKEN.findall(base)
            if len("".join(tokens)) < 2:  # a single letter would match everywhere
                continue
            self.words.update(t for t in tokens if t.isalpha())
            pattern = r"[^a-z0-9\n]{0,4}".join(re.escape(t) for t in tokens)
            if wildcard:
                pattern += "[a-z0-9]*"
            alternatives.append((len(base), pattern))
        alternatives.sort(key=lambda item: -item[0])
        self.regex = None
        if alternatives:
            self.regex = re.compile(r"(?<![a-z0-9])(?:" + "|".join(p for _n, p in alternatives) + r")(?![a-z0-9])")

    def finditer(self, text):
        if self.regex is None:
            return []
        return [m.span() for m in self.regex.finditer(text)]


class Lexicon:
    def __init__(self, terms):
        self.terms = terms
        self.lists = {}
        self.raw = {}
        self.hashtags = {}
        vocabulary = set()
        for name, values in terms.items():
            if name in RAW_LISTS:
                self.raw[name] = tuple(v.strip().lower() for v in values)
            elif name in HASHTAG_LISTS:
                self.hashtags[name] = tuple(compact(v.lstrip("#")) for v in values)
            else:
                compiled = TermList(values)
                self.lists[name] = compiled
                vocabulary |= compiled.words
        self.vocabulary = frozenset(vocabulary)
        self.compact = {name: tuple(c for c in (compact(v).rstrip("*") for v in terms.get(name, ())) if c)
                        for name in ("candidate_names", "party_names", "election_words", "support_cues",
                                     "office_titles")}

    def hashtag_matches(self, name, body):
        return any(fnmatch.fnmatchcase(body, pattern) for pattern in self.hashtags.get(name, ()))


def _key(terms):
    return tuple(sorted((name, tuple(values)) for name, values in (terms or {}).items()))


@lru_cache(maxsize=16)
def _lexicon(key):
    return Lexicon(defaults.resolve(dict(key)))


def get_lexicon(terms=None):
    return _lexicon(_key(terms))


@dataclass(frozen=True)
class Match:
    nstart: int
    nend: int
    t0: int  # first token index
    t1: int  # token index after the last token
    sentence: int
    span: tuple  # (start, end) in the original text
    text: str  # the normalised matched text


class Document:
    """A post, normalised, tokenised and split in sentences, with cached list matches."""

    def __init__(self, text, lexicon):
        self.text = text
        self.lexicon = lexicon
        self.norm = normalize(text, lexicon.vocabulary)
        self.ntext = self.norm.text
        self.tokens = [m.span() for m in _TOKEN.finditer(self.ntext)]
        self._token_starts = [a for a, _b in self.tokens]
        self._sentence_ends = [m.end() for m in _SENTENCE_END.finditer(self.ntext)]
        self._cache = {}
        self.extra = {}  # per-document memo for rules
        self._starts = {}

    def token_index(self, pos):
        return bisect.bisect_left(self._token_starts, pos)

    def sentence_of(self, pos):
        return bisect.bisect_right(self._sentence_ends, pos)

    def match_at(self, a, b):
        t0 = self.token_index(a)
        t1 = max(t0 + 1, self.token_index(b))
        return Match(a, b, t0, t1, self.sentence_of(a), self.norm.span(a, b), self.ntext[a:b])

    def find(self, name):
        if name not in self._cache:
            termlist = self.lexicon.lists.get(name)
            spans = termlist.finditer(self.ntext) if termlist else []
            self._cache[name] = [self.match_at(a, b) for a, b in spans]
        return self._cache[name]

    def has(self, name):
        return bool(self.find(name))

    def regex(self, pattern):
        return [self.match_at(*m.span()) for m in re.finditer(pattern, self.ntext)]

    @staticmethod
    def gap(m1, m2):
        """Number of tokens strictly between two matches (0 when adjacent or overlapping)."""
        if m1.t1 <= m2.t0:
            return m2.t0 - m1.t1
        if m2.t1 <= m1.t0:
            return m1.t0 - m2.t1
        return 0

    def close(self, match, matches, within):
        """The matches (sorted by position) at most `within` tokens away from `match`, overlapping ones included."""
        key = id(matches)
        if key not in self._starts or self._starts[key][0] is not matches:
            self._starts[key] = (matches, [m.t0 for m in matches])
        starts = self._starts[key][1]
        lo = bisect.bisect_left(starts, match.t0 - within - MAX_TERM_TOKENS)
        hi = bisect.bisect_right(starts, match.t1 + within)
        return [m for m in matches[lo:hi] if Document.gap(match, m) <= within]

    def near(self, match, name, within, same_sentence=True, before_only=False, after_only=False):
        """Matches of list `name` at most `within` tokens away from `match` (not overlapping it)."""
        found = []
        for other in self.close(match, self.find(name), within):
            if other.nstart < match.nend and match.nstart < other.nend:
                continue
            if same_sentence and other.sentence != match.sentence:
                continue
            if before_only and other.nstart >= match.nstart:
                continue
            if after_only and other.nstart <= match.nstart:
                continue
            if self.gap(match, other) <= within:
                found.append(other)
        return found

    def prohibited_sentences(self):
        """Sentences with a prohibition ("dilarang", "jangan", ...), not counting "jangan lupa" and the like."""
        exceptions = self.find("negation_exceptions")
        return {p.sentence for p in self.find("prohibitions")
                if not any(e.nstart <= p.nstart < e.nend for e in exceptions)}

    def negated(self, match, within=2):
        """A negation word ("jangan", "tidak", ...) up to `within` tokens before the match."""
        exceptions = self.find("negation_exceptions")
        return any(not any(e.nstart <= n.nstart < e.nend for e in exceptions)
                   for n in self.near(match, "negations", within, before_only=True))
