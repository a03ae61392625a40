"""Text normalisation for term matching, keeping a map back to the original characters (for highlighting).

The steps are moderate on purpose, so that normalising does not create false alarms:

1. Unicode compatibility folding and lower case: accents go ("Hermès" -> "hermes"), the "bold" and "script" letters
   that social-media posts use become plain letters.
2. Reduplication with "2" ("hati2", "kadrun2") loses the 2: "hati2" -> "hati ".
3. Leetspeak digits and signs (4 @ 3 1 0 5 $ 7) become letters only inside a word, i.e. with a letter on both sides
   ("g4k", "t0l0l", "j4r1"); at a word's edge only when the result is a known word ("du4" -> "dua" if "dua" is in the
   vocabulary). "covid19", "50rb", "5G" and "B1234XYZ"-like codes stay as they are.
4. Common slang and abbreviations are expanded word by word ("yg" -> "yang", "sblm" -> "sebelum"); an emphatic
   spelling is looked up without its repeated letters ("gaaak" -> "gak" -> "tidak").
5. Runs of a repeated letter collapse to one ("viraaal" -> "viral", "maaf" -> "maf") in words with a vowel; terms
   are normalised the same way, so both sides agree. Acronyms ("PPP", "PPPK", "KK") keep their letters.

`normalize(text)` returns a Normalized whose `span(a, b)` maps a slice of the normalised text to the slice of the
original text it came from.
"""

import re
import unicodedata
from dataclasses import dataclass

LEET = {"4": "a", "@": "a", "3": "e", "1": "i", "0": "o", "5": "s", "$": "s", "7": "t"}

# Slang and abbreviations as people type them -> the word the term lists use. Keys and values go through the same
# normalisation as the text (so "nggak" is stored as "ngak"). Kept to words whose meaning is not in doubt.
SLANG = {
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "utk": "untuk", "untk": "untuk", "jgn": "jangan",
    "jngn": "jangan", "jangn": "jangan", "gk": "tidak", "ga": "tidak", "gak": "tidak", "nggak": "tidak",
    "ngga": "tidak", "enggak": "tidak", "engga": "tidak", "gx": "tidak", "tdk": "tidak", "tak": "tidak",
    "kagak": "tidak", "sblm": "sebelum", "sebelom": "sebelum", "sdh": "sudah", "udh": "sudah", "udah": "sudah",
    "dah": "sudah", "blm": "belum", "blum": "belum", "belom": "belum", "krn": "karena", "karna": "karena",
    "kl": "kalau", "klo": "kalau", "kalo": "kalau", "dr": "dari", "org": "orang", "orng": "orang", "bgt": "banget",
    "bngt": "banget", "tlg": "tolong", "tolongin": "tolong", "sebarkn": "sebarkan", "sbrkn": "sebarkan",
    "sebarin": "sebarkan", "sbrin": "sebarkan", "viralin": "viralkan", "viralkn": "viralkan", "hps": "hapus",
    "dihps": "dihapus", "diapus": "dihapus", "trs": "terus", "aj": "aja", "dl": "dulu", "dlu": "dulu",
    "bs": "bisa", "bsa": "bisa", "skrg": "sekarang", "skrng": "sekarang", "skrang": "sekarang", "grp": "grup",
    "grub": "grup", "group": "grup", "krm": "kirim", "kirimin": "kirim", "tp": "tapi", "tpi": "tapi",
    "hrs": "harus", "bkn": "bukan", "lg": "lagi", "jd": "jadi", "jdi": "jadi", "kmrn": "kemarin", "bsk": "besok",
    "tgl": "tanggal", "nmr": "nomor", "nomer": "nomor", "nmor": "nomor", "ngasih": "kasih",
    "tau": "tahu", "taw": "tahu", "sampe": "sampai", "ampe": "sampai", "smp": "sampai", "dpt": "dapat",
    "dapet": "dapat", "dptkan": "dapatkan", "dapetin": "dapatkan", "skl": "sekali", "bner": "benar",
    "bener": "benar", "pake": "pakai", "ama": "sama", "sm": "sama", "info2": "info",
    "infonya": "info", "pemda2": "pemda", "aja": "saja", "doang": "saja", "kebeli": "terbeli", "rek": "rek",
    "jwb": "jawab", "jwban": "jawaban", "jawabanya": "jawaban", "jawabannya": "jawaban", "kunjaw": "kunci jawaban",
    "skd": "skd", "lu": "lu", "loe": "lu", "lo": "lu", "elu": "lu", "elo": "lu", "gw": "gue", "gua": "gue",
    "bpk": "bapak", "ibuk": "ibu", "mb": "mbak", "mba": "mbak", "pny": "punya", "pnya": "punya", "dsb": "dsb",
    "pdhl": "padahal", "ttg": "tentang", "mksd": "maksud", "bnyk": "banyak", "byk": "banyak", "sy": "saya",
    "tw": "tahu", "cuman": "cuma", "mo": "mau", "mw": "mau", "pgn": "pengen", "pengen": "ingin", "abis": "habis",
    "hbs": "habis", "nyebarin": "menyebarkan", "disebarin": "disebarkan", "share2": "share", "shr": "share",
    "fwd": "forward", "forwad": "forward", "copas": "copas", "cpns2": "cpns", "pilkadanya": "pilkada",
    "pemilunya": "pemilu", "nyoblos": "nyoblos", "coblosan": "coblos", "paslonnya": "paslon", "calegnya": "caleg",
}

