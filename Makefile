# score-pipeline: `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-stamp
MANIFEST := dbt_project/target/manifest.json

export DAGSTER_HOME ?= $(CURDIR)/.dagster
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test ui sample-data manifest backfill bench clean browser

install: $(INSTALLED) $(DAGSTER_HOME)/dagster.yaml

$(INSTALLED): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

manifest: install
	cd dbt_project && ../$(VENV)/bin/dbt parse --quiet --profiles-dir .

run: manifest
	$(PY) -m score_pipeline.cli run

test: manifest browser
	$(PY) -m pytest

# Debian's chromium for the browser tests (the UI and the report); playwright drives it.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: the browser tests will be skipped"

# The webserver and the daemon (drop sensor, follow-up sensor, nightly schedule) on 127.0.0.1.
ui: manifest
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

# Every complete wave again, then the cross-wave marts and the publication.
backfill: manifest
	$(PY) -m score_pipeline.cli run

# The scale benchmark (not part of `make test`): 52, 520 and 5,200 enterprises; see docs/benchmarks.md.
bench: manifest
	$(PY) -m score_pipeline.benchmark

sample-data: install
	$(PY) -m score_pipeline.sample_data --out data/raw

clean:
	rm -rf data/warehouse data/published dbt_project/target dbt_project/logs
