"""Running the pipeline in this process: the Dagster instance of a run, the wave and evaluation runs a plan
(planning.py) calls for, a line per step as it ends, and what stopped a run in one sentence per reason.
`score-pipeline run` and the benchmark call `run_programme`; the CLI prints what it returns."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from score_pipeline import settings

if TYPE_CHECKING:  # dagster is imported when a run starts
    from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult, JobDefinition

    from score_pipeline.core.planning import WaveRun
    from score_pipeline.core.programme import Country

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class InstanceHomeError(Exception):
    """A Dagster instance home that serves another warehouse than the run's."""


def ensure_dagster_home() -> Path:
    """The run's Dagster instance home (settings.dagster_home) with the repo's dagster.yaml. An instance belongs
    to one warehouse: the first run records the one it serves, and a run on another warehouse is refused (its
    partitions and runs would mix with the others)."""
    home, warehouse = settings.dagster_home(), settings.warehouse_path().resolve()
    marker = home / settings.INSTANCE_WAREHOUSE_MARKER
    if marker.exists():
        served = (home / marker.read_text(encoding="utf-8").strip()).resolve()
        if served != warehouse:
            raise InstanceHomeError(f"the Dagster instance {home} serves the warehouse {served} (its {marker.name}), "
                                    f"not this run's {warehouse}: {other_home_advice(home)}")
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(settings.LOCAL_INSTANCE_CONFIG, home / "dagster.yaml")
    if not marker.exists():
        marker.write_text(os.path.relpath(warehouse, home.resolve()) + "\n", encoding="utf-8")
    return home


# Python's collector, in a process that runs the pipeline and then ends: its default first threshold (700 new
# objects) makes it collect thousands of times over a run whose objects mostly live to its end (Dagster's
# definitions, dbt's manifest), and each full collection scans them all: about 2 s of the sample's 31 s.
COLLECTOR_THRESHOLDS = (20_000, 20, 20)


@contextlib.contextmanager
def pipeline_process() -> Iterator[None]:
    """The collector of a process that runs the pipeline (score-pipeline, the benchmark's measurement) and then
    ends: collecting less often over the run (COLLECTOR_THRESHOLDS; the peak memory did not move), and not at
    all after it: Python's last collection at exit scanned every object the run left for 2.5 s, when the system
    frees the process's memory anyway (the warehouse's and the publication's connections are closed by then)."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()  # the objects left, out of the last collection's sight


def instance_in(home: Path) -> DagsterInstance:
    """The Dagster instance of a home, its dagster.yaml's `{env: DAGSTER_HOME}` read as that home: a run outside
    `make` may have no DAGSTER_HOME, and no code writes the environment."""
    import yaml
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    config = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8")) or {}
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=with_home(config, home)))


def with_home(value: object, home: Path) -> object:
    """An instance configuration with each `{env: DAGSTER_HOME}` replaced by the home's path."""
    if value == {"env": settings.DAGSTER_HOME_ENV}:
        return str(home)
    if isinstance(value, dict):
        return {key: with_home(item, home) for key, item in value.items()}
    if isinstance(value, list):
        return [with_home(item, home) for item in value]
    return value


def other_home_advice(home: Path) -> str:
    """How to give a run the instance of its own warehouse, when `home` serves another."""
    own = settings.warehouse_dagster_home()
    if own.resolve() == home.resolve():
        return f"set {settings.DAGSTER_HOME_ENV} to another folder for this warehouse"
    return f"set {settings.DAGSTER_HOME_ENV} to another folder, or unset it to use {own}"


def fail_abandoned_runs(instance: DagsterInstance) -> list[str]:
    """Fail the runs of this host whose worker process died (SIGKILL, out of memory) and free their pool
    slots: left alone, a dead run keeps `duckdb_warehouse` claimed and every later run waits."""
    from dagster import DagsterRunStatus, RunsFilter

    from score_pipeline.run_workers import PROCESS_TAG, worker_is_gone

    abandoned = []
    for run in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])):
        if worker_is_gone(run.tags):
            instance.report_run_failed(run, f"the score-pipeline process {run.tags[PROCESS_TAG]} that ran it ended "
                                            "before the run did")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            abandoned.append(run.run_id)
    return abandoned


