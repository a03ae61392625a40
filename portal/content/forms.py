import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.content.common import MAX_CAPTION
from portal.forms import QuickSelect
from portal.models.content import KEY_MESSAGE_KINDS, PLATFORMS

ACCOUNT_STATUS_LABELS = {"aktif": _l("aktif"), "tidak_aktif": _l("tidak aktif")}
POST_STATUS_LABELS = {"ide": _l("ide"), "draf": _l("draf"), "diajukan": _l("diajukan"), "disetujui": _l("disetujui"),
                      "terbit": _l("terbit"), "dievaluasi": _l("dievaluasi")}
REPORT_STATE_LABELS = {"belum": _l("belum"), "draf": _l("draf"), "diajukan": _l("diajukan"),
                       "diterima": _l("diterima"), "dikembalikan": _l("dikembalikan"), "terlambat": _l("terlambat")}
KEY_MESSAGE_LABELS = {"pesan_kunci": _l("Pesan kunci"), "agenda": _l("Agenda komunikasi")}


def int_or_none(value):
    """Coerce a submitted id; a value that is not a number becomes None (the service says what is wrong)."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AccountForm(FlaskForm):
    platform = SelectField(_l("Platform"), choices=[(p, p) for p in PLATFORMS], validate_choice=False)
    handle = StringField(_l("Nama akun"), validators=[InputRequired(_l("Nama akun wajib diisi.")), Length(max=101)])
    url = StringField(_l("Tautan profil"), validators=[Optional(), Length(max=500)])
    unit_id = SelectField(_l("Unit pemilik"), coerce=int_or_none, validate_choice=False)
    status = SelectField(_l("Status"), choices=list(ACCOUNT_STATUS_LABELS.items()), validate_choice=False)
    verified = BooleanField(_l("Bercentang verifikasi di platform"))
    managers = TextAreaField(_l("Pengelola"), validators=[Optional(), Length(max=2000)])


class PillarForm(FlaskForm):
    name = StringField(_l("Nama pilar"), validators=[InputRequired(_l("Nama pilar wajib diisi.")), Length(max=80)])
    description = StringField(_l("Keterangan"), validators=[Optional(), Length(max=300)])
    colour = StringField(_l("Warna"), default="#1f5f99", validators=[InputRequired(), Length(max=7)])
    position = IntegerField(_l("Urutan"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)])
    active = BooleanField(_l("Aktif"), default=True)


class PostForm(FlaskForm):
    account_ids = SelectMultipleField(_l("Akun resmi"), coerce=int_or_none, validate_choice=False,
                                      widget=QuickSelect(multiple=True))
    day = DateField(_l("Tanggal tayang"), validators=[InputRequired(_l("Tanggal tayang wajib diisi."))])
    clock = TimeField(_l("Jam tayang (WIB)"), validators=[InputRequired(_l("Jam tayang wajib diisi."))])
    pillar_id = SelectField(_l("Pilar konten"), coerce=int_or_none, validate_choice=False)
    key_message_id = SelectField(_l("Pesan kunci"), coerce=int_or_none, validate_choice=False)
    topic = StringField(_l("Topik"), validators=[InputRequired(_l("Topik wajib diisi.")), Length(max=200)])
    audience = StringField(_l("Sasaran khalayak"), validators=[Optional(), Length(max=200)])
    caption = TextAreaField(_l("Draf keterangan (caption)"), validators=[Length(max=MAX_CAPTION, message=_l(
        "Draf keterangan paling banyak %(max)d karakter. Teks Anda masih ada di kotak; pendekkan lalu simpan lagi."))])
    tags = StringField(_l("Tagar atau kata kunci"), validators=[Optional(), Length(max=300)])
    toolkit_ids = SelectMultipleField(_l("Perangkat humas yang dipakai"), coerce=int_or_none, validate_choice=False,
                                      widget=QuickSelect(multiple=True))
    toolkit_refs = StringField(_l("Perangkat humas lain: nomor atau tautannya"),
                               validators=[Optional(), Length(max=2000)])
    section_ids = SelectMultipleField(_l("Bagian pedoman yang dirujuk"), coerce=int_or_none, validate_choice=False,
                                      widget=QuickSelect(multiple=True))
    status = RadioField(_l("Tahap"), choices=[("ide", _l("ide")), ("draf", _l("draf"))], default="draf",
                        validate_choice=False)
    reason = StringField(_l("Alasan perubahan"), validators=[Optional(), Length(max=1000)])
    version = HiddenField()

    def validate_toolkit_refs(self, field):
        try:
            item_refs(field.data)
        except ValueError as bad:
            raise ValidationError(_l("“%(piece)s” bukan nomor atau tautan item perangkat humas. Salin tautannya "
                                     "dari halaman item, atau tulis nomornya.", piece=str(bad))) from None

    def chosen_toolkit_ids(self):
        """The items picked from the list and those pasted as numbers or addresses (after validation)."""
        return [*(self.toolkit_ids.data or []), *item_refs(self.toolkit_refs.data)]


ITEM_ADDRESS = re.compile(r"(?:^|/)toolkit/item/(\d{1,9})/?$")


def item_refs(text):
    """Toolkit item ids from what a planner pasted: numbers or the items' addresses (…/toolkit/item/123), separated
    by commas, spaces or lines. Raises ValueError with the first piece that is neither."""
    ids = []
    for piece in re.split(r"[\s,;]+", text or ""):
        if not piece:
            continue
        path = re.split(r"[?#]", piece, maxsplit=1)[0]
        found = re.fullmatch(r"\d{1,9}", path) or ITEM_ADDRESS.search(path)
        if found is None:
            raise ValueError(piece[:60])
        ids.append(int(found.group(1) if found.re is ITEM_ADDRESS else found.group(0)))
    return ids


class MoveForm(FlaskForm):
    day = DateField(_l("Tanggal baru"), validators=[InputRequired(_l("Tanggal wajib diisi."))])
    clock = TimeField(_l("Jam baru (WIB)"), validators=[InputRequired(_l("Jam wajib diisi."))])
    reason = StringField(_l("Alasan (wajib untuk pos yang sudah disetujui)"), validators=[Optional(),
                                                                                        Length(max=1000)])
    version = HiddenField()


class CopyForm(FlaskForm):
    account_id = SelectField(_l("Salin ke akun"), coerce=int_or_none, validate_choice=False)


class VersionForm(FlaskForm):
    version = HiddenField()


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Alasan penolakan"), validators=[Optional(), Length(max=1000)])
    version = HiddenField()


class PublishForm(FlaskForm):
    url = StringField(_l("Tautan unggahan yang terbit"), validators=[Optional(), Length(max=500)])
    version = HiddenField()


class EvaluateForm(FlaskForm):
    note = TextAreaField(_l("Catatan evaluasi"), validators=[Optional(), Length(max=1000)])
    version = HiddenField()


class KeyMessageForm(FlaskForm):
    kind = SelectField(_l("Jenis"), choices=[(k, KEY_MESSAGE_LABELS[k]) for k in KEY_MESSAGE_KINDS],
                       validate_choice=False)
    title = StringField(_l("Judul"), validators=[InputRequired(_l("Judul wajib diisi.")), Length(max=200)])
    starts_on = DateField(_l("Mulai"), validators=[InputRequired(_l("Tanggal mulai wajib diisi."))])
    ends_on = DateField(_l("Selesai"), validators=[Optional()])
    body = TextAreaField(_l("Isi pesan"), validators=[Optional(), Length(max=5000)])
    tags = StringField(_l("Tagar atau kata kunci"), validators=[Optional(), Length(max=300)])


def version_of(form):
    """The post version the form was made from (0 when missing or garbled: then the change is refused as stale)."""
    try:
        return int(form.version.data or 0)
    except (TypeError, ValueError):
        return 0


class MetricsImportForm(FlaskForm):
    file = FileField(_l("Berkas ekspor platform (CSV atau XLSX)"),
                     validators=[FileRequired(_l("Pilih berkas ekspor terlebih dahulu."))])
    month = StringField(_l("Hanya bulan (opsional, TTTT-BB)"), validators=[Optional(), Length(max=7)])
    mapping = TextAreaField(_l("Pemetaan kolom (opsional)"), validators=[Optional(), Length(max=3000)])
    kind = SelectField(_l("Jenis berkas"), choices=[("", _l("Kenali dari kolomnya")),
                                                    ("pos", _l("Metrik per pos")),
                                                    ("akun", _l("Angka akun per hari atau bulan"))],
                       default="", validators=[Optional()])


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    month = HiddenField()
    mapping = HiddenField()
    kind = HiddenField()


class AccountMonthForm(FlaskForm):
    month = StringField(_l("Bulan (TTTT-BB)"), validators=[InputRequired(_l("Bulan wajib diisi.")), Length(max=7)])
    followers = StringField(_l("Pengikut di akhir bulan"), validators=[Optional(), Length(max=20)])
    new_followers = StringField(_l("Pengikut baru"), validators=[Optional(), Length(max=20)])
    posts = StringField(_l("Jumlah unggahan"), validators=[Optional(), Length(max=20)])
    reach = StringField(_l("Total jangkauan"), validators=[Optional(), Length(max=20)])


class ReportForm(FlaskForm):
    achievements = TextAreaField(_l("Capaian"), validators=[Optional(), Length(max=10_000)])
    obstacles = TextAreaField(_l("Kendala"), validators=[Optional(), Length(max=10_000)])
    follow_up = TextAreaField(_l("Rencana tindak lanjut"), validators=[Optional(), Length(max=10_000)])


class ReportDecisionForm(FlaskForm):
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=2000)])
