"""`flask --app portal fsck`: files and rows agree after any crash.

Each pillar that stores files lists them in `portal/pillars.py` (`stored_files(session) -> {relative path: what
it is}`). fsck compares that with UPLOAD_DIR and reports:
- orphan files: on disk, named by no record (a crash between writing a file and committing its record);
- missing files: named by a record, absent on disk (reported: the record keeps its other data; restore the file
  from a backup);
- leftovers of interrupted writes (`*.part`, `tmp*`) and expired import previews (they hold personal data);
- unfinished moves: an upload committed with its record whose rename from `<name>.part` a crash interrupted;
- jobs whose worker died (queued again).
With `--repair` it finishes unfinished moves, removes orphans, leftovers and expired previews, and re-queues dead
jobs.
"""

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from portal import db, jobs, staging

DERIVED = ("renditions/",)  # files made from an original (regenerated on demand or at upload): kept with it


@dataclass
class Report:
    orphans: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # (path, what)
    leftovers: list = field(default_factory=list)
    unfinished: list = field(default_factory=list)  # referenced paths whose `.part` is still waiting to be renamed
    expired_previews: int = 0
    requeued_jobs: int = 0

    @property
    def clean(self):
        return not (self.orphans or self.missing or self.leftovers or self.unfinished or self.expired_previews)

    def lines(self):
        yield from (f"orphan file: {p}" for p in self.orphans)
        yield from (f"missing file: {p} ({what})" for p, what in self.missing)
        yield from (f"leftover of an interrupted write: {p}" for p in self.leftovers)
        yield from (f"upload not yet moved into place: {p}" for p in self.unfinished)
        if self.expired_previews:
            yield f"expired import previews: {self.expired_previews}"
        if self.requeued_jobs:
            yield f"jobs taken over from a dead worker: {self.requeued_jobs}"


def referenced_files(session):
    referenced = {}
    for pillar in current_app.extensions["pillars"]:
        if pillar.stored_files is not None:
            referenced.update(pillar.stored_files(session))
    return referenced


def _derived_from(relative, referenced_digests):
    """A rendition belongs to the original whose content hash starts its name."""
    name = Path(relative).name
    return name.split("-", 1)[0] in referenced_digests


def check(repair=False):
    root = Path(current_app.config["UPLOAD_DIR"])
    report = Report()
    with db.unit_of_work(write=False) as session:
        referenced = referenced_files(session)
    digests = {Path(p).stem for p in referenced}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()
    for relative in sorted(on_disk):
        name = Path(relative).name
        if name.endswith(".part") and relative[:-5] in referenced and relative[:-5] not in on_disk:
            report.unfinished.append(relative[:-5])
        elif name.endswith((".part", ".tmp")) or name.startswith("tmp"):
            report.leftovers.append(relative)
        elif relative not in referenced and not (relative.startswith(DERIVED) and _derived_from(relative, digests)):
            report.orphans.append(relative)
    report.missing = sorted((p, what) for p, what in referenced.items()
                            if p not in on_disk and p not in report.unfinished)
    previews = staging.folder()
    report.expired_previews = sum(1 for p in previews.glob("*") if staging.is_expired(p))
    if repair:
        for relative in report.unfinished:
            (root / f"{relative}.part").replace(root / relative)
        for relative in report.orphans + report.leftovers:
            (root / relative).unlink(missing_ok=True)
        staging.purge_expired()
        report.requeued_jobs = jobs.recover()
    return report
