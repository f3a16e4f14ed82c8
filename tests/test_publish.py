"""The analysts' publication: exactly the contract's marts, Parquet equal to the database,
swapped atomically and readable while the pipeline republishes (privacy: test_privacy.py)."""

from __future__ import annotations

from itertools import takewhile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import PipelineRun, assert_refused_and_untouched, digests, publish_from

from score_pipeline.publish.marts import NonFiniteValueError, non_finite_values


CONTRACT_MARTS = {  # contract section 4, with the columns it promises at least
    "enterprise_scores": {"ruc", "wave", "global_score", "score_m1", "score_m2", "score_m3", "score_m4", "score_m5", "n_practices_scored"},
    "category_scores": {"ruc", "wave", "module", "category", "score"},
    "wave_summary": {"wave", "level", "code", "n_enterprises", "mean", "sd", "median"},
    "score_change": {"level", "code", "n_pairs", "baseline_mean", "endline_mean", "mean_change", "t_stat", "p_value",
                     "p_wilcoxon", "p_holm", "effect_size_dz", "ci_low", "ci_high"},
    "kpi_change": {"kpi", "cost_structure", "n_enterprises", "mean_pct_change", "median_pct_change"},
    "business_results": {"wave", "n_enterprises", "capacity_use_pct", "annual_sales_mean", "workers_mean",
                         "monthly_payroll_mean", "sales_per_worker", "pct_using_productivity_indicators",
                         "female_share_pct", "n_gender_policy"},
    "worker_satisfaction": {"wave", "item", "n_enterprises", "n_respondents", "mean"},
    "perceived_effects": {"wave", "outcome", "n_responses", "pct_positive", "pct_influenced"},
    "module_spillover": {"module", "n", "pearson_r", "p_value", "spearman_rho"},
    "headline_indicators": {"indicator", "label", "unit", "baseline", "endline", "change", "change_pct"},
    "data_quality": {"wave", "instrument", "rows_received", "rows_loaded", "duplicates_removed", "rows_rejected", "values_invalid",
                     "corrections_applied", "corrections_not_applied"},  # contract 5 (v2)
    "panel_coverage": {"ruc"},
    "participation": {"ruc", "size", "modules_completed", "contribution_usd"},
    "case_studies": {"ruc", "title", "modules", "themes", "word_count"},
    "evaluator_effects": {"wave", "evaluator", "n_enterprises", "mean_global_score", "diff_from_others", "p_value",
                          "p_holm", "p_kruskal"},  # contract 6 (v2)
    "programme_summary": {"country", "name", "n_enterprises", "baseline_wave", "endline_wave", "n_pairs", "global_baseline",
                          "global_endline", "global_change", "p_value", "pct_gain_gt1", "accidents_pct_change",
                          "absenteeism_pct_change", "turnover_pct_change", "defects_pct_change", "waste_pct_change",
                          "worker_satisfaction_change", "pct_positive_effects"},  # contract 7 (v2)
    # contract 8.3 (v3)
    "balance": {"country", "variable", "n_treatment", "n_comparison", "mean_treatment", "mean_comparison", "difference",
                "normalized_difference", "p_value"},
    "did": {"country", "outcome", "n_treatment", "n_comparison", "change_treatment", "change_comparison", "did", "se",
            "df", "t_stat", "p_value", "p_holm", "ci_low", "ci_high"},
    "attrition": {"country", "arm", "n_baseline", "n_endline", "attrition_pct", "p_difference", "lee_lower", "lee_upper"},
    "worker_panel": {"country", "group", "n_enterprises", "n_baseline", "n_endline", "baseline_mean", "endline_mean",
                     "change", "p_value"},
}


def test_the_database_holds_the_contract_marts_and_nothing_else(pipeline: PipelineRun) -> None:
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        tables = connection.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        columns = connection.execute("select table_name, column_name from duckdb_columns() where schema_name = 'marts'").fetchall()
    assert {schema for schema, _ in tables} == {"marts"}
    assert {table for _, table in tables} == set(CONTRACT_MARTS)
    for mart, promised in CONTRACT_MARTS.items():
        assert promised <= {c for t, c in columns if t == mart}, mart
        assert next(c for t, c in columns if t == mart) == "country", mart  # contract 7: first


