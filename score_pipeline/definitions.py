"""The code location: one Definitions assembled from the modules, nothing else."""

from dagster import Definitions

from score_pipeline.analysis.assets import analysis_assets
from score_pipeline.automation import jobs, schedules, sensors
from score_pipeline.ingest.assets import bookkeeping_specs, ingest_assets
from score_pipeline.publish.assets import publish_assets
from score_pipeline.publish.postgres import MartsDatabaseResource
from score_pipeline.quality.assets import quality_assets
from score_pipeline.resources import RawRootResource, WarehouseResource
from score_pipeline.transform.assets import dbt_evaluation_models, dbt_wave_models
from score_pipeline.transform.resource import dbt_resource

defs = Definitions(
    assets=[*ingest_assets, *bookkeeping_specs, dbt_wave_models, *quality_assets, dbt_evaluation_models, *analysis_assets,
            *publish_assets],
    jobs=jobs,
    sensors=sensors,
    schedules=schedules,
    resources={"warehouse": WarehouseResource(), "raw": RawRootResource(), "dbt": dbt_resource(),
               "marts_database": MartsDatabaseResource()},
)