_RUN = re.compile(r"[a-z0-9@$]+")
_WORD = re.compile(r"[a-z]+")
_REDUP = re.compile(r"^([a-z]{2,})2([a-z]*)$")
_VOWEL = re.compile(r"[aeiou]")
_EMPHATIC = re.compile(r"([a-z])\1\1")


@dataclass
class Normalized:
    text: str
    starts: list  # per normalised character: start offset in the original text
    ends: list  # per normalised character: end offset in the original text

    def span(self, a, b):
        """Original (start, end) of the normalised slice [a, b)."""
        if b <= a:
            return self.starts[a], self.starts[a]
        return self.starts[a], self.ends[b - 1]


def _fold(text):
    chars, starts, ends = [], [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(c):
                continue
            for low in c.lower():
                if unicodedata.combining(low):
                    continue
                chars.append(low)
                starts.append(i)
                ends.append(i + 1)
    return chars, starts, ends


def _unleet(run, vocabulary):
    """The run with leetspeak undone, or None when it should stay as it is."""
    if not any(c in LEET for c in run) or not any(c.isalpha() for c in run):
        return None
    if re.search(r"[2689]|\d{3,}", run):  # a code or a number ("b1234xyz", "h2o"), not leetspeak
        return None
    for i, c in enumerate(run):
        if c in LEET and i > 0 and any(x.isalpha() for x in run[:i]) and any(x.isalpha() for x in run[i + 1:]):
            return "".join(LEET.get(x, x) for x in run)
    candidate = "".join(LEET.get(x, x) for x in run)
    if candidate != run and candidate.isalpha() and _collapse_word(candidate) in vocabulary:
        return candidate
    return None


def _squeeze(word):
    """The word with every run of a repeated letter reduced to one letter."""
    return re.sub(r"([a-z])\1+", r"\1", word)


def _collapse_word(word):
    if not _VOWEL.search(word):
        return word
    out = []
    for c in word:
        if out and c == out[-1] and c.isalpha():
            continue
        out.append(c)
    return "".join(out)


def normalize_word(word):
    """Normalise a single word or phrase without offsets (used for term lists and slang keys)."""
    return normalize(word).text


def normalize(text, vocabulary=frozenset(), slang=None):
    chars, starts, ends = _fold(text)
    s = "".join(chars)

    # 2 and 3: reduplication and leetspeak, per run of word characters (lengths never change).
    for m in _RUN.finditer(s):
        run = m.group()
        redup = _REDUP.match(run)
        if redup:
            pos = m.start() + len(redup.group(1))
            chars[pos] = " "
            continue
        fixed = _unleet(run, vocabulary)
        if fixed:
            chars[m.start():m.end()] = list(fixed)
    # A leading "@" of a mention stays; only "@" inside a word was turned into "a" above.

    # 4: slang, word by word, before collapsing (so that "tpp" does not become the slang "tp"); an emphatic spelling
    # with a letter repeated three times or more ("gaaak", "bgttt") is looked up collapsed.
    raw_table, collapsed_table = (_SLANG_RAW, _SLANG_COLLAPSED) if slang is None else (slang, slang)
    s = "".join(chars)
    if raw_table:
        c3, s3, e3 = [], [], []
        last = 0
        for m in _WORD.finditer(s):
            word = m.group()
            replacement = raw_table.get(word)
            if replacement is None and _EMPHATIC.search(word):
                collapsed = _squeeze(word)
                if len(collapsed) >= 3:
                    replacement = collapsed_table.get(collapsed)
            if replacement is None or replacement == word:
                continue
            c3.extend(chars[last:m.start()])
            s3.extend(starts[last:m.start()])
            e3.extend(ends[last:m.start()])
            a, b = starts[m.start()], ends[m.end() - 1]
            c3.extend(replacement)
            s3.extend([a] * len(replacement))
            e3.extend([b] * len(replacement))
            last = m.end()
        c3.extend(chars[last:])
        s3.extend(starts[last:])
        e3.extend(ends[last:])
        chars, starts, ends = c3, s3, e3

    # 5: collapse repeated letters in words with a vowel (acronyms such as "PPP", "PPPK", "KK" stay as they are).
    keep = [True] * len(chars)
    for m in _WORD.finditer("".join(chars)):
        word = m.group()
        if not _VOWEL.search(word):
            continue
        for i in range(m.start() + 1, m.end()):
            if chars[i] == chars[i - 1]:
                keep[i] = False
    c2, s2, e2 = [], [], []
    for c, a, b, kept in zip(chars, starts, ends, keep, strict=True):
        if not kept:
            e2[-1] = b
            continue
        c2.append(c)
        s2.append(a)
        e2.append(b)
    return Normalized("".join(c2), s2, e2)


_SLANG_RAW = {k.lower(): normalize(v, slang={}).text for k, v in SLANG.items()}
_SLANG_COLLAPSED = {_squeeze(k.lower()): v for k, v in _SLANG_RAW.items()}
