from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class SectionForm(FlaskForm):
    title = StringField(_l("Judul bagian"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Isi (Markdown)"), validators=[DataRequired()])
    summary = StringField(_l("Ringkasan perubahan"), validators=[Optional(), Length(max=300)])
    base_revision_id = HiddenField()


class NewSectionForm(SectionForm):
    slug = StringField(_l("Penanda tetap (slug)"), validators=[Optional(), Length(max=100)])


class ChapterForm(FlaskForm):
    title = StringField(_l("Judul bab"), validators=[DataRequired(), Length(max=200)])
    intro = TextAreaField(_l("Pengantar singkat"), validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Urutan"), validators=[Optional(), NumberRange(min=0, max=999)])


class PublishForm(FlaskForm):
    version = StringField(_l("Versi edisi"), validators=[DataRequired(), Length(max=20)])
    notes = TextAreaField(_l("Catatan rilis"), validators=[DataRequired(), Length(max=5000)])
    material = BooleanField(_l("Perubahan material: semua pegawai harus menyatakan persetujuan lagi"))


class AcknowledgeForm(FlaskForm):
    confirm = BooleanField(_l("Saya telah membaca dan memahami pedoman ini"),
                           validators=[InputRequired(_l("Centang pernyataan ini untuk melanjutkan."))])


class EmptyForm(FlaskForm):
    """A POST that carries nothing but its CSRF token."""
