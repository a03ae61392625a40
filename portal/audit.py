"""Audit log: who did what, when, with a before/after summary. Added to the caller's transaction."""

import json

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from portal.models import AuditLog


def snapshot(obj, fields):
    """A small JSON-able dict of an object's fields, for before/after."""
    return {name: _plain(getattr(obj, name, None)) for name in fields}


def _plain(value):
    if isinstance(value, (set, frozenset, list, tuple)):
        return sorted(str(v) for v in value)
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def record(session, actor, action, object_type, object_id=None, summary="", before=None, after=None):
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        summary=summary[:500],
        before=json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    session.add(entry)
    return entry


# What each recorded action is called on the audit page and its filter, in the interface language. A test fails when
# code records an action that has no label here.
ACTION_LABELS = {
    "auth.login": _l("Masuk"),
    "auth.logout": _l("Keluar"),
    "auth.login_failed": _l("Gagal masuk"),
    "auth.login_throttled": _l("Masuk ditahan (terlalu banyak percobaan)"),
    "auth.session_end": _l("Sesi diakhiri"),
    "auth.sessions_end_all": _l("Semua sesi diakhiri"),
    "user.create": _l("Pengguna dibuat"),
    "user.update": _l("Pengguna diubah"),
    "user.deactivate": _l("Pengguna dinonaktifkan"),
    "user.import": _l("Pengguna diimpor"),
    "user.password_change": _l("Kata sandi diganti"),
    "user.password_reset": _l("Kata sandi disetel ulang"),
    "unit.create": _l("Unit kerja dibuat"),
    "unit.update": _l("Unit kerja diubah"),
    "unit.import": _l("Unit kerja diimpor"),
    "handbook.chapter_create": _l("Bab pedoman dibuat"),
    "handbook.chapter_update": _l("Bab pedoman diubah"),
    "handbook.section_create": _l("Bagian pedoman dibuat"),
    "handbook.section_save": _l("Bagian pedoman disimpan"),
    "handbook.section_archive": _l("Bagian pedoman diarsipkan"),
    "handbook.section_unarchive": _l("Bagian pedoman dipulihkan"),
    "handbook.publish": _l("Edisi pedoman diterbitkan"),
    "handbook.ack_rule": _l("Aturan persetujuan pedoman diubah"),
    "handbook.reminder": _l("Pengingat tindak lanjut unit dikirim"),
    "quiz.import": _l("Soal diimpor (GIFT)"),
    "quiz.question_create": _l("Soal dibuat"),
    "quiz.question_update": _l("Soal diubah"),
    "quiz.question_status": _l("Status soal diubah"),
    "quiz.quiz_create": _l("Kuis dibuat"),
    "quiz.quiz_update": _l("Kuis diubah"),
    "quiz.topic_create": _l("Topik kuis dibuat"),
    "quiz.topic_update": _l("Topik kuis diubah"),
    "toolkit.create": _l("Bahan perangkat humas dibuat"),
    "toolkit.update": _l("Bahan perangkat humas diubah"),
    "toolkit.delete": _l("Bahan perangkat humas dihapus"),
    "toolkit.submit": _l("Bahan diajukan untuk disetujui"),
    "toolkit.withdraw": _l("Pengajuan bahan ditarik"),
    "toolkit.approve": _l("Bahan disetujui"),
    "toolkit.reject": _l("Bahan dikembalikan"),
    "toolkit.archive": _l("Bahan diarsipkan"),
    "toolkit.restore": _l("Bahan dipulihkan dari arsip"),
    "workshop.create": _l("Pelatihan dibuat"),
    "workshop.update": _l("Pelatihan diubah"),
    "workshop.session_add": _l("Sesi pelatihan ditambahkan"),
    "workshop.session_delete": _l("Sesi pelatihan dihapus"),
    "workshop.participant_add": _l("Peserta ditambahkan"),
    "workshop.participant_remove": _l("Peserta dikeluarkan"),
    "workshop.import": _l("Peserta diimpor"),
    "workshop.promote": _l("Peserta naik dari daftar tunggu"),
    "workshop.attendance": _l("Presensi dicatat"),
    "workshop.attendance_all": _l("Presensi semua peserta dicatat"),
    "workshop.certificates": _l("Sertifikat pelatihan diterbitkan"),
    "privacy.export": _l("Data pribadi diekspor"),
    "privacy.anonymise": _l("Data pegawai dianonimkan"),
    "privacy.purge": _l("Data lama dihapus (masa simpan)"),
    "check.terms_update": _l("Daftar istilah pemeriksa diubah"),
    "check.terms_reset": _l("Daftar istilah pemeriksa dikembalikan ke bawaan"),
    "content.account.create": _l("Akun resmi didaftarkan"),
    "content.account.update": _l("Akun resmi diubah"),
    "content.key_message.create": _l("Pesan kunci dibuat"),
    "content.key_message.update": _l("Pesan kunci diubah"),
    "content.pillar.create": _l("Pilar konten dibuat"),
    "content.pillar.update": _l("Pilar konten diubah"),
    "content.metrics.import": _l("Metrik platform diimpor"),
    "content.metrics.save": _l("Metrik pos disimpan"),
    "content.account_month.save": _l("Angka bulanan akun disimpan"),
    "content.account_month.import": _l("Angka bulanan akun diimpor"),
    "content.post.create": _l("Rencana pos dibuat"),
    "content.post.update": _l("Rencana pos diubah"),
    "content.post.move": _l("Rencana pos dipindah"),
    "content.post.copy": _l("Rencana pos disalin"),
    "content.post.draf": _l("Rencana pos kembali menjadi draf"),
    "content.post.diajukan": _l("Rencana pos diajukan"),
    "content.post.disetujui": _l("Rencana pos disetujui"),
    "content.post.terbit": _l("Pos diterbitkan"),
    "content.post.dievaluasi": _l("Pos dievaluasi"),
    "content.post.withdraw": _l("Pengajuan pos ditarik"),
    "content.post.reject": _l("Rencana pos ditolak"),
    "content.report.save": _l("Laporan bulanan disimpan"),
    "content.report.diajukan": _l("Laporan bulanan diajukan"),
    "content.report.diterima": _l("Laporan bulanan diterima"),
    "content.report.dikembalikan": _l("Laporan bulanan dikembalikan"),
}


def action_label(action):
    """The action's name for people; an action without a label shows its code rather than nothing."""
    return ACTION_LABELS.get(action, action)
