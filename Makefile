# Two commands for a fresh machine with Python 3.11:
#   make run   set up a virtualenv, build the SQLite database with Konut's reference data, demo
#              data and demo users, then serve the app and its background worker on :8000
#   make test  set up the same virtualenv and run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= konut_registry.settings.dev

.PHONY: run test setup migrate demo bench bench-province messages clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference

demo: migrate
	$(PY) manage.py seed_demo

# The worker runs without the autoreloader, so the shell's $! is the worker itself: when the web server stops
# (Ctrl+C, or killed), the worker gets SIGTERM, finishes or fails its current batch, and exits.
run: demo
	$(PY) manage.py db_worker --interval 1 --no-reload & \
	worker=$$!; trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The suite runs on every core (pytest-xdist, one test database per worker; TEST_WORKERS=0 runs it in
# this process). Each worker takes the next test when it is free, so the few long tests (the first-run
# smoke test, the region migration) run beside the rest.
TEST_WORKERS ?= auto
test: setup
	DJANGO_SETTINGS_MODULE=konut_registry.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=konut_registry.settings.test $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Benchmarks run on PostgreSQL (BENCH_DATABASE_URL) and write docs/benchmarks.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/konut_bench
bench: setup
	createdb -h 127.0.0.1 -U postgres konut_bench 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run_all.py

# The same benchmarks at province scale (700,000 families, 2 million enrollments; each in a database
# of its own, generated with set-based SQL or a streaming workbook writer): the province section of
# docs/benchmarks.md. About an hour on a small shared machine.
bench-province: setup
	createdb -h 127.0.0.1 -U postgres konut_bench 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run_all.py --province

# The English catalog (the Indonesian gettext source strings are the UI's own language). Run from the
# project root so every app and template is scanned; existing translations are kept, new strings come
# out empty (tests/test_i18n.py fails until they are translated in locale/en/LC_MESSAGES/django.po).
# The compiled .mo is committed, so running the app never needs GNU gettext; this target does.
# No source locations in the catalog: it then changes only where strings change. locale/id holds only
# the Indonesian of django-import-export (which ships none); makemessages leaves it alone, this target
# compiles it.
MESSAGES_IGNORE := --ignore='$(VENV)/*' --ignore='var/*' --ignore='bench/*' --ignore='tests/*'
messages: setup
	$(PY) manage.py makemessages -l en --no-location $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages -l en -l id $(MESSAGES_IGNORE)

clean:
	rm -rf var
