"""GIFT, Moodle's text format for question banks: a parser and a writer, independent of the database.

Every construct of Moodle's GIFT documentation is read: `//` comment lines, `::title::`, the `[markdown]`, `[html]`,
`[plain]` and `[moodle]` markers (unmarked and `[moodle]` text is plain text; `[html]` is sanitised, not flattened),
per-answer `#feedback`, general feedback `####`, `%weights%` (negative too), multiple choice (`=`/`~`), multiple
answer (only `~%n%`), true/false (`{T}`, `{FALSE#wrong#right}`), short answer (`=` answers only, with weights),
numerical (`{#3:0.5}`, `{#1..5}`, several `=` answers with weights and feedback), matching (`=item -> partner`),
missing word (text after the answer block: the answer goes where "_____" stands), essay (`{}`), description (no
answer block), escapes `\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n`, questions over several lines, blank lines between
questions, `$CATEGORY: $course$/top/a/b/c` (a nested topic path; `//` is a literal slash), a BOM and Windows
line endings. Comment lines directly above a question may carry `// [id:…] [tag:…]` (Moodle's ID number and tags)
and our extensions `// @pedoman: slug-a, slug-b` (handbook sections) and `// @tingkat: N` (difficulty 1-3).

Questions that cannot be read are skipped with their line number and reason; the rest of the file still imports.
"""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from portal.errors import DomainError
from portal.quiz import formats
from portal.quiz.kinds import TF_FALSE, TF_TRUE, auto_name, check_answers

MAX_BYTES = 5 * 1024 * 1024
MAX_QUESTIONS = 5000
MAX_NAME = 200
FORMATS = {"markdown": "markdown", "html": "html", "plain": "plain", "moodle": "plain"}  # marker -> stored format

# Escaped characters become private-use placeholders while parsing, so they never act as syntax.
_ESCAPABLE = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005",
              ":": "\ue006", "n": "\ue007"}
