from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from portal.accounts.forms import TOO_LONG
from portal.forms import db_int

ROLE_LABELS = {
    "employee": _l("Pegawai"),
    "supervisor": _l("Atasan"),
    "humas": _l("Humas"),
    "trainer": _l("Pelatih"),
    "admin": _l("Admin"),
}


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"),
                           validators=[DataRequired(_l("Isi nama pengguna.")), Length(max=80, message=TOO_LONG)])
    full_name = StringField(_l("Nama lengkap"),
                            validators=[DataRequired(_l("Isi nama lengkap.")), Length(max=200, message=TOO_LONG)])
    nip = StringField(_l("NIP (18 angka, boleh kosong)"),
                      validators=[Optional(), Length(max=18, message=_l("NIP harus terdiri dari 18 angka."))])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254, message=TOO_LONG)])
    # The service checks that the unit exists (with an Indonesian message; WTForms' own is English only).
    unit_id = SelectField(_l("Unit kerja"), coerce=db_int, validate_choice=False,
                          validators=[DataRequired(_l("Pilih unit kerja."))])
    roles = CheckboxListField(_l("Peran tambahan"),
                              choices=[(code, label) for code, label in ROLE_LABELS.items() if code != "employee"])
    active = BooleanField(_l("Akun aktif"), default=True)
    password = PasswordField(_l("Kata sandi awal (minimal 12 karakter; kosongkan untuk mengatur nanti)"),
                             validators=[Optional(), Length(max=256, message=TOO_LONG)])


class UnitForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(_l("Isi kode unit.")), Length(max=40, message=TOO_LONG)])
    name = StringField(_l("Nama unit"),
                       validators=[DataRequired(_l("Isi nama unit.")), Length(max=200, message=TOO_LONG)])
    parent_id = SelectField(_l("Unit induk"), coerce=db_int, validate_choice=False)  # checked by the service


class ResetPasswordForm(FlaskForm):
    pass


class PersonalDataForm(FlaskForm):
    fmt = SelectField(_l("Format"), choices=[("json", "JSON"), ("xlsx", "XLSX")], default="xlsx")


class AnonymiseForm(FlaskForm):
    confirm = StringField(_l("Ketik nama pengguna untuk memastikan"),
                          validators=[DataRequired(_l("Ketik nama pengguna akun ini.")), Length(max=80)])


class ImportForm(FlaskForm):
    file = FileField(_l("Berkas CSV atau XLSX"), validators=[FileRequired(_l("Pilih berkas CSV atau XLSX."))])


class ConfirmImportForm(FlaskForm):
    token = StringField(validators=[DataRequired(), Length(max=64)])
