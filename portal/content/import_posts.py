"""Importing a post-level platform export (a line per published post) for one account.

`analyse` checks the whole file first: its columns mapped to our fields (portal/content/platform_exports.py), the
number locale decided from the file, every line checked; any bad line stops the whole import with its line number.
`apply` then writes, in batches (a job commits each one through `progress`, so a 50,000-line file holds the write
lock only per batch): a line is matched to a planned post by permalink, else by account and publish time within
three hours, else it becomes an unplanned post. Re-importing the same file changes nothing, which also makes an
interrupted job safe to run again.
"""

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, update
from sqlmodel import select

from portal import audit
from portal.content import post_search
from portal.content.common import text_key
from portal.content.platform_exports import (
    cells_of,
    decide_locale,
    detect_mapping,
    is_summary,
    normal_url,
    parse_number,
    parse_when,
    refuse_other_platform,
    refuse_unless_ok,
    remember_mapping,
    remembered_mapping,
)
from portal.errors import DomainError
from portal.models import ContentMetric, ContentPost, ContentPostAccount, ContentPostChange, utcnow
from portal.models.content import METRIC_FIELDS
from portal.staging import Preview
from portal.timezone import WIB, as_utc

MATCH_WINDOW = timedelta(hours=3)
BATCH = 2_000  # lines written per batch (and per commit in a job)
FIELDS = ("permalink", "published_at", "title", *METRIC_FIELDS)
FIELD_LABELS = {"permalink": _l("tautan"), "published_at": _l("waktu publikasi"), "title": _l("judul/teks"),
                "reach": _l("jangkauan"), "impressions": _l("tayangan"), "likes": _l("suka"),
                "comments": _l("komentar"), "shares": _l("dibagikan"), "saves": _l("disimpan"),
                "clicks": _l("klik tautan"), "video_views": _l("tayangan video")}

# Header (normalised with text_key) -> field, for every platform, in English and Indonesian.
HEADERS = {
    "permalink": ["permalink", "tautan permanen", "post link", "tautan postingan", "link", "tautan", "url",
                  "video link", "tautan video", "tweet permalink", "permalink tweet", "video url"],
    "published_at": ["publish time", "waktu publikasi", "waktu terbit", "post time", "waktu posting", "time",
                     "waktu", "date", "tanggal", "video publish time", "waktu publikasi video", "created time",
                     "tanggal dibuat"],
    "title": ["description", "deskripsi", "title", "judul", "video title", "judul video", "tweet text",
              "teks tweet", "caption", "keterangan", "post", "postingan"],
    "reach": ["reach", "jangkauan", "accounts reached", "akun yang dijangkau", "total reach"],
    "impressions": ["impressions", "impresi", "tayangan", "views", "total impressions"],
    "likes": ["likes", "suka", "reactions", "reaksi", "likes and reactions", "suka dan reaksi", "total likes"],
    "comments": ["comments", "komentar", "replies", "balasan", "total comments"],
    "shares": ["shares", "dibagikan", "bagikan", "retweets", "reposts", "repost", "total shares"],
    "saves": ["saves", "disimpan", "simpan"],
    "clicks": ["link clicks", "klik tautan", "url clicks", "klik url", "clicks", "klik"],
    "video_views": ["video views", "tayangan video", "plays", "total play", "video plays", "diputar"],
}
# What a header means on one platform when it differs from the general list.
PRESETS = {
    "YouTube": {"views": "video_views", "tayangan": "video_views", "penayangan": "video_views",
                "impressions": "impressions", "impresi": "impressions"},
    "TikTok": {"video views": "video_views", "tayangan video": "video_views", "views": "video_views"},
    "X": {"impressions": "impressions", "engagements": None, "interaksi": None},
}
# Headers that only one family of platforms writes (and how many must be present): a file of another platform is
# refused.
SIGNATURES = {
    "meta": ({"post id", "id postingan", "account username", "nama pengguna akun", "permalink", "tautan permanen"}, 2),
    "x": ({"tweet id", "id tweet", "tweet permalink", "permalink tweet", "tweet text", "teks tweet"}, 2),
    "youtube": ({"video publish time", "waktu publikasi video", "watch time hours", "waktu tonton jam",
                 "subscribers", "subscriber"}, 2),
    "tiktok": ({"video link", "tautan video", "total play"}, 2),
}


