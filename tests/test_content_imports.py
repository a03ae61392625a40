"""Konten, issue 13 (continued): large metric imports through the job queue, account-level exports (followers, new
followers, posts, reach), the file kind, bad input, and the report XLSX in both interface languages."""

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from portal import db, jobs
from portal.content import import_posts, metric_imports
from portal.errors import DomainError
from portal.models import ContentAccountMonth, ContentMetric, Job
from tests import factories
from tests.test_content_metrics import DAY, DEMO, ID_HEADER, LAST_MONTH, _month_of_posts, csv_file, day_text
from tests.test_content_metrics import world as world  # noqa: F401 - the fixture

TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def post_lines(count, reach="1.234"):
    rows = [";".join([f"Pos {n}", day_text(DAY, f"{n % 24:02d}:{n % 60:02d}", "id"),
                      f"https://www.instagram.com/p/P{n}/", reach, "2", "3", "4", "5", "6"]) for n in range(count)]
    return (";".join(ID_HEADER) + "\n" + "\n".join(rows) + "\n").encode()


def upload(client, account, raw, name="ekspor.csv", **fields):
    return client.post(f"/content/akun/{account.id}/impor", data={"file": (io.BytesIO(raw), name), **fields},
                       content_type="multipart/form-data")


def confirm(client, account, page, **fields):
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    return client.post(f"/content/akun/{account.id}/impor/konfirmasi", data={"token": token, **fields})


def committed_metrics():
    from flask import current_app

    with current_app.app_context(), db.unit_of_work(write=False) as other:  # another connection: the committed rows
        return len(other.exec(select(ContentMetric.id)).all())


# --- large files: the job, a batch per commit ------------------------------------------------------------------------

def test_fifty_thousand_lines_preview_then_import_as_a_job_committing_each_batch(app, client, session, login, world,
                                                                                  monkeypatch):
    steps = []
    step = jobs.JobContext.step

    def recording_step(ctx, done, total, message=""):
        step(ctx, done, total, message)
        steps.append((done, total, committed_metrics()))

    monkeypatch.setattr(jobs.JobContext, "step", recording_step)
    login(world.manager)
    raw = post_lines(50_000)
    page = upload(client, world.ig, raw)
    assert page.status_code == 200
    assert "50000 baru, 0 diperbarui, 0 dilewati" in page.get_data(as_text=True)
    done = confirm(client, world.ig, page)
    assert done.status_code == 303 and done.headers["Location"].startswith("/jobs/")
    text = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Impor selesai: 50000 baru, 0 diperbarui, 0 dilewati." in text
    assert f'href="/content/akun/{world.ig.id}"' in text
    session.rollback()
    with app.app_context():
        assert committed_metrics() == 50_000
    job = session.exec(select(Job)).one()
    assert (job.kind, job.status, job.progress) == ("content.metrics", "done", 100)
    batches = [(d, t, seen) for d, t, seen in steps if t == 50_000]
    assert len(batches) == 50_000 // import_posts.BATCH
    assert all(seen == d for d, _t, seen in batches)  # each batch was committed when its step was recorded


