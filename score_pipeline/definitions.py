"""The code location: one Definitions assembled from the modules, nothing else."""

from __future__ import annotations

from dagster import Definitions

from score_pipeline import settings
from score_pipeline.ingest.assets import ingest_assets
from score_pipeline.quality.checks import ingest_checks
from score_pipeline.resources import WarehouseResource, dbt_resource

defs = Definitions(
    assets=[*ingest_assets],
    asset_checks=[*ingest_checks],
    resources={"warehouse": WarehouseResource(path=str(settings.warehouse_path())), "dbt": dbt_resource()},
)
