# score-pipeline: `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-stamp
INSTANCE_CONFIG := deploy/local/dagster.yaml
UI_PORT ?= 3000
SAY := @printf '\n==> %s\n'

# make ui's instance: the default warehouse's, the one `score-pipeline run` picks for it (a run on another
# SCORE_WAREHOUSE gets the instance beside that warehouse: not exported, so make run leaves the choice to it).
DAGSTER_HOME ?= $(CURDIR)/.dagster
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test ui serve sample-data manifest backfill bench clean browser deployment-packages

install: $(INSTALLED) $(DAGSTER_HOME)/dagster.yaml

$(INSTALLED): pyproject.toml
	$(SAY) "creating $(VENV) with $(PYTHON)"
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)  # also redoes one an interrupted install left without pip
	$(SAY) "upgrading pip"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(SAY) "installing the pinned project and its test tools into $(VENV) (about 2 minutes the first time)"
	@time $(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2> >(grep -v -e 'is ignored: it is neither' -e 'BuildBackendWarning' >&2)
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: $(INSTANCE_CONFIG)
	@mkdir -p $(DAGSTER_HOME)
	@cp $(INSTANCE_CONFIG) $@

# Parsed again only when the dbt project (or the installed dbt) changed: a parse takes ~6 s.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml

manifest: install $(MANIFEST)

$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	$(SAY) "parsing the dbt project (dbt_project/target/manifest.json)"
	@cd dbt_project && ../$(VENV)/bin/dbt parse --quiet --profiles-dir .

run: manifest
	$(SAY) "running every wave of every country of data/raw end to end, then publishing"
	@$(PY) -m score_pipeline.cli run

# The suite on both cores (pytest-xdist): a test file stays on one worker, so its module fixtures run once;
# the first worker to need the session's marts runs the sample end to end, the other copies its run
# (tests/shared_run.py). Files go out in collection order (--no-loadscope-reorder), which starts the
# deployment tests first (tests/conftest.py, STARTED_FIRST).
TEST_WORKERS ?= 2
test: manifest browser deployment-packages
	$(SAY) "running the test suite on $(TEST_WORKERS) workers (about 10 minutes; each test is named as it ends)"
	@$(PY) -m pytest -v -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Debian's chromium for the browser tests (the UI and the report); playwright drives it. Installing it
# needs root (apt-get); without it, the browser tests are skipped with a message saying so.
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "==> chromium is not installed and installing it needs root: the browser tests will be skipped"; \
	else \
		echo "==> installing Debian's chromium for the browser tests (apt-get install chromium, once)"; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
			|| echo "==> could not install chromium: the browser tests will be skipped"; \
	fi

# Debian's packages of the shared deployment and of its tests: PostgreSQL, nginx (the proxy that asks for an
# account), htpasswd (apache2-utils: the accounts' bcrypt hashes) and openssl (the proxy's certificate).
# Installing them needs root (apt-get, once); without them, the tests that need one are skipped saying so.
DEPLOYMENT_PACKAGES := postgresql nginx-light apache2-utils openssl
deployment-packages:
	@missing=$$(for package in $(DEPLOYMENT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'ok installed' || echo $$package; done); \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "==> "$$missing" not installed and installing needs root: the tests that need them will be skipped"; \
	else \
		echo "==> installing Debian's "$$missing" for the shared deployment (apt-get install, once)"; \
		(apt-get update -qq && apt-get install -y -qq $$missing >/dev/null) \
			|| echo "==> could not install "$$missing": the tests that need them will be skipped"; \
	fi

# The webserver and the daemon (drop sensor, publication sensor, nightly schedule) on 127.0.0.1.
ui: manifest
	$(SAY) "Dagster UI on http://127.0.0.1:$(UI_PORT) (webserver and daemon; Ctrl-C stops both)"
	@DAGSTER_HOME=$(DAGSTER_HOME) $(VENV)/bin/dagster dev -h 127.0.0.1 -p $(UI_PORT) -w workspace.yaml --log-level warning

# The shared deployment (docs/deployment.md): the webserver and the daemon on a PostgreSQL-backed instance
# in SERVE_HOME, the PostgreSQL named by DAGSTER_PG_HOST, _PORT, _USER, _PASSWORD and _DB, the analysts' role
# on it by DAGSTER_PG_ANALYST_USER and _PASSWORD; with SERVE_ACCOUNTS, the UI behind nginx (TLS, accounts).
SERVE_HOME ?= $(CURDIR)/.dagster-serve
serve: manifest deployment-packages
	@DAGSTER_HOME=$(SERVE_HOME) deploy/postgres/serve $(UI_PORT)

# Every complete wave again, then the cross-wave marts and the publication.
backfill: run

# The scale benchmark (not part of `make test`): 52, 520 and 5,200 enterprises, and 11 countries x 52;
# see docs/benchmarks.md.
bench: manifest
	@$(PY) -m score_pipeline.benchmark

sample-data: install
	@$(PY) -m score_pipeline.sample_data --out data/raw

clean:
	rm -rf data/warehouse data/published dbt_project/target dbt_project/logs
