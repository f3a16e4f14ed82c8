"""The partition -> --vars helper, the translator, and the asset graph's lineage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from dagster import AssetKey

from conftest import COLOMBIA_WAVES, GHANA_WAVES, SAMPLE_WAVES

from score_pipeline.settings import DBT_PROJECT_DIR, PROJECT_ROOT

from score_pipeline.transform.project import dbt_build_args, dbt_vars_for_partitions


def test_vars_for_some_partitions() -> None:
    assert json.loads(dbt_vars_for_partitions(["co/2021-followup"])) == {"partitions": [["co", "2021-followup"]]}
    assert dbt_build_args(["pe/2017-baseline", "co/2019-baseline"]) == [
        "build", "--exclude-resource-type", "unit_test", "--vars",
        '{"partitions": [["pe", "2017-baseline"], ["co", "2019-baseline"]]}']
    assert dbt_build_args(None) == dbt_build_args([]) == ["build", "--exclude-resource-type", "unit_test"]


@pytest.mark.parametrize("bad", ["", "2017-baseline", "pe/x' or '1'='1", "p'e/2017-baseline"])
def test_vars_refuse_what_is_not_a_partition_key(bad: str) -> None:
    with pytest.raises(ValueError):
        dbt_vars_for_partitions(["pe/2017-baseline", bad])


def test_lineage_runs_from_a_raw_instrument_to_the_headline_and_the_publication() -> None:
    from score_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    path = [
        ["raw", "management_practices"], ["staging", "stg_raw__management_practices"],
        ["intermediate", "int_category_scores_averaged"], ["intermediate", "int_module_scores_averaged"],
        ["marts", "enterprise_scores"], ["marts", "wave_summary"], ["marts", "headline_indicators"],
        ["published", "score_marts"],
    ]
    for upstream, downstream in zip(path, path[1:]):
        assert AssetKey(upstream) in graph.get(AssetKey(downstream)).parent_keys, (upstream, downstream)
    assert graph.get(AssetKey(["marts", "enterprise_scores"])).partitions_def is not None
    assert graph.get(AssetKey(["marts", "headline_indicators"])).partitions_def is None
    assert graph.get(AssetKey(["marts", "headline_indicators"])).group_name == "marts"


def test_dbt_in_this_process_leaves_the_warehouse_to_the_step_and_to_other_processes(pipeline, tmp_path) -> None:
    """dbt-duckdb keeps its database open in the process after dbt's run (transform/dbt_duckdb.release_warehouse): the
    step's own read-only connection would be refused and other processes locked out. An upgrade of
    dbt-duckdb that moves what release_warehouse closes fails here."""
    import duckdb

    from score_pipeline.transform.resource import invoke

    warehouse = tmp_path / "score.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    with mock.patch.dict(os.environ, {"SCORE_WAREHOUSE": str(warehouse)}):
        result = invoke(DBT_PROJECT_DIR, tmp_path / "target", ["build", "--select", "data_quality",
                                                               "--exclude-resource-type", "unit_test"])
    assert result.success, result.exception
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows_by_partition = dict(connection.execute("select country || '/' || wave, count(*) from marts.data_quality "
                                               "group by all").fetchall())
    assert rows_by_partition == {  # six instruments, and Ghana's sample frame in its first wave (contract 8.1)
        f"{country}/{wave}": 6 + (wave == GHANA_WAVES[0])
        for country, waves in (("pe", SAMPLE_WAVES), ("co", COLOMBIA_WAVES), ("gh", GHANA_WAVES)) for wave in waves}
    writer = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(warehouse)!r}).close()"],
                            capture_output=True, text=True, timeout=120)
    assert writer.returncode == 0, writer.stderr


def test_the_code_location_loads_as_dagster_dev_loads_it() -> None:
    """`make ui` imports the definitions with DAGSTER_IS_DEV_CLI set and without the venv on PATH.

    That parses the project into dbt_project/target, as `make ui` does, so it runs with the default
    warehouse (no SCORE_WAREHOUSE): a test warehouse's profile there would make the next `make run`
    parse in full."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "DAGSTER_IS_DEV_CLI": "1",
                   **{k: v for k, v in os.environ.items()
                      if k.startswith(("SCORE_", "DAGSTER_HOME")) and k != "SCORE_WAREHOUSE"}}
    loaded = subprocess.run([sys.executable, "-c", "import score_pipeline.definitions"], env=environment,
                            capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert loaded.returncode == 0, loaded.stderr[-2000:]


def test_dbt_materializations_carry_row_counts_and_column_types(pipeline) -> None:
    from dagster import AssetRecordsFilter, DagsterInstance

    instance = DagsterInstance.get()
    key = AssetKey(["marts", "enterprise_scores"])
    # each sample country's firms (Ghana's at its baseline: some leave before its endline, contract 8's attrition)
    for partition, enterprises in (("pe/2019-endline", 52), ("co/2021-endline", 30), ("gh/2022-baseline", 72)):
        records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1)
        assert records.records[0].asset_materialization.metadata["dagster/row_count"].value == enterprises
    metadata = instance.get_latest_materialization_event(key).asset_materialization.metadata
    columns = {c.name: c for c in metadata["dagster/column_schema"].value.columns}
    assert (columns["ruc"].type, columns["global_score"].type, columns["n_practices_scored"].type) == (
        "VARCHAR", "DOUBLE", "BIGINT")
    assert "RUC" in columns["ruc"].description  # from models/marts/enterprise_scores.yml
    headline = instance.get_latest_materialization_event(AssetKey(["marts", "headline_indicators"]))
    assert headline.asset_materialization.metadata["dagster/row_count"].value == 3 * 18  # the contract's 18 indicators, per country