def plain_message(message: str, class_name: str) -> str:
    """An error's own sentence, without the `module.ClassName: ` that Python puts before it."""
    first = message.strip()
    head, separator, rest = first.partition(": ")
    return rest if separator and head.rsplit(".", 1)[-1] == class_name else first


def failure_reasons(result: ExecuteInProcessResult) -> list[str]:
    """What stopped a run, as a data engineer needs it: each failed step's error in one sentence (it
    names the file and the problem; an ingest step refused by its blocking checks says which)."""
    reasons = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            cause = error.cause if error.cause and error.cls_name.startswith("Dagster") else error
            reasons.append(f"{event.step_key}: {plain_message(cause.message, cause.cls_name)}")
    return reasons


# Step key prefix -> stage, for `make run`'s timings and `make bench` (an ingest step runs its checks).
STAGES = (("dbt_", "dbt"), ("raw__", "ingest"), ("quality__", "field checks"), ("marts__", "statistics"),
          ("published__", "publication"))


def stage_of(step_key: str) -> str:
    """The stage a step belongs to, by its op name (`raw__worker_survey` -> ingest)."""
    return next((stage for prefix, stage in STAGES if step_key.startswith(prefix)), step_key)


def stage_seconds(step_events: Sequence[tuple[str, str, float]]) -> dict[str, float]:
    """Seconds per stage from (step key, event type, timestamp) rows of step starts and ends."""
    started: dict[str, float] = {}
    totals: dict[str, float] = {}
    for step, event, timestamp in step_events:
        if event == "STEP_START":
            started[step] = timestamp
        elif step in started:
            stage = stage_of(step)
            totals[stage] = totals.get(stage, 0.0) + timestamp - started.pop(step)
    return totals


def step_event_types() -> set[DagsterEventType]:
    """The events of a step's start and end, in a run's event log."""
    from dagster import DagsterEventType

    return {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}


def step_line(step: str, ended_at: float, step_seconds: float, run_started: float, failed: bool) -> str:
    """`       12.4 s  ingest        raw__worker_survey: 3.1 s` for a step that just ended."""
    outcome = "FAILED after " if failed else ""
    return f"      {ended_at - run_started:6.1f} s  {stage_of(step):<13} {step}: {outcome}{step_seconds:.1f} s"


def execute_with_progress(job: JobDefinition, instance: DagsterInstance, tags: dict[str, str], out: TextIO) -> ExecuteInProcessResult:
    """Run a job in this process, printing a line to `out` as each of its steps ends (read from the run's
    event log by a thread beside the run: the run's own output goes to the log file)."""
    import threading

    from dagster._core.utils import make_new_run_id

    run_id, started, done = make_new_run_id(), time.time(), threading.Event()
    step_types = step_event_types()

    def follow() -> None:
        begun: dict[str, float] = {}
        reported: set[str] = set()
        while True:
            finishing = done.is_set()
            for record in instance.all_logs(run_id, of_type=step_types):
                step, kind = record.step_key, record.dagster_event.event_type_value
                if kind == "STEP_START":
                    begun.setdefault(step, record.timestamp)
                elif step not in reported:
                    reported.add(step)
                    print(step_line(step, record.timestamp, record.timestamp - begun.get(step, record.timestamp), started,
                                    kind == "STEP_FAILURE"), file=out, flush=True)
            if finishing:
                return
            done.wait(1.0)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        return job.execute_in_process(instance=instance, run_config=QUIET_RUN_CONFIG, tags=tags, run_id=run_id,
                                      raise_on_error=False)
    finally:
        done.set()
        follower.join()


