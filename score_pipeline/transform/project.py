"""The dbt project and the pure helpers that talk to it."""

from __future__ import annotations

import json

from dagster_dbt import DbtProject

from score_pipeline import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()

WAVE_SELECTION = "tag:wave"


def dbt_vars_for_wave(wave: str) -> str:
    """The `--vars` argument that makes the wave-level models build one wave partition."""
    if not wave or "'" in wave:
        raise ValueError(f"not a wave key: {wave!r}")
    return json.dumps({"wave": wave})


def dbt_build_args(wave: str | None = None) -> list[str]:
    """`dbt build` for one wave partition, or for the cross-wave models when no wave is given.

    Unit tests are left to the test suite (`tests/test_dbt_unit.py`): their inputs are fixed
    rows, so running them on every wave proves nothing new and costs a second per build.
    """
    build = ["build", "--exclude-resource-type", "unit_test"]
    return [*build, "--vars", dbt_vars_for_wave(wave)] if wave else build
