from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.accounts.forms import TOO_LONG
from portal.forms import BoundedIntegerField, db_int
from portal.models.toolkit import CHANNELS, REGULATION_TYPES, TEMPLATE_CATEGORIES

BAD_DATE = _l("Tanggal tidak valid (format tahun-bulan-tanggal).")
CONSENT_LABELS = {
    "tidak_perlu": _l("Tidak perlu — tidak ada orang yang dapat dikenali"),
    "ya": _l("Ya — orang yang dapat dikenali sudah memberi persetujuan tertulis"),
    "tidak": _l("Tidak — ada orang yang dapat dikenali, belum ada persetujuan"),
}
LEGAL_STATUS_LABELS = {"berlaku": _l("Berlaku"), "diubah": _l("Diubah"), "dicabut": _l("Dicabut")}


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ItemForm(FlaskForm):
    title = StringField(_l("Judul"), validators=[DataRequired(_l("Isi judul.")), Length(max=300, message=TOO_LONG)])
    description = TextAreaField(_l("Deskripsi"), validators=[Optional(), Length(max=5000, message=TOO_LONG)])
    tags = StringField(_l("Tag (pisahkan dengan koma)"), validators=[Optional(), Length(max=1000, message=TOO_LONG)])
    # The service checks the unit (and that the editor may choose it).
    owner_unit_id = SelectField(_l("Unit pemilik"), coerce=db_int, validate_choice=False)
    valid_until = DateField(_l("Berlaku sampai (boleh kosong)"), validators=[Optional()],
                            render_kw={"type": "date"})


class PhotoForm(ItemForm):
    photo = FileField(_l("Berkas foto (JPEG, PNG, atau WebP, paling besar 20 MB)"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    credit = StringField(_l("Kredit/fotografer"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    taken_on = DateField(_l("Tanggal pengambilan"), validators=[Optional()], render_kw={"type": "date"})
    place = StringField(_l("Tempat"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    licence = StringField(_l("Lisensi"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    consent = RadioField(_l("Orang yang dapat dikenali dalam foto: sudah ada persetujuan?"),
                         choices=list(CONSENT_LABELS.items()), default="tidak_perlu", validate_choice=False)
    consent_doc = FileField(_l("Dokumen persetujuan (PDF atau gambar)"),
                            render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"})
    consent_expires_on = DateField(_l("Persetujuan berlaku sampai (boleh kosong)"), validators=[Optional()],
                                   render_kw={"type": "date"})


class RegulationForm(ItemForm):
    reg_type = SelectField(_l("Jenis"), choices=[(t, t) for t in REGULATION_TYPES], validate_choice=False)
    number = StringField(_l("Nomor (kosongkan bila tidak bernomor)"),
                         validators=[Optional(), Length(max=120, message=TOO_LONG)])
    short_name = StringField(_l("Sebutan singkat (misalnya UU ITE, SKB 11 K/L)"),
                             validators=[Optional(), Length(max=80, message=TOO_LONG)])
    year = BoundedIntegerField(_l("Tahun"), validators=[
        DataRequired(_l("Isi tahun peraturan.")), NumberRange(min=1945, max=2100, message=_l("Tahun tidak valid."))])
    issuer = StringField(_l("Penerbit"), validators=[Optional(), Length(max=500, message=TOO_LONG)])
    enacted_on = DateField(_l("Tanggal penetapan"), validators=[Optional()], render_kw={"type": "date"})
    legal_status = SelectField(_l("Status"), choices=list(LEGAL_STATUS_LABELS.items()), validate_choice=False)
    pdf = FileField(_l("Naskah PDF (paling besar 20 MB)"), render_kw={"accept": "application/pdf"})
    remove_pdf = BooleanField(_l("Hapus PDF yang tersimpan"))
    amends = CheckboxListField(_l("Mengubah peraturan"), coerce=db_int, validate_choice=False)
    revokes = CheckboxListField(_l("Mencabut peraturan"), coerce=db_int, validate_choice=False)


class TemplateForm(ItemForm):
    body = TextAreaField(_l("Isi templat"), validators=[DataRequired(_l("Isi templat wajib diisi.")),
                                                        Length(max=5000, message=TOO_LONG)])
    category = SelectField(_l("Kategori"), choices=[(c, c) for c in TEMPLATE_CATEGORIES], validate_choice=False)
    channels = CheckboxListField(_l("Kanal"), choices=[(c, c) for c in CHANNELS], validate_choice=False)
    cites = CheckboxListField(_l("Peraturan yang dirujuk"), coerce=db_int, validate_choice=False)


FORMS = {"photo": PhotoForm, "regulation": RegulationForm, "template": TemplateForm}


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Alasan penolakan"), validators=[DataRequired(_l("Tuliskan alasan penolakan.")),
                                                               Length(max=1000, message=TOO_LONG)])


def use_form(names, labels):
    """A form with one text field per placeholder (`isi_<name>`: a placeholder may be called anything)."""
    attrs = {f"isi_{name}": StringField(labels[name], validators=[
        DataRequired(_l("Isi bagian ini.")), Length(max=500, message=TOO_LONG)]) for name in names}
    return type("UseTemplateForm", (FlaskForm,), attrs)()
