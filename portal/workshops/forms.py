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
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import BoundedIntegerField, db_int, db_int_or_none
from portal.workshops.catalog import safe_link
from portal.workshops.labels import ATTENDANCE_LABELS, STATUS_LABELS

# ids and counts from the form: whole numbers the database can store, else a clear message (portal/forms.py)
_int_or_none, _bounded_int = db_int_or_none, db_int


class ChoiceField(SelectField):
    """A select box whose values are ids (or None); a value that is not a reasonable id is a clear form error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Pilihan tidak dikenal. Pilih dari daftar.")) from None


class MultiChoiceField(SelectMultipleField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Pilihan tidak dikenal. Pilih dari daftar.")) from None


def http_or_mailto(_form, field):
    if field.data and safe_link(field.data) is None:
        raise ValidationError(_l("Tautan daring harus diawali http://, https:// atau mailto:."))


class WorkshopForm(FlaskForm):
    title = StringField(_l("Judul"), validators=[InputRequired(_l("Judul wajib diisi.")), Length(max=200)])
    description = TextAreaField(_l("Deskripsi"), validators=[Optional(), Length(max=20_000)])
    place = StringField(_l("Tempat"), validators=[Optional(), Length(max=300)])
    online_link = StringField(_l("Tautan daring"), validators=[Optional(), Length(max=500), http_or_mailto])
    unit_id = ChoiceField(_l("Unit penyelenggara"), coerce=_int_or_none, validate_choice=False)
    trainer_ids = MultiChoiceField(_l("Pelatih"), coerce=_bounded_int, validate_choice=False)
    capacity = BoundedIntegerField(_l("Kapasitas"), validators=[
        Optional(), NumberRange(min=1, max=100_000, message=_l("Kapasitas antara 1 dan 100.000 (kosongkan bila tidak "
                                                               "dibatasi)."))])
    registration_opens_at = DateTimeLocalField(_l("Pendaftaran dibuka (WIB)"), format="%Y-%m-%dT%H:%M",
                                               validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Pendaftaran ditutup (WIB)"), format="%Y-%m-%dT%H:%M",
                                                validators=[Optional()])
    audience_ids = MultiChoiceField(_l("Peserta sasaran (unit, termasuk sub-unit)"), coerce=_bounded_int,
                                    validate_choice=False)
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()))
    completion_percent = BoundedIntegerField(_l("Syarat kehadiran (%)"), default=80, validators=[
        InputRequired(_l("Syarat kehadiran wajib diisi.")),
        NumberRange(min=1, max=100, message=_l("Syarat kehadiran antara 1 dan 100 persen."))])
    require_post_test = BooleanField(_l("Wajib lulus post-test"))
    pre_quiz_id = ChoiceField(_l("Pre-test"), coerce=_int_or_none, validate_choice=False)
    post_quiz_id = ChoiceField(_l("Post-test"), coerce=_int_or_none, validate_choice=False)
    materials = TextAreaField(_l("Materi"), validators=[Optional(), Length(max=5000)])


class WorkshopSessionForm(FlaskForm):
    """A meeting of the workshop (date and WIB times)."""

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
    file = FileField(_l("Berkas CSV atau XLSX"), validators=[FileRequired(_l("Pilih berkas CSV atau XLSX."))])


class ConfirmImportForm(FlaskForm):
    token = HiddenField()


class MarkForm(FlaskForm):
    status = SelectField(_l("Kehadiran"), choices=list(ATTENDANCE_LABELS.items()))
    note = StringField(_l("Catatan"), validators=[Optional(), Length(max=300)])
