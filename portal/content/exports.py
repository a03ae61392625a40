"""XLSX of a unit's month and of the institution roll-up (through portal/exports.py: real numbers and dates, frozen
header, autofilter, text never a formula), with Indonesian headers."""

from portal.content import reports
from portal.exports import Column, download
from portal.timezone import to_wib


def _pct(value):
    return None if value is None else value / 100


def unit_month(session, unit, first):
    data = reports.figures(session, unit, first)
    cols = [Column("Bulan", 10, "yyyy-mm"), Column("Unit", 30), Column("Platform", 12), Column("Akun", 24),
            Column("Pos direncanakan", 12), Column("Pos terbit", 10), Column("Jangkauan", 12, "#,##0"),
            Column("Interaksi", 12, "#,##0"), Column("Tingkat interaksi", 12, "0.00%"),
            Column("Pengikut akhir bulan", 14, "#,##0"), Column("Pengikut baru", 12, "#,##0"),
            Column("Pertumbuhan pengikut", 12, "0.00%")]
    rows = [[first, unit.name, f.account.platform, f.account.handle, f.planned, f.published, f.reach, f.interactions,
             _pct(f.engagement), f.followers, f.new_followers, _pct(f.growth)] for f in data.accounts]
    rows.append([first, unit.name, "Jumlah", "", data.planned, data.published, data.reach, data.interactions,
                 _pct(data.engagement), data.followers, data.new_followers, None])
    return download(cols, rows, "xlsx", f"laporan-medsos-{unit.code}-{first.strftime('%Y-%m')}",
                    sheet_title=f"{unit.code} {first.strftime('%Y-%m')}")


def rollup(session, user, first):
    rows_in = reports.ranking(reports.rollup(session, user, first))
    cols = [Column("Peringkat", 9), Column("Unit", 34), Column("Status laporan", 14), Column("Diajukan", 16),
            Column("Pos direncanakan", 12), Column("Pos terbit", 10), Column("Tepat waktu", 11, "0.00%"),
            Column("Jangkauan", 12, "#,##0"), Column("Interaksi", 12, "#,##0"),
            Column("Tingkat interaksi", 12, "0.00%"), Column("Pengikut baru", 12, "#,##0")]
    rows = []
    for rank, row in enumerate(rows_in, start=1):
        f = row.figures
        submitted = to_wib(row.report.submitted_at).replace(tzinfo=None) if row.report and row.report.submitted_at \
            else None
        rows.append([rank, row.unit.name, row.status, submitted, f.planned, f.published, _pct(f.on_time_rate),
                     f.reach, f.interactions, _pct(f.engagement), f.new_followers])
    return download(cols, rows, "xlsx", f"rekap-medsos-{first.strftime('%Y-%m')}", sheet_title=first.strftime("%Y-%m"))
