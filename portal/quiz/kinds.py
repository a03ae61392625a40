"""What each kind of question accepts, how a response to it is stored and how it is scored. No database: plain
values in, plain values out, shared by the editor, the GIFT importer and the attempt.

Answers ("options") of every kind have `text`, `fraction` (credit -1..1), `feedback` and `match_text`:
- single, multi, truefalse: options to pick; multi adds up the picked fractions (wrong picks cost).
- shortanswer: accepted answers, compared without regard to case and spacing; `*` stands for any text.
- numerical: "3:0.5" (3 give or take 0.5), "1..5" (from 1 to 5) or "3"; a typed "3,5" or "3.5" both read as 3.5.
- matching: each item (`text`) with its partner (`match_text`); an answer without text only adds a partner to
  choose from. The credit is the share of items paired right.
- essay: no answers; the person writes, then compares with the model answer (the explanation). Not scored.
- description: no answers, never drawn into an attempt.
"""

import math
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.errors import DomainError
from portal.models.quiz import CHOICE_KINDS, UNSCORED_KINDS
from portal.quiz import formats

TF_TRUE, TF_FALSE = "Benar", "Salah"  # stored option texts of a true/false question (shown translated)
MAX_RESPONSE = 5_000  # characters of a typed answer (an essay)
_NUMBER_RE = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def ids(text):
    """Comma-separated ids ("3,1,2") -> [3, 1, 2]."""
    return [int(x) for x in (text or "").split(",") if x]


def pairs(text):
    """A matching response "4:9,5:7" -> {4: 9, 5: 7}."""
    out = {}
    for piece in (text or "").split(","):
        left, _sep, right = piece.partition(":")
        if left.isdigit() and right.isdigit():
            out[int(left)] = int(right)
    return out


def auto_name(stem, text_format="markdown"):
    """A question's name when none is given: the start of its text."""
    plain = " ".join(formats.plain_text(stem.replace(formats.BLANK, "…"), text_format).split())
    return plain[:60].rstrip() or "Soal"


# --- numbers --------------------------------------------------------------------------------------------------------

def parse_number(text):
    """A number as people type it: "3.5", "3,5", "-2", "1.234,5" (Indonesian thousands), "1,234.5"; else None."""
    text = (text or "").strip().replace(" ", "").replace("\u2212", "-")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    if not _NUMBER_RE.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def numeric_range(spec):
    """An answer of a numerical question -> (low, high), or None when it is not one: "3:0.5" -> (2.5, 3.5),
    "1..5" -> (1, 5), "3" -> (3, 3). Written with a dot, as in GIFT."""
    spec = (spec or "").strip()
    try:
        if ".." in spec:
            low, high = (float(part) for part in spec.split("..", 1))
        elif ":" in spec:
            value, tolerance = (float(part) for part in spec.split(":", 1))
            if tolerance < 0:
                return None
            low, high = value - tolerance, value + tolerance
        else:
            low = high = float(spec)
    except ValueError:
        return None
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        return None
    return low, high


def number_text(value):
    """3.5 -> "3,5"; 1822.0 -> "1822" (as Indonesians write it)."""
    return f"{value:.10g}".replace(".", ",")


def numeric_text(spec):
    """How an accepted numerical answer reads: "3 ± 0,5", "1–5", "3"."""
    spec = (spec or "").strip()
    if ".." in spec:
        low, high = spec.split("..", 1)
        return f"{number_text(float(low))}–{number_text(float(high))}"
    if ":" in spec:
        value, tolerance = spec.split(":", 1)
        if float(tolerance) == 0:
            return number_text(float(value))
        return f"{number_text(float(value))} ± {number_text(float(tolerance))}"
    return number_text(float(spec))


# --- checking the answers of a question -------------------------------------------------------------------------------

def check_answers(kind, answers):
    """A reason (translated str) why these answers cannot make a question of `kind`, or None."""
    if kind in UNSCORED_KINDS:
        return _("Soal esai dan deskripsi tidak memiliki pilihan jawaban.") if answers else None
    if kind == "matching":
        items = [a for a in answers if a.text]
        if any(not a.match_text for a in answers):
            return _("Setiap pasangan memerlukan teks di sisi kanan (setelah ->).")
        if len(items) < 2:
            return _("Soal menjodohkan memerlukan paling sedikit dua pasangan.")
        return None
    if kind == "shortanswer":
        if not answers or any(not a.text for a in answers):
            return _("Soal jawaban singkat memerlukan paling sedikit satu jawaban yang diterima.")
        if max(a.fraction for a in answers) <= 0:
            return _("Paling sedikit satu jawaban singkat harus bernilai lebih dari nol.")
        return None
    if kind == "numerical":
        if not answers:
            return _("Soal numerik memerlukan paling sedikit satu jawaban.")
        for answer in answers:
            if numeric_range(answer.text) is None:
                return _("“%(a)s” bukan jawaban numerik (tulis misalnya 3, 3:0.5, atau 1..5).", a=answer.text)
        if max(a.fraction for a in answers) <= 0:
            return _("Paling sedikit satu jawaban numerik harus bernilai lebih dari nol.")
        return None
    if len(answers) < 2:
        return _("Soal pilihan memerlukan paling sedikit dua jawaban.")
    if any(not a.text for a in answers):
        return _("Ada jawaban yang teksnya kosong.")
    if kind == "single" and max(a.fraction for a in answers) < 0.999:
        return _("Pilihan tunggal memerlukan satu jawaban benar (=).")
    if kind == "multi":
        positive = sum(a.fraction for a in answers if a.fraction > 0)
        if abs(positive - 1) > 0.005:
            return _("Pada jawaban ganda, bobot jawaban yang benar harus berjumlah 100%% (sekarang %(n)s%%).",
                     n=f"{positive * 100:g}")
    return None


