"""Metrics per published post and account: entered by hand, or imported from the platforms' own exports.

An import is analysed in full first (`preview`): the file is read (portal/content/platform_files.py), its columns
mapped to our fields (English or Indonesian headers, a preset per platform, the account's remembered mapping, or a
mapping typed on the import page), the number locale decided from the file ("1.234" Indonesian or "1,234" English
both mean 1234), and every line checked; any bad line stops the whole import with its line number. `apply` then
writes: a line is matched to a planned post by permalink, else by account and publish time within three hours, else
it becomes an unplanned post. Re-importing the same file changes nothing.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import insert
from sqlmodel import select

from portal import audit
from portal.content.common import text_key
from portal.content.platform_files import read_table
from portal.errors import DomainError
from portal.models import (
    ContentAccount,
    ContentImportMapping,
    ContentMetric,
    ContentPost,
    ContentPostAccount,
    ContentPostChange,
    utcnow,
)
from portal.models.content import INTERACTION_FIELDS, METRIC_FIELDS
from portal.staging import Preview
from portal.timezone import WIB, as_utc, to_wib

MATCH_WINDOW = timedelta(hours=3)
FIELDS = ("permalink", "published_at", "title", *METRIC_FIELDS)
FIELD_LABELS = {"permalink": "tautan", "published_at": "waktu publikasi", "title": "judul/teks", "reach": "jangkauan",
                "impressions": "tayangan", "likes": "suka", "comments": "komentar", "shares": "dibagikan",
                "saves": "disimpan", "clicks": "klik tautan", "video_views": "tayangan video"}
# What people read (FIELD_LABELS above are also the names typed in a column mapping, so they stay Indonesian).
FIELD_TITLES = {"permalink": _l("Tautan"), "published_at": _l("Waktu publikasi"), "title": _l("Judul/teks"),
                "reach": _l("Jangkauan"), "impressions": _l("Tayangan"), "likes": _l("Suka"),
                "comments": _l("Komentar"), "shares": _l("Dibagikan"), "saves": _l("Disimpan"),
                "clicks": _l("Klik tautan"), "video_views": _l("Tayangan video")}

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
# Headers that only one family of platforms writes: a file of another platform is refused.
SIGNATURES = {
    "meta": {"post id", "id postingan", "account username", "nama pengguna akun", "permalink", "tautan permanen"},
    "x": {"tweet id", "id tweet", "tweet permalink", "permalink tweet", "tweet text", "teks tweet"},
    "youtube": {"video publish time", "waktu publikasi video", "watch time hours", "waktu tonton jam",
                "subscribers", "subscriber"},
    "tiktok": {"video link", "tautan video", "total play"},
}
FAMILY = {"Instagram": "meta", "Facebook": "meta", "Threads": "meta", "X": "x", "YouTube": "youtube",
          "TikTok": "tiktok"}
FAMILY_LABELS = {"meta": "Meta Business Suite (Instagram/Facebook)", "x": "X", "youtube": "YouTube Studio",
                 "tiktok": "TikTok"}
SUMMARY_WORDS = {"total", "jumlah", "totals", "grand total"}
ID_MONTHS = {"jan": "Jan", "feb": "Feb", "mar": "Mar", "apr": "Apr", "mei": "May", "jun": "Jun", "jul": "Jul",
             "agu": "Aug", "agt": "Aug", "sep": "Sep", "okt": "Oct", "nov": "Nov", "des": "Dec"}

ID_NUMBER = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$|^\d+,\d{1,2}$")
EN_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+\.\d{1,2}$")
PLAIN_NUMBER = re.compile(r"^\d+$")


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


@dataclass
class Analysis:
    preview: Preview
    lines: list = field(default_factory=list)
    mapping: dict = field(default_factory=dict)  # header -> field
    locale: str = "id"


def normal_url(url):
    """Permalinks compare without scheme, query, fragment, "www." and trailing slash, case-insensitively."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    return f"{host}{parts.path.rstrip('/')}".lower()[:500]


