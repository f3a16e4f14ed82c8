"""The publication asset: the analysts' copy of the marts."""

import os
import shutil

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from score_pipeline import settings
from score_pipeline.core.waves import partition_key
from score_pipeline.lineage.trace import CATALOG, MANIFEST, Project
from score_pipeline.resources import WarehouseResource
from score_pipeline.publish.marts import PUBLISHED_MARTS, publish_marts
from score_pipeline.publish.postgres import MartsDatabaseResource

MART_KEYS = [AssetKey(["marts", name]) for name in PUBLISHED_MARTS]
# dbt's docs site in one file, and the artifacts a figure's trace reads (lineage/trace.py): docs_dir's names.
DOCS_FILES = {"static_index.html": "index.html", MANIFEST: MANIFEST, CATALOG: CATALOG}


@asset(key=["published", "score_marts"], deps=MART_KEYS, group_name="published", kinds={"duckdb", "parquet", "stata"},
       pool=settings.WAREHOUSE_POOL, owners=["team:data-engineering"],
       description=f"{settings.PUBLISHED_DATABASE_NAME} (schema marts only), one Parquet and one Stata (.dta) file per mart in "
                   "SCORE_PUBLISH_DIR, swapped in atomically at the end of a successful run; in the shared deployment, "
                   "also schema marts of its PostgreSQL, swapped in one transaction.")
def published_marts(warehouse: WarehouseResource, marts_database: MartsDatabaseResource) -> MaterializeResult:
    with warehouse.connect(read_only=True) as connection:
        published = publish_marts(connection, settings.publish_dir())
    metadata = {
        "publish_dir": MetadataValue.path(str(settings.publish_dir())),
        "database": MetadataValue.path(str(published[-1])),
        "files": len(published),
        "bytes": sum(p.stat().st_size for p in published),
    }
    if marts_database.enabled:
        metadata["postgres_rows"] = sum(marts_database.load(settings.published_database()).values())
    return MaterializeResult(metadata=metadata)


@asset(key=["published", "report"], deps=[*MART_KEYS], group_name="published", kinds={"python", "html"},
       pool=settings.WAREHOUSE_POOL, owners=["team:evaluation"],
       description="report.html (English) and report.es.html (Spanish) in SCORE_PUBLISH_DIR: headline against the "
                   "evaluation summary, distributions, changes with CIs, KPIs, worker satisfaction, perceived effects, "
                   "data quality, coverage; stamped with the run time, the code's version and each wave's drop.")
def evaluation_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    from score_pipeline.publish.report import write_evaluation_report  # matplotlib: imported by this step only
    from score_pipeline.publish.stamp import stamp

    with warehouse.connect(read_only=True) as connection:
        waves = [partition_key(country, wave) for country, wave in connection.execute(
            "select distinct country, wave from staging.stg_raw__ingest_log order by all").fetchall()]
        reports = write_evaluation_report(connection, settings.publish_dir(), settings.report_charts_dir(),
                                          stamp(context.instance, waves))
        headline = connection.execute(
            "select indicator, round(baseline, 2) as baseline, round(endline, 2) as endline, "
            "round(change_pct, 1) as change_pct from marts.headline_indicators").df()
        scores = connection.execute("select wave, global_score from marts.enterprise_scores").df()
    return MaterializeResult(metadata={
        "report": MetadataValue.path(str(reports[0])),
        "translations": MetadataValue.md("\n".join(f"- {report}" for report in reports[1:])),
        "headline": MetadataValue.md(headline.to_markdown(index=False)),
        "global_score_by_wave": MetadataValue.md(
            scores.groupby("wave")["global_score"].describe().round(2).to_markdown()),
    })


@asset(key=["published", "docs"], deps=[*MART_KEYS], group_name="published", kinds={"dbt", "html"},
       pool=settings.WAREHOUSE_POOL, owners=["team:data-engineering"],
       description="docs/index.html in SCORE_PUBLISH_DIR: dbt's docs site of the project in one file that opens from "
                   "disk (every model and mart with its columns' descriptions, types, SQL and lineage graph), and "
                   "traces.html: each headline figure traced to the extracts' columns (score-pipeline trace).")
def docs_site_asset(context: AssetExecutionContext) -> MaterializeResult:
    from score_pipeline.publish.traces import write_traces_page
    from score_pipeline.transform.partial_parse import invocation_target
    from score_pipeline.transform.resource import docs_site

    built = docs_site(lambda: invocation_target(context.run.run_id))
    docs = settings.docs_dir()
    docs.mkdir(parents=True, exist_ok=True)
    for name, published in DOCS_FILES.items():
        temporary = docs / f".{published}.tmp"
        shutil.copyfile(built / name, temporary)
        os.replace(temporary, docs / published)
    traces = write_traces_page(Project.published(docs), settings.publish_dir())
    return MaterializeResult(metadata={"docs_site": MetadataValue.path(str(docs / DOCS_FILES["static_index.html"])),
                                       "traces": MetadataValue.path(str(traces)),
                                       "bytes": sum((docs / name).stat().st_size for name in DOCS_FILES.values())})


publish_assets = [published_marts, evaluation_report, docs_site_asset]
