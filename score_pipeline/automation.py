"""Jobs, the drop sensor, the follow-up sensor and the nightly schedule.

A wave run ingests, checks and builds the wave-level models of one country's wave (the sensor's runs)
or of several (`make run`, a backfill: one run, BackfillPolicy.single_run); then one run builds the
cross-wave marts and the publication. Change the nightly time with NIGHTLY (cron, America/Lima).
"""

from collections.abc import Sequence
from datetime import datetime, timezone

from dagster import (
    AssetSelection, DagsterInstance, DagsterRunStatus, DefaultScheduleStatus, DefaultSensorStatus, RunRequest,
    RunsFilter, ScheduleEvaluationContext, SensorEvaluationContext, SensorResult, SkipReason, define_asset_job,
    in_process_executor, schedule, sensor,
)

from score_pipeline import settings
from score_pipeline.analysis.assets import analysis_assets
from score_pipeline.ingest.assets import ingest_assets
from score_pipeline.publish.assets import publish_assets
from score_pipeline.quality.assets import quality_assets
from score_pipeline.transform.assets import dbt_evaluation_models, dbt_wave_models
from score_pipeline.core.programme import LayoutError
from score_pipeline.resources import RawRootResource
from score_pipeline.core.waves import DropStatus, wave_partitions
from score_pipeline.core.planning import drops_to_run, latest_drops, not_ready

WAVE_JOB = "ingest_and_score_wave"
EVALUATION_JOB = "publish_evaluation_marts"
NIGHTLY = "0 3 * * *"
# What a run prints to the console of `make ui`: its INFO lines (a few per step), not Dagster's DEBUG
# events; the UI's event log keeps everything at every level.
CONSOLE_LOG_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

wave_job = define_asset_job(
    WAVE_JOB,
    selection=AssetSelection.assets(*ingest_assets, dbt_wave_models, *quality_assets),
    partitions_def=wave_partitions,
    executor_def=in_process_executor,
    config=CONSOLE_LOG_CONFIG,
    description="One wave: ingest every instrument, validate it (GX checks), build the wave-level dbt models, "
                "write the data team's field checks.",
)

evaluation_job = define_asset_job(
    EVALUATION_JOB,
    selection=AssetSelection.assets(dbt_evaluation_models, *analysis_assets, *publish_assets),
    executor_def=in_process_executor,
    config=CONSOLE_LOG_CONFIG,
    description="Across waves: summaries, changes and indicators, statistics, then publication.",
)

jobs = [wave_job, evaluation_job]


UNREAD_TAG = "score-pipeline/unread-files"  # shown on the run in the UI
IN_PROGRESS = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
               DagsterRunStatus.STARTED]


def drop_has_run(instance: DagsterInstance, status: DropStatus) -> bool:
    """Whether a run already ingested this very drop (any outcome: a refused drop waits for a change).

    The runs say it, not the sensor's cursor: the cursor of a new daemon starts empty, and the waves
    `make run` loaded before it would all run again."""
    return instance.get_runs_count(RunsFilter(job_name=WAVE_JOB, tags=status.run_tags)) > 0


@sensor(job=wave_job, minimum_interval_seconds=settings.sensor_interval(60),
        default_status=DefaultSensorStatus.RUNNING,
        description="Watches the raw root (each country's folder in a programme) and the corrections logs; a complete "
                    "wave drop (verified SHA256SUMS), with its corrections log, that no run has ingested yet registers "
                    "its country x wave partition and starts its run: one run per drop, so a drop in one country never "
                    "re-runs another's waves.")
def wave_drop_sensor(context: SensorEvaluationContext, raw: RawRootResource) -> SensorResult:
    try:
        layout = raw.layout()
    except LayoutError as error:
        return SensorResult(skip_reason=str(error))
    statuses = layout.drops(raw.corrections)
    orphans = layout.orphan_logs(raw.root, raw.corrections)
    for problem in [*(f"corrections log {orphan}" for orphan in orphans), *layout.refused.values()]:
        context.log.warning(problem)
    drops = drops_to_run(statuses, lambda status: drop_has_run(context.instance, status))
    if not drops:
        return SensorResult(skip_reason="; ".join(filter(None, [not_ready(statuses, layout), *orphans]))
                            or "no new or changed complete wave drop")
    known = set(context.instance.get_dynamic_partitions(wave_partitions.name))
    return SensorResult(
        run_requests=[RunRequest(partition_key=d.partition_key, run_key=d.drop_id,
                                 tags={**d.run_tags, **({UNREAD_TAG: d.unread_note} if d.unread_note else {})})
                      for d in drops],
        dynamic_partitions_requests=[wave_partitions.build_add_request(
            [d.partition_key for d in drops if d.partition_key not in known])],
    )


def publication_due(waves_in_progress: int, waves_done_since_publication: Sequence[str]) -> RunRequest | SkipReason:
    """One publication after a batch of wave runs: none while a wave run is queued or running, then
    one for every wave run that succeeded since the last publication started (`run_key` names the newest)."""
    if waves_in_progress:
        return SkipReason(f"{waves_in_progress} wave run(s) queued or running: the publication follows the batch")
    if not waves_done_since_publication:
        return SkipReason("no wave run has succeeded since the last publication")
    return RunRequest(run_key=f"after:{waves_done_since_publication[0]}")


@sensor(job=evaluation_job, minimum_interval_seconds=settings.sensor_interval(30),
        default_status=DefaultSensorStatus.RUNNING,
        description="When wave runs have succeeded and none is queued or running any more, rebuild the "
                    "cross-wave marts and publish them: one publication per batch of waves.")
def publish_after_waves(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    instance = context.instance
    in_progress = instance.get_runs_count(RunsFilter(job_name=WAVE_JOB, statuses=IN_PROGRESS))
    return publication_due(in_progress, waves_done_since_last_publication(instance))


def waves_done_since_last_publication(instance: DagsterInstance) -> list[str]:
    """Successful wave runs, newest first, that ended after the last publication run started (or was
    created, while it waits): that publication may not hold their rows. Event times, to the microsecond;
    the storage's update timestamps are whole seconds."""
    last = instance.get_run_records(RunsFilter(job_name=EVALUATION_JOB), limit=1)
    since = (last[0].start_time or last[0].create_timestamp.timestamp()) if last else 0.0
    window = datetime.fromtimestamp(since - 1, tz=timezone.utc)
    succeeded = instance.get_run_records(
        RunsFilter(job_name=WAVE_JOB, statuses=[DagsterRunStatus.SUCCESS], updated_after=window))
    return [record.dagster_run.run_id for record in succeeded if (record.end_time or 0.0) > since]


@schedule(job=wave_job, cron_schedule=NIGHTLY, execution_timezone="America/Lima",
          default_status=DefaultScheduleStatus.RUNNING,
          description="Nightly re-run of each country's latest wave (the cross-wave marts follow through "
                      "publish_after_waves).")
def nightly_latest_wave(context: ScheduleEvaluationContext, raw: RawRootResource) -> list[RunRequest] | SkipReason:
    try:
        layout = raw.layout()
    except LayoutError as error:
        return SkipReason(str(error))
    drops = latest_drops(layout.drops(raw.corrections))
    if not drops:
        return SkipReason(f"no complete wave drop under {raw.root}")
    return [RunRequest(partition_key=drop.partition_key, run_key=None) for drop in drops]


sensors = [wave_drop_sensor, publish_after_waves]
schedules = [nightly_latest_wave]
