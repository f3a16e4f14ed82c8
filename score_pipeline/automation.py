"""Jobs, the drop sensor, the follow-up sensor and the nightly schedule.

One run per wave (ingest, checks, wave-level dbt), then one for the cross-wave marts and the
publication. Change the nightly time with NIGHTLY (cron, America/Lima).
"""

import json

from dagster import (
    AssetSelection, DagsterRunStatus, DefaultScheduleStatus, DefaultSensorStatus, RunRequest, RunStatusSensorContext,
    ScheduleEvaluationContext, SensorEvaluationContext, SensorResult, SkipReason, define_asset_job,
    in_process_executor, run_status_sensor, schedule, sensor,
)

from score_pipeline import settings

from score_pipeline.analysis.assets import analysis_assets
from score_pipeline.publish.assets import publish_assets
from score_pipeline.transform.assets import dbt_evaluation_models, dbt_wave_models
from score_pipeline.waves import DropStatus, complete_drops, drop_statuses, wave_partitions

WAVE_JOB = "ingest_and_score_wave"
EVALUATION_JOB = "publish_evaluation_marts"
NIGHTLY = "0 3 * * *"

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


def drops_to_run(statuses: list[DropStatus], seen: dict[str, str]) -> list[DropStatus]:
    """Complete drops that are new or whose SHA256SUMS changed since `seen` (wave -> fingerprint).
    A half-copied folder never verifies, so it is never returned."""
    return [s for s in statuses if s.complete and seen.get(s.wave) != s.fingerprint]


def not_ready(statuses: list[DropStatus]) -> str | None:
    """Why folders of the raw root start no run, for the sensor's tick history in the UI."""
    lines = [f"{s.wave}: {'; '.join(s.problems)}" for s in statuses if not s.complete]
    return "not a complete wave drop: " + " | ".join(lines) if lines else None


@sensor(job=wave_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Watches the raw root; a new or changed complete wave drop (verified SHA256SUMS) "
                    "registers the wave partition and starts its run.")
def wave_drop_sensor(context: SensorEvaluationContext) -> SensorResult:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    statuses = drop_statuses(settings.raw_dir())
    drops = drops_to_run(statuses, seen)
    if not drops:
        return SensorResult(skip_reason=not_ready(statuses) or "no new or changed complete wave drop")
    known = set(context.instance.get_dynamic_partitions(wave_partitions.name))
    return SensorResult(
        run_requests=[RunRequest(partition_key=d.wave, run_key=f"{d.wave}:{d.fingerprint}") for d in drops],
        dynamic_partitions_requests=[wave_partitions.build_add_request([d.wave for d in drops if d.wave not in known])],
        cursor=json.dumps({**seen, **{d.wave: d.fingerprint for d in drops}}),
    )


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[wave_job], request_job=evaluation_job,
                   default_status=DefaultSensorStatus.RUNNING,
                   description="After a wave run succeeds, rebuild the cross-wave marts and publish them.")
def publish_after_wave(context: RunStatusSensorContext) -> RunRequest:
    return RunRequest(run_key=f"after:{context.dagster_run.run_id}")


@schedule(job=wave_job, cron_schedule=NIGHTLY, execution_timezone="America/Lima",
          default_status=DefaultScheduleStatus.RUNNING,
          description="Nightly re-run of the latest wave (the cross-wave marts follow through publish_after_wave).")
def nightly_latest_wave(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    drops = complete_drops(settings.raw_dir())
    if not drops:
        return SkipReason(f"no complete wave drop under {settings.raw_dir()}")
    return RunRequest(partition_key=drops[-1].wave, run_key=None)


sensors = [wave_drop_sensor, publish_after_wave]
schedules = [nightly_latest_wave]
