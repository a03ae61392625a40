"""Demo toolkit: the regulations and answer templates of portal/demo/toolkit/*.json, each regulation with a small
generated PDF marked "SALINAN DEMO — bukan dokumen resmi", and 22 photos drawn with Pillow (two of them carrying
fake GPS EXIF before upload, which the upload strips). Items are in every workflow state; one photo's consent has
expired, one template cites the revoked PP 53/2010.

Everything goes through the toolkit's services (editing, workflow), as a humas would do it. Idempotent: nothing
happens when any toolkit item exists.
"""

import io
import json
import random
from datetime import date, timedelta
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFont
from sqlmodel import select

from portal.models import ToolkitItem, Unit, User, UserRole
from portal.toolkit import editing, workflow
from portal.toolkit.labels import today

CONTENT_DIR = Path(__file__).resolve().parent.parent / "demo" / "toolkit"
CREDIT = "Foto demo (dibuat otomatis)"
LICENCE = "Milik instansi — boleh dipakai untuk kanal resmi dengan mencantumkan kredit"
REGIONAL_HUMAS_UNIT = "UPT-SBY"
SHORT_NAMES = {  # how people call these regulations
    "skb-radikalisme-2019": "SKB 11 K/L",
    "skb-netralitas-2022": "SKB Netralitas ASN",
    "uu-11-2008": "UU ITE",
    "uu-27-2022": "UU PDP",
    "uu-14-2008": "UU KIP",
    "uu-20-2023": "UU ASN",
    "uu-5-2014": "UU ASN (lama)",
    "permenpan-83-2012": "Permenpan RB 83/2012",
}


# --- generated files ----------------------------------------------------------------------------------------------

def _pdf_text(value):
    raw = value.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(text, width):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines


def demo_pdf(heading, title, lines=()):
    """A minimal valid one-page PDF (Helvetica), written by hand: no PDF library needed."""
    ops = [b"BT", b"/F2 15 Tf", b"0.70 0.07 0.16 rg", b"72 770 Td",
           b"(" + _pdf_text("SALINAN DEMO \u2014 bukan dokumen resmi") + b") Tj", b"0 0 0 rg"]
    y_step = []
    y_step.append((b"/F2 13 Tf", 34, heading))
    for i, part in enumerate(_wrap(title, 62)):
        y_step.append((b"/F2 12 Tf", 24 if i == 0 else 16, part))
    for text in lines:
        for i, part in enumerate(_wrap(text, 80)):
            y_step.append((b"/F1 10 Tf", 20 if i == 0 else 13, part))
    y_step.append((b"/F1 9 Tf", 30, "Dokumen ini dibuat otomatis untuk demonstrasi Portal Bijak Bermedia Sosial. "
                                    "Rujuk naskah resmi di JDIH instansi penerbit."))
    for font, step, text in y_step:
        ops += [font, f"0 -{step} Td".encode(), b"(" + _pdf_text(text) + b") Tj"]
    ops.append(b"ET")
    stream = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PALETTES = [((15, 76, 129), (120, 180, 220)), ((30, 107, 52), (170, 215, 140)), ((122, 82, 0), (250, 205, 120)),
            ((90, 40, 120), (220, 170, 230)), ((160, 30, 50), (250, 180, 150)), ((20, 90, 100), (150, 220, 215))]