# --- scoring ----------------------------------------------------------------------------------------------------------

def score_choice(kind, options_by_id, chosen_ids):
    """Credit 0..1 for the chosen options. Single choice and true/false: the chosen option's fraction.
    Multiple response: the sum of the chosen fractions (wrong picks cost), never below 0 nor above 1."""
    chosen = [i for i in chosen_ids if i in options_by_id]
    if not chosen:
        return 0.0
    if kind != "multi":
        return max(0.0, min(1.0, options_by_id[chosen[0]].fraction)) if len(chosen) == 1 else 0.0
    return max(0.0, min(1.0, sum(options_by_id[i].fraction for i in chosen)))


def normalize(text):
    return " ".join((text or "").split()).casefold()


def _short_pattern(accepted):
    """An accepted short answer -> a regex: `*` matches any text, `\\*` is a literal asterisk."""
    parts = re.split(r"(\\\*|\*)", normalize(accepted))
    return re.compile("".join(".*" if p == "*" else re.escape("*" if p == "\\*" else p) for p in parts),
                      re.DOTALL)


def matching_answer(kind, options, response):
    """The answer (option) a typed response matches best: the accepted short answer or the numerical range with
    the highest credit; None when none matches."""
    if kind == "shortanswer":
        said = normalize(response)
        found = [o for o in options if said and _short_pattern(o.text).fullmatch(said)]
    else:
        value = parse_number(response)
        found = []
        if value is not None:
            for option in options:
                bounds = numeric_range(option.text)
                if bounds and bounds[0] - 1e-9 * max(1, abs(bounds[0])) <= value <= \
                        bounds[1] + 1e-9 * max(1, abs(bounds[1])):
                    found.append(option)
    return max(found, key=lambda o: o.fraction, default=None)


def partners(options):
    """The distinct partners a matching question offers: {partner text: the first option carrying it}."""
    out = {}
    for option in options:
        out.setdefault(option.match_text, option)
    return out


def matching_items(options):
    return [o for o in options if o.text]


def score_matching(options, chosen_pairs):
    """Share of the items paired with their own partner (another item with the same partner text counts too)."""
    by_id = {o.id: o for o in options}
    items = matching_items(options)
    if not items:
        return 0.0
    right = sum(1 for item in items
                if (partner := by_id.get(chosen_pairs.get(item.id))) is not None
                and partner.match_text == item.match_text)
    return right / len(items)


@dataclass
class Credit:
    """How an answer scored: `value` 0..1 (None: not scored), the answer it matched (short answer, numerical)."""

    value: float | None
    matched: object = None


def score(kind, options, chosen_ids=(), response=None):
    """The credit for an answer to a question of `kind` with these answers (options)."""
    if kind in UNSCORED_KINDS:
        return Credit(None)
    if kind in CHOICE_KINDS:
        return Credit(score_choice(kind, {o.id: o for o in options}, chosen_ids))
    if kind == "matching":
        return Credit(score_matching(options, pairs(response)))
    matched = matching_answer(kind, options, response)
    return Credit(max(0.0, min(1.0, matched.fraction)) if matched else 0.0, matched)


# --- a response as stored ----------------------------------------------------------------------------------------

def stored(shown, response):
    """The columns {chosen, response} of an attempt's question that store `response` (attempts.Response) to `shown`
    (attempts.ShownQuestion); DomainError when it is not a valid answer."""
    if shown.kind in CHOICE_KINDS:
        return {"chosen": _stored_choice(shown, response), "response": None}
    if shown.kind == "matching":
        return {"chosen": None, "response": _stored_pairs(shown, response)}
    text = (response.text or "").replace("\r\n", "\n").strip()
    if shown.kind != "essay":
        text = " ".join(text.split())
    if not text:
        raise DomainError(_("Tulis jawaban Anda terlebih dahulu."), field="response")
    if len(text) > MAX_RESPONSE:
        raise DomainError(_("Jawaban terlalu panjang (paling banyak %(n)d karakter).", n=MAX_RESPONSE),
                          field="response")
    if shown.kind == "numerical" and parse_number(text) is None:
        raise DomainError(_("Tulis jawaban berupa angka, misalnya 12 atau 3,5."), field="response")
    return {"chosen": None, "response": text}


def _stored_pairs(shown, response):
    offered = {p.id for p in shown.partners}
    pairs = {}
    for item_id, partner_id in (response.pairs or {}).items():
        try:
            item_id, partner_id = int(item_id), int(partner_id)
        except (TypeError, ValueError):
            raise DomainError(_("Pasangan jawaban tidak dikenal."), field="response") from None
        if partner_id not in offered or item_id not in {o.id for o in shown.options}:
            raise DomainError(_("Pasangan jawaban tidak dikenal."), field="response")
        pairs[item_id] = partner_id
    if len(pairs) < len(shown.options):
        raise DomainError(_("Pilih pasangan untuk setiap pernyataan."), field="response")
    return ",".join(f"{o.id}:{pairs[o.id]}" for o in shown.options)


def _stored_choice(shown, response):
    """The `chosen` column for a response to a choice question; DomainError when it is not a valid answer."""
    offered = ids(shown.item.option_order)
    try:
        wanted = {int(i) for i in response.options}
    except (TypeError, ValueError):
        raise DomainError(_("Pilihan jawaban tidak dikenal."), field="option") from None
    if not wanted:
        raise DomainError(_("Pilih jawaban terlebih dahulu."), field="option")
    if not wanted <= set(offered):
        raise DomainError(_("Pilihan jawaban tidak dikenal."), field="option")
    if shown.kind != "multi" and len(wanted) != 1:
        raise DomainError(_("Pilih satu jawaban saja."), field="option")
    return ",".join(str(i) for i in offered if i in wanted)