def detect_mapping(header, platform, remembered=None, override=None):
    """header -> field for the columns we know: typed mapping first, then the account's remembered one, then the
    platform preset, then the general list. Unknown columns are left out."""
    preset = PRESETS.get(platform, {})
    general = {syn: name for name, synonyms in HEADERS.items() for syn in synonyms}
    mapping, taken = {}, set()
    for column in header:
        key = text_key(column)
        if not key:
            continue
        for source in (override or {}, remembered or {}):
            if column in source or key in source:
                target = source.get(column, source.get(key))
                break
        else:
            target = preset[key] if key in preset else general.get(key)
        if target in FIELDS and target not in taken:
            mapping[column] = target
            taken.add(target)
    return mapping


def parse_mapping_text(text):
    """ "Jangkauan = reach" lines -> {header: field}; a line naming an unknown field is a DomainError."""
    mapping = {}
    labels = {label: name for name, label in FIELD_LABELS.items()}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise DomainError(_("Pemetaan baris %(n)d: tulis \"Judul kolom = nama isian\".", n=number))
        column, target = (part.strip() for part in line.split("=", 1))
        target = labels.get(target.lower(), target.lower())
        if target not in FIELDS:
            raise DomainError(_("Pemetaan baris %(n)d: isian \"%(f)s\" tidak dikenal. Pilih salah satu: %(all)s.",
                                n=number, f=target[:40], all=", ".join(FIELDS)))
        mapping[column] = target
    return mapping


def _family_of(header):
    keys = {text_key(c) for c in header}
    scores = {family: len(keys & signature) for family, signature in SIGNATURES.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= 2 else None


def decide_locale(cells, header):
    """'id' or 'en', and why, from the numbers in the metric columns; the header language when they do not say."""
    id_seen = en_seen = 0
    for value in cells:
        if not isinstance(value, str):
            continue
        value = value.strip().replace("\u00a0", "").replace(" ", "")
        if ID_NUMBER.match(value):
            id_seen += 1
        elif EN_NUMBER.match(value):
            en_seen += 1
    if id_seen and en_seen:
        raise DomainError(_("Angka di berkas ini memakai dua format sekaligus (1.234 dan 1,234). Ekspor ulang dengan "
                            "satu pengaturan bahasa."))
    if id_seen:
        return "id", _("Angka dibaca dengan format Indonesia: titik pemisah ribuan (1.234 = seribu dua ratus tiga "
                       "puluh empat).")
    if en_seen:
        return "en", _("Angka dibaca dengan format Inggris: koma pemisah ribuan (1,234 = seribu dua ratus tiga puluh "
                       "empat).")
    indonesian = any(text_key(c) in {"jangkauan", "tayangan", "suka", "komentar", "dibagikan", "disimpan",
                                     "waktu publikasi"} for c in header)
    return ("id" if indonesian else "en"), _("Angka di berkas ini tanpa pemisah ribuan; tidak ada yang perlu "
                                            "ditafsirkan.")


def parse_number(value, locale):
    """A count >= 0, None for an empty cell; DomainError otherwise."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "-", "–")):
        return None
    if isinstance(value, bool):
        raise DomainError(_("bukan angka"))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if locale == "id":
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise DomainError(_("\"%(v)s\" bukan angka", v=str(value)[:30])) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DomainError(_("bukan angka"))
    if number < 0:
        raise DomainError(_("angka negatif (%(v)s) tidak mungkin untuk metrik", v=str(value)[:30]))
    if number > 2_000_000_000:
        raise DomainError(_("angka terlalu besar (%(v)s)", v=str(value)[:30]))
    return int(round(number))


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                "%b %d, %Y %H:%M", "%b %d, %Y", "%d %b %Y %H:%M", "%d %b %Y", "%d %B %Y")


def parse_when(value, locale):
    """A publish time as aware WIB; DomainError when it cannot be read."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=WIB) if value.tzinfo is None else value.astimezone(WIB)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=WIB)
    text = " ".join(str(value or "").split())
    if not text:
        raise DomainError(_("waktu publikasi kosong"))
    zone = WIB
    offset = re.search(r"\s*(?:([+-])(\d{2}):?(\d{2})|Z|UTC)$", text)
    if offset:
        if offset.group(1):
            minutes = int(offset.group(2)) * 60 + int(offset.group(3))
            zone = timezone(timedelta(minutes=minutes if offset.group(1) == "+" else -minutes))
        else:
            zone = UTC
        text = text[:offset.start()].strip()
    words = text.split(" ")
    words = [ID_MONTHS.get(w.lower().rstrip(".")[:3], w) if w[:1].isalpha() else w for w in words]
    text = " ".join(words)
    slash = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2})[:.](\d{2}))?", text)
    try:
        if slash:
            a, b, year = int(slash.group(1)), int(slash.group(2)), int(slash.group(3))
            month, day = (a, b) if locale == "en" and a <= 12 else (b, a)
            if a > 12:
                day, month = a, b
            hour, minute = int(slash.group(4) or 0), int(slash.group(5) or 0)
            return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(WIB)
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=zone).astimezone(WIB)
            except ValueError:
                continue
    except ValueError:
        pass
    raise DomainError(_("waktu publikasi \"%(v)s\" tidak dapat dibaca", v=str(value)[:40]))