def test_the_headline_reads_in_the_contracts_order(pipeline: PipelineRun) -> None:
    contract_order = [  # contract section 4, headline_indicators
        "global_score", "pct_enterprises_gain_gt1", "accidents", "absenteeism", "turnover", "defects",
        "raw_material_waste", "unit_cost", "capacity_use_pct", "annual_sales", "workers", "monthly_payroll",
        "sales_per_worker", "pct_using_productivity_indicators", "female_share_pct", "n_gender_policy",
        "worker_satisfaction", "pct_positive_effects"]
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        for country in ("co", "gh", "pe"):
            assert [i for (i,) in connection.execute("select indicator from marts.headline_indicators where country = ?",
                                                     [country]).fetchall()] == contract_order
    assert headline_tables(pipeline.output) == {"Colombia": contract_order, "Ghana": contract_order, "Peru": contract_order}


def test_make_run_prints_the_design_countrys_did_after_its_headline(pipeline: PipelineRun) -> None:
    design_order = [  # contract 8.3, variables and outcomes
        "global_score", "score_m1", "score_m2", "score_m3", "score_m4", "score_m5", "workers", "female_share_pct",
        "annual_sales", "monthly_payroll", "capacity_use_pct", "accidents", "absenteeism", "turnover", "defects",
        "raw_material_waste", "unit_cost", "worker_satisfaction"]
    lines = pipeline.output.splitlines()
    titles = [at for at, line in enumerate(lines) if line.startswith("Treated against comparison enterprises")]
    assert len(titles) == 1  # Ghana only: Colombia and Peru have no sample frame
    ghana, peru = (next(at for at, line in enumerate(lines) if line.startswith(name)) for name in ("Ghana (gh", "Peru (pe"))
    assert ghana < titles[0] < peru
    assert lines[titles[0] + 1].split()[:2] == ["outcome", "n_t"]
    rows = [row.split() for row in takewhile(str.strip, lines[titles[0] + 3:])]
    assert [row[0] for row in rows] == design_order
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        p_holm = dict(connection.execute("select outcome, p_holm from marts.did where country = 'gh'").fetchall())
    assert min(p_holm.values()) < 1e-6  # a tiny p is printed as itself, never rounded to 0
    assert {row[0]: float(row[-1]) for row in rows} == {o: pytest.approx(p, rel=1e-2) for o, p in p_holm.items()}


def headline_tables(output: str) -> dict[str, list[str]]:
    """`make run`'s headline tables: each country's name (the line above its table) -> the table's first column."""
    lines = output.splitlines()
    return {lines[at - 1].split(" (")[0]: [row.split()[0] for row in takewhile(str.strip, lines[at + 2:])]
            for at, line in enumerate(lines) if line.startswith("indicator ")}


def test_each_parquet_file_equals_its_mart(pipeline: PipelineRun) -> None:
    assert {p.name for p in pipeline.publish_dir.glob("*.parquet")} == {f"{m}.parquet" for m in CONTRACT_MARTS}
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        for mart in CONTRACT_MARTS:
            parquet = f"read_parquet('{pipeline.publish_dir / mart}.parquet')"
            counts = connection.execute(f"""
                select (select count(*) from marts.{mart}), (select count(*) from {parquet}),
                       (select count(*) from (select * from marts.{mart} except all select * from {parquet})),
                       (select count(*) from (select * from {parquet} except all select * from marts.{mart}))
            """).fetchone()
            assert counts[0] == counts[1] > 0 and counts[2:] == (0, 0), mart


def test_a_failed_publication_leaves_the_previous_one_byte_identical(own_publication: tuple[Path, Path]) -> None:
    assert_refused_and_untouched(*own_publication, ["drop table marts.case_studies"],  # the last mart: the others built
                                 duckdb.CatalogException)


def test_an_analyst_reading_the_file_is_never_blocked(own_publication: tuple[Path, Path]) -> None:
    warehouse, published = own_publication
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update marts.headline_indicators set label = 'changed' where indicator = 'workers'")
    analyst = duckdb.connect(str(published / "score_marts.duckdb"), read_only=True)
    try:
        publish_from(warehouse, published)  # must not fail on the analyst's lock
        old = analyst.execute("select label from marts.headline_indicators where indicator = 'workers'").fetchone()[0]
        assert old == "Number of workers"  # the analyst keeps a consistent old snapshot
    finally:
        analyst.close()
    with duckdb.connect(str(published / "score_marts.duckdb"), read_only=True) as fresh:
        assert fresh.execute("select label from marts.headline_indicators where indicator = 'workers'").fetchone()[0] == "changed"


