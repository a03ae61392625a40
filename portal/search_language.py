"""The words of Indonesian text as the full-text index sees them (portal.search): tokenised, stemmed with PySastrawi
(so unggah, mengunggah, unggahan and diunggah are one word) and expanded with common abbreviations (medsos <->
media sosial, ASN, PNS, ...). User input is reduced to lowercase letters and digits here, before any query is
built."""

import re
from functools import lru_cache

# Letters and digits (Latin, with accents); the multiplication and division signs inside that block are not letters.
WORD_CHARACTER = r"[0-9a-zA-Z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F]"
TOKEN_RE = re.compile(WORD_CHARACTER + "+")
TOKEN_START_RE = re.compile(r"(?:" + WORD_CHARACTER + r")*\Z")  # the part of a word that ends a text
STEMMABLE_RE = re.compile(r"[a-z]+")
MAX_QUERY_TERMS = 12

# abbreviation -> the words it stands for. Indexing adds the other form, so either finds both.
ABBREVIATIONS = {
    "medsos": "media sosial",
    "asn": "aparatur sipil negara",
    "pns": "pegawai negeri sipil",
    "pppk": "pegawai pemerintah dengan perjanjian kerja",
    "humas": "hubungan masyarakat",
    "uu": "undang undang",
    "pp": "peraturan pemerintah",
    "se": "surat edaran",
    "skb": "surat keputusan bersama",
    "ite": "informasi dan transaksi elektronik",
    "pdp": "pelindungan data pribadi",
    "kip": "keterbukaan informasi publik",
    "ppid": "pejabat pengelola informasi dan dokumentasi",
    "sara": "suku agama ras antargolongan",
    "nik": "nomor induk kependudukan",
    "ktp": "kartu tanda penduduk",
    "kk": "kartu keluarga",
    "bkn": "badan kepegawaian negara",
    "kasn": "komisi aparatur sipil negara",
    "hoax": "hoaks",
}
# Words too common to narrow a search; dropped from queries (not from the index) unless nothing else is left.
STOPWORDS = frozenset({
    "yang", "dan", "di", "ke", "dari", "untuk", "dengan", "pada", "ini", "itu", "atau", "juga", "ada", "tidak", "akan",
    "dalam", "oleh", "sebagai", "karena", "agar", "bagi", "adalah", "para", "saat", "kita", "kami", "anda", "saya",
    "tersebut", "serta", "bila", "jika", "maka", "the", "of", "a", "an",
})


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem(word):
    word = word.lower()
    # Sastrawi knows a-z only: it would cut "naïve" into "na ve" (two words, and a syntax error in a tsquery).
    if len(word) <= 3 or not STEMMABLE_RE.fullmatch(word):
        return word
    stemmed = _stemmer().stem(word)
    return stemmed if stemmed and STEMMABLE_RE.fullmatch(stemmed) else word


def tokens(value):
    return [t.lower() for t in TOKEN_RE.findall(value or "")]


def _expanded_phrases():
    phrases = {}
    for short, long in ABBREVIATIONS.items():
        phrases[tuple(stem(w) for w in long.split())] = stem(short)
    return phrases


@lru_cache(maxsize=1)
def _phrases():
    return _expanded_phrases()


def terms_for_index(value):
    """Stemmed words of `value`, plus the other form of every abbreviation or phrase found in it."""
    words = [stem(t) for t in tokens(value)]
    extra = []
    for word in words:
        if word in ABBREVIATIONS:
            extra.extend(stem(w) for w in ABBREVIATIONS[word].split())
    for phrase, short in _phrases().items():
        n = len(phrase)
        if any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1)):
            extra.append(short)
    return " ".join(words + extra)


def query_terms(query):
    """The stemmed terms of a user's query: letters and digits only, stopwords dropped, at most MAX_QUERY_TERMS."""
    words = [t for t in tokens(query)][:50]
    meaningful = [w for w in words if w not in STOPWORDS] or words
    seen, result = set(), []
    for word in meaningful:
        term = stem(word)
        if term not in seen:
            seen.add(term)
            result.append(term)
    return result[:MAX_QUERY_TERMS]
