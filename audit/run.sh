#!/usr/bin/env bash
# `make audit`: bandit over portal/, pip-audit over the installed dependencies, and a wapiti scan of a running demo
# server signed in as an admin. Reports go to audit/reports/; the run fails on any medium or high bandit finding, any
# known vulnerability, and any wapiti finding or anomaly (an HTTP 500 is an anomaly).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=audit/reports
PORT=${AUDIT_PORT:-5099}
SCAN_SECONDS=${AUDIT_SCAN_SECONDS:-900}
mkdir -p "$OUT"
status=0

echo "== bandit (medium and high fail; low ones are listed in bandit-all.txt)"
$BIN/bandit -r portal -q -f txt -o "$OUT/bandit-all.txt" --exit-zero
if ! $BIN/bandit -r portal -q -ll -f txt -o "$OUT/bandit.txt"; then status=1; fi
tail -n 12 "$OUT/bandit.txt"

echo "== pip-audit"
if ! $BIN/pip-audit --progress-spinner off -l > "$OUT/pip-audit.txt" 2>&1; then status=1; fi
head -n 3 "$OUT/pip-audit.txt"

echo "== wapiti"
WAPITI=.venv-audit/bin/wapiti
if [ ! -x "$WAPITI" ]; then  # its own virtualenv: its pinned dependencies stay out of the portal's
  python3 -m venv .venv-audit
  .venv-audit/bin/python -m pip install --quiet wapiti3
fi
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite:///$WORK/audit.db" UPLOAD_DIR="$WORK/uploads" RATELIMIT_ENABLED=0 JOBS_IMMEDIATE=1
$BIN/flask --app portal prepare > /dev/null
# A scanner account of its own: the scan posts to every form, also "reset password" and "end sessions" of others.
PASSWORD="pemindai-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
$BIN/flask --app portal create-user pemindai --name "Pemindai Keamanan" --unit SETJEN --role admin \
  --password "$PASSWORD" > /dev/null
$BIN/gunicorn --bind "127.0.0.1:$PORT" --workers 1 --threads 4 --pid "$WORK/pid" --daemon \
  --error-logfile "$OUT/server-errors.log" wsgi:app
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
$BIN/python audit/session.py "http://127.0.0.1:$PORT" pemindai "$PASSWORD" > "$WORK/session.txt"
mapfile -t SESSION < "$WORK/session.txt"
STARTS=()
for url in ${SESSION[1]:-}; do STARTS+=(-s "$url"); done
echo "signed in; ${#STARTS[@]} htmx start URLs"
rm -rf "$OUT/wapiti" && mkdir -p "$OUT/wapiti"
$WAPITI -u "http://127.0.0.1:$PORT/" --scope folder "${STARTS[@]}" -C "${SESSION[0]}" --drop-set-cookie \
  -m xss,sql,exec,file,redirect,csrf --flush-session --store-session "$WORK/wapiti-session" \
  -x "http://127.0.0.1:$PORT/logout" -x "http://127.0.0.1:$PORT/login*" \
  -x "http://127.0.0.1:$PORT/account/password" -x "http://127.0.0.1:$PORT/account/sesi/*" \
  -x "http://127.0.0.1:$PORT/static/*" \
  -d 4 --max-links-per-page 40 --max-files-per-dir 30 --max-parameters 12 \
  --max-scan-time "$SCAN_SECONDS" --max-attack-time 120 --tasks 8 \
  -f json -o "$OUT/wapiti/report.json" > "$OUT/wapiti/log.txt" 2>&1 || status=1
if ! $BIN/python audit/check_wapiti.py "$OUT/wapiti/report.json"; then status=1; fi
exit $status
