"""Import timings: users, units and workshop participants, previewed and confirmed through the real pages.

    .venv/bin/python bench/imports.py                 # 5,000 rows of each kind, then 50,000 users and participants
    BENCH_IMPORT_ROWS=2000 BENCH_IMPORT_LARGE=0 .venv/bin/python bench/imports.py

Files are made the way Indonesian offices make them: Windows-1252 with semicolons and é/ñ in names for users and
units, XLSX for participants (half of them employees found by NIP). Each figure is one upload (the preview page)
and one confirmation (with JOBS_IMMEDIATE the job a large import queues runs inside that request, so the figure
covers the whole write). Targets (issue 15): preview < 3 s and confirm < 10 s for 5,000 rows.

Files above IMPORT_PREVIEW_JOB_MIN_ROWS (3,000) are checked by a job and those above IMPORT_JOB_MIN_ROWS written
by one in batches (IMPORT_BATCH_ROWS, 500, with a 100 ms gap on SQLite for waiting writers); with JOBS_IMMEDIATE
both run inside these requests, so the figures cover them.

Latest run (SQLite, the shared 2-core machine, 2026-11-26, after the batched write):

    units 5000 (cp1252 ;)                           168 KB   preview   0.21 s   confirm   1.67 s
    users 5000 new (cp1252 ;)                       377 KB   preview   0.18 s   confirm   1.92 s
    users 5000 changed (unit and roles)             392 KB   preview   0.39 s   confirm   1.76 s
    participants 5000 (XLSX, half employees)        138 KB   preview   0.75 s   confirm   1.78 s
    users 50000 new (cp1252 ;)                     3880 KB   preview   1.74 s   confirm  25.14 s
    participants 50000 (XLSX)                      1326 KB   preview   5.68 s   confirm  21.25 s

(Confirm of 50,000 rows includes 99 gaps of 100 ms between batches; the single transaction before took 24.6 s and
11.98 s while locking everyone else out.)
"""

import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.migrate import upgrade  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "5000"))
LARGE = int(os.environ.get("BENCH_IMPORT_LARGE", "50000"))
NAMES = ["José Ñoman", "Agus Saputra", "Ni Luh Putu Ayu", "Yohanes Pattiasina", "Dewi Lestari", "Muhammad Rizky"]


def nip(i):
    """A valid NIP, distinct for every i < 9,000,000 (birth date varies with i, sequence 001–999)."""
    day = i // 999
    return f"19{70 + day // 336 % 30:02d}{1 + day // 28 % 12:02d}{1 + day % 28:02d}2015031{1 + i % 999:03d}"


def users_csv(n, first=0, unit="BSDM"):
    lines = ["nip;nama;email;unit_kode;peran"]
    for i in range(first, first + n):
        roles = "employee;supervisor" if i % 10 == 0 else ("humas|trainer" if i % 25 == 0 else "")
        lines.append(f"{nip(i)};{NAMES[i % len(NAMES)]} {i};pegawai{i}@kementerian.go.id;{unit};{roles}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def units_csv(n):
    lines = ["kode;nama;induk_kode"]
    for i in range(n):  # a tree: every unit under unit i // 5 (parents both earlier and later in the file)
        parent = f"BU{i // 5}" if i else "SETJEN"
        lines.append(f"BU{i};Bagian Uji Café {i};{parent}")
    lines.reverse()
    lines.insert(0, lines.pop())
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def participants_xlsx(n):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["nama", "nip", "instansi", "jabatan", "email", "telepon"])
    for i in range(n):
        if i % 2:
            sheet.append(["", nip(i), "", "", "", ""])  # an employee imported above
        else:
            sheet.append([f"Tamu {NAMES[i % len(NAMES)]} {i}", "", f"Dinas Kominfo\nKota {i}", "Pranata Humas",
                          f"tamu{i}@daerah.go.id", f"0812{i:07d}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def token_in(response):
    match = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def run(client, label, upload_url, confirm_url, raw, filename):
    started = time.perf_counter()
    response = client.post(upload_url, data={"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data")
    job = re.fullmatch(r"/jobs/(\d+)", response.headers.get("Location", ""))
    if response.status_code == 303 and job:  # a large file is checked by a job (run here, JOBS_IMMEDIATE)
        response = client.get(f"{upload_url}?job={job.group(1)}")
    preview = time.perf_counter() - started
    token = token_in(response)
    if response.status_code != 200 or not token:
        raise SystemExit(f"{label}: preview failed ({response.status_code})\n{response.get_data(as_text=True)[:3000]}")
    started = time.perf_counter()
    response = client.post(confirm_url, data={"token": token})
    confirm = time.perf_counter() - started
    if response.status_code != 303:
        raise SystemExit(f"{label}: confirm failed ({response.status_code})")
    print(f"{label:<42} {len(raw) / 1024:8.0f} KB   preview {preview:6.2f} s   confirm {confirm:6.2f} s", flush=True)
    return preview, confirm


def main():
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-imports-"))
    app = create_app({"DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}"),
                      "INSTANCE_PATH": str(tmp), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": True, "MAX_CONTENT_LENGTH": 100 * 1024 * 1024})
    upgrade(app.extensions["db_engine"])
    from portal import db
    from portal.demo.seed import seed_people
    from portal.models import Workshop, WorkshopTrainer

    with app.app_context(), db.unit_of_work() as session:
        seed_people(session)
    with app.app_context(), db.unit_of_work() as session:
        from sqlmodel import select

        from portal.models import User

        trainer = session.exec(select(User).where(User.username == "pelatih")).one()
        workshops = []
        for title in ("Pelatihan impor 5.000", "Pelatihan impor besar"):
            workshop = Workshop(title=title, status="open", capacity=None)
            session.add(workshop)
            session.flush()
            session.add(WorkshopTrainer(workshop_id=workshop.id, user_id=trainer.id))
            workshops.append(workshop.id)

    admin = app.test_client()
    assert admin.post("/login", data={"username": "admin", "password": "bijak-bermedsos"}).status_code == 302
    trainer_client = app.test_client()
    assert trainer_client.post("/login", data={"username": "pelatih",
                                                "password": "bijak-bermedsos"}).status_code == 302
    print(f"rows: {ROWS}, large: {LARGE}, database: {app.extensions['db_engine'].dialect.name}")
    run(admin, f"units {ROWS} (cp1252 ;)", "/admin/import/units", "/admin/import/units/confirm", units_csv(ROWS),
        "unit.csv")
    run(admin, f"users {ROWS} new (cp1252 ;)", "/admin/import/users", "/admin/import/users/confirm",
        users_csv(ROWS), "pegawai.csv")
    run(admin, f"users {ROWS} changed (unit and roles)", "/admin/import/users", "/admin/import/users/confirm",
        users_csv(ROWS, unit="BHM-MKP"), "pegawai.csv")
    run(trainer_client, f"participants {ROWS} (XLSX, half employees)", f"/workshops/{workshops[0]}/impor",
        f"/workshops/{workshops[0]}/impor/konfirmasi", participants_xlsx(ROWS), "peserta.xlsx")
    if LARGE:
        run(admin, f"users {LARGE} new (cp1252 ;)", "/admin/import/users", "/admin/import/users/confirm",
            users_csv(LARGE, first=ROWS), "pegawai.csv")
        run(trainer_client, f"participants {LARGE} (XLSX)", f"/workshops/{workshops[1]}/impor",
            f"/workshops/{workshops[1]}/impor/konfirmasi", participants_xlsx(LARGE), "peserta.xlsx")


if __name__ == "__main__":
    main()