def demo_image(caption, seed, scene="people", size=(1280, 854), fmt="JPEG", gps=None):
    """A gradient picture with simple shapes and a caption bar; `gps` = (lat, lon) adds fake camera EXIF."""
    rng = random.Random(seed)
    width, height = size
    top, bottom = PALETTES[seed % len(PALETTES)]
    mask = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.72, height * 0.08, width * 0.86, height * 0.29), fill=(255, 236, 170))  # the sun
    ground = int(height * 0.72)
    draw.rectangle((0, ground, width, height), fill=tuple(max(c - 40, 0) for c in top))
    if scene in ("building", "people", "crowd"):
        x = int(width * 0.05)
        while x < width * 0.65:
            w, h = rng.randint(100, 180), rng.randint(160, 340)
            draw.rectangle((x, ground - h, x + w, ground), fill=(235, 238, 242), outline=(120, 130, 140), width=3)
            for wy in range(ground - h + 20, ground - 30, 45):
                for wx in range(x + 15, x + w - 30, 40):
                    draw.rectangle((wx, wy, wx + 22, wy + 28), fill=(140, 170, 200))
            x += w + rng.randint(20, 60)
    if scene in ("people", "crowd"):
        count = 9 if scene == "crowd" else rng.randint(3, 5)
        for i in range(count):
            cx = int(width * (0.12 + 0.76 * (i + 0.5) / count)) + rng.randint(-20, 20)
            scale = 1.0 if scene == "people" else 0.7
            head = int(42 * scale)
            body_top = ground - int(250 * scale)
            colour = rng.choice([(200, 60, 60), (40, 90, 170), (230, 180, 40), (60, 140, 90), (250, 250, 250)])
            draw.rounded_rectangle((cx - int(55 * scale), body_top, cx + int(55 * scale), ground + 10),
                                   radius=int(30 * scale), fill=colour)
            draw.ellipse((cx - head, body_top - 2 * head - 6, cx + head, body_top - 6), fill=(205, 160, 120))
    if scene == "illustration":
        cx, cy, r = width // 2, int(height * 0.42), int(height * 0.24)
        draw.rounded_rectangle((cx - r, cy - r, cx + r, cy + r), radius=40, fill=(255, 255, 255))
        draw.line((cx - r // 2, cy, cx - r // 8, cy + r // 2, cx + r // 2, cy - r // 2), fill=top, width=36)
    bar = int(height * 0.14)
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle((0, height - bar, width, height), fill=(0, 0, 0, 150))
    image = Image.alpha_composite(image.convert("RGBA"), overlay)
    font = ImageFont.load_default(size=max(height // 28, 14))
    ImageDraw.Draw(image).text((int(width * 0.03), height - bar + bar // 3), f"Foto demo: {caption}", font=font,
                               fill=(255, 255, 255))
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG")
    elif fmt == "WEBP":
        image.convert("RGB").save(out, "WEBP", quality=85)
    else:
        exif = Image.Exif()
        if gps:
            exif[ExifTags.Base.Make] = "KameraDemo"
            exif[ExifTags.Base.Model] = "DX-2026"
            lat, lon = gps
            exif[ExifTags.Base.GPSInfo] = {
                ExifTags.GPS.GPSLatitudeRef: "S" if lat < 0 else "N", ExifTags.GPS.GPSLatitude: _dms(abs(lat)),
                ExifTags.GPS.GPSLongitudeRef: "E" if lon > 0 else "W", ExifTags.GPS.GPSLongitude: _dms(abs(lon)),
            }
        image.convert("RGB").save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def _dms(value):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2))


# --- content ------------------------------------------------------------------------------------------------------

def load_regulations():
    return json.loads((CONTENT_DIR / "regulations.json").read_text(encoding="utf-8"))


def load_templates():
    return json.loads((CONTENT_DIR / "templates.json").read_text(encoding="utf-8"))


# (title, description, place, taken, tags, scene, consent, status, by regional humas?, format, gps)
# consent: "tidak_perlu", "ya", "ya-expired", "ya-soon", "tidak"
PHOTOS = [
    ("Sosialisasi Netralitas ASN",
     "Sosialisasi netralitas ASN menjelang pemilihan kepala daerah bagi pegawai kantor pusat.",
     "Jakarta", "2026-03-12", "netralitas, pemilu, sosialisasi", "people", "ya", "disetujui", False, "JPEG", None),
    ("Rapat koordinasi humas se-Indonesia",
     "Rapat koordinasi pengelola media sosial pusat dan daerah: satu suara, satu data.",
     "Bandung", "2026-02-05", "koordinasi, humas, rapat", "people", "ya", "disetujui",
     False, "JPEG", (-6.9175, 107.6191)),
    ("Pelayanan publik di loket terpadu",
     "Petugas melayani warga di loket pelayanan terpadu.",
     "Surabaya", "2026-05-20", "layanan publik, loket", "people", "ya-expired", "disetujui", True, "JPEG", None),
    ("Gedung kantor pusat tampak depan",
     "Foto gedung kantor pusat untuk latar unggahan pengumuman resmi.",
     "Jakarta", "2025-11-01", "gedung, kantor pusat", "building", "tidak_perlu", "disetujui",
     False, "JPEG", (-6.1754, 106.8272)),
    ("Literasi digital untuk pegawai",
     "Kelas literasi digital: memeriksa sumber, tanggal, dan gambar sebelum membagikan.",
     "Makassar", "2026-06-18", "literasi digital, hoaks, pelatihan", "people", "ya-soon",
     "disetujui", True, "JPEG", None),
    ("Peluncuran kanal pengaduan",
     "Peluncuran kanal pengaduan terpadu yang terhubung ke SP4N-LAPOR!.",
     "Jakarta", "2026-01-22", "lapor, pengaduan, layanan publik", "people", "ya", "disetujui", False, "PNG", None),
    ("Bimbingan teknis pengelola media sosial",
     "Bimtek pengelola akun resmi: perencanaan konten dan moderasi komentar.",
     "Medan", "2026-04-09", "bimtek, akun resmi, moderasi", "people", "ya", "disetujui", True, "WEBP", None),
    ("Ilustrasi: cek fakta sebelum membagikan",
     "Ilustrasi untuk unggahan klarifikasi hoaks.",
     "", "2026-07-01", "hoaks, infografis, klarifikasi", "illustration", "tidak_perlu",
     "disetujui", False, "PNG", None),
    ("Ilustrasi: lindungi data pribadi",
     "Ilustrasi ajakan tidak menuliskan NIK, nomor KK, atau alamat di kolom komentar.",
     "", "2026-07-02", "data pribadi, infografis", "illustration", "tidak_perlu", "disetujui", False, "JPEG", None),
    ("Ilustrasi: akun resmi terverifikasi",
     "Ilustrasi ciri akun resmi instansi untuk unggahan waspada akun palsu.",
     "", "2026-07-03", "akun palsu, akun resmi, infografis", "illustration", "tidak_perlu",
     "disetujui", False, "JPEG", None),
    ("Upacara Hari Kesadaran Nasional",
     "Upacara bulanan di halaman kantor pusat, difoto dari belakang barisan.",
     "Jakarta", "2026-08-17", "upacara, kegiatan kantor", "crowd", "tidak_perlu", "disetujui", False, "JPEG", None),
    ("Kunjungan kerja ke Balai Layanan Wilayah II",
     "Kunjungan kerja pimpinan untuk meninjau layanan di daerah.",
     "Surabaya", "2026-09-03", "kunjungan kerja, daerah", "building", "tidak_perlu", "disetujui", True, "JPEG", None),
    ("Donor darah pegawai",
     "Kegiatan donor darah dalam rangka hari jadi instansi.",
     "Jakarta", "2026-04-21", "kegiatan kantor, sosial", "people", "ya", "disetujui", False, "JPEG", None),
    ("Penanaman pohon di lingkungan kantor",
     "Gerakan penanaman pohon bersama pegawai Balai Layanan Wilayah III.",
     "Makassar", "2026-01-10", "lingkungan, kegiatan kantor", "crowd", "tidak_perlu", "disetujui", False, "JPEG", None),
    ("Pameran layanan publik",
     "Stan instansi pada pameran layanan publik tingkat provinsi.",
     "Medan", "2026-10-08", "pameran, layanan publik", "building", "tidak_perlu", "disetujui", True, "JPEG", None),
    ("Ilustrasi: netralitas di media sosial",
     "Ilustrasi kampanye netralitas untuk masa pemilu 2024.",
     "", "2024-01-15", "netralitas, pemilu, infografis", "illustration", "tidak_perlu",
     "disetujui-expired", False, "JPEG", None),
    ("Lomba video kreatif ASN",
     "Dokumentasi penjurian lomba video kreatif bertema pelayanan.",
     "Jakarta", "2026-11-02", "lomba, video, kegiatan kantor", "people", "ya", "draf", False, "JPEG", None),
    ("Sesi foto pejabat baru",
     "Foto bersama pejabat yang baru dilantik (persetujuan belum lengkap).",
     "Jakarta", "2026-11-10", "pelantikan, pejabat", "people", "tidak", "draf", False, "JPEG", None),
    ("Gotong royong bersih kantor",
     "Kerja bakti pegawai Balai Layanan Wilayah II membersihkan lingkungan kantor.",
     "Surabaya", "2026-10-30", "kegiatan kantor, lingkungan", "crowd", "tidak_perlu", "diajukan", True, "JPEG", None),
    ("Layanan jemput bola di pelabuhan",
     "Petugas melayani warga langsung di area pelabuhan.",
     "Surabaya", "2026-11-05", "layanan publik, jemput bola", "people", "ya", "diajukan", True, "JPEG", None),
    ("Swafoto peserta pelatihan",
     "Swafoto bersama peserta pelatihan di ruang kelas.",
     "Surabaya", "2026-09-25", "pelatihan, peserta", "people", "ya", "ditolak", True, "JPEG", None),
    ("Spanduk acara 2024 (logo lama)",
     "Spanduk kegiatan dengan logo lama instansi.",
     "Jakarta", "2024-05-14", "spanduk, logo", "building", "tidak_perlu", "diarsipkan", False, "JPEG", None),
]
REJECTION = ("Wajah peserta terlihat jelas dan sebagian memperlihatkan kartu identitas di meja. Ganti dengan foto "
             "yang tidak menampilkan kartu identitas, atau samarkan bagian itu, lalu ajukan lagi.")


def _regional_humas(session):
    """A humas of a regional unit (Balai Layanan Wilayah II): their items are approved by the central humas."""
    unit = session.exec(select(Unit).where(Unit.code == REGIONAL_HUMAS_UNIT)).first()
    if unit is None:
        return None
    person = session.exec(select(User).where(User.unit_id == unit.id, User.nip.is_not(None))
                          .order_by(User.id)).first()
    if person is not None and "humas" not in person.roles:
        session.add(UserRole(user_id=person.id, role="humas"))
        session.commit()
        session.refresh(person)
    return person


def seed(session):
    if session.exec(select(ToolkitItem.id).limit(1)).first() is not None:
        return "toolkit: already there"
    humas = session.exec(select(User).where(User.username == "humas")).first()
    admin = session.exec(select(User).where(User.username == "admin")).first()
    if humas is None or admin is None:
        return None
    regional = _regional_humas(session) or humas
    on = today()
    regulations = _seed_regulations(session, humas, admin)
    templates = _seed_templates(session, humas, admin, regulations)
    photos = _seed_photos(session, humas, admin, regional, on)
    session.commit()  # the uploaded files are put in place once their records are committed
    return f"toolkit: {len(regulations)} regulations, {templates} templates, {photos} photos"


def _seed_regulations(session, humas, admin):
    records = load_regulations()
    ids, pending = {}, list(records)
    while pending:  # a regulation's relation targets first
        progressed = False
        for record in list(pending):
            if any(r["target"] not in ids for r in record["relations"]):
                continue
            pending.remove(record)
            progressed = True
            values = {
                "title": record["title"], "description": record["summary"], "tags": record["tags"],
                "owner_unit_id": humas.unit_id, "reg_type": record["type"], "number": record["number"],
                "short_name": SHORT_NAMES.get(record["key"], ""), "year": record["year"],
                "issuer": record["issuer"],
                "enacted_on": date.fromisoformat(record["date"]) if record["date"] else None,
                "legal_status": record["status"],
                "amends": [ids[r["target"]] for r in record["relations"] if r["kind"] == "mengubah"],
                "revokes": [ids[r["target"]] for r in record["relations"] if r["kind"] == "mencabut"],
            }
            if record.get("verify"):
                values["description"] += "\n\nCatatan humas: rincian peraturan ini perlu dicek ke naskah resmi."
            heading = (f"{record['type']} Nomor {record['number']} Tahun {record['year']}" if record["number"]
                       else f"{values['short_name'] or record['type']} Tahun {record['year']}")
            pdf = demo_pdf(heading, record["title"], [f"Ditetapkan oleh: {record['issuer']}", record["summary"]])
            item = editing.save_item(session, humas, "regulation", values, files={"pdf": pdf})
            workflow.submit(session, humas, item)
            workflow.approve(session, admin, item)
            ids[record["key"]] = item.id
        if not progressed:
            raise ValueError("regulations.json: a relation points at a record that does not exist")
    # An internal guideline still being written.
    draft = editing.save_item(session, humas, "regulation", {
        "title": "Pengelolaan Akun Media Sosial Resmi Unit Kerja", "reg_type": "Pedoman internal", "number": "1",
        "year": 2026, "issuer": "Kepala Biro Hubungan Masyarakat", "legal_status": "berlaku",
        "owner_unit_id": humas.unit_id, "tags": "akun resmi, pedoman, humas",
        "description": "Rancangan pedoman internal: siapa mengelola akun resmi unit kerja, jadwal unggahan, "
                       "moderasi komentar, dan laporan bulanan ke Biro Hubungan Masyarakat.",
        "amends": [], "revokes": [],
    }, files={"pdf": demo_pdf("Pedoman Internal Nomor 1 Tahun 2026 (rancangan)",
                              "Pengelolaan Akun Media Sosial Resmi Unit Kerja")})
    ids["pedoman-internal-draft"] = draft.id
    return ids


def _seed_templates(session, humas, admin, regulations):
    records = load_templates()
    for record in records:
        item = editing.save_item(session, humas, "template", {
            "title": record["title"], "description": record["description"], "body": record["body"],
            "category": record["category"], "channels": record["channels"], "tags": record["tags"],
            "cites": [regulations[key] for key in record["cites"] if key in regulations],
            "owner_unit_id": humas.unit_id,
        })
        workflow.submit(session, humas, item)
        workflow.approve(session, admin, item)
    return len(records)


def _seed_photos(session, humas, admin, regional, on):
    consent_pdf = demo_pdf("Surat Persetujuan Penggunaan Foto", "Persetujuan orang dalam foto (contoh)",
                           ["Yang bertanda tangan di bawah ini menyetujui fotonya dipakai pada kanal resmi instansi."])
    for index, (title, description, place, taken, tags, scene, consent, status, by_regional, fmt, gps) in \
            enumerate(PHOTOS):
        author = regional if by_regional else humas
        approver = humas if author.id != humas.id else admin
        taken_on = date.fromisoformat(taken)
        caption = f"{title}, {place} {taken_on.year}" if place else title
        raw = demo_image(caption, index, scene=scene, fmt=fmt, gps=gps)
        extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
        values = {"title": title, "description": description, "place": place, "taken_on": taken_on, "tags": tags,
                  "credit": CREDIT, "licence": LICENCE, "owner_unit_id": author.unit_id,
                  "consent": consent.split("-")[0]}
        if consent == "ya-expired":
            values["consent_expires_on"] = on - timedelta(days=10)
        elif consent == "ya-soon":
            values["consent_expires_on"] = on + timedelta(days=20)
        elif consent == "ya":
            values["consent_expires_on"] = date(on.year + 1, 12, 31)
        if status == "disetujui-expired":
            values["valid_until"] = on - timedelta(days=5)
        files = {"photo": (raw, f"demo-{index + 1:02d}.{extension}"),
                 "consent": consent_pdf if consent.startswith("ya") else None}
        # Approve first, let the dates pass afterwards: an expired consent or validity cannot be approved.
        expiring = {k: values.pop(k) for k in ("consent_expires_on", "valid_until")
                    if k in values and values[k] < on}
        item = editing.save_item(session, author, "photo", values, files=files)
        if status in ("disetujui", "disetujui-expired", "ditolak", "diarsipkan", "diajukan"):
            workflow.submit(session, author, item)
        if status in ("disetujui", "disetujui-expired", "diarsipkan"):
            workflow.approve(session, approver, item)
        if status == "ditolak":
            workflow.reject(session, approver, item, REJECTION)
        if status == "diarsipkan":
            workflow.archive(session, humas, item, "Logo lama; diganti materi dengan logo baru.")
        if expiring:
            _let_time_pass(session, item, expiring)
    return len(PHOTOS)


def _let_time_pass(session, item, dates):
    """Demo only: set a date that has passed since approval (in real life the calendar does this)."""
    from portal.models import ToolkitPhoto

    photo = session.get(ToolkitPhoto, item.id)
    if "consent_expires_on" in dates:
        photo.consent_expires_on = dates["consent_expires_on"]
        session.add(photo)
    if "valid_until" in dates:
        item.valid_until = dates["valid_until"]
    item.visible_until = min(d for d in (item.valid_until, photo.consent_expires_on) if d)
    session.add(item)
    session.commit()
