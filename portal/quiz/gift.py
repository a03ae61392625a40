"""GIFT, Moodle's text format for question banks: a parser and a writer, independent of the database.

Supported: `::name::`, `$CATEGORY:` (the last part of the path is the topic), `//` comments, single choice (`=`/`~`),
multiple response (`~%50%`, also negative weights), true/false (`T`/`F`/`TRUE`/`FALSE` with one or two `#feedback`s),
per-answer `#feedback`, general feedback `####`, `[markdown]`/`[html]`/`[plain]`/`[moodle]` markers, escapes
`\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n`, multi-line questions, Windows line endings and a BOM.

Our extension: comment lines directly above a question, `// @pedoman: slug-a, slug-b` (handbook sections) and
`// @tingkat: N` (difficulty 1-3). Other kinds (matching, numerical, short answer, essay, description) are reported
with their line number and skipped; the rest of the file still imports.
"""

import html
import re
from dataclasses import dataclass, field

import nh3
from flask_babel import gettext as _

from portal.errors import DomainError
from portal.quiz.kinds import TF_FALSE, TF_TRUE, auto_name, check_answers

MAX_BYTES = 5 * 1024 * 1024
MAX_QUESTIONS = 5000
FORMATS = ("markdown", "html", "plain", "moodle")

# Escaped characters become private-use placeholders while parsing, so they never act as syntax.
_ESCAPABLE = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005",
              ":": "\ue006", "n": "\ue007"}
_UNESCAPE = {v: ("\n" if k == "n" else k) for k, v in _ESCAPABLE.items()}
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_WEIGHT_RE = re.compile(r"^%\s*(-?\d+(?:[.,]\d+)?)\s*%")
_FORMAT_RE = re.compile(r"^\s*\[(markdown|html|plain|moodle)\]", re.IGNORECASE)
_META_RE = re.compile(r"^//\s*@(pedoman|tingkat)\s*:\s*(.*)$", re.IGNORECASE)


class GiftError(DomainError):
    """The file cannot be read at all (not UTF-8, binary, empty, too large)."""


@dataclass
class GiftAnswer:
    text: str
    fraction: float  # -1..1
    feedback: str = ""


@dataclass
class GiftQuestion:
    name: str
    kind: str  # single | multi | truefalse
    stem: str  # Markdown
    answers: list[GiftAnswer]  # for true/false: [Benar, Salah] with their fractions and feedback
    category: str = ""  # topic name; "" when the file gives none
    general_feedback: str = ""  # the explanation
    sections: list[str] = field(default_factory=list)  # handbook section slugs
    difficulty: int | None = None
    line: int = field(default=0, compare=False)  # where it starts in the file
    source_format: str = field(default="moodle", compare=False)


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


def _category_name(value):
    """`$course$/top/Foo/Bar` -> "Bar" (a doubled slash is a literal slash in Moodle's category paths)."""
    value = value.strip().replace("//", "\ue010")
    parts = [p.strip() for p in value.split("/") if p.strip()]
    parts = [p for p in parts if not (p.startswith("$") and p.endswith("$"))]
    if parts and parts[-1].lower() == "top":
        parts = parts[:-1]
    return parts[-1].replace("\ue010", "/") if parts else ""


def parse(text):
    """GIFT text -> GiftResult (questions, skipped ones with line and reason, warnings)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    result = GiftResult()
    category = ""
    for block in _blocks(text):
        meta, content = [], []
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                if not content:
                    meta.append((number, stripped))
                continue
            if not content and stripped.startswith("$CATEGORY:"):
                category = _category_name(stripped[len("$CATEGORY:"):])
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


def _parse_meta(meta, line, result):
    sections, difficulty = [], None
    for number, comment in meta:
        match = _META_RE.match(comment)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "pedoman":
            for slug in re.split(r"[,\s]+", value):
                if slug and slug not in sections:
                    sections.append(slug)
        else:
            if value.isdigit() and 1 <= int(value) <= 3:
                difficulty = int(value)
            else:
                result.warnings.append((number, _("Tingkat kesulitan “%(v)s” tidak dikenal (pakai 1, 2, atau 3); "
                                                  "soal tetap diimpor dengan tingkat bawaan.", v=value)))
    return sections, difficulty


def _split_format(text, default):
    match = _FORMAT_RE.match(text)
    if match:
        return match.group(1).lower(), text[match.end():]
    return default, text


def _markdown_escape(text):
    text = re.sub(r"([\\`*_\[\]])", r"\\\1", text)
    return re.sub(r"(?m)^(\s*)([#>+-]|\d+\.)(?=\s)", r"\1\\\2", text)


def _html_to_text(text):
    """Untrusted HTML -> plain text: a few line breaks kept, every tag dropped by nh3, entities decoded."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|div|h[1-6]|ul|ol|table|tr)\s*>", "\n\n", text)
    text = re.sub(r"(?i)<li[^>]*>", "\n- ", text)
    text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text.strip())


def _text(raw, fmt):
    """A piece of question text (escaped placeholders inside) -> Markdown for storage."""
    fmt, raw = _split_format(raw.strip(), fmt)
    value = _unescape(raw).strip()
    if fmt == "html":
        return _html_to_text(value)
    if fmt == "plain":
        return _markdown_escape(value)
    return value


