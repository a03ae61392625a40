from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.forms import BoundedIntegerField, FiniteFloatField, db_int

KIND_LABELS = {
    "single": _l("Pilihan tunggal"),
    "multi": _l("Jawaban ganda (nilai sebagian)"),
    "truefalse": _l("Benar/Salah"),
    "shortanswer": _l("Jawaban singkat"),
    "numerical": _l("Numerik"),
    "matching": _l("Menjodohkan"),
    "essay": _l("Esai (tidak dinilai)"),
    "description": _l("Deskripsi (tanpa jawaban)"),
}
FORMAT_LABELS = {"markdown": _l("Markdown"), "plain": _l("Teks biasa"), "html": _l("HTML (dibersihkan)")}
STATUS_LABELS = {"draft": _l("usulan (draf)"), "active": _l("aktif"), "retired": _l("dipensiunkan")}
DIFFICULTY_LABELS = {1: _l("mudah"), 2: _l("sedang"), 3: _l("sulit")}
MODE_LABELS = {"immediate": _l("Langsung (swa-penilaian)"), "deferred": _l("Setelah selesai (mode ujian)")}
NUMBER = _l("Isi dengan angka.")
OPTION_ROWS = 6
MAX_OPTION_ROWS = 20


class OptionForm(Form):
    """One answer option (a sub-form: the CSRF token belongs to the outer form)."""

    text = TextAreaField(_l("Teks jawaban"), validators=[Optional(), Length(max=2000)])
    weight = FiniteFloatField(_l("Bobot (%)"), default=0,
                        validators=[Optional(), NumberRange(min=-100, max=100, message=_l("Antara -100 dan 100."))])
    feedback = TextAreaField(_l("Umpan balik bila dipilih"), validators=[Optional(), Length(max=4000)])
    match_text = StringField(_l("Pasangannya (soal menjodohkan)"), validators=[Optional(), Length(max=2000)])


class QuestionForm(FlaskForm):
    topic_id = SelectField(_l("Topik"), coerce=db_int, validate_choice=False)
    name = StringField(_l("Nama soal (untuk admin dan GIFT)"), validators=[Optional(), Length(max=200)])
    kind = RadioField(_l("Jenis soal"), choices=list(KIND_LABELS.items()), default="single")
    text_format = SelectField(_l("Format teks soal, jawaban, dan umpan balik"), choices=list(FORMAT_LABELS.items()),
                              default="markdown")
    id_number = StringField(_l("Nomor ID (opsional, seperti di Moodle)"), validators=[Optional(), Length(max=100)])
    tags = StringField(_l("Tag (pisahkan dengan koma)"), validators=[Optional(), Length(max=2000)])
    difficulty = SelectField(_l("Tingkat kesulitan"), coerce=db_int, default=2,
                             choices=list(DIFFICULTY_LABELS.items()))
    stem = TextAreaField(_l("Teks soal"), validators=[Length(max=20000)])
    image = FileField(_l("Gambar skenario (JPEG, PNG, atau WebP, paling besar 5 MB)"))
    image_alt = StringField(_l("Teks alternatif gambar"), validators=[Optional(), Length(max=300)])
    remove_image = BooleanField(_l("Hapus gambar"))
    options = FieldList(FormField(OptionForm), min_entries=OPTION_ROWS, max_entries=MAX_OPTION_ROWS)
    tf_correct = RadioField(_l("Pernyataan ini"), choices=[("true", _l("Benar")), ("false", _l("Salah"))],
                            default="true")
    tf_feedback_true = TextAreaField(_l("Umpan balik bila menjawab “Benar”"), validators=[Optional(),
                                                                                          Length(max=4000)])
    tf_feedback_false = TextAreaField(_l("Umpan balik bila menjawab “Salah”"), validators=[Optional(),
                                                                                           Length(max=4000)])
    explanation = TextAreaField(_l("Pembahasan umum (esai: contoh jawaban)"),
                                validators=[Optional(), Length(max=20000)])
    section_ids = SelectMultipleField(_l("Bagian pedoman yang menjelaskan"), coerce=db_int, validate_choice=False)
    activate = BooleanField(_l("Aktifkan: soal boleh diundi dalam kuis"))


class TopicForm(FlaskForm):
    name = StringField(_l("Nama topik"), validators=[InputRequired(_l("Isi nama topik.")), Length(max=200)])
    parent_id = SelectField(_l("Subtopik dari"), coerce=db_int, default=0, validate_choice=False)
    description = TextAreaField(_l("Deskripsi"), validators=[Optional(), Length(max=2000)])
    position = BoundedIntegerField(_l("Urutan"), validators=[Optional(), NumberRange(min=0, max=999)])
    section_ids = SelectMultipleField(_l("Bagian pedoman terkait"), coerce=db_int, validate_choice=False)


class QuizForm(FlaskForm):
    title = StringField(_l("Judul kuis"), validators=[InputRequired(_l("Isi judul kuis.")), Length(max=200)])
    description = TextAreaField(_l("Keterangan bagi peserta"), validators=[Optional(), Length(max=2000)])
    pass_mark = BoundedIntegerField(_l("Batas lulus (%)"), default=70,
                                    validators=[InputRequired(NUMBER), NumberRange(min=1, max=100)])
    max_attempts = BoundedIntegerField(_l("Batas jumlah percobaan"),
                                       validators=[Optional(), NumberRange(min=1, max=100)])
    cooldown_hours = BoundedIntegerField(_l("Jeda sebelum mencoba lagi (jam)"), default=0,
                                         validators=[Optional(), NumberRange(min=0, max=8760)])
    feedback_mode = RadioField(_l("Umpan balik"), choices=list(MODE_LABELS.items()), default="immediate")
    shuffle_questions = BooleanField(_l("Acak urutan soal"), default=True)
    shuffle_options = BooleanField(_l("Acak urutan pilihan jawaban"), default=True)
    certificate = BooleanField(_l("Terbitkan sertifikat bagi yang lulus"), default=True)
    validity_months = BoundedIntegerField(_l("Masa berlaku kelulusan (bulan)"), default=12,
                                          validators=[Optional(), NumberRange(min=1, max=120)])
    active = BooleanField(_l("Dibuka bagi pegawai"), default=True)


class GiftExportForm(FlaskForm):
    """The export's options (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    draf = BooleanField(_l("Sertakan usulan humas yang masih draf"))


class GiftImportForm(FlaskForm):
    file = FileField(_l("Berkas GIFT (.gift atau .txt, UTF-8)"))
    topic = StringField(_l("Masukkan semua soal ke topik (opsional)"), validators=[Optional(), Length(max=200)])


class ConfirmImportForm(FlaskForm):
    token = StringField(validators=[InputRequired(), Length(max=80)])
    topic = StringField(validators=[Optional(), Length(max=200)])


class AnswerForm(FlaskForm):
    """An answer to one question. The inputs are drawn by the template for the question's kind; the service checks
    them, and a broken rule is shown under the field it names."""

    option = SelectMultipleField(coerce=str, validate_choice=False)
    response = TextAreaField()  # its length is checked by the service, with a message


class StatusForm(FlaskForm):
    status = SelectField(choices=list(STATUS_LABELS.items()), validate_choice=True)
