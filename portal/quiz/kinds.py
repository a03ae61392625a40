"""What each kind of question accepts and how an answer to it is scored. No database: plain values in, plain
values out, shared by the editor, the GIFT importer and the attempt."""

import re

from flask_babel import gettext as _


def ids(text):
    """Comma-separated ids ("3,1,2") -> [3, 1, 2]."""
    return [int(x) for x in (text or "").split(",") if x]


def score_choice(kind, options_by_id, chosen_ids):
    """Credit 0..1 for the chosen options. Single choice and true/false: the chosen option's fraction.
    Multiple response: the sum of the chosen fractions (wrong picks cost), never below 0 nor above 1."""
    chosen = [i for i in chosen_ids if i in options_by_id]
    if not chosen:
        return 0.0
    if kind != "multi":
        return max(0.0, min(1.0, options_by_id[chosen[0]].fraction)) if len(chosen) == 1 else 0.0
    return max(0.0, min(1.0, sum(options_by_id[i].fraction for i in chosen)))


TF_TRUE, TF_FALSE = "Benar", "Salah"  # stored option texts of a true/false question (shown translated)


def auto_name(stem):
    """A question's name when none is given: the start of its text."""
    plain = " ".join(re.sub(r"[\\`*_#>\[\]()]", " ", stem).split())
    return plain[:60].rstrip() or "Soal"


def check_answers(kind, answers):
    """A reason (translated str) why these options cannot make a question of `kind`, or None."""
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
