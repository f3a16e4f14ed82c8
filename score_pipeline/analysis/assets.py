"""Statistics assets on top of the dbt marts, written back into schema `marts`: each computed within each
country (contract 7), `country` first."""

import functools
import json
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from score_pipeline import settings
from score_pipeline.resources import WarehouseResource
from score_pipeline.transform.metadata import Relation, relation_facts, source_relation
from score_pipeline.transform.project import EVALUATOR_SCORES, dbt_project

# Contract 8.1: score_change and module_spillover describe the programme's participants (every enterprise of a
# country without a frame, the treated ones of a country with one).
PARTICIPANT = "(country, ruc) in (select country, ruc from intermediate.int_enterprise_arms where is_participant)"
MODULE_SCORES_QUERY = f"""
    select country, 'module' as level, unnest(['m1', 'm2', 'm3', 'm4', 'm5']) as code, ruc, wave,
           unnest([score_m1, score_m2, score_m3, score_m4, score_m5]) as score from marts.enterprise_scores
    where {PARTICIPANT}
"""
SCORES_QUERY = f"""
    select country, 'global' as level, 'global' as code, ruc, wave, global_score as score from marts.enterprise_scores
    where {PARTICIPANT}
    union all
    {MODULE_SCORES_QUERY}
    union all
    select country, 'category', module || '.' || category, ruc, wave, score from marts.category_scores
    where {PARTICIPANT}
"""
ENTERPRISE_ARMS = AssetKey(["intermediate", "int_enterprise_arms"])
SCORE_DEPS = [AssetKey(["marts", "enterprise_scores"]), AssetKey(["marts", "category_scores"]),
              AssetKey(["intermediate", "int_waves_ordered"]), ENTERPRISE_ARMS]


