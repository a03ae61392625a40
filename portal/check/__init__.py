"""Cek sebelum unggah: the pre-post checker's rule engine (no request, no database, no app needed).

Design:

- `check_text(text, terms=None) -> CheckResult` (portal/check/rules.py) is the one entry point; the content plan
  calls it on captions, the /check/ page on what the employee types. It returns Flags: category, code, severity
  (tinggi/sedang/rendah), character spans, a lazily translated reason and the slug of the handbook section behind it
  (portal/check/model.py describes every code once, in RULES).
- Personal data is read from the original text with validators that know the layouts of NIK, KK, NIP, Indonesian
  mobile numbers, bank accounts, e-mail and plates (portal/check/personal.py).
- Everything else is matched with term lists (portal/check/defaults.py, plain data that admins will edit) on a
  normalised copy of the text (portal/check/normalize.py) that folds case, accents, leetspeak, repeated letters and
  slang while remembering where each character came from, so flags point at the original text.
- Rules mostly need two pieces of evidence close together; weak hoax signals only count in pairs. This keeps false
  alarms on ordinary posts low; portal/check/evaluate.py measures that against the labelled posts in
  tests/check_corpus.txt.
- `highlight(text, flags) -> Markup` (portal/check/highlight.py) escapes the text and marks flagged spans.
- `inspect_image(raw_bytes)` (portal/check/image_meta.py) reports GPS, device and owner metadata of an image.
"""

from portal.check.highlight import highlight
from portal.check.image_meta import inspect_image
from portal.check.model import CATEGORIES, RULES, CheckResult, Flag
from portal.check.rules import check_text

__all__ = ["CATEGORIES", "RULES", "CheckResult", "Flag", "check_text", "highlight", "inspect_image"]
