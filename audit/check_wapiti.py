"""For `make audit`: fail when wapiti's JSON report holds any vulnerability or anomaly (an HTTP 500 is one), or
when the server's access log shows a 5xx or that the scan was not signed in (most answers are redirects)."""

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
    for line in lines:
        match = re.search(r'"[A-Z]+ (\S+) HTTP/[\d.]+" (\d{3})', line)
        if match:
            statuses[match.group(2)[0] + "xx"] += 1
            to_login += match.group(1).startswith("/login")
    print(f"server: {len(lines)} requests, {dict(statuses)}, {to_login} to the login page")
    if statuses["5xx"]:
        found += statuses["5xx"]
        print("server errors: see audit/reports/server-access.log and server-errors.log")
    if to_login > len(lines) / 4 or statuses["3xx"] > statuses["2xx"]:
        found += 1
        print("the scan was not signed in for most of its requests (sent to the login page)")
sys.exit(1 if found else 0)
