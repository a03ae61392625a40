"""Importing an account-level platform export: followers, new followers, posts and reach per day or per month
(Meta Business Suite, X, YouTube Studio and TikTok write a line per day; a line per month is read too).

A month's figures from its lines: followers at month end = the followers of its last dated line; new followers,
posts and reach = the sum of its lines (summed daily reach counts a person reached on two days twice; a line per
month carries the platform's own monthly figure instead). Only the columns the file has are written;
what was typed by hand for the others stays. Lines outside the chosen month are skipped with the reason;
re-importing the same file changes nothing.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import audit
from portal.content.platform_exports import (
    cells_of,
    decide_locale,
    detect_mapping,
    is_summary,
    parse_day,
    parse_number,
    refuse_other_platform,
    refuse_unless_ok,
    remember_mapping,
    remembered_mapping,
)
from portal.errors import DomainError
from portal.models import ContentAccountMonth, utcnow
from portal.staging import Preview
from portal.timezone import today_wib

FIGURES = ("followers", "new_followers", "posts", "reach")
FIELDS = ("day", *FIGURES)
FIELD_LABELS = {"day": _l("tanggal"), "followers": _l("pengikut"), "new_followers": _l("pengikut baru"),
                "posts": _l("unggahan"), "reach": _l("jangkauan")}
HEADERS = {
    "day": ["date", "tanggal", "day", "hari", "month", "bulan", "period", "periode"],
    "followers": ["followers", "pengikut", "total followers", "jumlah pengikut", "followers count", "page followers",
                  "pengikut halaman", "facebook page followers", "pengikut halaman facebook", "instagram followers",
                  "pengikut instagram", "subscribers", "total subscribers", "jumlah subscriber", "pelanggan"],
    "new_followers": ["new followers", "pengikut baru", "new follows", "follows", "followers gained",
                      "pengikut bertambah", "net followers", "pertambahan pengikut", "new page followers",
                      "pengikut halaman baru", "difference in followers from previous day",
                      "selisih pengikut dari hari sebelumnya", "subscribers gained", "subscriber baru"],
    "posts": ["posts", "postingan", "unggahan", "jumlah postingan", "jumlah unggahan", "posts published",
              "postingan dipublikasikan", "tweets", "tweet", "videos", "video", "videos published",
              "video dipublikasikan", "content published", "konten dipublikasikan"],
    "reach": ["reach", "jangkauan", "total reach", "total jangkauan", "accounts reached", "akun yang dijangkau",
              "page reach", "jangkauan halaman", "unique viewers", "penonton unik", "reached audience",
              "pemirsa yang dijangkau"],
}
PRESETS = {
    # YouTube Studio's channel export: "Subscribers" is the day's net gain, the total has its own column.
    "YouTube": {"subscribers": "new_followers", "subscriber": "new_followers", "pelanggan": "new_followers",
                "total subscribers": "followers", "jumlah subscriber": "followers"},
}
# Headers only one family of platforms writes in its account export (one is enough, when no other family has as many).
SIGNATURES = {
    "meta": ({"instagram followers", "pengikut instagram", "facebook page followers", "pengikut halaman facebook",
              "page followers", "pengikut halaman", "new page followers", "pengikut halaman baru", "page reach",
              "jangkauan halaman", "profile visits", "kunjungan profil"}, 1),
    "x": ({"new follows", "unfollows", "berhenti mengikuti", "tweets", "tweet", "profile visits x"}, 1),
    "youtube": ({"subscribers", "subscriber", "total subscribers", "jumlah subscriber", "subscribers gained",
                 "subscriber baru", "watch time hours", "waktu tonton jam"}, 1),
    "tiktok": ({"difference in followers from previous day", "selisih pengikut dari hari sebelumnya",
                "profile views", "tayangan profil"}, 1),
}


@dataclass
class Month:
    first: date
    line: int  # the month's first line in the file
    values: dict = field(default_factory=dict)
    days: set = field(default_factory=set)
    whole: bool = False  # a line for the whole month
    latest: date | None = None  # the day whose followers count is the month's end


@dataclass
class Analysis:
    preview: Preview
    months: list = field(default_factory=list)  # Month, to be written
    mapping: dict = field(default_factory=dict)


def mapping_for(session, account, labels, override=None):
    return detect_mapping(labels, FIELDS, HEADERS, PRESETS.get(account.platform),
                          remembered_mapping(session, account.id), override)


def names_followers(mapping):
    """Whether the columns found include followers or new followers (what only an account-level file has)."""
    return bool(set(mapping.values()) & {"followers", "new_followers"})


def analyse(session, account, table, month=None, override=None):
    """Check a whole account-level file (a tabular.Table); nothing is written."""
    preview = Preview()
    preview.notes.append(table.description)
    preview.notes.append(_("Jenis berkas: angka akun per hari atau per bulan (pengikut, pengikut baru, unggahan, "
                           "jangkauan)."))
    refuse_other_platform(table.labels, account, SIGNATURES)
    mapping = mapping_for(session, account, table.labels, override)
    fields = set(mapping.values())
    if "day" not in fields:
        raise DomainError(_("Kolom tanggal (Date/Tanggal) tidak ditemukan; tanpa itu angka tidak dapat dibagi per "
                            "bulan. Kolom di berkas: %(cols)s.", cols=", ".join(h for h in table.labels if h)[:300]))
    if not fields & set(FIGURES):
        raise DomainError(_("Tidak ada kolom angka akun yang dikenali (Followers/Pengikut, New followers/Pengikut "
                            "baru, Posts/Postingan, Reach/Jangkauan). Kolom di berkas: %(cols)s. Tulis pemetaan kolom "
                            "bila judulnya berbeda.", cols=", ".join(h for h in table.labels if h)[:300]))
    preview.notes.append(_("Kolom dipakai: %(m)s.", m="; ".join(f"{c} → {FIELD_LABELS[f]}"
                                                                 for c, f in mapping.items())))
    index = {f: table.labels.index(c) for c, f in mapping.items()}
    rows = [(row.number, cells_of(table, row)) for row in table.rows]
    locale, note = decide_locale([cells[index[f]] for _n, cells in rows for f in FIGURES if f in index],
                                 table.labels)
    preview.notes.append(note)
    preview.errors.extend(table.problems)
    months, today = {}, today_wib()
    for line, cells in rows:
        if is_summary(cells, cells[index["day"]]):
            preview.skipped.append((line, "", _("baris ringkasan (total)")))
            continue
        problems, values = [], {}
        try:
            day, whole = parse_day(cells[index["day"]], locale)
        except DomainError as error:
            problems.append(error.message)
        for name in FIGURES:
            if name in index:
                try:
                    values[name] = parse_number(cells[index[name]], locale)
                except DomainError as error:
                    problems.append(f"{FIELD_LABELS[name]}: {error.message}")
        if problems:
            preview.errors.append((line, "; ".join(problems)))
            continue
        if all(v is None for v in values.values()):
            preview.skipped.append((line, "", _("tidak ada angka")))
            continue
        if not date(2000, 1, 1) <= day <= today + timedelta(days=1):
            preview.skipped.append((line, "", _("tanggal %(d)s di luar rentang yang wajar",
                                                d=day.strftime("%d-%m-%Y"))))
            continue
        if month is not None and (day.year, day.month) != (month.year, month.month):
            preview.skipped.append((line, "", _("tanggal %(d)s, di luar bulan %(m)s", d=day.strftime("%d-%m-%Y"),
                                                m=month.strftime("%m-%Y"))))
            continue
        _add(months, line, day, whole, values, preview)
    if preview.errors:
        preview.errors.sort(key=lambda item: item[0])
        return Analysis(preview, mapping=mapping)
    analysis = Analysis(preview, mapping=mapping)
    existing = {row.month: row for row in session.exec(select(ContentAccountMonth).where(
        ContentAccountMonth.account_id == account.id)).all()}
    for item in sorted(months.values(), key=lambda m: m.first):
        _warn_partial(item, preview, today)
        row = existing.get(item.first)
        if row is not None and all(getattr(row, name) == value for name, value in item.values.items()):
            preview.skipped.append((item.line, "", _("bulan %(m)s sudah tercatat, tidak berubah",
                                                     m=item.first.strftime("%m-%Y"))))
            continue
        analysis.months.append(item)
        preview.rows.append({"action": "create" if row is None else "update", "line": item.line,
                             "month": item.first, "days": len(item.days), "values": item.values})
    preview.skipped.sort(key=lambda item: item[0] or 0)
    return analysis


def _add(months, line, day, whole, values, preview):
    first = day.replace(day=1)
    item = months.get(first)
    if item is None:
        item = months[first] = Month(first, line)
    elif whole or item.whole or day in item.days:
        what = _("bulan %(m)s", m=first.strftime("%m-%Y")) if whole or item.whole else day.strftime("%d-%m-%Y")
        preview.skipped.append((line, "", _("%(what)s sudah ada di baris sebelumnya", what=what)))
        return
    item.whole = item.whole or whole
    item.days.add(day)
    for name, value in values.items():
        if value is None:
            continue
        if name == "followers":
            if item.latest is None or day >= item.latest:
                item.values[name], item.latest = value, day
        else:
            item.values[name] = (item.values.get(name) or 0) + value


def _warn_partial(item, preview, today):
    if item.whole:
        return
    length = calendar.monthrange(item.first.year, item.first.month)[1]
    if (item.first.year, item.first.month) == (today.year, today.month):
        length = today.day
    if len(item.days) < length:
        preview.warnings.append((item.line, _(
            "Bulan %(m)s: hanya %(n)d dari %(all)d hari ada di berkas; pengikut baru, unggahan dan jangkauan "
            "dijumlah dari hari yang ada.", m=item.first.strftime("%m-%Y"), n=len(item.days), all=length)))


def apply(session, actor, account, table, month=None, override=None, progress=None):
    """Write the months `analyse` finds (a file holds a few months, so one batch); returns the preview."""
    analysis = analyse(session, account, table, month, override)
    result = analysis.preview
    refuse_unless_ok(result)
    now = utcnow()
    for item in analysis.months:
        row = session.get(ContentAccountMonth, (account.id, item.first)) or ContentAccountMonth(
            account_id=account.id, month=item.first)
        for name, value in item.values.items():
            setattr(row, name, value)
        row.updated_at = now
        session.add(row)
    remember_mapping(session, account.id, analysis.mapping)
    session.flush()
    if progress:
        progress(len(analysis.months), len(analysis.months), _("Angka bulanan akun tersimpan"))
    audit.record(session, actor, "content.account_month.import", "content_account", account.id,
                 f"{account.platform} {account.handle}: " + ", ".join(m.first.strftime("%Y-%m")
                                                                       for m in analysis.months))
    return result
