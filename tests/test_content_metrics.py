"""Konten, issue 13: metrics imported from the platforms' exports (web and CLI), hand entry, the monthly report with
its workflow, and the roll-up."""

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from portal.content import metric_imports, metrics
from portal.content.common import add_months
from portal.content.platform_exports import remembered_mapping
from portal.errors import DomainError
from portal.models import ContentAccountMonth, ContentMetric, ContentPost, ContentReport
from portal.permissions import CENTRAL_HUMAS_UNIT
from portal.timezone import WIB, today_wib
from tests import factories

DEMO = Path(__file__).resolve().parent.parent / "portal" / "demo" / "content"
LAST_MONTH = add_months(today_wib().replace(day=1), -1)
DAY = LAST_MONTH.replace(day=10)


@pytest.fixture
def world(session):
    from types import SimpleNamespace

    root = factories.make_unit(session, code="ROOT-M", name="Sekretariat")
    central = factories.make_unit(session, code=CENTRAL_HUMAS_UNIT, name="Biro Hubungan Masyarakat", parent=root)
    unit = factories.make_unit(session, code="UPT-M", name="Balai Uji", parent=root)
    w = SimpleNamespace(unit=unit, central=central)
    w.manager = factories.make_user(session, unit=unit, full_name="Pengelola")
    w.central_humas = factories.make_user(session, roles=("humas",), unit=central, full_name="Humas Pusat")
    w.supervisor = factories.make_user(session, roles=("supervisor",), unit=unit)
    w.ig = factories.make_content_account(session, unit, handle="balai_uji", managers=[w.manager])
    w.x = factories.make_content_account(session, unit, platform="X", handle="balai_uji", managers=[w.manager])
    w.pillar = factories.make_content_pillar(session, name="Edukasi")
    return w


def csv_file(header, rows, delimiter=";"):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


ID_HEADER = ["Deskripsi", "Waktu publikasi", "Tautan permanen", "Jangkauan", "Tayangan", "Suka", "Komentar",
             "Dibagikan", "Disimpan"]
EN_HEADER = ["Description", "Publish time", "Permalink", "Reach", "Impressions", "Likes", "Comments", "Shares",
             "Saves"]


def day_text(day, clock, locale):
    return (f"{day.day:02d}/{day.month:02d}/{day.year} {clock}" if locale == "id"
            else f"{day.month:02d}/{day.day:02d}/{day.year} {clock}")


def sample(locale="id", header=ID_HEADER, extra_rows=()):
    reach = "1.234" if locale == "id" else "1,234"
    rows = [["Pos satu", day_text(DAY, "10:00", locale), "https://www.instagram.com/p/AAA111/", reach, "2000", "100",
             "10", "5", "1"],
            ["Pos dua", day_text(DAY + timedelta(days=1), "19:00", locale), "https://www.instagram.com/p/BBB222/",
             "500", "700", "50", "5", "2", "3"], *extra_rows]
    return csv_file(header, rows, ";" if locale == "id" else ",")


@pytest.mark.parametrize("locale, header", [("id", ID_HEADER), ("en", EN_HEADER)])
def test_import_in_both_languages_and_number_locales_then_reimport_changes_nothing(session, world, locale, header):
    raw = sample(locale, header)
    preview = metric_imports.preview(session, world.ig, raw)
    assert preview.ok and preview.count("create") == 2
    assert any(("Indonesia" if locale == "id" else "Inggris") in note for note in preview.notes)
    result = metric_imports.apply(session, world.manager, world.ig, raw)
    session.commit()
    rows = {m.permalink: m for m in session.exec(select(ContentMetric)).all()}
    first = rows["instagram.com/p/aaa111"]
    assert (first.reach, first.impressions, first.likes, first.comments, first.shares, first.saves) == \
        (1234, 2000, 100, 10, 5, 1)
    assert metric_imports.counts_line(result) == "imported 2, updated 0, skipped 0"
    posts = session.exec(select(ContentPost)).all()
    assert len(posts) == 2 and all(not p.planned and p.status == "terbit" for p in posts)
    again = metric_imports.apply(session, world.manager, world.ig, raw)
    session.commit()
    assert metric_imports.counts_line(again) == "imported 0, updated 0, skipped 2"
    assert len(session.exec(select(ContentMetric)).all()) == 2
    assert len(session.exec(select(ContentPost)).all()) == 2