def test_the_scipy_marts_carry_their_column_schema_with_the_descriptions_of_the_dbt_yaml(pipeline) -> None:
    """The UI shows a column schema for the scipy marts too: types from the warehouse, descriptions from the
    dbt source `statistics` (dbt_project/models/marts/_statistics__sources.yml)."""
    import json

    from dagster import DagsterInstance

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    for mart in ("score_change", "module_spillover", "evaluator_effects", "programme_summary"):
        documented = manifest["sources"][f"source.score.statistics.{mart}"]["columns"]
        event = DagsterInstance.get().get_latest_materialization_event(AssetKey(["marts", mart]))
        metadata = event.asset_materialization.metadata
        schema = {column.name: column for column in metadata["dagster/column_schema"].value.columns}
        assert list(schema) == list(documented), mart  # every column, in the mart's order
        assert all(schema[name].description == documented[name]["description"] for name in schema), mart
        assert metadata["dagster/row_count"].value > 0
    assert schema["p_value"].type == "DOUBLE" and schema["n_pairs"].type == "BIGINT"


def test_dbt_and_the_warehouse_resource_default_to_the_same_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """SCORE_WAREHOUSE unset: profiles.yml's default (relative to dbt_project/) and settings' are one file."""
    import re

    import yaml

    from score_pipeline import settings

    monkeypatch.delenv(settings.WAREHOUSE_ENV, raising=False)
    profile = yaml.safe_load((settings.DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    path = profile["score"]["outputs"]["dev"]["path"]
    default = re.fullmatch(r"\{\{ env_var\('SCORE_WAREHOUSE', '([^']+)'\) \}\}", path).group(1)
    assert (settings.DBT_PROJECT_DIR / default).resolve() == settings.warehouse_path()


def test_a_relative_warehouse_path_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from score_pipeline import settings

    monkeypatch.setenv(settings.WAREHOUSE_ENV, "data/other.duckdb")
    with pytest.raises(ValueError, match="give an absolute path"):
        settings.warehouse_path()


def test_no_code_writes_the_environment() -> None:
    """Settings are read where needed (SCORE_WAREHOUSE by the resource and by dbt's profile), never
    written back: the dbt step once set it for dbt, hiding which value dbt really read."""
    import ast

    writes = []
    for path in (PROJECT_ROOT / "score_pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = node.func if isinstance(node, ast.Call) else None
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                writes += [path.name for t in targets if isinstance(t, ast.Subscript) and "environ" in ast.unparse(t.value)]
            elif target is not None and ast.unparse(target).endswith(
                    ("environ.setdefault", "environ.update", "os.putenv", "environ.pop")):
                writes.append(path.name)
    assert writes == []


def test_dbt_materializations_carry_their_column_lineage(pipeline) -> None:
    """`dagster/column_lineage` of every model, each column's direct parents, read by hand off the SQL for
    the KPI chain: the unpivot's value from the six KPI columns, the profile's column from its raw table."""
    from dagster import DagsterInstance, TableColumnDep

    instance = DagsterInstance.get()

    def lineage(*key: str) -> dict[str, list]:
        metadata = instance.get_latest_materialization_event(AssetKey(list(key))).asset_materialization.metadata
        return dict(metadata["dagster/column_lineage"].value.deps_by_column)

    assert lineage("marts", "kpi_change")["mean_pct_change"] == [
        TableColumnDep(AssetKey(["intermediate", "int_kpi_pairs_compared"]), "pct_change")]
    profile = AssetKey(["staging", "stg_raw__company_profile"])
    assert lineage("intermediate", "int_kpi_values_unpivoted")["kpi_value"] == [
        TableColumnDep(profile, column) for column in sorted(["work_accidents", "absenteeism_pct", "staff_turnover_pct",
                                                              "defective_products_pct", "raw_material_waste_pct", "unit_cost"])]
    assert lineage("intermediate", "int_kpi_values_unpivoted")["kpi"] == []  # the unpivoted columns' names: literals
    assert lineage("staging", "stg_raw__company_profile")["work_accidents"] == [
        TableColumnDep(AssetKey(["raw", "company_profile"]), "work_accidents")]
    manifest = json.loads((Path(os.environ["SCORE_PUBLISH_DIR"]) / "docs" / "manifest.json").read_text(encoding="utf-8"))
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            key = [node["config"]["schema"], node["name"]]
            metadata = instance.get_latest_materialization_event(AssetKey(key)).asset_materialization.metadata
            schema = [column.name for column in metadata["dagster/column_schema"].value.columns]
            assert sorted(metadata["dagster/column_lineage"].value.deps_by_column) == sorted(schema), key