def test_an_interrupted_job_resumes_and_a_third_run_changes_nothing(app, client, session, login, world, monkeypatch):
    app.config["IMPORT_JOB_MIN_ROWS"] = 5
    monkeypatch.setattr(import_posts, "BATCH", 4)
    step = jobs.JobContext.step

    def dying_step(ctx, done, total, message=""):
        step(ctx, done, total, message)
        if total == 10 and done == 4:
            raise DomainError("the worker stopped")

    monkeypatch.setattr(jobs.JobContext, "step", dying_step)
    login(world.manager)
    raw = post_lines(10)
    first = confirm(client, world.ig, upload(client, world.ig, raw))
    assert "the worker stopped" in client.get(first.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert committed_metrics() == 4  # the first batch stays
    monkeypatch.setattr(jobs.JobContext, "step", step)
    second = confirm(client, world.ig, upload(client, world.ig, raw))
    assert "Impor selesai: 6 baru, 0 diperbarui, 4 dilewati." in client.get(second.headers["Location"]).get_data(
        as_text=True)
    page = upload(client, world.ig, raw)
    assert "Tidak ada yang perlu diimpor" in page.get_data(as_text=True)
    with app.app_context():
        assert committed_metrics() == 10
    session.rollback()
    assert {m.reach for m in session.exec(select(ContentMetric)).all()} == {1234}


def test_a_small_file_is_written_at_once(app, client, session, login, world):
    login(world.manager)
    done = confirm(client, world.ig, upload(client, world.ig, post_lines(3)))
    assert done.headers["Location"] == f"/content/akun/{world.ig.id}"
    assert session.exec(select(Job)).all() == []
    with app.app_context():
        assert committed_metrics() == 3


# --- account-level exports -------------------------------------------------------------------------------------------

def expected_month(name, delimiter, locale, columns):
    """The month's figures computed by hand from a sample file: followers of the last day, the rest summed."""
    text = (DEMO / name).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))

    def number(value):
        return int(value.replace(".", "") if locale == "id" else value.replace(",", ""))

    followers, new, posts, reach = columns
    return {"followers": number(rows[-1][followers]), "new_followers": sum(number(r[new]) for r in rows),
            "posts": sum(number(r[posts]) for r in rows),
            "reach": sum(number(r[reach]) for r in rows) if reach else None}


@pytest.mark.parametrize("name, platform, delimiter, locale, columns", [
    ("instagram_akun_id.csv", "Instagram", ";", "id", ("Pengikut Instagram", "Pengikut baru", "Postingan",
                                                       "Jangkauan")),
    ("facebook_akun_en.csv", "Facebook", ",", "en", ("Facebook Page followers", "New Page followers", "Posts",
                                                     "Page reach")),
    ("x_akun_en.csv", "X", ",", "en", ("Followers", "New follows", "Tweets", None)),
    ("tiktok_akun_id.csv", "TikTok", ";", "id", ("Pengikut", "Selisih pengikut dari hari sebelumnya", "Video",
                                                 "Penonton unik")),
])
def test_account_exports_fill_the_month_and_reimport_changes_nothing(session, world, name, platform, delimiter,
                                                                     locale, columns):
    account = factories.make_content_account(session, world.unit, platform=platform, managers=[world.manager])
    raw = (DEMO / name).read_bytes()
    preview = metric_imports.preview(session, account, raw)
    assert any("angka akun" in note for note in preview.notes)
    assert any(("Indonesia" if locale == "id" else "Inggris") in note for note in preview.notes)
    result = metric_imports.apply(session, world.manager, account, raw)
    session.commit()
    assert metric_imports.counts_line(result) == "imported 1, updated 0, skipped 0"
    row = session.exec(select(ContentAccountMonth)).one()
    assert row.month == date(2026, 10, 1)
    assert {n: getattr(row, n) for n in ("followers", "new_followers", "posts", "reach")} == \
        expected_month(name, delimiter, locale, columns)
    again = metric_imports.apply(session, world.manager, account, raw)
    assert metric_imports.counts_line(again) == "imported 0, updated 0, skipped 1"
    assert "sudah tercatat" in again.skipped[0][2]


def test_youtube_account_xlsx_with_real_dates_and_numbers(session, world):
    from openpyxl import load_workbook

    account = factories.make_content_account(session, world.unit, platform="YouTube", managers=[world.manager])
    raw = (DEMO / "youtube_akun_en.xlsx").read_bytes()
    metric_imports.apply(session, world.manager, account, raw)
    session.commit()
    sheet = load_workbook(io.BytesIO(raw)).active
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    row = session.exec(select(ContentAccountMonth)).one()
    assert row.followers == lines[-1][2]  # "Total subscribers" of the last day
    assert row.new_followers == sum(line[1] for line in lines)  # YouTube's "Subscribers": gained that day
    assert (row.posts, row.reach) == (sum(line[3] for line in lines), sum(line[4] for line in lines))


