"""For `make audit`: fail when wapiti's JSON report holds any vulnerability or anomaly (an HTTP 500 is one)."""

import json
import sys

with open(sys.argv[1], encoding="utf-8") as file:
    report = json.load(file)
found = 0
for section in ("vulnerabilities", "anomalies"):
    for category, items in (report.get(section) or {}).items():
        for item in items:
            found += 1
            print(f"{section[:-3]}: {category}: {item.get('method')} {item.get('path')} {item.get('info')}")
info = report.get("infos", {})
print(f"wapiti: {found} findings; target {info.get('target')}, {info.get('crawled_pages_nbr', '?')} pages crawled")
sys.exit(1 if found else 0)
