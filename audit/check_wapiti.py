"""For `make audit`: fail when wapiti's JSON report holds any vulnerability or anomaly (an HTTP 500 is one), or
when the server's access log shows a 5xx or that the scan was not signed in: most answers are redirects to the login
page, or a page that needs a signed-in user (the dashboard) or an admin (the admin pages) never answered 200."""

import json
import re
import sys
from collections import Counter

try:
    with open(sys.argv[1], encoding="utf-8") as file:
        report = json.load(file)
except (OSError, ValueError) as error:
    sys.exit(f"wapiti wrote no report ({error}); see audit/reports/wapiti/log.txt")
found = 0
for section in ("vulnerabilities", "anomalies"):
    for category, items in (report.get(section) or {}).items():
        for item in items:
            found += 1
            print(f"{section[:-3]}: {category}: {item.get('method')} {item.get('path')} {item.get('info')}")
info = report.get("infos", {})
print(f"wapiti: {found} findings; target {info.get('target')}, {info.get('crawled_pages_nbr', '?')} pages crawled")
if len(sys.argv) > 2:
    with open(sys.argv[2], encoding="utf-8") as file:
        lines = file.read().splitlines()
    statuses = Counter()
    to_login = 0
    pages_ok = set()  # paths (without the query) that answered 200 to a GET
    for line in lines:
        match = re.search(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})', line)
        if match:
            method, path, status = match.groups()
            statuses[status[0] + "xx"] += 1
            to_login += path.startswith("/login")
            if method == "GET" and status == "200":
                pages_ok.add(path.split("?")[0])
    admin_pages = sorted(p for p in pages_ok if p.startswith("/admin/"))
    print(f"server: {len(lines)} requests, {dict(statuses)}, {to_login} to the login page; "
          f"{len(pages_ok)} distinct paths answered a GET with 200, {len(admin_pages)} of them admin pages")
    for need, seen in (("the dashboard (/)", "/" in pages_ok), ("an admin page (/admin/...)", bool(admin_pages))):
        if not seen:
            found += 1
            print(f"not signed in: {need} never answered 200")
    if statuses["5xx"]:
        found += statuses["5xx"]
        print("server errors: see audit/reports/server-access.log and server-errors.log")
    if to_login > len(lines) / 4 or statuses["3xx"] > statuses["2xx"]:
        found += 1
        print("the scan was not signed in for most of its requests (sent to the login page)")
sys.exit(1 if found else 0)
