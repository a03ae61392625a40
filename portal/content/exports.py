"""XLSX of a unit's month and of the institution roll-up (through portal/exports.py: real numbers and dates, frozen
header, autofilter, text never a formula). Headers and words (report states, the total row, a platform that is a
word) are in the interface language of the person downloading; numbers, percentages and dates stay real values."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.content import reports
from portal.content.forms import REPORT_STATE_LABELS
from portal.exports import Column, download
from portal.timezone import to_wib

PLATFORM_WORDS = {"Website": _l("Situs web")}  # the other platforms are names, the same in every language


def platform_label(platform):
    return str(PLATFORM_WORDS.get(platform, platform))


def _pct(value):
    return None if value is None else value / 100


def unit_month(session, unit, first):
    data = reports.figures(session, unit, first)
    cols = [Column(_("Bulan"), 10, "yyyy-mm"), Column(_("Unit"), 30), Column(_("Platform"), 12),
            Column(_("Akun"), 24), Column(_("Pos direncanakan"), 12), Column(_("Pos terbit"), 10),
            Column(_("Jangkauan"), 12, "#,##0"), Column(_("Interaksi"), 12, "#,##0"),
            Column(_("Tingkat interaksi"), 12, "0.00%"), Column(_("Pengikut akhir bulan"), 14, "#,##0"),
            Column(_("Pengikut baru"), 12, "#,##0"), Column(_("Pertumbuhan pengikut"), 12, "0.00%")]
    rows = [[first, unit.name, platform_label(f.account.platform), f.account.handle, f.planned, f.published, f.reach,
             f.interactions, _pct(f.engagement), f.followers, f.new_followers, _pct(f.growth)] for f in data.accounts]
    rows.append([first, unit.name, _("Jumlah"), "", data.planned, data.published, data.reach, data.interactions,
                 _pct(data.engagement), data.followers, data.new_followers, None])
    name = _("laporan-medsos")
    return download(cols, rows, "xlsx", f"{name}-{unit.code}-{first.strftime('%Y-%m')}",
                    sheet_title=f"{unit.code} {first.strftime('%Y-%m')}")


def rollup(session, user, first):
    rows_in = reports.ranking(reports.rollup(session, user, first))
    cols = [Column(_("Peringkat"), 9), Column(_("Unit"), 34), Column(_("Status laporan"), 14),
            Column(_("Diajukan"), 16), Column(_("Pos direncanakan"), 12), Column(_("Pos terbit"), 10),
            Column(_("Tepat waktu"), 11, "0.00%"), Column(_("Jangkauan"), 12, "#,##0"),
            Column(_("Interaksi"), 12, "#,##0"), Column(_("Tingkat interaksi"), 12, "0.00%"),
            Column(_("Pengikut baru"), 12, "#,##0")]
    rows = []
    for rank, row in enumerate(rows_in, start=1):
        f = row.figures
        submitted = to_wib(row.report.submitted_at).replace(tzinfo=None) if row.report and row.report.submitted_at \
            else None
        rows.append([rank, row.unit.name, str(REPORT_STATE_LABELS.get(row.status, row.status)), submitted, f.planned,
                     f.published, _pct(f.on_time_rate), f.reach, f.interactions, _pct(f.engagement),
                     f.new_followers])
    name = _("rekap-medsos")
    return download(cols, rows, "xlsx", f"{name}-{first.strftime('%Y-%m')}",
                    sheet_title=first.strftime("%Y-%m"))
