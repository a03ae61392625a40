"""Every kind of notice: its label (settings page), whether it goes by e-mail by default, and its wording.

Wording is produced when a notice is shown (or e-mailed), in the reader's language, from the values stored with it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.formatting import fmt_date, fmt_datetime


def _moment(value):
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _when(value):
    moment = _moment(value)
    return fmt_datetime(moment, "weekday") if moment else ""


def _day(value):
    moment = _moment(value)
    return fmt_date(moment, "long") if moment else ""


@dataclass(frozen=True)
class Kind:
    label: Any
    email: bool  # the default when the person has not chosen
    title: Any  # fn(params) -> str
    body: Any = None  # fn(params) -> str


APPROVED = {"approved", "disetujui", "diterima"}  # the pillars' words for a yes (anything else: returned)


def _decided(p, approved_text, returned_text):
    return approved_text if p.get("decision") in APPROVED else returned_text


KINDS = {
    "edition": Kind(
        _l("Edisi baru pedoman yang perlu dikonfirmasi"), True,
        lambda p: _("Edisi baru pedoman: %(version)s", version=p.get("version", "")),
        lambda p: _("Ada perubahan penting. Baca ringkasan perubahannya lalu konfirmasi bahwa Anda sudah membaca.")),
    "toolkit_review": Kind(
        _l("Materi perangkat humas menunggu persetujuan Anda"), True,
        lambda p: _("Menunggu persetujuan Anda: %(title)s", title=p.get("title", ""))),
    "toolkit_decided": Kind(
        _l("Materi perangkat humas Anda disetujui atau dikembalikan"), True,
        lambda p: _decided(p, _("Disetujui: %(title)s", title=p.get("title", "")),
                           _("Dikembalikan: %(title)s", title=p.get("title", ""))),
        lambda p: p.get("note", "")),
    "quiz_passed": Kind(
        _l("Hasil kuis: lulus"), False,
        lambda p: _("Anda lulus %(quiz)s", quiz=p.get("quiz", "")),
        lambda p: _("Berlaku sampai %(day)s.", day=_day(p.get("valid_until"))) if p.get("valid_until") else ""),
    "quiz_expiring": Kind(
        _l("Kelulusan kuis akan berakhir (30 hari sebelumnya)"), True,
        lambda p: _("Kelulusan %(quiz)s berakhir %(day)s", quiz=p.get("quiz", ""), day=_day(p.get("valid_until"))),
        lambda p: _("Ikuti kuisnya lagi sebelum tanggal itu agar status Anda tetap berlaku.")),
    "certificate_expiring": Kind(
        _l("Sertifikat akan berakhir (30 hari sebelumnya)"), True,
        lambda p: _("Sertifikat %(title)s berakhir %(day)s", title=p.get("title", ""),
                    day=_day(p.get("valid_until")))),
    "waitlist": Kind(
        _l("Naik dari daftar tunggu pelatihan"), True,
        lambda p: _("Anda mendapat kursi: %(workshop)s", workshop=p.get("workshop", "")),
        lambda p: _("Anda naik dari daftar tunggu dan kini terdaftar sebagai peserta.")),
    "session_soon": Kind(
        _l("Sesi pelatihan yang dimulai dalam 24 jam"), True,
        lambda p: _("Sesi pelatihan segera dimulai: %(workshop)s", workshop=p.get("workshop", "")),
        lambda p: " · ".join(x for x in (p.get("topic", ""), _when(p.get("starts_at"))) if x)),
    "reminder": Kind(
        _l("Pengingat"), False,
        lambda p: p.get("text", "") or _("Pengingat")),
    "content_review": Kind(
        _l("Rencana unggahan menunggu persetujuan Anda"), True,
        lambda p: _("Rencana unggahan menunggu persetujuan: %(title)s", title=p.get("title", ""))),
    "content_decided": Kind(
        _l("Rencana unggahan Anda disetujui atau dikembalikan"), True,
        lambda p: _decided(p, _("Rencana unggahan disetujui: %(title)s", title=p.get("title", "")),
                           _("Rencana unggahan dikembalikan: %(title)s", title=p.get("title", ""))),
        lambda p: p.get("note", "")),
    "report_review": Kind(
        _l("Laporan bulanan menunggu persetujuan Anda"), True,
        lambda p: _("Laporan bulanan menunggu persetujuan: %(title)s", title=p.get("title", ""))),
    "report_decided": Kind(
        _l("Laporan bulanan Anda disetujui atau dikembalikan"), True,
        lambda p: _decided(p, _("Laporan disetujui: %(title)s", title=p.get("title", "")),
                           _("Laporan dikembalikan: %(title)s", title=p.get("title", ""))),
        lambda p: p.get("note", "")),
}


def title_of(kind, params):
    spec = KINDS.get(kind)
    return str(spec.title(params)) if spec else kind


def body_of(kind, params):
    spec = KINDS.get(kind)
    return str(spec.body(params) or "") if spec and spec.body else ""