@dataclass
class Line:
    line: int
    action: str  # create | update | same
    permalink: str
    published: datetime | None  # WIB
    title: str
    values: dict
    post_id: int | None = None
    match: str = ""
    url: str = ""  # the permalink normalised (normal_url)


@dataclass
class Analysis:
    preview: Preview
    lines: list = field(default_factory=list)
    mapping: dict = field(default_factory=dict)  # header -> field
    locale: str = "id"


def mapping_for(session, account, labels, override=None):
    return detect_mapping(labels, FIELDS, HEADERS, PRESETS.get(account.platform),
                          remembered_mapping(session, account.id), override)


def analyse(session, account, table, month=None, override=None):
    """Check a whole file (a tabular.Table) for one account; nothing is written."""
    preview = Preview()
    preview.notes.append(table.description)
    preview.notes.append(_("Jenis berkas: metrik per pos (satu baris per unggahan)."))
    refuse_other_platform(table.labels, account, SIGNATURES)
    mapping = mapping_for(session, account, table.labels, override)
    fields = set(mapping.values())
    if not fields & set(METRIC_FIELDS):
        raise DomainError(_("Tidak ada kolom angka yang dikenali (misalnya Reach/Jangkauan, Likes/Suka). Kolom di "
                            "berkas: %(cols)s. Tulis pemetaan kolom bila judulnya berbeda.",
                            cols=", ".join(h for h in table.labels if h)[:300]))
    if not fields & {"permalink", "published_at"}:
        raise DomainError(_("Kolom tautan (Permalink/Tautan permanen) atau waktu publikasi (Publish time/Waktu "
                            "publikasi) tidak ditemukan; tanpa itu baris tidak dapat dicocokkan dengan pos."))
    preview.notes.append(_("Kolom dipakai: %(m)s.", m="; ".join(f"{c} → {FIELD_LABELS[f]}"
                                                                 for c, f in mapping.items())))
    index = {f: table.labels.index(c) for c, f in mapping.items()}
    rows = [(row.number, cells_of(table, row)) for row in table.rows]
    metric_cells = [cells[index[f]] for _line, cells in rows for f in METRIC_FIELDS if f in index]
    locale, note = decide_locale(metric_cells, table.labels)
    preview.notes.append(note)
    preview.errors.extend(table.problems)
    analysis = Analysis(preview, mapping=mapping, locale=locale)
    parsed = []
    earliest, latest = datetime(2000, 1, 1, tzinfo=WIB), datetime.now(WIB) + timedelta(days=1)
    for line, cells in rows:
        def cell(name, cells=cells):
            position = index.get(name)
            return cells[position] if position is not None else ""

        if is_summary(cells, cell("title")):
            preview.skipped.append((line, "", _("baris ringkasan (total)")))
            continue
        problems, values = [], {}
        for name in METRIC_FIELDS:
            if name in index:
                try:
                    values[name] = parse_number(cell(name), locale)
                except DomainError as error:
                    problems.append(f"{FIELD_LABELS[name]}: {error.message}")
        published = None
        if "published_at" in index and str(cell("published_at")).strip():
            try:
                published = parse_when(cell("published_at"), locale)
            except DomainError as error:
                problems.append(error.message)
        permalink = str(cell("permalink")).strip()[:500]
        if problems:
            preview.errors.append((line, "; ".join(problems)))
            continue
        if not permalink and published is None:
            preview.skipped.append((line, "", _("tanpa tautan dan tanpa waktu publikasi")))
            continue
        if all(v is None for v in values.values()):
            preview.skipped.append((line, permalink, _("tidak ada angka")))
            continue
        if published is not None and not earliest <= published <= latest:
            preview.skipped.append((line, permalink, _("waktu publikasi %(d)s di luar rentang yang wajar",
                                                       d=published.strftime("%d-%m-%Y"))))
            continue
        if month is not None and published is not None and (published.year, published.month) != (month.year,
                                                                                                  month.month):
            preview.skipped.append((line, permalink, _("terbit %(d)s, di luar bulan %(m)s",
                                                       d=published.strftime("%d-%m-%Y"), m=month.strftime("%m-%Y"))))
            continue
        parsed.append(Line(line, "create", permalink, published, " ".join(str(cell("title")).split())[:200],
                           values))
    if preview.errors:
        preview.errors.sort(key=lambda item: item[0])
        return analysis
    unique, seen = [], {}
    for item in parsed:
        item.url = normal_url(item.permalink)
        key = item.url or (item.published and item.published.isoformat())
        if key in seen:
            preview.skipped.append((item.line, item.permalink, _("sama dengan baris %(n)d", n=seen[key])))
            continue
        seen[key] = item.line
        unique.append(item)
    _match(session, account, unique)
    for item in unique:
        if item.action == "same":
            preview.skipped.append((item.line, item.permalink, _("sudah tercatat, tidak berubah")))
            continue
        analysis.lines.append(item)
        preview.rows.append({"action": item.action, "line": item.line, "permalink": item.permalink,
                             "published": item.published, "match": item.match, "values": item.values})
    preview.skipped.sort(key=lambda item: item[0] or 0)
    return analysis