def remembered_mapping(session, account_id):
    row = session.get(ContentImportMapping, account_id)
    try:
        return json.loads(row.mapping) if row else {}
    except ValueError:
        return {}


def analyse(session, account, raw, month=None, override=None):
    """Read and check a whole file for one account; nothing is written."""
    preview = Preview()
    header, rows, notes = read_table(raw)
    preview.notes.extend(notes)
    family = _family_of(header)
    expected = FAMILY.get(account.platform)
    if family and expected and family != expected:
        raise DomainError(_("Berkas ini tampaknya ekspor %(found)s, bukan %(platform)s. Pilih akun yang sesuai atau "
                            "unggah ekspor %(platform)s.", found=FAMILY_LABELS[family], platform=account.platform))
    mapping = detect_mapping(header, account.platform, remembered_mapping(session, account.id), override)
    fields = set(mapping.values())
    if not fields & set(METRIC_FIELDS):
        raise DomainError(_("Tidak ada kolom angka yang dikenali (misalnya Reach/Jangkauan, Likes/Suka). Kolom di "
                            "berkas: %(cols)s. Tulis pemetaan kolom bila judulnya berbeda.",
                            cols=", ".join(h for h in header if h)[:300]))
    if not fields & {"permalink", "published_at"}:
        raise DomainError(_("Kolom tautan (Permalink/Tautan permanen) atau waktu publikasi (Publish time/Waktu "
                            "publikasi) tidak ditemukan; tanpa itu baris tidak dapat dicocokkan dengan pos."))
    preview.notes.append(_("Kolom dipakai: %(m)s.", m="; ".join(f"{c} → {FIELD_TITLES[f]}"
                                                                 for c, f in mapping.items())))
    index = {f: header.index(c) for c, f in mapping.items()}
    metric_cells = [cells[index[f]] for _line, cells in rows for f in METRIC_FIELDS
                    if f in index and index[f] < len(cells)]
    locale, note = decide_locale(metric_cells, header)
    preview.notes.append(note)
    analysis = Analysis(preview, mapping=mapping, locale=locale)
    parsed = []
    for line, cells in rows:
        def cell(name, cells=cells):
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else ""

        first = str(cells[0]).strip().lower() if cells else ""
        if first in SUMMARY_WORDS or text_key(str(cell("title"))) in SUMMARY_WORDS:
            preview.skipped.append((line, "", _("baris ringkasan (total)")))
            continue
        problems, values = [], {}
        for name in METRIC_FIELDS:
            if name in index:
                try:
                    values[name] = parse_number(cell(name), locale)
                except DomainError as error:
                    problems.append(f"{FIELD_TITLES[name]}: {error.message}")
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
        if published is not None and not (datetime(2000, 1, 1, tzinfo=WIB) <= published
                                          <= datetime.now(WIB) + timedelta(days=1)):
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
        return analysis
    _match(session, account, parsed)
    seen = {}
    for item in parsed:
        key = normal_url(item.permalink) or (item.published and item.published.isoformat())
        if key in seen:
            preview.skipped.append((item.line, item.permalink, _("sama dengan baris %(n)d", n=seen[key])))
            continue
        seen[key] = item.line
        if item.action == "same":
            preview.skipped.append((item.line, item.permalink, _("sudah tercatat, tidak berubah")))
            continue
        analysis.lines.append(item)
        preview.rows.append({"action": item.action, "line": item.line, "permalink": item.permalink,
                             "published": item.published, "match": item.match, "values": item.values})
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
    for item in lines:
        url = normal_url(item.permalink)
        post = None
        if url:
            post = posts_by_id.get(by_metric_url.get(url)) or by_url.get(url)
            if post is not None:
                item.match = _("tautan sama dengan pos #%(id)d", id=post.id)
        if post is None and item.published is not None:
            moment = as_utc(item.published).replace(tzinfo=None)
            near = [p for p in timed if p.id not in taken and abs(p.scheduled_at.replace(tzinfo=None) - moment)
                    <= MATCH_WINDOW and (not url or not p.published_url or normal_url(p.published_url) == url)]
            if near:
                post = min(near, key=lambda p: abs(p.scheduled_at.replace(tzinfo=None) - moment))
                item.match = _("waktu dekat pos terencana #%(id)d", id=post.id)
        if post is None:
            item.match = _("pos baru tanpa rencana")
            continue
        taken.add(post.id)
        item.post_id = post.id
        existing = metrics.get(post.id)
        if existing is None:
            continue
        same = all(getattr(existing, name) == value for name, value in item.values.items())
        item.action = "same" if same else "update"


