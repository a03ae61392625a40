from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import BoundedIntegerField

# WTForms ships no Indonesian messages: every validator here carries its own.
TOO_LONG = _l("Paling banyak %(max)d karakter.")


class WholeNumberField(BoundedIntegerField):
    """An IntegerField whose "not a number" message is ours (and translated)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Isi dengan bilangan bulat.")) from error


class SectionForm(FlaskForm):
    title = StringField(_l("Judul bagian"), validators=[DataRequired(_l("Judul wajib diisi.")),
                                                        Length(max=200, message=TOO_LONG)])
    body = TextAreaField(_l("Isi (Markdown)"), validators=[DataRequired(_l("Isi bagian tidak boleh kosong."))])
    summary = StringField(_l("Ringkasan perubahan"), validators=[Optional(), Length(max=300, message=TOO_LONG)])
    base_revision_id = HiddenField()


class NewSectionForm(SectionForm):
    slug = StringField(_l("Penanda tetap (slug)"), validators=[Optional(), Length(max=100, message=TOO_LONG)])


class ChapterForm(FlaskForm):
    title = StringField(_l("Judul bab"), validators=[DataRequired(_l("Judul bab wajib diisi.")),
                                                     Length(max=200, message=TOO_LONG)])
    intro = TextAreaField(_l("Pengantar singkat"), validators=[Optional(), Length(max=2000, message=TOO_LONG)])
    position = WholeNumberField(_l("Urutan"), validators=[
        Optional(), NumberRange(min=0, max=999, message=_l("Urutan antara %(min)s dan %(max)s."))])


class PublishForm(FlaskForm):
    version = StringField(_l("Versi edisi"), validators=[DataRequired(_l("Isi versi edisi, misalnya 2026.2.")),
                                                         Length(max=20, message=TOO_LONG)])
    notes = TextAreaField(_l("Catatan rilis"), validators=[DataRequired(_l("Tulis catatan rilis untuk pegawai.")),
                                                           Length(max=5000, message=TOO_LONG)])
    material = BooleanField(_l("Perubahan material: semua pegawai harus menyatakan persetujuan lagi"))


class AcknowledgeForm(FlaskForm):
    confirm = BooleanField(_l("Saya telah membaca dan memahami pedoman ini"),
                           validators=[InputRequired(_l("Centang pernyataan ini untuk melanjutkan."))])


class AckRuleForm(FlaskForm):
    """Admins: what a first acknowledgement requires. The core set's choices are the latest edition's sections."""

    scope = RadioField(_l("Sebelum menyetujui pertama kali, pegawai wajib membuka"), choices=[
        ("all", _l("semua bagian pedoman")), ("core", _l("hanya bagian inti yang dipilih di bawah"))],
        validators=[InputRequired(_l("Pilih salah satu aturan."))])
    core = SelectMultipleField(_l("Bagian inti"), coerce=int, choices=[], validate_choice=True,
                               option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class ReminderForm(FlaskForm):
    """A supervisor's reminder to the people of one follow-up list."""

    topic = HiddenField()
    back_to_topic = HiddenField()  # "1": the form was on one topic's list (?topik=, its page in "page"), shown again
    user_ids = SelectMultipleField(_l("Orang yang diingatkan"), coerce=int, choices=[], validate_choice=False,
                                   option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