def _match(session, account, lines):
    """Find each line's post: by permalink, else by publish time within MATCH_WINDOW of a planned post of the
    account; mark whether its metrics are new, changed or the same."""
    post_ids = select(ContentPostAccount.post_id).where(ContentPostAccount.account_id == account.id)
    posts = session.exec(select(ContentPost).where(ContentPost.id.in_(post_ids))).all()
    by_url = {normal_url(p.published_url): p for p in posts if p.published_url}
    metrics = {m.post_id: m for m in session.exec(select(ContentMetric).where(
        ContentMetric.account_id == account.id)).all()}
    by_metric_url = {m.permalink: m.post_id for m in metrics.values() if m.permalink}
    posts_by_id = {p.id: p for p in posts}
    taken = set()
    timed = sorted((p for p in posts if p.status not in ("ide",)), key=lambda p: p.scheduled_at.replace(tzinfo=None))
    moments = [p.scheduled_at.replace(tzinfo=None) for p in timed]
    unplanned = _("pos baru tanpa rencana")
    for item in lines:
        url = item.url
        post = None
        if url:
            post = posts_by_id.get(by_metric_url.get(url)) or by_url.get(url)
            if post is not None:
                item.match = _("tautan sama dengan pos #%(id)d", id=post.id)
        if post is None and item.published is not None:
            moment = as_utc(item.published).replace(tzinfo=None)
            low = bisect.bisect_left(moments, moment - MATCH_WINDOW)
            high = bisect.bisect_right(moments, moment + MATCH_WINDOW)
            near = [p for p in timed[low:high] if p.id not in taken
                    and (not url or not p.published_url or normal_url(p.published_url) == url)]
            if near:
                post = min(near, key=lambda p: abs(p.scheduled_at.replace(tzinfo=None) - moment))
                item.match = _("waktu dekat pos terencana #%(id)d", id=post.id)
        if post is None:
            item.match = unplanned
            continue
        taken.add(post.id)
        item.post_id = post.id
        existing = metrics.get(post.id)
        if existing is None:
            continue
        same = all(getattr(existing, name) == value for name, value in item.values.items())
        item.action = "same" if same else "update"