def test_every_published_column_has_a_description_in_the_dbt_yaml(pipeline: PipelineRun) -> None:
    """The docs site and the Dagster UI read the column descriptions of the dbt YAML: every column of every
    published mart has one (dbt models, and the scipy marts declared as the source `statistics`); the wave
    columns of panel_coverage, one per wave, are described by the model."""
    import json

    from score_pipeline.settings import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    described = {node["name"]: {name for name, column in node["columns"].items() if column.get("description")}
                 for node in [*manifest["nodes"].values(), *manifest["sources"].values()]
                 if node["resource_type"] in ("model", "source") and node["schema"] == "marts"}
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        columns = connection.execute("select table_name, column_name from duckdb_columns() where schema_name = 'marts'").fetchall()
    undescribed = [(mart, column) for mart, column in columns if column not in described.get(mart, set())
                   and not (mart == "panel_coverage" and column.startswith("wave_"))]
    assert undescribed == []
    assert {mart for mart, _ in columns} <= set(described)


FLOAT_COLUMNS = ("select table_name, column_name from duckdb_columns() where schema_name = 'marts' "
                 "and data_type in ('DOUBLE', 'FLOAT') order by all")


def test_no_published_column_holds_inf_or_nan(pipeline: PipelineRun) -> None:
    """Contract 4: a figure whose denominator is zero or undefined is null; no mart holds inf or NaN, in the
    database or in its Parquet file."""
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        columns = connection.execute(FLOAT_COLUMNS).fetchall()
        assert {table for table, _ in columns} >= {"score_change", "headline_indicators", "programme_summary"}
        for table, column in columns:
            for source in (f"marts.{table}", f"read_parquet('{pipeline.publish_dir / table}.parquet')"):
                bad = connection.execute(f'select count(*) from {source} where isinf("{column}") or isnan("{column}")').fetchone()[0]
                assert bad == 0, (source, column)


def test_the_scan_names_each_column_holding_inf_or_nan() -> None:
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.execute("create table marts.figures as select * from (values ('a', 1.5, 'inf'::double, 2.0::float), "
                       "('b', 'nan'::double, '-inf'::double, null)) t(code, ratio, change_pct, share)")
    connection.execute("create table marts.fine as select 'a' as code, null::double as change_pct, 0.0 as change")
    assert non_finite_values(connection) == ["marts.figures.ratio holds 1 NaN", "marts.figures.change_pct holds 2 inf"]


def test_a_mart_holding_inf_or_nan_is_not_published(own_publication: tuple[Path, Path]) -> None:
    """The inf a baseline of 0 gave headline_indicators' change_pct, and a NaN left by a statistic: the
    publication refuses, naming mart and column, and the previous one stays byte for byte (its Stata files too)."""
    warehouse, published = own_publication
    assert {name for name in digests(published) if name.endswith(".dta")} == {f"{mart}.dta" for mart in CONTRACT_MARTS}
    assert_refused_and_untouched(warehouse, published, [
        "update marts.headline_indicators set baseline = 0, change_pct = 'inf' "
        "where country = 'co' and indicator = 'pct_using_productivity_indicators'",
        "update marts.score_change set p_wilcoxon = 'nan' where country = 'pe' and code = 'global'",
    ], NonFiniteValueError, r"marts.headline_indicators.change_pct holds 1 inf; marts.score_change.p_wilcoxon holds 1 NaN$")


def test_a_statistic_s_nan_is_written_as_null() -> None:
    """The scipy marts hold NaN where a test is undefined; written into the warehouse, it is SQL null."""
    from score_pipeline.analysis.assets import write_mart

    frame = pd.DataFrame({"country": ["pe", "pe"], "module": ["m2", "m3"], "n": [2, 9], "pearson_r": [np.nan, 0.5],
                          "p_value": [float("nan"), 0.1], "spearman_rho": [None, 0.4]})
    connection = duckdb.connect()
    connection.execute("create schema marts")
    write_mart(connection, "module_spillover", frame)
    assert connection.execute("select pearson_r, p_value, spearman_rho from marts.module_spillover "
                              "where module = 'm2'").fetchone() == (None, None, None)


def test_a_country_with_its_first_wave_only_publishes(isolated: Path) -> None:
    """A new country's first drop (its baseline is its endline: contract 1): no perceptions yet. The run publishes
    what there is (its report without the charts of figures that do not exist yet) instead of failing."""
    import io

    from conftest import copy_wave

    from score_pipeline.cli import run_all_waves

    copy_wave("2017-baseline", isolated / "raw")
    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()
    published = isolated / "published"
    with duckdb.connect(str(published / "score_marts.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.perceived_effects").fetchone()[0] == 0
        assert connection.execute("select count(*) from marts.kpi_change").fetchone()[0] == 6 * 4  # x all + 3 structures
    assert (published / "report.html").stat().st_size > 0 and (published / "report.es.html").stat().st_size > 0
