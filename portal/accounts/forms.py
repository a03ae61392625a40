from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

# WTForms ships no Indonesian messages: every validator here carries its own.
TOO_LONG = _l("Paling banyak %(max)d karakter.")


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna atau NIP"), validators=[
        DataRequired(_l("Isi nama pengguna atau NIP.")), Length(max=80, message=TOO_LONG)])
    password = PasswordField(_l("Kata sandi"),
                             validators=[DataRequired(_l("Isi kata sandi.")), Length(max=256, message=TOO_LONG)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Kata sandi saat ini"),
                                     validators=[DataRequired(_l("Isi kata sandi saat ini."))])
    new_password = PasswordField(_l("Kata sandi baru"), validators=[
        DataRequired(_l("Isi kata sandi baru.")),
        Length(min=12, message=_l("Kata sandi minimal %(min)d karakter.")),
        Length(max=256, message=TOO_LONG),
    ])
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(_l("Ulangi kata sandi baru.")),
                    EqualTo("new_password", message=_l("Kedua kata sandi tidak sama."))],
    )