def apply(session, actor, account, table, month=None, override=None, progress=None):
    """Write what `analyse` finds, BATCH lines at a time; after each batch `progress(done, total, message)` is
    told (a job commits there). Returns the preview (its rows say what happened)."""
    analysis = analyse(session, account, table, month, override)
    result = analysis.preview
    refuse_unless_ok(result)
    actor_id = getattr(actor, "id", None)
    existing = {m.post_id: m for m in session.exec(select(ContentMetric).where(
        ContentMetric.account_id == account.id)).all()}
    total = len(analysis.lines)
    for start in range(0, total, BATCH):
        _write(session, actor_id, account, analysis.lines[start:start + BATCH], existing)
        if progress:
            done = min(start + BATCH, total)
            progress(done, total, _("%(done)d dari %(total)d baris tersimpan", done=done, total=total))
    remember_mapping(session, account.id, analysis.mapping)
    session.flush()
    audit.record(session, actor, "content.metrics.import", "content_account", account.id,
                 f"{account.platform} {account.handle}: " + counts_line(result))
    return result


def _write(session, actor_id, account, lines, existing):
    """One batch: new unplanned posts, planned posts marked published, metrics inserted or updated. Core
    statements throughout: a platform export can hold thousands of lines, one ORM object per row takes minutes."""
    now = utcnow()
    matched_ids = sorted({item.post_id for item in lines if item.post_id})
    posts = {p.id: p for p in session.exec(select(ContentPost).where(ContentPost.id.in_(matched_ids))).all()} \
        if matched_ids else {}
    new_lines = [item for item in lines if item.post_id is None]
    if new_lines:
        rows = [{"unit_id": account.unit_id, "scheduled_at": as_utc(item.published) if item.published else now,
                 "topic": item.title or _("Pos tanpa rencana"), "topic_key": text_key(item.title), "status": "terbit",
                 "planned": False, "published_url": item.permalink, "created_by_id": actor_id, "audience": "",
                 "caption": "", "tags": "", "rejection_reason": "", "check_flags": "[]", "version": 1,
                 "created_at": now, "updated_at": now} for item in new_lines]
        ids = session.execute(insert(ContentPost).returning(ContentPost.id, sort_by_parameter_order=True),
                              rows).scalars().all()
        for item, post_id in zip(new_lines, ids, strict=True):
            item.post_id = post_id
        session.execute(insert(ContentPostAccount), [{"post_id": i, "account_id": account.id} for i in ids])
        session.execute(insert(ContentPostChange), [
            {"post_id": i, "from_status": None, "to_status": "terbit", "actor_id": actor_id, "at": now,
             "note": _("dari impor metrik")} for i in ids])
    fresh, changed = [], []
    with session.no_autoflush:
        for item in lines:
            published_utc = as_utc(item.published) if item.published else None
            post = posts.get(item.post_id)
            if post is not None and post.status in ("draf", "diajukan", "disetujui"):
                session.add(ContentPostChange(post_id=post.id, from_status=post.status, to_status="terbit",
                                              actor_id=actor_id, note=_("dari impor metrik")))
                post.status = "terbit"
                post.version += 1
                session.add(post)
                post_search.changed(session)
            if post is not None and item.permalink and not post.published_url:
                post.published_url = item.permalink
                session.add(post)
            values = {name: item.values.get(name) for name in METRIC_FIELDS if name in item.values}
            metric = existing.get(item.post_id)
            if metric is None:
                fresh.append({"post_id": item.post_id, "account_id": account.id,
                              **{name: None for name in METRIC_FIELDS}, **values,
                              "permalink": item.url, "published_at": published_utc,
                              "source": "import", "updated_at": now})
                continue
            changed.append({"id": metric.id, **values, "source": "import", "updated_at": now,
                            "permalink": item.url or metric.permalink,
                            "published_at": published_utc or metric.published_at})
            session.expire(metric)  # the bulk UPDATE below does not refresh loaded objects
    if fresh:
        session.execute(insert(ContentMetric), fresh)
    if changed:  # every row carries the same columns (the file's): one executemany UPDATE by primary key
        session.execute(update(ContentMetric), changed)
    session.flush()


def counts_line(result):
    return (f"imported {result.count('create')}, updated {result.count('update')}, "
            f"skipped {len(result.skipped)}")
