"""Measure the checker on labelled posts: precision and recall per category, false alarms on harmless posts.

    python -m portal.check.evaluate [CORPUS] [--split heldout|dev|all]

The corpus (default tests/check_corpus.txt) holds posts, each after a header line "=== <id> | <split> | <labels>",
labels being comma-separated categories or "-" for a harmless post. A post "raises" a category when the checker
returns at least one flag of it. The false-alarm rate is the share of harmless posts with any flag at all.
"""

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from portal.check.model import CATEGORIES
from portal.check.rules import check_text

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "tests" / "check_corpus.txt"
TARGETS = {"personal_data": 0.95, "classification": 0.95, "neutrality": 0.8, "sara": 0.8, "hoax": 0.8,
           "wealth": 0.8}
MAX_FALSE_ALARMS = 0.10


class CorpusError(ValueError):
    pass


@dataclass(frozen=True)
class Post:
    id: str
    split: str
    labels: frozenset
    text: str


@dataclass
class Report:
    split: str
    posts: int = 0
    harmless: int = 0
    false_alarms: int = 0
    counts: dict = field(default_factory=dict)  # category -> [tp, fp, fn, support]
    misses: list = field(default_factory=list)  # (post id, expected, raised)

    def precision(self, category):
        tp, fp, _fn, _n = self.counts[category]
        return tp / (tp + fp) if tp + fp else None

    def recall(self, category):
        tp, _fp, fn, _n = self.counts[category]
        return tp / (tp + fn) if tp + fn else None

    @property
    def false_alarm_rate(self):
        return self.false_alarms / self.harmless if self.harmless else 0.0

    def failures(self):
        """Targets missed: [(what, value, target)]."""
        out = []
        for category, target in TARGETS.items():
            recall = self.recall(category)
            if recall is not None and recall < target:
                out.append((f"recall {category}", recall, target))
        if self.false_alarm_rate > MAX_FALSE_ALARMS:
            out.append(("false alarms", self.false_alarm_rate, MAX_FALSE_ALARMS))
        return out


def parse_corpus(text):
    posts, header, lines = [], None, []

    def close():
        if header is not None:
            body = "\n".join(lines).strip()
            if not body:
                raise CorpusError(f"post {header[0]} has no text")
            posts.append(Post(header[0], header[1], header[2], body))

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("=== "):
            close()
            parts = [p.strip() for p in line[4:].split("|")]
            if len(parts) != 3:
                raise CorpusError(f"line {number}: expected '=== id | split | labels'")
            labels = frozenset() if parts[2] == "-" else frozenset(x.strip() for x in parts[2].split(","))
            unknown = labels - set(CATEGORIES)
            if unknown:
                raise CorpusError(f"line {number}: unknown categories {sorted(unknown)}")
            header, lines = (parts[0], parts[1], labels), []
        elif header is None:
            continue  # comments before the first post
        elif not line.startswith("# "):
            lines.append(line)
    close()
    ids = [p.id for p in posts]
    if len(ids) != len(set(ids)):
        raise CorpusError("duplicate post ids")
    return posts


def load_corpus(path=DEFAULT_CORPUS):
    return parse_corpus(Path(path).read_text(encoding="utf-8"))


def evaluate(posts, split="all", terms=None):
    report = Report(split, counts={c: [0, 0, 0, 0] for c in CATEGORIES})
    for post in posts:
        if split != "all" and post.split != split:
            continue
        raised = check_text(post.text, terms).categories
        report.posts += 1
        if not post.labels:
            report.harmless += 1
            report.false_alarms += bool(raised)
        for category in CATEGORIES:
            expected, got = category in post.labels, category in raised
            row = report.counts[category]
            row[0] += expected and got
            row[1] += got and not expected
            row[2] += expected and not got
            row[3] += expected
        if raised != set(post.labels):
            report.misses.append((post.id, sorted(post.labels), sorted(raised)))
    return report


def _fmt(value):
    return "   -" if value is None else f"{value:.2f}"


def format_report(report, show_misses=False):
    lines = [f"split: {report.split}  posts: {report.posts}  harmless: {report.harmless}",
             f"{'category':<16}{'posts':>6}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'target':>8}"]
    for category in CATEGORIES:
        tp, fp, fn, n = report.counts[category]
        lines.append(f"{category:<16}{n:>6}{tp:>5}{fp:>5}{fn:>5}{_fmt(report.precision(category)):>11}"
                     f"{_fmt(report.recall(category)):>8}{TARGETS[category]:>8.2f}")
    lines.append(f"false alarms on harmless posts: {report.false_alarms}/{report.harmless} = "
                 f"{report.false_alarm_rate:.1%} (target <= {MAX_FALSE_ALARMS:.0%})")
    failures = report.failures()
    lines.append("targets: met" if not failures else
                 "targets missed: " + ", ".join(f"{what} {value:.2f} (target {target:.2f})"
                                               for what, value, target in failures))
    if show_misses and report.misses:
        lines.append("posts where the raised categories differ from the labels:")
        lines.extend(f"  {pid}: expected {exp or '-'}, raised {got or '-'}" for pid, exp, got in report.misses)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m portal.check.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--split", choices=("heldout", "dev", "all", "each"), default="each",
                        help="which posts to evaluate (default: each split, then all)")
    parser.add_argument("--misses", action="store_true", help="list the posts the checker gets wrong")
    args = parser.parse_args(argv)
    try:
        posts = load_corpus(args.corpus)
    except (OSError, CorpusError) as error:
        print(f"cannot read the corpus {args.corpus}: {error}", file=sys.stderr)
        return 2
    splits = ("heldout", "dev", "all") if args.split == "each" else (args.split,)
    failed = False
    for i, split in enumerate(splits):
        report = evaluate(posts, split)
        if i:
            print()
        print(format_report(report, show_misses=args.misses))
        failed = failed or bool(report.failures())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
