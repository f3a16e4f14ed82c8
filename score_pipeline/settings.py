"""Paths and names, read from the environment: the one place that owns them.

Relative paths in the environment are taken from the current directory; the
defaults live inside the repository, so nothing is written outside it unless a
user points a variable elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
CODEBOOK_PRACTICES = DBT_PROJECT_DIR / "seeds" / "codebook_practices.csv"
CODEBOOK_WORKER_ITEMS = DBT_PROJECT_DIR / "seeds" / "codebook_worker_items.csv"
HEADLINE_CATALOG = DBT_PROJECT_DIR / "seeds" / "headline_catalog.csv"
# The local Dagster instance's configuration, copied into DAGSTER_HOME (not kept at the top level:
# `dagster dev` warns about a dagster.yaml in its working folder that is not DAGSTER_HOME's).
LOCAL_INSTANCE_CONFIG = PROJECT_ROOT / "deploy" / "local" / "dagster.yaml"
PUBLISHED_DATABASE_NAME = "score_marts.duckdb"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse" / "score.duckdb"
# The instance of `make run` and `make ui` (the Makefile's DAGSTER_HOME), that of the default warehouse.
PROJECT_DAGSTER_HOME = PROJECT_ROOT / ".dagster"
# In a Dagster instance's home: the warehouse it serves, written there on first use (score_pipeline/running.py).
INSTANCE_WAREHOUSE_MARKER = "score_pipeline_warehouse.txt"
# The surveys' time zone: a submission time re-saved by a spreadsheet without its UTC offset is read in it.
SURVEY_TIMEZONE = "America/Lima"

RAW_DIR_ENV = "SCORE_RAW_DIR"
WAREHOUSE_ENV = "SCORE_WAREHOUSE"
PUBLISH_DIR_ENV = "SCORE_PUBLISH_DIR"
CORRECTIONS_DIR_ENV = "SCORE_CORRECTIONS_DIR"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
# Every sensor's minimum interval, in seconds, when set (the deployment tests tick every few seconds); unset,
# each sensor keeps the interval its definition gives.
SENSOR_INTERVAL_ENV = "SCORE_SENSOR_INTERVAL_SECONDS"

WAREHOUSE_POOL = "duckdb_warehouse"

# The shared deployment's PostgreSQL (deploy/postgres/dagster.yaml reads the same variables): DAGSTER_PG_<part>.
POSTGRES_ENV_PREFIX = "DAGSTER_PG_"
POSTGRES_PARTS = ("HOST", "PORT", "USER", "PASSWORD", "DB")
# The analysts' read-only role on it (publish/postgres.py), and whether a publication loads the marts there.
ANALYST_ROLE_PARTS = ("ANALYST_USER", "ANALYST_PASSWORD")
PUBLISH_POSTGRES_ENV = "SCORE_PUBLISH_POSTGRES"


class SettingError(ValueError):
    """A setting of the environment the pipeline cannot use; the message names the variable and the fix."""


def _path_from_env(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).resolve() if value else default


def sensor_interval(default_seconds: int) -> int:
    """A sensor's minimum interval: SCORE_SENSOR_INTERVAL_SECONDS when set, else the sensor's own default."""
    value = os.environ.get(SENSOR_INTERVAL_ENV)
    if not value:
        return default_seconds
    if not value.isdigit() or int(value) < 1:
        raise SettingError(f"{SENSOR_INTERVAL_ENV}={value!r}: give a whole number of seconds, 1 or more")
    return int(value)


def publish_to_postgres() -> bool:
    """Whether a publication also loads the marts into the deployment's PostgreSQL (`make serve` sets it to 1)."""
    value = os.environ.get(PUBLISH_POSTGRES_ENV, "")
    if value not in ("", "0", "1"):
        raise SettingError(f"{PUBLISH_POSTGRES_ENV}={value!r}: give 1 (load the marts into PostgreSQL) or 0")
    return value == "1"


def postgres_settings(parts: tuple[str, ...] = POSTGRES_PARTS) -> dict[str, str]:
    """DAGSTER_PG_<part> for each part, by part; SettingError naming every one that is unset."""
    values = {part: os.environ.get(POSTGRES_ENV_PREFIX + part, "") for part in parts}
    missing = [POSTGRES_ENV_PREFIX + part for part, value in values.items() if not value]
    if missing:
        raise SettingError(f"set {' '.join(missing)} (the deployment's PostgreSQL: docs/deployment.md)")
    return values


def analyst_role() -> tuple[str, str]:
    """The analysts' role on the deployment's PostgreSQL: its name and its password."""
    values = postgres_settings(ANALYST_ROLE_PARTS)
    return values["ANALYST_USER"], values["ANALYST_PASSWORD"]


def raw_dir() -> Path:
    """Root of the wave folders (`<raw root>/<wave>/`)."""
    return _path_from_env(RAW_DIR_ENV, PROJECT_ROOT / "data" / "raw")


def warehouse_path() -> Path:
    """The pipeline's working DuckDB file (schemas raw, staging, intermediate, marts).

    dbt reads the same variable (dbt_project/profiles.yml, whose default names the same file) from
    its own working directory, so a relative value would name two files: it must be absolute.
    """
    value = os.environ.get(WAREHOUSE_ENV)
    if value and not Path(value).is_absolute():
        raise SettingError(f"{WAREHOUSE_ENV}={value!r}: give an absolute path (dbt reads it too, from dbt_project/)")
    return Path(value) if value else DEFAULT_WAREHOUSE


def dagster_home() -> Path:
    """The Dagster instance of `score-pipeline run`: DAGSTER_HOME, else the one of the run's warehouse."""
    return _path_from_env(DAGSTER_HOME_ENV, warehouse_dagster_home())


def warehouse_dagster_home() -> Path:
    """The instance a warehouse has when DAGSTER_HOME is unset: the project's `.dagster/` for the default
    warehouse (so its runs show in `make ui`), `dagster_home/` beside any other warehouse file."""
    warehouse = warehouse_path()
    return PROJECT_DAGSTER_HOME if warehouse.resolve() == DEFAULT_WAREHOUSE.resolve() else warehouse.parent / "dagster_home"


def corrections_dir() -> Path:
    """The field corrections logs, `<wave>.csv` (contract 5)."""
    return _path_from_env(CORRECTIONS_DIR_ENV, PROJECT_ROOT / "data" / "corrections")


def publish_dir() -> Path:
    """Where the analysts' copy of the marts (DuckDB, Parquet) and the report go."""
    return _path_from_env(PUBLISH_DIR_ENV, PROJECT_ROOT / "data" / "published")


def docs_dir() -> Path:
    """The published docs site (index.html) with the dbt manifest and catalog a figure's trace reads."""
    return publish_dir() / "docs"


def published_database() -> Path:
    """The analysts' DuckDB file."""
    return publish_dir() / PUBLISHED_DATABASE_NAME


def sql_history_path() -> Path:
    """The history of `score-pipeline sql`'s prompt (git-ignored, beside the analysts' publication)."""
    return publish_dir().parent / ".sql_history"


def field_checks_dir() -> Path:
    """Git-ignored folder of the data team's field checks pages, one per wave (never published)."""
    return warehouse_path().parent / "field_checks"


def report_charts_dir() -> Path:
    """Git-ignored folder of the report's charts, kept by what each is drawn from (publish/report.Charts)."""
    return warehouse_path().parent / "report_charts"


def validation_docs_dir() -> Path:
    """Git-ignored folder for the HTML validation reports of the GX checks."""
    return warehouse_path().parent / "validation"
