"""The /check/ pages: live (htmx) and plain checks, image metadata and the clean copy, saving on request only,
and the admins' term lists."""

import io
import re

from PIL import Image
from sqlmodel import func, select

from portal.models import AuditLog, CheckTermList, SavedCheck
from tests import factories
from tests.conftest import HX

RISKY = "Sebarkan sebelum dihapus!!! NIK saya 3174051208900003, WA 0812-3456-7890. Jangan lupa coblos no 2 ya"


def count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


def test_page_is_a_form_with_one_textarea_and_says_nothing_is_stored(client, login_as):
    login_as("employee")
    html = client.get("/check/").get_data(as_text=True)
    form = re.search(r'<form class="card check-form".*?</form>', html, re.S).group(0)
    assert form.count("<textarea") == 1
    assert 'hx-post="/check/"' in form and 'type="file"' in form
    assert "tidak disimpan" in html


def test_plain_submit_shows_flags_with_severity_reason_link_and_highlight(client, login_as, session):
    login_as("employee")
    audited = count(session, AuditLog)
    response = client.post("/check/", data={"text": RISKY})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert '<mark class="flag flag-personal_data' in html
    assert "Tampak seperti NIK" in html
    assert "Tingkat: Tinggi" in html
    assert 'href="/handbook/bagian/ktp-kk-dan-nik"' in html
    assert "Data pribadi" in html and "Netralitas politik" in html and "Tanda hoaks" in html
    assert count(session, SavedCheck) == 0 and count(session, AuditLog) == audited


def test_htmx_returns_only_the_results_block(client, login_as):
    login_as("employee")
    response = client.post("/check/", data={"text": "Rapat koordinasi berjalan lancar. Terima kasih semua."},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Aman" in html and "<textarea" not in html


def test_html_in_the_draft_is_escaped(client, login_as):
    login_as("employee")
    html = client.post("/check/", data={"text": "<script>alert(1)</script> NIK 3174051208900003"},
                       headers=HX).get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_too_long_text_is_a_clear_error_not_a_500(client, login_as):
    login_as("employee")
    response = client.post("/check/", data={"text": "a" * 10_001})
    assert response.status_code == 422
    assert "Teks terlalu panjang" in response.get_data(as_text=True)


def test_image_with_gps_gets_a_warning_and_a_clean_copy(client, login_as, session):
    login_as("employee")
    photo = factories.image_bytes(fmt="JPEG", exif=factories.gps_exif())
    response = client.post("/check/", data={"text": "", "image": (io.BytesIO(photo), "rumah.jpg")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "lokasi GPS" in html and "-6.175" in html and "KameraUji" in html
    assert "Unduh salinan tanpa metadata" in html

    response = client.post("/check/gambar", data={"image": (io.BytesIO(photo), "rumah.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "rumah-tanpa-metadata.jpg" in response.headers["Content-Disposition"]
    clean = Image.open(io.BytesIO(response.data))
    assert not clean.getexif() and not clean.getexif().get_ifd(0x8825)
    assert count(session, SavedCheck) == 0


def test_bad_images_get_messages_never_a_500(client, login_as):
    login_as("employee")
    not_image = client.post("/check/", data={"text": "Halo", "image": (io.BytesIO(b"%PDF-1.4 bukan gambar"), "x.jpg")},
                            content_type="multipart/form-data")
    assert not_image.status_code == 200
    assert "tidak dapat dibaca sebagai gambar" in not_image.get_data(as_text=True)

    clean = client.post("/check/gambar", data={"image": (io.BytesIO(b"GIF89a bukan"), "x.gif")},
                        content_type="multipart/form-data")
    assert clean.status_code == 422
    assert "bukan gambar yang valid" in clean.get_data(as_text=True) or "JPEG, PNG" in clean.get_data(as_text=True)

    empty = client.post("/check/gambar", data={"text": "draf tetap ada"}, content_type="multipart/form-data")
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert "Pilih gambar" in html and "draf tetap ada" in html  # what was typed is not lost


def test_saving_is_a_choice_and_private(app, client, login_as, login, session):
    owner = login_as("employee")
    response = client.post("/check/", data={"text": RISKY, "save": "1"})
    assert response.status_code == 303
    saved = session.exec(select(SavedCheck)).one()
    assert saved.user_id == owner.id and "nik" in saved.codes
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tampak seperti NIK" in page
    assert "Pemeriksaan yang Anda simpan" in client.get("/check/").get_data(as_text=True)

    other = factories.make_user(session)
    client.post("/logout")
    login(other)
    assert client.get(f"/check/tersimpan/{saved.id}").status_code == 404
    assert client.post(f"/check/tersimpan/{saved.id}/hapus").status_code == 404
    client.post("/logout")
    login(owner)
    assert client.post(f"/check/tersimpan/{saved.id}/hapus").status_code == 303
    assert count(session, SavedCheck) == 0


def test_saving_an_empty_draft_is_refused(client, login_as, session):
    login_as("employee")
    response = client.post("/check/", data={"text": "   ", "save": "1"})
    assert response.status_code == 422
    assert "Tulis dulu teks" in response.get_data(as_text=True)
    assert count(session, SavedCheck) == 0


def test_admin_edits_a_term_list_with_audit_and_the_checker_uses_it(client, login_as, session):
    login_as("admin")
    text = "Dukung terus Pak Sutrisno Wibowo untuk bupati!"
    assert "candidate_name" not in client.post("/check/", data={"text": text}, headers=HX).get_data(as_text=True)
    before = client.post("/check/", data={"text": text}, headers=HX).get_data(as_text=True)
    assert "Menyebut nama calon" not in before

    page = client.get("/check/istilah/candidate_names").get_data(as_text=True)
    assert "<textarea" in page
    response = client.post("/check/istilah/candidate_names",
                           data={"terms": "Sutrisno Wibowo\n  sutrisno   wibowo \n\nRina Marlina"})
    assert response.status_code == 303
    row = session.get(CheckTermList, "candidate_names")
    assert row.terms.splitlines() == ["Sutrisno Wibowo", "Rina Marlina"]
    entry = session.exec(select(AuditLog).where(AuditLog.action == "check.terms_update")).one()
    assert "Sutrisno Wibowo" in entry.after
    after = client.post("/check/", data={"text": text}, headers=HX).get_data(as_text=True)
    assert "Menyebut nama calon" in after
    assert "Diubah" in client.get("/check/istilah").get_data(as_text=True)

    assert client.post("/check/istilah/candidate_names", data={"terms": "x" * 200}).status_code == 422
    assert client.post("/check/istilah/candidate_names", data={"reset": "1"}).status_code == 303
    session.expire_all()
    assert session.get(CheckTermList, "candidate_names") is None
    assert session.exec(select(AuditLog).where(AuditLog.action == "check.terms_reset")).one()
    assert client.get("/check/istilah/tidak_ada").status_code == 404


def test_linked_from_the_header_and_the_dashboard(client, login_as):
    login_as("employee")
    html = client.get("/").get_data(as_text=True)
    header = html.split("</header>")[0]
    assert 'href="/check/"' in header
    main = html.split("</header>")[1]
    assert 'href="/check/"' in main


def test_htmx_shows_an_error_in_the_results(client, login_as):
    login_as("employee")
    response = client.post("/check/", data={"text": "b" * 10_001}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'role="alert"' in html and "Teks terlalu panjang" in html
