"""Statistics assets on top of the dbt marts, written back into schema `marts`."""

import duckdb
import pandas as pd
from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from score_pipeline import settings
from score_pipeline.resources import WarehouseResource
from score_pipeline.transform.project import EVALUATOR_SCORES

MODULE_SCORES_QUERY = """
    select 'module' as level, unnest(['m1', 'm2', 'm3', 'm4', 'm5']) as code, ruc, wave,
           unnest([score_m1, score_m2, score_m3, score_m4, score_m5]) as score from marts.enterprise_scores
"""
SCORES_QUERY = f"""
    select 'global' as level, 'global' as code, ruc, wave, global_score as score from marts.enterprise_scores
    union all
    {MODULE_SCORES_QUERY}
    union all
    select 'category', module || '.' || category, ruc, wave, score from marts.category_scores
"""
SCORE_DEPS = [AssetKey(["marts", "enterprise_scores"]), AssetKey(["marts", "category_scores"]),
              AssetKey(["intermediate", "int_waves_ordered"])]


def baseline_and_endline(connection: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    return connection.execute(
        "select any_value(wave) filter (where is_baseline), any_value(wave) filter (where is_endline) "
        "from intermediate.int_waves_ordered").fetchone()


def write_mart(connection: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    connection.register("frame", frame)
    connection.execute(f"create or replace table marts.{name} as select * from frame")
    connection.unregister("frame")


def _analyse(warehouse: WarehouseResource, name: str, query: str, compute) -> MaterializeResult:
    with warehouse.connect() as connection:
        baseline, endline = baseline_and_endline(connection)
        scores = connection.execute(query).df()
        table = compute(scores, baseline, endline)
        write_mart(connection, name, table)
    return MaterializeResult(metadata={
        "rows": len(table), "baseline": baseline, "endline": endline,
        "table": MetadataValue.md(table.round(4).to_markdown(index=False)),
    })


@asset(key=["marts", "score_change"], deps=SCORE_DEPS, group_name="marts", kinds={"python", "scipy", "duckdb"},
       pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="Baseline to endline change of every score (global, module, category): paired t-test, "
                   "Wilcoxon signed-rank, Holm-adjusted p over all rows, Cohen's dz, 95 % CI of the mean change.")
def score_change_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.analysis.stats import score_change  # scipy: imported by the step, not the code location

    return _analyse(warehouse, "score_change", SCORES_QUERY, score_change)


@asset(key=["marts", "module_spillover"], deps=SCORE_DEPS, group_name="marts", kinds={"python", "scipy", "duckdb"},
       pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="Module 1 change against each other module's change per enterprise: Pearson r (with p) and Spearman rho.")
def module_spillover_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.analysis.stats import module_spillover

    return _analyse(warehouse, "module_spillover", MODULE_SCORES_QUERY, module_spillover)


@asset(key=["marts", "evaluator_effects"], deps=[EVALUATOR_SCORES], group_name="marts",
       kinds={"python", "scipy", "duckdb"}, pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="Each evaluator's mean global score per wave against the wave's other evaluators (contract 6): "
                   "Welch t-test, Holm-adjusted p over all rows, Kruskal-Wallis across the wave's evaluators. "
                   "p_holm < 0.05 is a flag to look at, not proof.")
def evaluator_effects_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.analysis.stats import FLAG_LEVEL, evaluator_effects

    with warehouse.connect() as connection:
        table = evaluator_effects(connection.execute(
            "select wave, ruc, evaluator, global_score from intermediate.int_evaluator_scores_joined").df())
        write_mart(connection, "evaluator_effects", table)
    flagged = table[table["p_holm"] < FLAG_LEVEL]
    return MaterializeResult(metadata={
        "rows": len(table), "flagged": ", ".join(f"{r.evaluator} ({r.wave})" for r in flagged.itertuples()) or "none",
        "table": MetadataValue.md(table.round(4).to_markdown(index=False)),
    })


analysis_assets = [score_change_mart, module_spillover_mart, evaluator_effects_mart]