_UNESCAPE = {v: ("\n" if k == "n" else k) for k, v in _ESCAPABLE.items()}
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_WEIGHT_RE = re.compile(r"^%\s*(-?\d+(?:[.,]\d+)?)\s*%")
_FORMAT_RE = re.compile(r"^\s*\[(markdown|html|plain|moodle)\]", re.IGNORECASE)
_META_RE = re.compile(r"^//\s*@(pedoman|tingkat)\s*:\s*(.*)$", re.IGNORECASE)
_ID_RE = re.compile(r"\[id:([^\]]*)\]")
_TAG_RE = re.compile(r"\[tag:([^\]]*)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class GiftError(DomainError):
    """The file cannot be read at all (not UTF-8, binary, empty, too large)."""


@dataclass
class GiftAnswer:
    text: str
    fraction: float = 0.0  # -1..1
    feedback: str = ""
    match_text: str = ""  # matching: the item's partner


@dataclass
class GiftQuestion:
    name: str
    kind: str  # see portal.models.quiz.QUESTION_KINDS
    stem: str  # in text_format; "_____" where a missing word's answer goes
    answers: list[GiftAnswer]  # for true/false: [Benar, Salah] with their fractions and feedback
    category: tuple = ()  # topic path; () when the file gives none
    general_feedback: str = ""  # the explanation (an essay's model answer)
    text_format: str = "markdown"  # markdown | plain | html: of the stem, answers and feedback alike
    sections: list[str] = field(default_factory=list)  # handbook section slugs
    difficulty: int | None = None
    id_number: str = ""
    tags: list[str] = field(default_factory=list)
    line: int = field(default=0, compare=False)  # where it starts in the file
    named: bool = field(default=True, compare=False)  # False: the name was made from the text


@dataclass
class GiftSkip:
    line: int
    reason: str
    name: str = ""


@dataclass
class GiftResult:
    questions: list[GiftQuestion] = field(default_factory=list)
    skipped: list[GiftSkip] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------------------------

def decode(raw):
    """Bytes of an uploaded or given file -> text; GiftError when it is not a UTF-8 text file."""
    if raw is None or not raw.strip():
        raise GiftError(_("Berkas kosong."))
    if len(raw) > MAX_BYTES:
        raise GiftError(_("Berkas terlalu besar (paling besar %(n)d MB).", n=MAX_BYTES // (1024 * 1024)))
    if b"\x00" in raw[:65536]:
        raise GiftError(_("Berkas ini bukan berkas teks GIFT (berisi data biner)."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise GiftError(_("Berkas tidak terbaca sebagai UTF-8 (baris %(line)d). Simpan ulang berkasnya dengan "
                          "pengodean UTF-8.", line=line)) from None
    return text


def parse_bytes(raw):
    return parse(decode(raw))


def _escape_placeholders(text):
    return _ESCAPE_RE.sub(lambda m: _ESCAPABLE[m.group(1)], text)


def _unescape(text):
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _blocks(text):
    """Blank-line separated blocks of (line number, line): as in Moodle, a blank line always ends a question."""
    blocks, current = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def category_path(value):
    """`$course$/top/Foo/Bar` -> ("Foo", "Bar"): the context ($course$, $system$, ...) and Moodle's "top" category
    are dropped; a doubled slash is a literal slash."""
    value = value.strip().replace("//", "\ue010")
    parts = [" ".join(p.split()).replace("\ue010", "/") for p in value.split("/")]
    parts = [p for p in parts if p]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0].lower() == "top":
        parts = parts[1:]
    return tuple(p[:MAX_NAME] for p in parts)


def parse(text):
    """GIFT text -> GiftResult (questions, skipped ones with line and reason, warnings)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    result = GiftResult()
    category = ()
    for block in _blocks(text):
        meta, content = [], []
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                if not content:
                    meta.append((number, stripped))
                continue
            if not content and stripped.startswith("$CATEGORY:"):
                category = category_path(stripped[len("$CATEGORY:"):])
                meta = []
                continue
            content.append((number, line))
        if not content:
            continue
        if len(result.questions) >= MAX_QUESTIONS:
            result.skipped.append(GiftSkip(content[0][0], _("Terlalu banyak soal dalam satu berkas (paling banyak "
                                                            "%(n)d); sisanya tidak dibaca.", n=MAX_QUESTIONS)))
            break
        _parse_question(content, meta, category, result)
    return result


@dataclass
class _Meta:
    sections: list = field(default_factory=list)
    difficulty: int | None = None
    id_number: str = ""
    tags: list = field(default_factory=list)


def _parse_meta(meta, result):
    found = _Meta()
    for number, comment in meta:
        if (id_match := _ID_RE.search(comment)) is not None:
            found.id_number = " ".join(id_match.group(1).split())[:100]
        for tag in _TAG_RE.findall(comment):
            tag = " ".join(tag.replace(",", " ").split())[:100]
            if tag and tag not in found.tags:
                found.tags.append(tag)
        match = _META_RE.match(comment)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "pedoman":
            for slug in re.split(r"[,\s]+", value):
                if slug and slug not in found.sections:
                    found.sections.append(slug)
        elif value.isdigit() and 1 <= int(value) <= 3:
            found.difficulty = int(value)
        else:
            result.warnings.append((number, _("Tingkat kesulitan “%(v)s” tidak dikenal (pakai 1, 2, atau 3); "
                                              "soal tetap diimpor dengan tingkat bawaan.", v=value)))
    return found


def _split_format(text, default):
    match = _FORMAT_RE.match(text)
    if match:
        return FORMATS[match.group(1).lower()], text[match.end():]
    return default, text


def _text(raw, fmt):
    """A piece of question text (escaped placeholders inside) -> stored text in the question's format `fmt`. A piece
    may name its own format; it is then rewritten into the question's."""
    own, raw = _split_format(raw.strip(), fmt)
    value = formats.convert(_unescape(raw).strip(), own, fmt)
    return formats.sanitize_html(value).strip() if fmt == "html" else value


def _weighted(piece, default):
    """(fraction, rest) of an answer that may start with %weight%; a reason (str) when the weight is out of range."""
    match = _WEIGHT_RE.match(piece)
    if not match:
        return default, piece
    weight = float(match.group(1).replace(",", "."))
    if not -100 <= weight <= 100:
        return _("Bobot %(w)s%% di luar rentang -100 sampai 100.", w=match.group(1)), piece
    return round(weight / 100, 7), piece[match.end():]


def _pieces(answer_text, marker):
    """The answers of a block whose answers each start with `marker` (the text before the first is an error)."""
    pieces = answer_text.split(marker)
    if pieces[0].strip():
        return None
    return [p.strip() for p in pieces[1:]]


def _feedback_answers(pieces, fmt, default_weight, text_fn):
    answers = []
    for piece in pieces:
        fraction, piece = _weighted(piece, default_weight)
        if isinstance(fraction, str):
            return fraction
        text, has_feedback, feedback = piece.partition("#")
        answers.append(GiftAnswer(text_fn(text), fraction, _text(feedback, fmt) if has_feedback else ""))
    return answers


def _choice_answers(answer_text, fmt):
    """The answers of a `~`/`=` block, or a reason (str) when one cannot be read."""
    pieces = _pieces(answer_text.replace("=", "~="), "~")
    if pieces is None:
        return _("Teks sebelum jawaban pertama di dalam { } harus diawali = atau ~.")
    answers = []
    for piece in pieces:
        if piece.startswith("="):  # as in Moodle, "=" is full credit and a %weight% after it is text
            text, has_feedback, feedback = piece[1:].partition("#")
            answers.append(GiftAnswer(_text(text, fmt), 1.0, _text(feedback, fmt) if has_feedback else ""))
            continue
        found = _feedback_answers([piece], fmt, 0.0, lambda text: _text(text, fmt))
        if isinstance(found, str):
            return found
        answers.extend(found)
    return answers


def _matching_answers(answer_text, fmt):
    pieces = _pieces(answer_text, "=")
    if pieces is None:
        return _("Setiap pasangan harus diawali = (misalnya =item -> pasangannya).")
    answers = []
    for piece in pieces:
        item, arrow, partner = piece.partition("->")
        if not arrow:
            return _("Pasangan “%(p)s” tidak memiliki tanda ->.", p=_unescape(piece)[:60])
        answers.append(GiftAnswer(_text(item, fmt), 0.0, "", " ".join(_unescape(partner).split())))
    return answers


def _true_false(answer_text, fmt):
    parts = answer_text.split("#", 2)
    correct = _TRUE_FALSE[parts[0].strip().upper()]
    wrong_feedback = _text(parts[1], fmt) if len(parts) > 1 else ""
    right_feedback = _text(parts[2], fmt) if len(parts) > 2 else ""
    return [GiftAnswer(TF_TRUE, 1.0 if correct else 0.0, right_feedback if correct else wrong_feedback),
            GiftAnswer(TF_FALSE, 0.0 if correct else 1.0, wrong_feedback if correct else right_feedback)]


def _answers(answer_text, fmt):
    """(kind, answers) of an answer block, in Moodle's order of recognising kinds; answers may be a reason (str)."""
    if not answer_text:
        return "essay", []
    if answer_text.startswith("#"):
        body = answer_text[1:].strip()
        pieces = _pieces(body, "=") if "=" in body else [body]
        if pieces is None:
            return "numerical", _("Teks sebelum jawaban numerik pertama harus diawali =.")
        return "numerical", _feedback_answers(pieces, fmt, 1.0, lambda text: _unescape(text).strip())
    if "~" in answer_text:
        return ("single" if "=" in answer_text else "multi"), _choice_answers(answer_text, fmt)
    if "=" in answer_text and "->" in answer_text:
        return "matching", _matching_answers(answer_text, fmt)
    if answer_text.split("#", 1)[0].strip().upper() in _TRUE_FALSE:
        return "truefalse", _true_false(answer_text, fmt)
    pieces = _pieces(answer_text, "=")
    if pieces is None:
        return "shortanswer", _("Jawaban singkat harus diawali = (misalnya {=Jakarta =DKI Jakarta}).")
    return "shortanswer", _feedback_answers(pieces, fmt, 1.0, lambda text: " ".join(_unescape(text).split()))


def _parse_question(content, meta, category, result):
    line = content[0][0]
    t = _escape_placeholders("\n".join(text for _number, text in content).strip())
    name = ""
    if t.startswith("::"):
        end = t.find("::", 2)
        if end < 0:
            result.skipped.append(GiftSkip(line, _("Nama soal dibuka dengan :: tetapi tidak ditutup.")))
            return
        name = " ".join(_unescape(t[2:end]).split())
        t = t[end + 2:]
    fmt, t = _split_format(t.lstrip(), "plain")
    label = name or " ".join(_unescape(t).split())[:40]

    def skip(reason):
        result.skipped.append(GiftSkip(line, reason, label))

    start = t.find("{")
    if start < 0:  # a description: text without an answer block
        kind, answers, general, stem_raw = "description", [], "", t
    else:
        finish = t.find("}", start)
        if finish < 0:
            return skip(_("Kurung kurawal { tidak ditutup dengan }."))
        before, answer_text, after = t[:start], t[start + 1:finish], t[finish + 1:]
        general = ""
        separator = answer_text.find("####")
        if separator >= 0:
            general = _text(answer_text[separator + 4:], fmt)
            answer_text = answer_text[:separator]
        kind, answers = _answers(answer_text.strip(), fmt)
        if isinstance(answers, str):
            return skip(answers)
        stem_raw = before + (formats.BLANK + after if after.strip() else "")
    stem = _text(stem_raw, fmt)
    if not stem:
        return skip(_("Teks soal kosong."))
    problem = check_answers(kind, answers)
    if problem:
        return skip(problem)
    found = _parse_meta(meta, result)
    result.questions.append(GiftQuestion(
        name=(name or auto_name(stem, fmt))[:MAX_NAME], kind=kind, stem=stem, answers=answers, category=category,
        general_feedback=general, text_format=fmt, sections=found.sections, difficulty=found.difficulty,
        id_number=found.id_number, tags=found.tags, line=line, named=bool(name)))


# --- writing ------------------------------------------------------------------------------------------------------

def escape(text):
    out = (text or "").replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _percent(fraction):
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


def _weight(fraction):
    return "" if fraction >= 0.9999999 else f"%{_percent(fraction)}%"


def _feedback(answer):
    return f"#{escape(answer.feedback)}" if answer.feedback else ""


def _answer_lines(q):
    if q.kind == "truefalse":
        true, false = q.answers[0], q.answers[1]
        correct_is_true = true.fraction >= false.fraction
        right, wrong = (true, false) if correct_is_true else (false, true)
        feedback = ""
        if right.feedback:
            feedback = f"#{escape(wrong.feedback)}#{escape(right.feedback)}"
        elif wrong.feedback:
            feedback = f"#{escape(wrong.feedback)}"
        return [("TRUE" if correct_is_true else "FALSE") + feedback]
    if q.kind == "matching":
        return [f"={escape(a.text)} -> {escape(a.match_text)}" for a in q.answers]
    if q.kind == "shortanswer":
        return [f"={_weight(a.fraction)}{escape(a.text)}{_feedback(a)}" for a in q.answers]
    if q.kind == "numerical":
        return [f"={_weight(a.fraction)}{a.text}{_feedback(a)}" for a in q.answers]
    lines = []
    for answer in q.answers:
        if q.kind == "single" and answer.fraction >= 0.999:
            prefix = "="
        elif answer.fraction == 0:
            prefix = "~"
        else:
            prefix = f"~%{_percent(answer.fraction)}%"
        lines.append(f"{prefix}{escape(answer.text)}{_feedback(answer)}")
    return lines


def _question_lines(q):
    head = f"::{escape(q.name)}::[{q.text_format}]"
    if q.kind == "description":
        return [head + escape(q.stem)]
    before, blank, after = q.stem.partition(formats.BLANK)
    opener = "{#" if q.kind == "numerical" else "{"
    out = [f"{head}{escape(before)}{'' if blank else ' '}{opener}"]
    out.extend(f"\t{line}" for line in _answer_lines(q))
    if q.general_feedback:
        out.append(f"\t####{escape(q.general_feedback)}")
    out.append("}" + (escape(after) if blank else ""))
    return out


def write(questions, header=None):
    """GiftQuestions -> GIFT text that `parse` reads back into the same questions."""
    lines = []
    if header:
        lines.extend(f"// {line}" for line in header.splitlines())
        lines.append("")
    category = None
    for q in questions:
        if q.category != category:
            category = q.category
            lines.append("$CATEGORY: $course$/top" + "".join("/" + part.replace("/", "//") for part in category))
            lines.append("")
        if q.id_number or q.tags:
            lines.append("// " + " ".join(([f"[id:{q.id_number}]"] if q.id_number else [])
                                           + [f"[tag:{tag}]" for tag in q.tags]))
        if q.sections:
            lines.append("// @pedoman: " + ", ".join(q.sections))
        if q.difficulty:
            lines.append(f"// @tingkat: {q.difficulty}")
        lines.extend(_question_lines(q))
        lines.append("")
    return "\n".join(lines)
