"""The dbt CLI resource: this environment's own dbt, without two costs dagster-dbt pays on every run."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging.version import Version

from score_pipeline import settings


def dbt_executable() -> str:
    """The dbt installed beside this interpreter.

    `dagster dev` (make ui) starts the code location with the venv's python but without the venv on
    PATH, so a bare `dbt` is not found there; the executable beside `sys.executable` always is.
    """
    beside_python = Path(sys.executable).with_name("dbt")
    if not beside_python.exists():
        raise FileNotFoundError(f"no dbt beside {sys.executable}: install the project with `make install`")
    return str(beside_python)


class ScoreDbtCliResource(DbtCliResource):
    """The dbt CLI resource, minus two costs dagster-dbt pays on every invocation for nothing here.

    - It asks the executable for its version (`dbt --version`, 3 s) each time the resource is built,
      i.e. every run; the executable is this environment's own dbt-core (`dbt_executable`), so the
      version is read from the installed package instead.
    - It loads the project and profile into a dbt adapter in this process (3 s the first time, then
      1 s), which serves only `fetch_row_counts` / `fetch_column_metadata`. They are not used: they
      would open the warehouse from here while dbt holds it (row counts and column types are read
      after dbt exits, transform/metadata.py).

    Both override private methods of dagster-dbt 0.29; tests/test_transform.py fails if they move.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> ScoreDbtCliResource:
    return ScoreDbtCliResource(project_dir=str(settings.DBT_PROJECT_DIR), profiles_dir=str(settings.DBT_PROJECT_DIR),
                               dbt_executable=dbt_executable())