def baselines_and_endlines(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Each country's first and last wave."""
    rows = connection.execute(
        "select country, any_value(wave) filter (where is_baseline), any_value(wave) filter (where is_endline) "
        "from intermediate.int_waves_ordered group by country order by country").fetchall()
    return {country: (baseline, endline) for country, baseline, endline in rows}


def by_country(frame: pd.DataFrame, compute_one: Callable[[str | None, pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """A mart computed within each country of `frame` (its Holm families, its baseline and endline), `country`
    first; computed once on no rows when there is no country."""
    parts = [compute_one(country, rows.drop(columns="country")).assign(country=country)
             for country, rows in frame.groupby("country", sort=True)]
    if not parts:
        parts = [compute_one(None, frame.drop(columns="country")).assign(country=pd.Series(dtype=object))]
    table = pd.concat(parts, ignore_index=True).astype({"country": "string"})  # text also when no row
    return table[["country", *(column for column in table.columns if column != "country")]]


STATISTICS_SOURCE = "statistics"  # the dbt source that documents these marts' columns (models/marts/_statistics__sources.yml)


@functools.cache
def documented_relation(name: str) -> Relation:
    """The mart's relation with its columns' descriptions, from the dbt manifest (read once per process)."""
    return source_relation(_manifest(), STATISTICS_SOURCE, name)


@functools.cache
def _manifest() -> dict[str, Any]:
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


def write_mart(connection: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> dict[str, Any]:
    """Replace the mart; returns its row count and its column schema, with the descriptions of its dbt YAML
    (what the UI shows for the dbt assets)."""
    connection.register("frame", frame)
    connection.execute(f"create or replace table marts.{name} as select * from frame")
    connection.unregister("frame")
    return relation_facts(connection, {name: documented_relation(name)})[name].metadata


def _analyse(warehouse: WarehouseResource, name: str, query: str, compute) -> MaterializeResult:
    with warehouse.connect() as connection:
        waves = baselines_and_endlines(connection)
        scores = connection.execute(query).df()
        table = by_country(scores, lambda country, rows: compute(rows, *waves.get(country, (None, None))))
        written = write_mart(connection, name, table)
    return MaterializeResult(metadata={
        **written, "baseline and endline": ", ".join(f"{c}: {b} -> {e}" for c, (b, e) in waves.items()),
        "table": MetadataValue.md(table.round(4).to_markdown(index=False)),
    })


@asset(key=["marts", "score_change"], deps=SCORE_DEPS, group_name="marts", kinds={"python", "scipy", "duckdb"},
       pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="Baseline to endline change of every score (global, module, category): paired t-test, "
                   "Wilcoxon signed-rank, Holm-adjusted p over all rows, Cohen's dz, 95 % CI of the mean change.")
def score_change_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.stats import score_change  # scipy: imported by the step, not the code location

    return _analyse(warehouse, "score_change", SCORES_QUERY, score_change)


@asset(key=["marts", "module_spillover"], deps=SCORE_DEPS, group_name="marts", kinds={"python", "scipy", "duckdb"},
       pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="Module 1 change against each other module's change per enterprise: Pearson r (with p) and Spearman rho.")
def module_spillover_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.stats import module_spillover

    return _analyse(warehouse, "module_spillover", MODULE_SCORES_QUERY, module_spillover)


@asset(key=["marts", "evaluator_effects"], deps=[EVALUATOR_SCORES], group_name="marts",
       kinds={"python", "scipy", "duckdb"}, pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="Each evaluator's mean global score per wave against the wave's other evaluators (contract 6): "
                   "Welch t-test, Holm-adjusted p over all rows, Kruskal-Wallis across the wave's evaluators. "
                   "p_holm < 0.05 is a flag to look at, not proof.")
def evaluator_effects_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.stats import FLAG_LEVEL, evaluator_effects

    with warehouse.connect() as connection:
        scores = connection.execute(
            "select country, wave, ruc, evaluator, global_score from intermediate.int_evaluator_scores_joined").df()
        table = by_country(scores, lambda country, rows: evaluator_effects(rows))
        written = write_mart(connection, "evaluator_effects", table)
    flagged = table[table["p_holm"] < FLAG_LEVEL]
    return MaterializeResult(metadata={
        **written,
        "flagged": ", ".join(f"{r.evaluator} ({r.country} {r.wave})" for r in flagged.itertuples()) or "none",
        "table": MetadataValue.md(table.round(4).to_markdown(index=False)),
    })


PROGRAMME_DEPS = [ENTERPRISE_ARMS, AssetKey(["staging", "stg_raw__countries"]),
                  AssetKey(["intermediate", "int_global_scores_paired"]), AssetKey(["intermediate", "int_kpi_pairs_compared"]),
                  AssetKey(["intermediate", "int_worker_enterprises_summarised"]),
                  AssetKey(["intermediate", "int_waves_ordered"]), AssetKey(["marts", "perceived_effects"])]


@asset(key=["marts", "programme_summary"], deps=PROGRAMME_DEPS, group_name="marts", kinds={"python", "scipy", "duckdb"},
       pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="The countries side by side and pooled (contract 7): one row per country and the row `all`, the "
                   "same figures over every country's enterprises, each with its own country's baseline and endline.")
def programme_summary_mart(warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.analysis.pooled import COUNTRIES_QUERY, Enterprises, programme_summary

    with warehouse.connect() as connection:
        table = programme_summary(Enterprises.read(connection), connection.execute(COUNTRIES_QUERY).df())
        written = write_mart(connection, "programme_summary", table)
    return MaterializeResult(metadata={**written,
                                       "table": MetadataValue.md(table.round(4).to_markdown(index=False))})


# Contract 8.3's inputs, sorted (a float mean's last bit depends on the order it adds in): the variables in their
# order (int_design_variables_compared.variable_order), the arms' enterprises, the panel's respondents.
DESIGN_VARIABLES = "intermediate.int_design_variables_compared"
DESIGN_QUERIES = {
    "balance": f"select country, arm, variable, first_wave_value as value from {DESIGN_VARIABLES} "
               "order by country, variable_order, arm, ruc",
    "did": f"select country, arm, variable as outcome, change as value from {DESIGN_VARIABLES} "
           "order by country, variable_order, arm, ruc",
    "attrition": f"select country, arm, first_wave_value as baseline_score, last_wave_value as endline_score "
                 f"from {DESIGN_VARIABLES} where variable = 'global_score' order by country, arm, ruc",
    "worker_panel": "select country, ruc, is_endline, worker_code, score "
                    "from intermediate.int_worker_panel_respondents order by all",
}
DESIGN_DEPS = {
    "balance": [AssetKey(["intermediate", "int_design_variables_compared"])],
    "did": [AssetKey(["intermediate", "int_design_variables_compared"])],
    "attrition": [AssetKey(["intermediate", "int_design_variables_compared"])],
    "worker_panel": [AssetKey(["intermediate", "int_worker_panel_respondents"])],
}
DESIGN_DESCRIPTIONS = {
    "balance": "The arms at the first wave (contract 8.3): each variable's means, difference, normalized "
               "difference and Welch p, per country with a sample frame.",
    "did": "Difference in differences of each outcome (contract 8.3): the arms' mean changes first to last wave, "
           "Welch standard error and df, t, p, Holm over the country's p's, 95 % interval.",
    "attrition": "Enterprises scored at the first wave and still at the last, by arm (contract 8.3): Fisher's "
                 "exact test of the difference, Lee bounds of the last wave's score difference.",
    "worker_panel": "The workers who stayed (contract 8.3): all respondents, stayers (paired), leavers and joiners "
                    "by their worker codes; no code is published.",
}


def design_mart(name: str):
    """The asset writing one of contract 8.3's marts with its function of design_stats: empty where no country
    has a frame (nor worker codes, for worker_panel)."""

    @asset(key=["marts", name], deps=DESIGN_DEPS[name], group_name="marts",
           kinds={"python", "scipy", "duckdb"}, pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
           description=DESIGN_DESCRIPTIONS[name])
    def compute(warehouse: WarehouseResource) -> MaterializeResult:
        from score_pipeline import design_stats  # scipy: imported by the step, not the code location

        compute_one = getattr(design_stats, name)
        with warehouse.connect() as connection:
            inputs = connection.execute(DESIGN_QUERIES[name]).df()
            table = by_country(inputs, lambda country, rows: compute_one(rows))
            written = write_mart(connection, name, table)
        return MaterializeResult(metadata={**written,
                                           "table": MetadataValue.md(table.round(4).to_markdown(index=False))})

    return compute


design_assets = [design_mart(name) for name in DESIGN_QUERIES]
analysis_assets = [score_change_mart, module_spillover_mart, evaluator_effects_mart, programme_summary_mart,
                   *design_assets]