def preview(session, account, raw, month=None, override=None):
    return analyse(session, account, raw, month, override).preview


def apply(session, actor, account, raw, month=None, override=None):
    """Write what `analyse` found; returns the preview (its rows say what happened)."""
    analysis = analyse(session, account, raw, month, override)
    result = analysis.preview
    if not result.ok:
        raise DomainError(ngettext("Berkas berisi %(num)d baris bermasalah; tidak ada yang disimpan.",
                                   "Berkas berisi %(num)d baris bermasalah; tidak ada yang disimpan.",
                                   len(result.errors)))
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    existing = {m.post_id: m for m in session.exec(select(ContentMetric).where(
        ContentMetric.account_id == account.id)).all()}
    matched_ids = sorted({item.post_id for item in analysis.lines if item.post_id})
    posts = {}
    for start in range(0, len(matched_ids), 500):
        chunk = matched_ids[start:start + 500]
        posts.update({p.id: p for p in session.exec(select(ContentPost).where(ContentPost.id.in_(chunk))).all()})
    # New posts, their account links, history and metrics are inserted in batches (Core INSERTs): a platform
    # export can hold thousands of lines, and one ORM object per row would take minutes.
    new_lines = [item for item in analysis.lines if item.post_id is None]
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
    fresh = []
    with session.no_autoflush:
        for item in analysis.lines:
            published_utc = as_utc(item.published) if item.published else None
            post = posts.get(item.post_id)
            if post is not None and post.status in ("draf", "diajukan", "disetujui"):
                session.add(ContentPostChange(post_id=post.id, from_status=post.status, to_status="terbit",
                                              actor_id=actor_id, note=_("dari impor metrik")))
                post.status = "terbit"
                post.version += 1
                session.add(post)
            if post is not None and item.permalink and not post.published_url:
                post.published_url = item.permalink
                session.add(post)
            metric = existing.get(item.post_id)
            values = {name: item.values.get(name) for name in METRIC_FIELDS if name in item.values}
            if metric is None:
                fresh.append({"post_id": item.post_id, "account_id": account.id,
                              **{name: None for name in METRIC_FIELDS}, **values,
                              "permalink": normal_url(item.permalink), "published_at": published_utc,
                              "source": "import", "updated_at": now})
                continue
            for name, value in values.items():
                setattr(metric, name, value)
            metric.permalink = normal_url(item.permalink) or metric.permalink
            metric.published_at = published_utc or metric.published_at
            metric.source, metric.updated_at = "import", now
            session.add(metric)
    if fresh:
        session.execute(insert(ContentMetric), fresh)
    stored = session.get(ContentImportMapping, account.id) or ContentImportMapping(account_id=account.id)
    stored.mapping, stored.updated_at = json.dumps(analysis.mapping, ensure_ascii=False), now
    session.add(stored)
    session.flush()
    audit.record(session, actor, "content.metrics.import", "content_account", account.id,
                 f"{account.platform} {account.handle}: " + counts_line(result))
    return result


def counts_line(result):
    return (f"imported {result.count('create')}, updated {result.count('update')}, "
            f"skipped {len(result.skipped)}")


# --- hand entry -----------------------------------------------------------------------------------------------------