def timing_line(instance: DagsterInstance, run_id: str, elapsed: float) -> str:
    """`21.3 s (ingest 6.1 s, checks 4.2 s, dbt 9.8 s)` for a finished run."""
    rows = [(entry.step_key, entry.dagster_event.event_type_value, entry.timestamp)
            for entry in instance.all_logs(run_id, of_type=step_event_types())]
    stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stage_seconds(rows).items())
    return f"{elapsed:.1f} s ({stages})" if stages else f"{elapsed:.1f} s"


def corrections_line(partition_keys: Sequence[str]) -> str:
    """`pe/2017-baseline none; pe/2018-midterm 5 applied, 1 not applied` from the lines the runs stored."""
    from score_pipeline.core.waves import partition_key
    from score_pipeline.resources import WarehouseResource

    with WarehouseResource().connect(read_only=True) as connection:
        counts = {partition_key(country, wave): (applied, other) for country, wave, applied, other in connection.execute(
            "select country, wave, count(*) filter (where status = 'applied'), "
            "count(*) filter (where status <> 'applied') from raw.corrections group by country, wave").fetchall()}
    return "; ".join(f"{key} {counts[key][0]} applied, {counts[key][1]} not applied" if key in counts
                     else f"{key} none" for key in partition_keys)


def range_tags(partition_keys: Sequence[str]) -> dict[str, str]:
    """The tags that make one run cover a range of partitions (what a single-run backfill launches)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    return {ASSET_PARTITION_RANGE_START_TAG: partition_keys[0], ASSET_PARTITION_RANGE_END_TAG: partition_keys[-1]}


def report_failure(headline: str, result: ExecuteInProcessResult, log_path: Path, out: TextIO) -> int:
    print(headline, file=out)
    for reason in failure_reasons(result):
        print(f"  {reason}", file=out)
    print(f"Details: {log_path}, or `make ui`.", file=out)
    return 1


@dataclass
class ProgrammeRun:
    """What `run_programme` did: 0 when every planned wave ran and the publication followed."""

    code: int
    countries: list[Country] = field(default_factory=list)  # the layout's
    waves: int = 0
    seconds: float = 0.0
    published: bool = False
    refused_countries: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # failed WARN checks (quality/summary.py)


def run_programme(out: TextIO) -> ProgrammeRun:
    """Materialize every complete wave of every country in one wave run, then the cross-wave marts and the
    publication, saying each step to `out` as it ends.

    A country whose ingest is refused stops only its own models: the wave run is planned again without it
    (its figures stay those of its last successful load), and the publication follows when any country's
    waves ran."""
    try:
        home = ensure_dagster_home()
    except InstanceHomeError as error:
        print(error, file=out)
        return ProgrammeRun(1)
    from score_pipeline.core.planning import countries_of, survey, wave_runs, without_countries
    from score_pipeline.core.programme import LayoutError
    from score_pipeline.core.waves import wave_partitions
    from score_pipeline.resources import RawRootResource

    raw = RawRootResource()
    try:
        layout = raw.layout()
    except LayoutError as error:
        print(error, file=out)
        return ProgrammeRun(1)
    found = survey(layout, layout.drops(raw.corrections), layout.orphan_logs(raw.root, raw.corrections))
    for note in found.notes:
        print(note, file=out)
    if not found.drops:
        print(f"no complete wave drop under {raw.root}", file=out)
        return ProgrammeRun(1, layout.countries)
    instance = instance_in(home)
    for run_id in fail_abandoned_runs(instance):
        print(f"run {run_id} was abandoned by a process that ended (killed?): marked failed, its pool slot freed",
              file=out)
    instance.add_dynamic_partitions(wave_partitions.name,
                                    found.new_partitions(instance.get_dynamic_partitions(wave_partitions.name)))
    ordered = instance.get_dynamic_partitions(wave_partitions.name)
    log_path = home / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    outcome = ProgrammeRun(0, layout.countries, len(found.drops))
    started = time.monotonic()
    # What runs print (dbt, Dagster's own error reports with their stack traces) goes to the log; the
    # terminal gets one line per step and, on failure, one sentence per reason.
    with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        pending, ran = list(found.drops), False
        while pending:  # the drops of the failed runs, again without the refused countries
            failed, refused = [], set()
            for run in wave_runs(pending, ordered):
                result = run_waves(run, instance, out)
                if result.success:
                    ran = True
                    outcome.warnings += failed_warnings(result)
                    continue
                report_failure(f"      the wave run of {run.describe()} failed (run {result.run_id}).", result, log_path, out)
                refused |= countries_of(refused_partitions(result, run)) or countries_of(run.partition_keys)
                failed += run.drops
            outcome.refused_countries += sorted(refused)
            pending = without_countries(failed, refused)
            if pending:
                print(f"      the other countries' waves again, without {', '.join(sorted(refused))}:", file=out, flush=True)
        if not ran:
            print("nothing was published: no wave run succeeded.", file=out)
            outcome.code = 1
            return outcome
        print("cross-wave marts, statistics, publication ...", file=out, flush=True)
        step_started = time.monotonic()
        result = execute_with_progress(evaluation_job(), instance, process_tags(), out)
    if not result.success:
        published = [event.step_key for event in result.all_events
                     if event.is_step_success and stage_of(event.step_key) == "publication"]
        done = (f"published before it failed: {', '.join(published)}" if published
                else "the previous publication is untouched")
        outcome.code = report_failure(f"the evaluation run failed (run {result.run_id}); {done}.", result, log_path, out)
        return outcome
    print(f"      done in {timing_line(instance, result.run_id, time.monotonic() - step_started)}", file=out)
    outcome.seconds, outcome.published = time.monotonic() - started, True
    outcome.code = 1 if outcome.refused_countries else 0
    return outcome


def run_waves(run: WaveRun, instance: DagsterInstance, out: TextIO) -> ExecuteInProcessResult:
    """One wave run over a plan's range of partitions, its steps said as they end."""
    from score_pipeline.automation import WAVE_JOB
    from score_pipeline.definitions import defs

    print(f"waves {run.describe()}: ingest, checks, wave-level models ...", file=out, flush=True)
    started = time.monotonic()
    result = execute_with_progress(defs.resolve_job_def(WAVE_JOB), instance,
                                   {**process_tags(), **range_tags(run.partition_keys), **run.drop_tags}, out)
    if result.success:
        print(f"      done in {timing_line(instance, result.run_id, time.monotonic() - started)}", file=out, flush=True)
        print(f"      corrections: {corrections_line(run.partition_keys)}", file=out, flush=True)
        print(f"      field checks: {settings.field_checks_dir()}/<country>/<wave>.html", file=out, flush=True)
    return result


def evaluation_job() -> JobDefinition:
    from score_pipeline.automation import EVALUATION_JOB
    from score_pipeline.definitions import defs

    return defs.resolve_job_def(EVALUATION_JOB)


def process_tags() -> dict[str, str]:
    from score_pipeline.run_workers import process_tags as tags

    return tags()


def refused_partitions(result: ExecuteInProcessResult, run: WaveRun) -> list[str]:
    """The partitions of a failed wave run that an ingest step did not load (refused by a file or a check)."""
    from score_pipeline.ingest.assets import ingest_assets

    ingest_keys = {key for asset in ingest_assets for key in asset.keys}
    loaded: dict[str, set] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key in ingest_keys and materialization.partition:
            loaded.setdefault(materialization.partition, set()).add(materialization.asset_key)
    return [key for key in run.partition_keys if loaded.get(key, set()) != ingest_keys]


def failed_warnings(result: ExecuteInProcessResult) -> list[tuple[str, str, str]]:
    from score_pipeline.quality.summary import failed_warnings as failed

    return failed(result.get_asset_check_evaluations())