def test_import_matches_planned_posts_by_permalink_then_by_time(session, world):
    by_url = factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar, status="disetujui",
                                         when=datetime.combine(DAY, time(9), tzinfo=WIB), topic="Rencana A")
    by_url.published_url = "https://instagram.com/p/AAA111"
    by_time = factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar,
                                          status="disetujui", topic="Rencana B",
                                          when=datetime.combine(DAY + timedelta(days=1), time(17), tzinfo=WIB))
    session.add(by_url)
    session.commit()
    result = metric_imports.apply(session, world.manager, world.ig, sample())
    assert [r["match"].split(" #")[0] for r in result.rows] == ["tautan sama dengan pos", "waktu dekat pos terencana"]
    session.commit()
    session.refresh(by_url)
    session.refresh(by_time)
    assert by_url.status == "terbit" and by_time.status == "terbit"
    assert by_time.published_url == "https://www.instagram.com/p/BBB222/"
    assert {m.post_id for m in session.exec(select(ContentMetric)).all()} == {by_url.id, by_time.id}


def test_changed_numbers_update(session, world):
    metric_imports.apply(session, world.manager, world.ig, sample())
    session.commit()
    changed = sample().replace(b";500;700;", b";600;700;")
    result = metric_imports.apply(session, world.manager, world.ig, changed)
    assert metric_imports.counts_line(result) == "imported 0, updated 1, skipped 1"


@pytest.mark.parametrize("raw, message", [
    (b"", "Berkas kosong"),
    (b"   \n\n", "Berkas kosong"),
    (b"Foo;Bar\n1;2\n", "Tidak ada kolom angka"),
    (b"Jangkauan;Suka\n1;2\n", "Kolom tautan"),
    (b"PK\x03\x04garbage", "XLSX rusak"),
])
def test_unreadable_or_wrong_files_get_a_clear_message(session, world, raw, message):
    with pytest.raises(DomainError, match=message):
        metric_imports.preview(session, world.ig, raw)


def test_a_file_of_another_platform_is_refused(session, world):
    raw = (DEMO / "x_en.csv").read_bytes()
    with pytest.raises(DomainError, match="ekspor X, bukan Instagram"):
        metric_imports.preview(session, world.ig, raw)


def test_bad_lines_are_numbered_and_nothing_is_saved(session, world):
    raw = sample(extra_rows=[["Pos tiga", day_text(DAY, "08:00", "id"), "https://instagram.com/p/C", "-5", "1", "1",
                              "1", "1", "1"],
                             ["Pos empat", "kemarin sore", "https://instagram.com/p/D", "sepuluh", "1", "1", "1", "1",
                              "1"]])
    preview = metric_imports.preview(session, world.ig, raw)
    assert [line for line, _message in preview.errors] == [4, 5]
    assert "negatif" in preview.errors[0][1]
    assert "bukan angka" in preview.errors[1][1] and "tidak dapat dibaca" in preview.errors[1][1]
    with pytest.raises(DomainError):
        metric_imports.apply(session, world.manager, world.ig, raw)
    session.rollback()
    assert session.exec(select(ContentMetric)).all() == []


def test_dates_outside_the_month_are_skipped_with_their_reason(session, world):
    other = add_months(LAST_MONTH, -1).replace(day=3)
    raw = sample(extra_rows=[["Lama", day_text(other, "08:00", "id"), "https://instagram.com/p/OLD", "1", "1", "1",
                              "1", "1", "1"]])
    result = metric_imports.apply(session, world.manager, world.ig, raw, LAST_MONTH)
    assert result.count("create") == 2
    assert any("di luar bulan" in reason for _line, _name, reason in result.skipped)


def test_mixed_number_formats_are_refused(session, world):
    raw = sample(extra_rows=[["Campur", day_text(DAY, "08:00", "id"), "https://instagram.com/p/MIX", "1,234", "1",
                              "1", "1", "1", "1"]])
    with pytest.raises(DomainError, match="dua format"):
        metric_imports.preview(session, world.ig, raw)


def test_more_than_fifty_thousand_lines_are_refused_with_the_limit(session, world):
    row = ";".join(["x", day_text(DAY, "08:00", "id"), "", "1", "1", "1", "1", "1", "1"])
    raw = (";".join(ID_HEADER) + "\n" + "\n".join([row] * 50_001)).encode()
    with pytest.raises(DomainError, match="terlalu besar: paling banyak 50000 baris"):
        metric_imports.preview(session, world.ig, raw)


