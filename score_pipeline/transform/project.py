"""The dbt project and the pure helpers that talk to it."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from dagster import AssetKey
from dagster_dbt import DbtProject

from score_pipeline import settings
from score_pipeline.core.waves import split_partition_key
from score_pipeline.transform.resource import prepare_if_dev


dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
prepare_if_dev(dbt_project)


@functools.cache
def project_manifest() -> dict[str, Any]:
    """The project's parsed manifest (its YAML's descriptions and tests), read once per process."""
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


WAVE_SELECTION = "tag:wave"
EVALUATOR_SCORES = AssetKey(["intermediate", "int_evaluator_scores_joined"])  # read by the evaluator mart and the field checks


def dbt_vars_for_partitions(partition_keys: Sequence[str]) -> str:
    """The `--vars` argument that makes the wave-level models build these country x wave partitions: their
    [country, wave] pairs (macros/waves.sql), never the joined key. split_partition_key refuses any other shape:
    the values are written into SQL."""
    return json.dumps({"partitions": [list(split_partition_key(key)) for key in partition_keys]})


def dbt_build_args(partition_keys: Sequence[str] | None = None) -> list[str]:
    """`dbt build` for some partitions, or for every wave / the cross-wave models when none is given.

    Unit tests are left to the test suite (`tests/test_dbt_unit.py`): their inputs are fixed
    rows, so running them on every wave proves nothing new and costs a second per build.
    """
    build = ["build", "--exclude-resource-type", "unit_test"]
    return [*build, "--vars", dbt_vars_for_partitions(partition_keys)] if partition_keys else build
