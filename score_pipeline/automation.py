"""Jobs: one run per wave (ingest, checks, wave-level dbt), one for the cross-wave marts and publication."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from score_pipeline.analysis.assets import analysis_assets
from score_pipeline.publish.assets import publish_assets
from score_pipeline.transform.assets import dbt_evaluation_models, dbt_wave_models
from score_pipeline.waves import wave_partitions

WAVE_JOB = "ingest_and_score_wave"
EVALUATION_JOB = "publish_evaluation_marts"

wave_job = define_asset_job(
    WAVE_JOB,
    selection=AssetSelection.groups("ingest") | AssetSelection.assets(dbt_wave_models),
    partitions_def=wave_partitions,
    executor_def=in_process_executor,
    description="One wave: ingest every instrument, validate it (GX checks), build the wave-level dbt models.",
)

evaluation_job = define_asset_job(
    EVALUATION_JOB,
    selection=AssetSelection.assets(dbt_evaluation_models, *analysis_assets, *publish_assets),
    executor_def=in_process_executor,
    description="Across waves: summaries, changes and indicators, statistics, then publication.",
)

jobs = [wave_job, evaluation_job]