def test_typed_mapping_is_used_and_remembered(session, world):
    raw = csv_file(["Waktu publikasi", "Tautan permanen", "Akun yang terjangkau", "Suka"],
                   [[day_text(DAY, "10:00", "id"), "https://instagram.com/p/MAP", "321", "4"]])
    mapping = metric_imports.parse_mapping_text("Akun yang terjangkau = jangkauan")
    metric_imports.apply(session, world.manager, world.ig, raw, None, mapping)
    session.commit()
    assert session.exec(select(ContentMetric)).one().reach == 321
    assert remembered_mapping(session, world.ig.id)["Akun yang terjangkau"] == "reach"
    with pytest.raises(DomainError, match="tidak dikenal"):
        metric_imports.parse_mapping_text("Kolom = entah")


@pytest.mark.parametrize("name, account", [("instagram_id.csv", "ig"), ("x_en.csv", "x")])
def test_demo_sample_files_import(session, world, name, account):
    result = metric_imports.apply(session, world.manager, getattr(world, account), (DEMO / name).read_bytes())
    assert result.count("create") >= 3


def test_xlsx_import(session, world):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Publish time", "Permalink", "Reach", "Likes"])
    sheet.append([datetime.combine(DAY, time(10)), "https://instagram.com/p/XL1", 1500, 20])
    buffer = io.BytesIO()
    book.save(buffer)
    result = metric_imports.apply(session, world.manager, world.ig, buffer.getvalue())
    assert result.count("create") == 1
    assert session.exec(select(ContentMetric)).one().reach == 1500


# --- the web import and the CLI ---------------------------------------------------------------------------------------

