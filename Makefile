# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 5000
AUDIT_PORT ?= 5099
# pytest-xdist workers for `make test` (auto: one per core); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test lint translations extract-messages bench clean prepare audit

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,redis]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations

prepare: translations
	$(BIN)/flask --app portal prepare
	$(BIN)/python -m whitenoise.compress -q static >/dev/null

# gunicorn (gthread, see gunicorn.conf.py) and the job worker beside it; DEV=1 for Flask's reloader instead.
run: prepare
ifeq ($(DEV),1)
	$(BIN)/flask --app portal worker & trap 'kill $$!' EXIT INT TERM; \
	$(BIN)/flask --app portal run --debug --host 127.0.0.1 --port $(PORT)
else
	$(BIN)/flask --app portal worker & trap 'kill $$!' EXIT INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT)
endif

test: translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .

# bandit, pip-audit and a signed-in wapiti scan of a demo server on AUDIT_PORT (audit/run.sh, audit/README.md);
# raw reports in audit/reports/, the outcome in audit/summary.md.
audit: translations
	PORT=$(AUDIT_PORT) bash audit/run.sh

# Refresh the message catalogs after changing user-facing text.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

# Generates a database per engine (SQLite; PostgreSQL when BENCH_PG_URL or the local server answers), runs the portal
# and a bare Flask app under gunicorn.conf.py and alternates them with wrk; see bench/README.md. BENCH_ARGS=--small
# for a quick check. Results: bench/results/latest.md and latest.json.
bench: translations
	@command -v wrk >/dev/null 2>&1 || $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
