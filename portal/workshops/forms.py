from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from portal.forms import BoundedIntegerField, db_int, db_int_or_none

STATUS_LABELS = {"draft": _l("draf"), "open": _l("dibuka"), "closed": _l("ditutup"), "finished": _l("selesai")}
ATTENDANCE_LABELS = {"hadir": _l("hadir"), "terlambat": _l("terlambat"), "izin": _l("izin"), "sakit": _l("sakit"),
                     "tidak_hadir": _l("tidak hadir")}


class WorkshopForm(FlaskForm):
    title = StringField(_l("Judul"), validators=[InputRequired(_l("Judul wajib diisi.")), Length(max=200)])
    description = TextAreaField(_l("Deskripsi"), validators=[Optional(), Length(max=20_000)])
    place = StringField(_l("Tempat"), validators=[Optional(), Length(max=300)])
    online_link = StringField(_l("Tautan daring"), validators=[Optional(), Length(max=500)])
    unit_id = SelectField(_l("Unit penyelenggara"), coerce=db_int_or_none, validate_choice=False)
    trainer_ids = SelectMultipleField(_l("Pelatih"), coerce=db_int, validate_choice=False)
    capacity = BoundedIntegerField(_l("Kapasitas"), validators=[Optional(), NumberRange(min=1, max=100_000)])
    registration_opens_at = DateTimeLocalField(_l("Pendaftaran dibuka (WIB)"), format="%Y-%m-%dT%H:%M",
                                               validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Pendaftaran ditutup (WIB)"), format="%Y-%m-%dT%H:%M",
                                                validators=[Optional()])
    audience_ids = SelectMultipleField(_l("Peserta sasaran (unit, termasuk sub-unit)"), coerce=db_int,
                                       validate_choice=False)
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()))
    completion_percent = BoundedIntegerField(_l("Syarat kehadiran (%)"), default=80,
                                             validators=[InputRequired(), NumberRange(min=1, max=100)])
    require_post_test = BooleanField(_l("Wajib lulus post-test"))
    pre_quiz_id = SelectField(_l("Pre-test"), coerce=db_int_or_none, validate_choice=False)
    post_quiz_id = SelectField(_l("Post-test"), coerce=db_int_or_none, validate_choice=False)
    materials = TextAreaField(_l("Materi"), validators=[Optional(), Length(max=5000)])


class SessionForm(FlaskForm):
    day = DateField(_l("Tanggal"), validators=[InputRequired(_l("Tanggal wajib diisi."))])
    start = TimeField(_l("Mulai (WIB)"), validators=[InputRequired(_l("Jam mulai wajib diisi."))])
    end = TimeField(_l("Selesai (WIB)"), validators=[InputRequired(_l("Jam selesai wajib diisi."))])
    topic = StringField(_l("Topik"), validators=[Optional(), Length(max=300)])


class ParticipantForm(FlaskForm):
    nip = StringField(_l("NIP atau nama pengguna pegawai"), validators=[Optional(), Length(max=80)])
    name = StringField(_l("Nama tamu"), validators=[Optional(), Length(max=200)])
    institution = StringField(_l("Instansi"), validators=[Optional(), Length(max=200)])
    position = StringField(_l("Jabatan"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("Email"), validators=[Optional(), Email(_l("Alamat email tidak valid.")),
                                                 Length(max=254)])
    phone = StringField(_l("Telepon"), validators=[Optional(), Length(max=40)])


class ImportForm(FlaskForm):
    file = FileField(_l("Berkas CSV"), validators=[FileRequired(_l("Pilih berkas CSV."))])


class ConfirmImportForm(FlaskForm):
    token = HiddenField()


class MarkForm(FlaskForm):
    status = SelectField(_l("Kehadiran"), choices=list(ATTENDANCE_LABELS.items()))
    note = StringField(_l("Catatan"), validators=[Optional(), Length(max=300)])


class EmptyForm(FlaskForm):
    pass