def test_days_and_months_lines_the_chosen_month_and_what_was_typed_stays(session, world):
    earlier = date(LAST_MONTH.year - 1, 1, 1)
    session.add(ContentAccountMonth(account_id=world.ig.id, month=LAST_MONTH, reach=777))
    session.commit()
    days = [LAST_MONTH + timedelta(days=n) for n in range(3)]
    raw = csv_file(["Tanggal", "Pengikut", "Pengikut baru", "Postingan"], [
        [earlier.strftime("%Y-%m"), "1.000", "50", "4"],
        *[[d.strftime("%d/%m/%Y"), f"1.{100 + n}", "10", "1"] for n, d in enumerate(days)],
        ["Jumlah", "", "30", "3"],
    ])
    preview = metric_imports.preview(session, world.ig, raw)
    assert [(r["month"], r["action"]) for r in preview.rows] == [(earlier, "create"), (LAST_MONTH, "update")]
    assert preview.skipped == [(6, "", "baris ringkasan (total)")]
    assert len(preview.warnings) == 1 and "hanya 3 dari" in preview.warnings[0][1]  # a month of three days
    result = metric_imports.apply(session, world.manager, world.ig, raw, LAST_MONTH)
    session.commit()
    assert result.count("update") == 1 and any("di luar bulan" in reason for _l, _n, reason in result.skipped)
    row = session.get(ContentAccountMonth, (world.ig.id, LAST_MONTH))
    assert (row.followers, row.new_followers, row.posts, row.reach) == (1102, 30, 3, 777)
    assert session.get(ContentAccountMonth, (world.ig.id, earlier)) is None


@pytest.mark.parametrize("rows, message", [
    ([["Tanggal", "Pengikut"], ["kemarin", "10"]], r"tanggal \"kemarin\" tidak dapat dibaca"),
    ([["Tanggal", "Pengikut"], ["01/10/2026", "-10"]], "negatif"),
    ([["Tanggal", "Pengikut"], ["01/10/2026", "banyak"]], "bukan angka"),
])
def test_bad_account_lines_are_numbered_and_nothing_is_saved(session, world, rows, message):
    raw = csv_file(rows[0], rows[1:])
    preview = metric_imports.preview(session, world.ig, raw)
    assert [line for line, _m in preview.errors] == [2]
    assert re.search(message, preview.errors[0][1])
    with pytest.raises(DomainError, match="baris bermasalah"):
        metric_imports.apply(session, world.manager, world.ig, raw)
    session.rollback()
    assert session.exec(select(ContentAccountMonth)).all() == []


@pytest.mark.parametrize("raw, kind, message", [
    (b"Pengikut;Pengikut baru\n10;2\n", "akun", "Kolom tanggal"),
    (b"Tanggal;Catatan\n01/10/2026;x\n", "akun", "Tidak ada kolom angka akun"),
    (b"\xef\xbb\xbf\n\n", None, "Berkas kosong"),
    (b"Tanggal;Pengikut\n", None, "tidak berisi baris data"),
])
def test_unusable_account_files_get_a_clear_message(session, world, raw, kind, message):
    with pytest.raises(DomainError, match=message):
        metric_imports.preview(session, world.ig, raw, kind=kind)


def test_an_account_file_of_another_platform_is_refused(session, world):
    with pytest.raises(DomainError, match="ekspor X, bukan Instagram"):
        metric_imports.preview(session, world.ig, (DEMO / "x_akun_en.csv").read_bytes())
    with pytest.raises(DomainError, match="ekspor YouTube Studio, bukan X"):
        metric_imports.preview(session, world.x, (DEMO / "youtube_akun_en.xlsx").read_bytes())


def test_the_kind_is_decided_from_the_columns_or_told(session, world):
    posts, account = (DEMO / "instagram_id.csv").read_bytes(), (DEMO / "instagram_akun_id.csv").read_bytes()
    assert any("metrik per pos" in note for note in metric_imports.preview(session, world.ig, posts).notes)
    assert any("angka akun" in note for note in metric_imports.preview(session, world.ig, account).notes)
    with pytest.raises(DomainError, match="Kolom tanggal"):  # a post export told to be an account's days
        metric_imports.preview(session, world.ig, posts, kind="akun")
    youtube = factories.make_content_account(session, world.unit, platform="YouTube")
    # YouTube's post export has a "Subscribers" column too: its video titles make it a post file
    assert metric_imports.preview(session, youtube, (DEMO / "youtube_en.xlsx").read_bytes()).count("create") == 3


