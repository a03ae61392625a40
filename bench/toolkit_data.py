"""Toolkit benchmark data: BENCH_TOOLKIT_ITEMS items (photos, regulations, answer templates in turn) made from the
demo content with varied numbers, years, units, tags and counters, inserted in bulk (executemany), and indexed with
portal.search.bulk_index. Photos get rows but no files: the benchmark times pages, not image downloads."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from portal import search
from portal.models import ToolkitItem, ToolkitPhoto, ToolkitRegulation, ToolkitTag, ToolkitTemplate, Unit, User
from portal.toolkit import demo, editing
from portal.toolkit.labels import SEARCH_KIND
from portal.toolkit.labels import today as today_wib

EXTRA_TAGS = ["humas", "kegiatan kantor", "layanan publik", "media sosial", "pemilu", "hoaks", "netralitas",
              "data pribadi", "akun resmi", "infografis", "daerah", "krisis", "koreksi", "pengaduan", "pelatihan"]
STATUS_WEIGHTS = [("disetujui", 80), ("draf", 6), ("diajukan", 5), ("ditolak", 4), ("diarsipkan", 5)]


def generate_toolkit(engine, count, seed=11, batch=2000):
    rng = random.Random(seed)
    regulations, templates, photos = demo.load_regulations(), demo.load_templates(), demo.PHOTOS
    statuses = [s for s, weight in STATUS_WEIGHTS for _ in range(weight)]
    now = datetime.now(UTC)
    today = today_wib()
    with Session(engine, expire_on_commit=False) as session:
        humas = session.exec(select(User).where(User.username == "humas")).one()
        units = session.exec(select(Unit.id)).all()
        first_id = (session.exec(select(func.max(ToolkitItem.id))).one() or 0) + 1
        rows = {ToolkitItem: [], ToolkitTag: [], ToolkitRegulation: [], ToolkitTemplate: [], ToolkitPhoto: []}
        documents = []

        def flush():
            for model, values in rows.items():
                if values:
                    session.execute(insert(model), values)
                    values.clear()

        for n in range(count):
            item_id = first_id + n
            kind = ("regulation", "template", "photo")[n % 3]
            status = "disetujui" if n < 3 else rng.choice(statuses)
            used = int(rng.paretovariate(1.5)) - 1
            item = ToolkitItem(id=item_id, kind=kind, status=status, owner_unit_id=rng.choice(units),
                               created_by_id=humas.id, created_at=now - timedelta(minutes=n), updated_at=now,
                               title="", description="", download_count=used if kind != "template" else 0,
                               use_count=used if kind == "template" else 0, usage_count=used)
            if rng.random() < 0.05:
                item.valid_until = item.visible_until = today + timedelta(days=rng.randint(-300, 300))
            details = {}
            if kind == "regulation":
                record = regulations[6] if n == 0 else rng.choice(regulations)  # the first one is PP 94/2021
                number = record["number"] if n == 0 else (
                    str(rng.randint(1, 250)) if rng.random() < 0.8 else record["number"])
                item.title, item.description = record["title"], record["summary"]
                item.year = record["year"] if n == 0 else rng.randint(1990, 2026)
                regulation = ToolkitRegulation(item_id=item_id, reg_type=record["type"], number=number,
                                               short_name="" if number else "SKB 11 K/L", issuer=record["issuer"],
                                               legal_status=rng.choice(("berlaku",) * 8 + ("diubah", "dicabut")))
                details["regulation"] = regulation
                tags = record["tags"]
            elif kind == "template":
                record = rng.choice(templates)
                item.title, item.description, item.year = record["title"], record["description"], 2026
                template = ToolkitTemplate(item_id=item_id, body=record["body"], category=record["category"],
                                           channels=",".join(record["channels"]))
                details["template"] = template
                tags = record["tags"]
            else:
                spec = rng.choice(photos)
                item.title, item.description, item.year = spec[0], spec[1], int(spec[3][:4])
                photo = ToolkitPhoto(item_id=item_id, sha256=f"{n:064d}", path=f"bench/{n}.jpg", mime="image/jpeg",
                                     size=200_000, width=1280, height=854, credit=demo.CREDIT, place=spec[2],
                                     licence=demo.LICENCE, consent="tidak_perlu")
                details["photo"] = photo
                tags = [t.strip() for t in spec[4].split(",")]
            tags = list(dict.fromkeys(tags + rng.sample(EXTRA_TAGS, rng.randint(0, 2))))
            rows[ToolkitItem].append(item.model_dump())
            for detail in details.values():
                rows[type(detail)].append(detail.model_dump())
            rows[ToolkitTag] += [{"item_id": item_id, "tag": tag} for tag in tags]
            title, body, extra = editing.index_texts(item, tags, **details)
            documents.append((item_id, title, body, extra))
            if len(rows[ToolkitItem]) >= batch:
                flush()
        flush()
        search.bulk_index(session, SEARCH_KIND, documents)
        if engine.dialect.name != "sqlite":
            session.execute(text("SELECT setval(pg_get_serial_sequence('toolkit_item', 'id'), "
                                 "(SELECT max(id) FROM toolkit_item))"))
        session.commit()
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        else:
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
