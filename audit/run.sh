#!/usr/bin/env bash
# `make audit`: bandit over portal/, pip-audit over the portal's installed dependencies, and a wapiti scan of a
# running demo server signed in as an admin. The tools live in their own virtualenv, .venv-audit (pinned in
# audit/requirements.txt), so their dependencies stay out of the portal's. Raw reports go to audit/reports/ (not
# committed); audit/summary.md (committed) holds the outcome of the last run. The run fails on any medium or high
# bandit finding, any known vulnerability, and any wapiti finding or anomaly (an HTTP 500 is an anomaly), or when
# the scan was not signed in. PORT (default 5099) is the demo server's port. AUDIT_CRAWL_SECONDS (240) caps the
# crawl and AUDIT_ATTACK_SECONDS (80) each of the six attack modules, so that a run stays under 15 minutes; raise
# them for a deeper scan (e.g. 900 and 600).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
TOOLS=.venv-audit/bin
OUT=audit/reports
PORT=${PORT:-5099}
CRAWL_SECONDS=${AUDIT_CRAWL_SECONDS:-240}
ATTACK_SECONDS=${AUDIT_ATTACK_SECONDS:-80}
STARTED=$(date +%s)
mkdir -p "$OUT"
status=0

if [ ! -f .venv-audit/.installed ] || [ audit/requirements.txt -nt .venv-audit/.installed ]; then
  echo "== installing the audit tools into .venv-audit"
  [ -x "$TOOLS/python" ] || python3 -m venv .venv-audit
  "$TOOLS/python" -m pip install --quiet -r audit/requirements.txt
  touch .venv-audit/.installed
fi

echo "== bandit (medium and high fail; low ones are listed in bandit-all.txt)"
"$TOOLS/bandit" -r portal -q -f txt -o "$OUT/bandit-all.txt" --exit-zero 2> /dev/null
bandit_status=ok
if ! "$TOOLS/bandit" -r portal -q -ll -f txt -o "$OUT/bandit.txt" 2> /dev/null; then status=1; bandit_status=FAILED; fi
grep -A4 "Total issues (by severity)" "$OUT/bandit-all.txt" | tail -n 3 | tr -s ' \t' ' ' | paste -sd ',' \
  | sed 's/^/bandit, all findings:/' | tee "$OUT/bandit-totals.txt"
[ "$bandit_status" = ok ] || grep -B1 -A6 "^>> Issue" "$OUT/bandit.txt"

echo "== pip-audit"
SITE=$(echo .venv/lib/python3*/site-packages)
set +e
"$TOOLS/pip-audit" --progress-spinner off --path "$SITE" --skip-editable --timeout 15 -f json \
  -o "$OUT/pip-audit.json" 2> "$OUT/pip-audit.log"
pip_audit_exit=$?
set -e
[ "$pip_audit_exit" = 0 ] || [ -s "$OUT/pip-audit.json" ] || rm -f "$OUT/pip-audit.json"
if ! "$BIN/python" audit/check_pip_audit.py "$OUT/pip-audit.json" "$pip_audit_exit" "$OUT/pip-audit.log" \
  | tee "$OUT/pip-audit.txt"; then status=1; fi