def test_account_export_through_the_web_and_the_cli(app, client, session, login, world, tmp_path):
    login(world.manager)
    raw = (DEMO / "instagram_akun_id.csv").read_bytes()
    page = upload(client, world.ig, raw, kind="akun")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Berkas siap diimpor" in body and "10-2026" in body
    assert confirm(client, world.ig, page, kind="akun").status_code == 303
    session.rollback()
    assert session.exec(select(ContentAccountMonth)).one().followers == 49407
    path = tmp_path / "akun.csv"
    path.write_bytes(raw.replace(b"49.407", b"49.500"))
    runner = app.test_cli_runner()
    changed = runner.invoke(args=["import-metrics", str(path), "--account", str(world.ig.id)])
    assert changed.exit_code == 0, changed.output
    assert changed.output.splitlines()[0] == "imported 0, updated 1, skipped 0"
    same = runner.invoke(args=["import-metrics", str(path), "--account", str(world.ig.id), "--jenis", "akun"])
    assert same.output.splitlines()[0] == "imported 0, updated 0, skipped 1"
    assert "line 2: bulan 10-2026 sudah tercatat, tidak berubah" in same.output
    wrong = runner.invoke(args=["import-metrics", str(DEMO / "instagram_id.csv"), "--account", str(world.ig.id),
                                "--jenis", "akun"])
    assert wrong.exit_code == 1 and "Kolom tanggal" in wrong.output
    session.expire_all()
    assert session.exec(select(ContentAccountMonth)).one().followers == 49500


# --- the report XLSX in the interface language ------------------------------------------------------------------------

@pytest.mark.parametrize("lang, words", [
    ("id", {"month": "Bulan", "total": "Jumlah", "rank": "Peringkat", "website": "Situs web", "state": "belum"}),
    ("en", {"month": "Month", "total": "Total", "rank": "Rank", "website": "Website", "state": "not yet"}),
])
def test_report_xlsx_speaks_the_interface_language_with_real_values(client, session, login, world, lang, words):
    from openpyxl import load_workbook

    _month_of_posts(session, world)
    factories.make_content_account(session, world.unit, platform="Website", handle="balai.go.id")
    world.unit.name = '=HYPERLINK("http://contoh.invalid","Balai")'
    session.add(world.unit)
    session.commit()
    login(world.central_humas)
    month = LAST_MONTH.strftime("%Y-%m")
    unit_book = load_workbook(io.BytesIO(client.get(
        f"/content/laporan/{world.unit.id}/xlsx?bulan={month}&lang={lang}").data))
    sheet = unit_book.active
    header = [c.value for c in sheet[1]]
    assert header[0] == words["month"] and sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert isinstance(rows[0][0].value, datetime) and rows[0][0].value.date() == LAST_MONTH
    assert rows[0][1].data_type == "s" and rows[0][1].value.startswith("=HYPERLINK")  # text, never a formula
    assert words["website"] in [row[2].value for row in rows] and rows[-1][2].value == words["total"]
    instagram = next(row for row in rows if row[2].value == "Instagram")
    assert instagram[6].value == 1000 and abs(instagram[8].value - 0.1) < 1e-9  # reach, engagement rate 10 %
    rollup = load_workbook(io.BytesIO(client.get(f"/content/laporan/xlsx?bulan={month}&lang={lang}").data)).active
    assert rollup.cell(1, 1).value == words["rank"] and rollup.freeze_panes == "A2"
    line = next(row for row in rollup.iter_rows(min_row=2, values_only=True) if str(row[1]).startswith("=HYPER"))
    assert line[2] in (words["state"], {"id": "terlambat", "en": "late"}[lang])
    assert isinstance(line[0], int) and line[7] == 1000


def test_the_import_preview_speaks_english_too(client, session, login, world):
    login(world.manager)
    page = client.post(f"/content/akun/{world.ig.id}/impor?lang=en",
                       data={"file": (io.BytesIO((DEMO / "instagram_akun_id.csv").read_bytes()), "akun.csv")},
                       content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert "File kind: account figures per day or per month" in text and "Indonesian format" in text
    assert "Pengikut Instagram → followers" in text and "Days in the file" in text
    assert "followers 49,407" in text
