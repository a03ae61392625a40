"""For `make audit`: read pip-audit's JSON report and decide.

Arguments: the JSON report, pip-audit's exit code, its stderr log. Fails (exit 1) on any known vulnerability.
When the vulnerability service cannot be reached (no network, a name that does not resolve, or a PyPI mirror
without the JSON API, where every package comes back as "not found on PyPI"), nothing was audited: that is said
plainly and is not a failure of the audit (exit 0); a partly answered audit lists what could not be audited.
"""

import json
import sys

report_path, exit_code, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(report_path, encoding="utf-8") as file:
        report = json.load(file)
except (OSError, ValueError):
    report = None
if report is None:
    try:
        with open(log_path, encoding="utf-8") as file:
            tail = file.read().strip().splitlines()[-1:]
    except OSError:
        tail = []
    print("pip-audit: NOT AUDITED - the vulnerability service could not be reached from this machine "
          f"(pip-audit exit {exit_code}: {' '.join(tail)[:200]}). Run `make audit` where it can be reached.")
    sys.exit(0)

dependencies = report.get("dependencies", [])
skipped = [d for d in dependencies if d.get("skip_reason")]
audited = [d for d in dependencies if not d.get("skip_reason")]
vulnerable = [d for d in audited if d.get("vulns")]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
        print(f"pip-audit: {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
if not audited:
    print(f"pip-audit: NOT AUDITED - the vulnerability service answered for none of the {len(skipped)} packages "
          "(unreachable from this machine, or a package mirror without PyPI's JSON API). "
          "Run `make audit` where it can be reached.")
    sys.exit(0)
print(f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with known vulnerabilities"
      + (f"; {len(skipped)} could not be audited: {', '.join(d['name'] for d in skipped)}" if skipped else ""))
sys.exit(1 if vulnerable else 0)