echo "== wapiti (demo server on 127.0.0.1:$PORT)"
WORK=$(mktemp -d)
stop_server() { [ -s "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; sleep 1; rm -rf "$WORK"; }
trap stop_server EXIT
if curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1; then
  echo "something already answers on port $PORT: choose another with PORT=..." >&2
  exit 1
fi
export DATABASE_URL="sqlite:///$WORK/audit.db" UPLOAD_DIR="$WORK/uploads" RATELIMIT_ENABLED=0 JOBS_IMMEDIATE=1 \
  SECRET_KEY="audit-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
$BIN/flask --app portal prepare > /dev/null
# A scanner account of its own: the scan posts to every form, also "reset password" and "end sessions" of others.
PASSWORD="pemindai-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
$BIN/flask --app portal create-user pemindai --name "Pemindai Keamanan" --unit SETJEN --role admin \
  --password "$PASSWORD" > /dev/null
rm -f "$OUT/server-errors.log" "$OUT/server-access.log"
$BIN/gunicorn --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --keep-alive 30 --pid "$WORK/pid" --daemon \
  --error-logfile "$OUT/server-errors.log" --access-logfile "$OUT/server-access.log" wsgi:app
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
AGENT="portal-audit/1.0 (wapiti)"
$BIN/python audit/session.py "http://127.0.0.1:$PORT" pemindai "$PASSWORD" "$AGENT" "$WORK/cookies.json" \
  > "$WORK/start-urls.txt"
STARTS=()
for url in $(cat "$WORK/start-urls.txt"); do STARTS+=(-s "$url"); done
echo "signed in; ${#STARTS[@]} htmx start URLs"
rm -rf "$OUT/wapiti" && mkdir -p "$OUT/wapiti"
tr ' ' '\n' < "$WORK/start-urls.txt" > "$OUT/wapiti/start-urls.txt"
MODULES=xss,sql,exec,file,redirect,csrf
set +e
.venv-audit/bin/wapiti -u "http://127.0.0.1:$PORT/" --scope folder "${STARTS[@]}" -c "$WORK/cookies.json" -A "$AGENT" \
  -m "$MODULES" --flush-session --store-session "$WORK/wapiti-session" \
  -x "http://127.0.0.1:$PORT/logout" -x "http://127.0.0.1:$PORT/login*" \
  -x "http://127.0.0.1:$PORT/account/password" -x "http://127.0.0.1:$PORT/account/sesi/*" \
  -x "http://127.0.0.1:$PORT/static/*" -x "http://127.0.0.1:$PORT/admin/users/*/reset-password" \
  -x "http://127.0.0.1:$PORT/admin/users/*/end-sessions" \
  -d 4 --max-links-per-page 40 --max-files-per-dir 30 --max-parameters 12 \
  --max-scan-time "$CRAWL_SECONDS" --max-attack-time "$ATTACK_SECONDS" --tasks 8 \
  -f json -o "$OUT/wapiti/report.json" 2>&1 | while IFS= read -r line; do echo "$(date +%T) $line"; done \
  > "$OUT/wapiti/log.txt"
wapiti_exit=${PIPESTATUS[0]}
set -e
[ "$wapiti_exit" = 0 ] || { status=1; echo "wapiti exited with $wapiti_exit; see $OUT/wapiti/log.txt"; }
if ! $BIN/python audit/check_wapiti.py "$OUT/wapiti/report.json" "$OUT/server-access.log" \
  | tee "$OUT/wapiti/summary.txt"; then status=1; fi

ELAPSED=$(( $(date +%s) - STARTED ))
{
  echo "# Last \`make audit\` run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(git diff --quiet -- . ':!audit/summary.md' 2>/dev/null || echo '(with uncommitted changes)'), $((ELAPSED / 60)) min $((ELAPSED % 60)) s:" \
    "**$([ "$status" = 0 ] && echo passed || echo FAILED)**"
  echo
  echo "- bandit over portal/: $bandit_status (medium/high fail); $(sed 's/^bandit, all findings://' "$OUT/bandit-totals.txt")"
  echo "- $(cat "$OUT/pip-audit.txt" | tail -n 1)"
  echo "- wapiti, modules $MODULES, signed in as an admin, ${#STARTS[@]} htmx start URLs," \
    "crawl capped at $CRAWL_SECONDS s and each module at $ATTACK_SECONDS s:"
  grep -E "Launching module|Generating report" "$OUT/wapiti/log.txt" | sort -k2 -u | sort | sed 's/^/  - /'
  sed 's/^/  - /' "$OUT/wapiti/summary.txt"
  echo
  echo "Raw reports (not committed): audit/reports/. See audit/README.md."
} > audit/summary.md
cat audit/summary.md
exit $status
