from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna atau NIP"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired()])
    new_password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(), Length(min=12, max=256)])
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Kedua kata sandi tidak sama."))],
    )
