"""Certificates shared by every pillar: issuing, codes, and the public verification page at /verify/<code>."""

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from portal import certificates
from portal.models import Certificate, utcnow
from tests import factories


def issue(session, **values):
    fields = {"kind": "quiz", "holder_name": "Siti Nurhaliza", "unit_name": "Bagian Media dan Komunikasi Publik",
              "title": "Kuis Bijak Bermedia Sosial", "valid_until": datetime(2027, 3, 5, 3, 0, tzinfo=UTC),
              "issued_at": datetime(2026, 3, 5, 3, 0, tzinfo=UTC)}
    fields.update(values)
    cert = certificates.issue(session, **fields)
    session.commit()
    return cert


def test_codes_are_long_unambiguous_and_unique():
    codes = {certificates.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 12 and re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}", code)
    assert certificates.format_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"
    assert certificates.normalize_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"


def test_issuing_twice_for_the_same_reference_returns_the_same_certificate(session):
    first = issue(session, ref_id=41)
    again = issue(session, ref_id=41, holder_name="Nama Lain")
    assert again.id == first.id and again.holder_name == "Siti Nurhaliza"
    other_kind = issue(session, ref_id=41, kind="workshop")
    assert other_kind.id != first.id
    guest = issue(session, kind="workshop", user_id=None, ref_id=None)
    assert guest.user_id is None and len(session.exec(select(Certificate)).all()) == 3


def test_verification_page_is_public_and_shows_only_the_certified_facts(client, session):
    user = factories.make_user(session, full_name="Siti Nurhaliza", nip="199005172015032001",
                               email="siti@kementerian.go.id")
    cert = issue(session, user_id=user.id, ref_id=7)
    response = client.get(f"/verify/{cert.code}")  # nobody is signed in
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in ("Siti Nurhaliza", "Bagian Media dan Komunikasi Publik", "Kuis Bijak Bermedia Sosial",
                  "5 Maret 2026", "5 Maret 2027", "asli dan masih berlaku", certificates.format_code(cert.code)):
        assert shown in page, shown
    for hidden in ("199005172015032001", "siti@kementerian.go.id", "Nilai", "Keluar"):
        assert hidden not in page, hidden


def test_an_expired_certificate_says_so(client, session):
    cert = issue(session, valid_until=utcnow() - timedelta(days=1))
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "masa berlakunya sudah habis" in page


def test_typed_codes_are_normalised(client, session):
    cert = issue(session)
    typed = certificates.format_code(cert.code).lower()
    response = client.get(f"/verify/{typed}")
    assert response.status_code == 301 and response.headers["Location"] == f"/verify/{cert.code}"
    lookup = client.get("/verify/", query_string={"kode": f" {typed} "})
    assert lookup.status_code == 302 and lookup.headers["Location"] == f"/verify/{cert.code}"
    form = client.get("/verify/")
    assert form.status_code == 200 and 'name="kode"' in form.get_data(as_text=True)


def test_an_unknown_code_is_a_404_page_in_indonesian(client):
    response = client.get("/verify/ABCDEFGHJKMN")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Kode tidak ditemukan" in page and 'lang="id"' in page
    assert client.get("/verify/pendek").status_code == 404
    assert client.get("/verify/ABCDEFGHJKMN/qr.svg").status_code == 404


def test_qr_code_is_an_svg_pointing_at_the_verification_page(app, client, session):
    cert = issue(session)
    response = client.get(f"/verify/{cert.code}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<?xml") and "<svg" in body and "<script" not in body
    with app.test_request_context(base_url="http://portal.kementerian.go.id"):
        assert certificates.verify_url(cert.code) == f"http://portal.kementerian.go.id/verify/{cert.code}"
        app.config["PUBLIC_BASE_URL"] = "https://bijak.kementerian.go.id/"
        assert certificates.verify_url(cert.code) == f"https://bijak.kementerian.go.id/verify/{cert.code}"


def test_holder_name_and_unit_are_frozen_at_issue_time(session):
    user = factories.make_user(session, full_name="Nama Lama")
    topic = factories.make_topic(session)
    factories.make_question(session, topic)
    quiz = factories.make_quiz(session, [(topic, 1)])
    attempt = factories.make_attempt(session, user, quiz, right=1)
    user.full_name = "Nama Baru"
    session.add(user)
    session.commit()
    cert = certificates.find_for(session, "quiz", attempt.id)
    assert cert.holder_name == "Nama Lama" and cert.unit_name.startswith("Unit Uji")
    assert certificates.find_by_code(session, cert.code.lower()).id == cert.id