def save_metrics(session, actor, post, account_id, values):
    """Metrics of one published post on one of its accounts, typed by hand (a cell at a time or all at once).
    `values` maps field names to text as typed; empty means unknown."""
    if post.status not in ("terbit", "dievaluasi"):
        raise DomainError(_("Metrik hanya untuk pos yang sudah terbit."))
    accounts = set(session.exec(select(ContentPostAccount.account_id).where(
        ContentPostAccount.post_id == post.id)).all())
    if account_id not in accounts:
        raise DomainError(_("Akun ini bukan akun pos tersebut."))
    parsed = {}
    for name, raw in values.items():
        if name not in METRIC_FIELDS:
            continue
        try:
            parsed[name] = parse_number(raw, "id")
        except DomainError as error:
            raise DomainError(f"{FIELD_TITLES[name]}: {error.message}", field=name) from None
    metric = session.exec(select(ContentMetric).where(ContentMetric.post_id == post.id,
                                                      ContentMetric.account_id == account_id)).first()
    before = {n: getattr(metric, n) for n in parsed} if metric else None
    if metric is None:
        metric = ContentMetric(post_id=post.id, account_id=account_id, published_at=post.scheduled_at,
                               permalink=normal_url(post.published_url))
    for name, value in parsed.items():
        setattr(metric, name, value)
    metric.source, metric.updated_at = "manual", utcnow()
    session.add(metric)
    session.flush()
    audit.record(session, actor, "content.metrics.save", "content_post", post.id,
                 _("metrik pos #%(id)d", id=post.id), before=before, after=parsed)
    return metric


def post_metrics(session, post):
    """[(account, metric or None)] for the post's accounts."""
    rows = session.exec(select(ContentAccount, ContentMetric).join(
        ContentPostAccount, ContentPostAccount.account_id == ContentAccount.id).outerjoin(
        ContentMetric, (ContentMetric.account_id == ContentAccount.id) & (ContentMetric.post_id == post.id)).where(
        ContentPostAccount.post_id == post.id).order_by(ContentAccount.platform)).all()
    return list(rows)


def interactions(metric):
    return sum(getattr(metric, name) or 0 for name in INTERACTION_FIELDS)


# --- what the plan and the account page use -------------------------------------------------------------------------

def account_totals(session, account_id, first, last):
    """(reach, interactions) of an account's posts published in a month; (None, None) without metrics."""
    from portal.content.plan import _window

    start, end = _window(first, last)
    rows = session.exec(select(ContentMetric).join(ContentPost, ContentPost.id == ContentMetric.post_id).where(
        ContentMetric.account_id == account_id, ContentPost.scheduled_at >= start,
        ContentPost.scheduled_at < end)).all()
    if not rows:
        return None, None
    return sum(m.reach or 0 for m in rows), sum(interactions(m) for m in rows)


def best_hours(session, unit_id, minimum=5):
    """platform -> the two WIB hours with the highest average interactions among the unit's posts with metrics;
    platforms with fewer than `minimum` such posts are left out (the plan then shows a default)."""
    rows = session.exec(select(ContentAccount.platform, ContentPost.scheduled_at, ContentMetric).join(
        ContentMetric, ContentMetric.account_id == ContentAccount.id).join(
        ContentPost, ContentPost.id == ContentMetric.post_id).where(ContentAccount.unit_id == unit_id)).all()
    by_platform = {}
    for platform, scheduled, metric in rows:
        by_platform.setdefault(platform, {}).setdefault(to_wib(scheduled).hour, []).append(interactions(metric))
    found = {}
    for platform, hours in by_platform.items():
        if sum(len(v) for v in hours.values()) < minimum:
            continue
        ranked = sorted(hours, key=lambda h: (-sum(hours[h]) / len(hours[h]), h))
        found[platform] = sorted(ranked[:2])
    return found


def save_account_month(session, actor, account, first, values):
    """An account's month as the platform reports it (followers at month end, new followers, posts, reach)."""
    from portal.models import ContentAccountMonth

    parsed = {}
    for name in ("followers", "new_followers", "posts", "reach"):
        try:
            parsed[name] = parse_number(values.get(name), "id")
        except DomainError as error:
            raise DomainError(error.message, field=name) from None
    row = session.get(ContentAccountMonth, (account.id, first)) or ContentAccountMonth(account_id=account.id,
                                                                                       month=first)
    before = {n: getattr(row, n) for n in parsed}
    for name, value in parsed.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor, "content.account_month.save", "content_account", account.id,
                 f"{account.handle} {first.strftime('%Y-%m')}", before=before, after=parsed)
    return row