def _parse_question(content, meta, category, result):
    line = content[0][0]
    raw = "\n".join(text for _number, text in content).strip()
    t = _escape_placeholders(raw)
    name = ""
    if t.startswith("::"):
        end = t.find("::", 2)
        if end < 0:
            result.skipped.append(GiftSkip(line, _("Nama soal dibuka dengan :: tetapi tidak ditutup.")))
            return
        name = " ".join(_unescape(t[2:end]).split())
        t = t[end + 2:]
    fmt, t = _split_format(t.lstrip(), "moodle")
    label = name or _unescape(t).strip()[:40]
    start = t.find("{")
    if start < 0:
        result.skipped.append(GiftSkip(line, _("Deskripsi tanpa jawaban (tipe “description”) tidak didukung."), label))
        return
    finish = t.find("}", start)
    if finish < 0:
        result.skipped.append(GiftSkip(line, _("Kurung kurawal { tidak ditutup dengan }."), label))
        return
    before, answer_text, after = t[:start], t[start + 1:finish].strip(), t[finish + 1:]
    stem_raw = before + ("_____" + after if after.strip() else "")
    general = ""
    separator = answer_text.rfind("####")
    if separator >= 0:
        general = _text(answer_text[separator + 4:], fmt)
        answer_text = answer_text[:separator].strip()

    def skip(reason):
        result.skipped.append(GiftSkip(line, reason, label))

    if not answer_text:
        return skip(_("Soal esai (jawaban {} kosong) tidak didukung."))
    if answer_text.startswith("#"):
        return skip(_("Soal numerik ({#…}) tidak didukung."))
    if "~" in answer_text:
        answers = _choice_answers(answer_text, fmt)
    elif "=" in answer_text and "->" in answer_text:
        return skip(_("Soal menjodohkan (->) tidak didukung."))
    else:
        check = answer_text.split("#", 1)[0].strip().upper()
        if check not in ("T", "TRUE", "F", "FALSE"):
            return skip(_("Soal jawaban singkat (hanya jawaban =, tanpa ~) tidak didukung."))
        answers = None
    stem = _text(stem_raw, fmt)
    if not stem:
        return skip(_("Teks soal kosong."))
    sections, difficulty = _parse_meta(meta, line, result)
    if answers is None:
        kind = "truefalse"
        parts = answer_text.split("#", 2)
        correct = parts[0].strip().upper() in ("T", "TRUE")
        wrong_fb = _text(parts[1], fmt) if len(parts) > 1 else ""
        right_fb = _text(parts[2], fmt) if len(parts) > 2 else ""
        answers = [GiftAnswer(TF_TRUE, 1.0 if correct else 0.0, right_fb if correct else wrong_fb),
                   GiftAnswer(TF_FALSE, 0.0 if correct else 1.0, wrong_fb if correct else right_fb)]
    else:
        if isinstance(answers, str):
            return skip(answers)
        kind = "single" if "=" in answer_text else "multi"
        problem = check_answers(kind, answers)
        if problem:
            return skip(problem)
    result.questions.append(GiftQuestion(
        name=(name or auto_name(stem))[:200], kind=kind, stem=stem, answers=answers, category=category,
        general_feedback=general, sections=sections, difficulty=difficulty, line=line, source_format=fmt))


def _choice_answers(answer_text, fmt):
    """The answers of a `~`/`=` block, or a reason (str) when one cannot be read."""
    pieces = answer_text.replace("=", "~=").split("~")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]
    elif pieces:
        return _("Teks sebelum jawaban pertama di dalam { } harus diawali = atau ~.")
    answers = []
    for piece in pieces:
        piece = piece.strip()
        if piece.startswith("="):
            fraction, piece = 1.0, piece[1:]
        else:
            match = _WEIGHT_RE.match(piece)
            if match:
                weight = float(match.group(1).replace(",", "."))
                if not -100 <= weight <= 100:
                    return _("Bobot %(w)s%% di luar rentang -100 sampai 100.", w=match.group(1))
                fraction, piece = round(weight / 100, 7), piece[match.end():]
            else:
                fraction = 0.0
        text, _hash, feedback = piece.partition("#")
        answers.append(GiftAnswer(_text(text, fmt), fraction, _text(feedback, fmt) if _hash else ""))
    return answers


# --- writing ------------------------------------------------------------------------------------------------------

def escape(text):
    out = (text or "").replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _percent(fraction):
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


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
            lines.append("$CATEGORY: $course$/top/" + (category or "").replace("/", "//"))
            lines.append("")
        if q.sections:
            lines.append("// @pedoman: " + ", ".join(q.sections))
        if q.difficulty:
            lines.append(f"// @tingkat: {q.difficulty}")
        lines.append(f"::{escape(q.name)}::[markdown]{escape(q.stem)} {{")
        if q.kind == "truefalse":
            true, false = q.answers[0], q.answers[1]
            correct_is_true = true.fraction >= false.fraction
            right, wrong = (true, false) if correct_is_true else (false, true)
            value = "TRUE" if correct_is_true else "FALSE"
            feedback = ""
            if right.feedback:
                feedback = f"#{escape(wrong.feedback)}#{escape(right.feedback)}"
            elif wrong.feedback:
                feedback = f"#{escape(wrong.feedback)}"
            lines.append(f"\t{value}{feedback}")
        else:
            for answer in q.answers:
                if q.kind == "single" and answer.fraction >= 0.999:
                    prefix = "="
                elif answer.fraction == 0:
                    prefix = "~"
                else:
                    prefix = f"~%{_percent(answer.fraction)}%"
                feedback = f"#{escape(answer.feedback)}" if answer.feedback else ""
                lines.append(f"\t{prefix}{escape(answer.text)}{feedback}")
        if q.general_feedback:
            lines.append(f"\t####{escape(q.general_feedback)}")
        lines.append("}")
        lines.append("")
    return "\n".join(lines)