def test_web_upload_preview_confirm(client, session, login, world):
    login(world.manager)
    page = client.post(f"/content/akun/{world.ig.id}/impor", data={"file": (io.BytesIO(sample()), "ig.csv")},
                       content_type="multipart/form-data")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Berkas siap diimpor" in body and "format Indonesia" in body
    token = body.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert session.exec(select(ContentMetric)).all() == []
    done = client.post(f"/content/akun/{world.ig.id}/impor/konfirmasi", data={"token": token})
    assert done.status_code == 303
    assert len(session.exec(select(ContentMetric)).all()) == 2
    bad = client.post(f"/content/akun/{world.ig.id}/impor", data={"file": (io.BytesIO(b""), "kosong.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "Berkas kosong" in bad.get_data(as_text=True)
    # The optional month, when it is not a month, is a message with an example (it has no default month): was a 500.
    fresh = client.post(f"/content/akun/{world.x.id}/impor", data={"file": (io.BytesIO(sample()), "ig.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    token = fresh.split('name="token" type="hidden" value="')[1].split('"')[0]
    for target in ("impor", "impor/konfirmasi"):
        wrong = client.post(f"/content/akun/{world.x.id}/{target}", follow_redirects=True,
                            data={"file": (io.BytesIO(sample()), "ig.csv"), "token": token, "month": "default"},
                            content_type="multipart/form-data")
        body = wrong.get_data(as_text=True)
        assert wrong.status_code in (200, 422), target
        assert "Bulan &#34;default&#34; tidak dikenal. Tulis bulan seperti 20" in body, target


def test_import_of_an_account_one_does_not_manage_is_refused(client, session, login, world):
    other = factories.make_user(session)
    login(other)
    assert client.get(f"/content/akun/{world.ig.id}/impor").status_code == 403


def test_cli_import(app, session, world, tmp_path):
    path = tmp_path / "ig.csv"
    path.write_bytes(sample(extra_rows=[["Total", "", "", "1", "1", "1", "1", "1", "1"]]))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-metrics", str(path), "--account", str(world.ig.id)])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "imported 2, updated 0, skipped 1"
    assert "line 4: baris ringkasan (total)" in first.output
    again = runner.invoke(args=["import-metrics", str(path), "--account", str(world.ig.id)])
    assert again.output.splitlines()[0] == "imported 0, updated 0, skipped 3"
    missing = runner.invoke(args=["import-metrics", str(path), "--account", "999999"])
    assert missing.exit_code == 1
    wrong = runner.invoke(args=["import-metrics", str(DEMO / "x_en.csv"), "--account", str(world.ig.id)])
    assert wrong.exit_code == 1 and "bukan Instagram" in wrong.output


# --- hand entry -------------------------------------------------------------------------------------------------------

def test_hand_entry_of_metrics_one_cell_with_htmx(client, session, login, world):
    post = factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar, status="terbit")
    login(world.manager)
    response = client.post(f"/content/pos/{post.id}/metrik", headers={"HX-Request": "true"},
                           data={"version": post.version, "account_id": world.ig.id, "reach": "1.500"})
    assert response.status_code == 200 and 'id="metrik"' in response.get_data(as_text=True)
    assert session.exec(select(ContentMetric)).one().reach == 1500
    bad = client.post(f"/content/pos/{post.id}/metrik", data={"version": post.version, "account_id": world.ig.id,
                                                              "likes": "-3"})
    assert bad.status_code == 303
    assert session.exec(select(ContentMetric)).one().likes is None


# --- the monthly report -----------------------------------------------------------------------------------------------

def _month_of_posts(session, world):
    """Two planned posts (one published on time with metrics), one unplanned import; followers for the month."""
    planned = factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar, status="terbit",
                                          when=datetime.combine(DAY, time(10), tzinfo=WIB), topic="Terbit")
    factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar, status="disetujui",
                                when=datetime.combine(DAY, time(15), tzinfo=WIB), topic="Tidak terbit")
    session.add(ContentMetric(post_id=planned.id, account_id=world.ig.id, reach=1000, likes=80, comments=10,
                              shares=5, saves=5))
    session.add(ContentAccountMonth(account_id=world.ig.id, month=LAST_MONTH, followers=1100, new_followers=100))
    session.commit()


def test_report_figures_match_a_hand_computation(session, world):
    from portal.content import reports

    _month_of_posts(session, world)
    data = reports.figures(session, world.unit, LAST_MONTH)
    assert (data.planned, data.published, data.unplanned) == (2, 1, 0)
    assert data.reach == 1000 and data.interactions == 100
    assert data.engagement == 10.0  # 100 / 1000
    assert data.on_time_rate == 50.0  # one of two planned posts went out on time
    ig = next(f for f in data.accounts if f.account.id == world.ig.id)
    assert ig.growth == 10.0  # 100 new on 1000 at the start
    assert data.top[0][0].topic == "Terbit"


def test_report_workflow_submit_twice_accept_reopen(client, session, login, world):
    _month_of_posts(session, world)
    month = LAST_MONTH.strftime("%Y-%m")
    login(world.manager)
    page = client.get(f"/content/laporan/{world.unit.id}?bulan={month}")
    assert page.status_code == 200 and "10,00%" in page.get_data(as_text=True)
    empty = client.post(f"/content/laporan/{world.unit.id}/ajukan?bulan={month}")
    assert empty.status_code == 422 and "Tulis capaian" in empty.get_data(as_text=True)
    saved = client.post(f"/content/laporan/{world.unit.id}/simpan?bulan={month}",
                        data={"achievements": "Jangkauan naik.", "obstacles": "", "follow_up": "Video pendek."})
    assert saved.status_code == 303
    assert client.post(f"/content/laporan/{world.unit.id}/ajukan?bulan={month}").status_code == 303
    twice = client.post(f"/content/laporan/{world.unit.id}/ajukan?bulan={month}")
    assert twice.status_code == 422 and "sudah diajukan" in twice.get_data(as_text=True)
    assert client.post(f"/content/laporan/{world.unit.id}/terima?bulan={month}").status_code == 403
    client.post("/logout")
    login(world.central_humas)
    back = client.post(f"/content/laporan/{world.unit.id}/kembalikan?bulan={month}", data={"note": ""})
    assert back.status_code == 422
    assert client.post(f"/content/laporan/{world.unit.id}/terima?bulan={month}",
                       data={"note": "Lengkap."}).status_code == 303
    report = session.exec(select(ContentReport)).one()
    assert report.status == "diterima"
    client.post("/logout")
    login(world.manager)
    edit = client.post(f"/content/laporan/{world.unit.id}/simpan?bulan={month}",
                       data={"achievements": "Ubah", "obstacles": "", "follow_up": ""})
    assert edit.status_code == 422 and "Buka kembali" in edit.get_data(as_text=True)
    no_reason = client.post(f"/content/laporan/{world.unit.id}/buka?bulan={month}", data={"note": " "})
    assert no_reason.status_code == 422
    assert client.post(f"/content/laporan/{world.unit.id}/buka?bulan={month}",
                       data={"note": "Angka TikTok terlambat masuk."}).status_code == 303
    session.refresh(report)
    assert report.status == "draf"


def test_rollup_shows_a_late_unit_as_late(client, session, login, world, app):
    from portal.content import reports

    old = add_months(LAST_MONTH, -1)
    with app.app_context():
        assert reports.status_of(None, old, today=reports.deadline(old) + timedelta(days=1)) == "terlambat"
        assert reports.status_of(None, old, today=reports.deadline(old)) == "belum"
    login(world.central_humas)
    body = client.get(f"/content/laporan?bulan={old.strftime('%Y-%m')}").get_data(as_text=True)
    assert "Balai Uji" in body and "terlambat" in body


def test_report_scope(client, session, login, world):
    outsider = factories.make_user(session, roles=("supervisor",))
    login(outsider)
    assert client.get(f"/content/laporan/{world.unit.id}").status_code == 403
    assert "Balai Uji" not in client.get("/content/laporan").get_data(as_text=True)
    client.post("/logout")
    login(world.supervisor)
    assert client.get(f"/content/laporan/{world.unit.id}").status_code == 200
    assert "Balai Uji" in client.get("/content/laporan").get_data(as_text=True)


def test_xlsx_exports_hold_real_numbers(client, session, login, world):
    from openpyxl import load_workbook

    _month_of_posts(session, world)
    month = LAST_MONTH.strftime("%Y-%m")
    login(world.central_humas)
    for url in (f"/content/laporan/{world.unit.id}/xlsx?bulan={month}", f"/content/laporan/xlsx?bulan={month}"):
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert sheet.freeze_panes == "A2"
        values = [c.value for c in sheet[2]]
        assert 1000 in values and any(isinstance(v, float) and abs(v - 0.1) < 1e-9 for v in values)
    assert client.get(f"/content/laporan/{world.unit.id}/cetak?bulan={month}").status_code == 200


def test_account_page_shows_the_months_totals(client, session, login, world):
    _month_of_posts(session, world)
    login(world.manager)
    body = client.get(f"/content/akun/{world.ig.id}?bulan={LAST_MONTH.strftime('%Y-%m')}").get_data(as_text=True)
    assert "1.000" in body and "100" in body
    assert client.get(f"/content/akun/{world.ig.id}?bulan=2026-13").status_code == 400
    assert date(2026, 1, 1)


def test_posting_hints_come_from_the_units_evaluated_posts(session, world):
    from portal.content.week import posting_hints

    assert posting_hints(session, world.unit.id, {"Instagram"})["Instagram"][1] is False  # the default before data
    for n in range(6):
        hour = 19 if n % 2 else 8
        post = factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar, status="terbit",
                                           when=datetime.combine(DAY + timedelta(days=n), time(hour), tzinfo=WIB))
        session.add(ContentMetric(post_id=post.id, account_id=world.ig.id, reach=1000,
                                  likes=300 if hour == 19 else 20))
    session.commit()
    assert metrics.best_hours(session, world.unit.id)["Instagram"] == [8, 19]
    hint, learned = posting_hints(session, world.unit.id, {"Instagram"})["Instagram"]
    assert learned and "19.00" in hint


def test_metric_names_are_translated_and_the_topic_is_marked_indonesian(client, session, login, world):
    post = factories.make_content_post(session, world.manager, [world.ig], pillar=world.pillar, status="terbit",
                                       topic="Kisah petugas loket")
    login(world.manager)
    english = client.get(f"/content/pos/{post.id}?lang=en").get_data(as_text=True)
    assert ">Reach</label>" in english and ">Likes</label>" in english and ">Video views</label>" in english
    assert "jangkauan</label>" not in english and "suka</label>" not in english
    assert '<h1 lang="id">Kisah petugas loket</h1>' in english
    indonesian = client.get(f"/content/pos/{post.id}?lang=id").get_data(as_text=True)
    assert ">Jangkauan</label>" in indonesian and "<h1>Kisah petugas loket</h1>" in indonesian
    bad = client.post(f"/content/pos/{post.id}/metrik", data={"version": post.version, "account_id": world.ig.id,
                                                              "likes": "-3"}, follow_redirects=True)
    assert "Suka:" in bad.get_data(as_text=True)  # the error names the field as the interface calls it
