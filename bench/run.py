"""Benchmarks: generate data, then time real endpoints against a bare Flask endpoint in the same run.

    make bench                      # defaults: 2,000 handbook sections, 20,000 toolkit items
    BENCH_SECTIONS=10000 make bench
    BENCH_TOOLKIT_ITEMS=100000 make bench   # 0 skips the toolkit

Figures are ratios (endpoint median / bare-endpoint median) because the machines here are noisy; absolute
milliseconds are printed for reference only. Results are appended to bench/results.md.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.demo.seed import seed_people  # noqa: E402
from portal.handbook import demo as handbook_demo  # noqa: E402
from portal.handbook import services as handbook  # noqa: E402
from portal.migrate import upgrade  # noqa: E402

SECTIONS = int(os.environ.get("BENCH_SECTIONS", "2000"))
TOOLKIT_ITEMS = int(os.environ.get("BENCH_TOOLKIT_ITEMS", "20000"))
TOOLKIT_QUERIES = ["netralitas", "PP 94/2021", "klarifikasi hoaks", "foto kegiatan kantor", "\"NEAR(*"]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
QUERIES = ["mengunggah foto", "netralitas", "medsos", "data pribadi anak", "hoaks berita lama", "PP 94 2021",
           "rahasia jabatan", "\"NEAR(*"]


def generate(app, sections):
    """The demo handbook, multiplied to `sections` sections of realistic Indonesian text, published."""
    from sqlmodel import Session, select

    from portal.models import Chapter, User

    engine = app.extensions["db_engine"]
    upgrade(engine)
    rng = random.Random(7)
    with Session(engine, expire_on_commit=False) as session:
        seed_people(session)
        humas = session.exec(select(User).where(User.username == "humas")).one()
        chapters = handbook_demo.load_chapters()
        bodies = [body for _t, _i, secs in chapters for _s, _st, body in secs]
        titles = [title for _t, _i, secs in chapters for _s, title, _b in secs]
        made = 0
        for c in range(max(sections // 25, 1)):
            chapter = handbook.create_chapter(session, humas, f"Bab uji {c + 1}")
            for _ in range(25):
                if made >= sections:
                    break
                made += 1
                handbook.create_section(session, humas, chapter.id, f"{rng.choice(titles)} {made}",
                                        rng.choice(bodies), slug=f"uji-{made}")
            session.commit()
        handbook.publish_edition(session, humas, "2026.1", "bench", material=True, index_now=True)
        assert session.exec(select(Chapter.id)).first() is not None


def timed(client, url, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def main():
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    app = create_app({"DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}"),
                      "INSTANCE_PATH": str(tmp), "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    started = time.perf_counter()
    generate(app, SECTIONS)
    print(f"generated {SECTIONS} sections in {time.perf_counter() - started:.1f}s")
    if TOOLKIT_ITEMS:
        from bench.toolkit_data import generate_toolkit

        started = time.perf_counter()
        generate_toolkit(app.extensions["db_engine"], TOOLKIT_ITEMS)
        print(f"generated {TOOLKIT_ITEMS} toolkit items in {time.perf_counter() - started:.1f}s")

    bare = Flask("bare")
    bare.get("/")(lambda: "ok")
    bare_client = bare.test_client()
    client = app.test_client()
    response = client.post("/login", data={"username": "pegawai", "password": "bijak-bermedsos"})
    assert response.status_code == 302

    base, _ = timed(bare_client, "/", REQUESTS)
    rows = [("bare Flask endpoint", base, 1.0)]
    for label, url in [("handbook index", "/handbook/"), ("healthz", "/healthz")] + [
            (f"search {q!r}", f"/handbook/cari?q={q}") for q in QUERIES] + [
            ("search fragment (htmx) 'unggah'", "/handbook/cari?q=unggah")]:
        median, _p95 = timed(client, url, max(REQUESTS // 4, 20))
        rows.append((label, median, median / base))

    if TOOLKIT_ITEMS:
        humas = app.test_client()
        assert humas.post("/login", data={"username": "humas", "password": "bijak-bermedsos"}).status_code == 302
        urls = [("toolkit browse", "/toolkit/", client), ("toolkit browse, no facets", "/toolkit/?facets=0", client),
                ("toolkit photo grid", "/toolkit/?kind=photo", client),
                ("toolkit tag + most used", "/toolkit/?tag=netralitas&sort=used", client)]
        for q in TOOLKIT_QUERIES:
            urls += [(f"toolkit {q!r}", f"/toolkit/?q={quote(q)}", client),
                     (f"toolkit {q!r}, no facets", f"/toolkit/?q={quote(q)}&facets=0", client)]
        urls += [("toolkit 'netralitas' as humas (status facet)", "/toolkit/?q=netralitas", humas),
                 ("toolkit 'hoaks' + kind=template", "/toolkit/?q=hoaks&kind=template", client)]
        app.config["TOOLKIT_FACET_CACHE_SECONDS"] = 0  # every facet count computed afresh
        for label, url, who in urls:
            median, _p95 = timed(who, url, max(REQUESTS // 4, 20))
            rows.append((label, median, median / base))
        app.config["TOOLKIT_FACET_CACHE_SECONDS"] = 60  # the default: large sets' counts kept for a minute
        for label, url in [("toolkit browse, facets cached", "/toolkit/"),
                           ("toolkit 'netralitas', facets cached", "/toolkit/?q=netralitas")]:
            median, _p95 = timed(client, url, max(REQUESTS // 4, 20))
            rows.append((label, median, median / base))

    lines = [f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {SECTIONS} sections, "
             f"{TOOLKIT_ITEMS} toolkit items, "
             f"{app.extensions['db_engine'].dialect.name}\n", "| request | median ms | × bare Flask |", "|---|---|---|"]
    lines += [f"| {label} | {median * 1000:.2f} | {ratio:.1f} |" for label, median, ratio in rows]
    report = "\n".join(lines)
    print(report)
    with open(Path(__file__).parent / "results.md", "a", encoding="utf-8") as out:
        out.write(report + "\n")


if __name__ == "__main__":
    main()
