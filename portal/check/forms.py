from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from portal.check.rules import MAX_CHARS


class CheckForm(FlaskForm):
    text = TextAreaField(_l("Draf unggahan"), validators=[
        Optional(), Length(max=MAX_CHARS, message=_l("Teks terlalu panjang (paling banyak %(max)d karakter)."))])
    image = FileField(_l("Gambar (opsional)"))


class TermListForm(FlaskForm):
    terms = TextAreaField(_l("Istilah, satu per baris"))
