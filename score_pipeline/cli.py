"""`score-pipeline`: run every wave end to end, query the published marts, trace a figure to the raw files, list
waves, make sample data."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from score_pipeline import settings
from score_pipeline.query import FORMATS, failure_line, query_database, query_published

if TYPE_CHECKING:  # dagster is imported lazily: `score-pipeline sql` starts in a fraction of a second
    from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult, JobDefinition

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
HEADLINE_QUERY = """
    select indicator, unit, round(baseline, 2) as baseline, round(endline, 2) as endline,
           round(change, 2) as change, round(change_pct, 1) as change_pct
    from marts.headline_indicators where country = ?
"""
PROGRAMME_QUERY = """
    select country, name, n_pairs as pairs, round(global_baseline, 2) as baseline, round(global_endline, 2) as endline,
           round(global_change, 2) as change, p_value, round(accidents_pct_change, 1) as "accidents %",
           round(worker_satisfaction_change, 2) as "satisfaction +"
    from marts.programme_summary
"""


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
    from score_pipeline.resources import WarehouseResource

    with WarehouseResource().connect(read_only=True) as connection:
        counts = {key: (applied, other) for key, applied, other in connection.execute(
            "select country || '/' || wave as partition, count(*) filter (where status = 'applied'), "
            "count(*) filter (where status <> 'applied') from raw.corrections "
            "where partition in (select unnest(?)) group by partition", [list(partition_keys)]).fetchall()}
    return "; ".join(f"{key} {counts[key][0]} applied, {counts[key][1]} not applied" if key in counts
                     else f"{key} none" for key in partition_keys)


def print_data_quality(warnings: Sequence[tuple[str, str, str]], out: TextIO) -> None:
    """A line per country x wave x instrument with anything to say (quality/summary.py)."""
    import json

    from score_pipeline.quality.summary import NOTES_QUERY, quality_lines
    from score_pipeline.resources import WarehouseResource

    counts = json.loads(query_published("select * from marts.data_quality", "json"))
    with WarehouseResource().connect(read_only=True) as connection:
        notes = connection.execute(NOTES_QUERY).fetchall()
    lines = quality_lines(counts, notes, warnings)
    print(f"\nData quality (marts.data_quality; each row and cell set aside, with its reason: "
          f"{settings.field_checks_dir()}/<country>/<wave>.html)", file=out)
    print("\n".join(f"  {line}" for line in lines) if lines else "  nothing set aside, nothing to report", file=out)


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


def run_all_waves(out: TextIO | None = None) -> int:
    """Materialize every complete wave of every country, then the cross-wave marts and the publication.

    One run per country (its waves as one partition range): a country whose run fails does not stop the
    others, and the publication follows when at least one country's run succeeded (the failed country's
    published figures stay those of its last successful load)."""
    out = out or sys.stdout
    try:
        home = ensure_dagster_home()
    except InstanceHomeError as error:
        print(error, file=out)
        return 1
    from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
    from score_pipeline.definitions import defs
    from score_pipeline.core.programme import LayoutError, read_layout
    from score_pipeline.quality.summary import failed_warnings
    from score_pipeline.run_workers import process_tags
    from score_pipeline.core.waves import contiguous_blocks, wave_partitions

    raw_root = settings.raw_dir()
    try:
        layout = read_layout(raw_root)
    except LayoutError as error:
        print(error, file=out)
        return 1
    for reason in layout.refused.values():
        print(f"skipping {reason}", file=out)
    statuses = layout.drops(settings.corrections_dir())
    for orphan in layout.orphan_logs(raw_root, settings.corrections_dir()):
        print(f"note: corrections log {orphan}", file=out)
    for status in statuses:
        if not status.complete:
            print(f"skipping {status.partition_key}: " + "; ".join(status.problems), file=out)
    drops = {status.partition_key: status for status in statuses if status.complete}
    for drop in drops.values():
        if drop.unread_note:
            print(f"note {drop.partition_key}: {drop.unread_note}", file=out)
    if not drops:
        print(f"no complete wave drop under {raw_root}", file=out)
        return 1
    instance = instance_in(home)
    for run_id in fail_abandoned_runs(instance):
        print(f"run {run_id} was abandoned by a process that ended (killed?): marked failed, its pool slot freed",
              file=out)
    known = instance.get_dynamic_partitions(wave_partitions.name)
    instance.add_dynamic_partitions(wave_partitions.name, [key for key in drops if key not in known])
    ordered = instance.get_dynamic_partitions(wave_partitions.name)
    wave_job, evaluation_job = defs.resolve_job_def(WAVE_JOB), defs.resolve_job_def(EVALUATION_JOB)
    log_path = home / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    failed: list[str] = []
    warnings: list[tuple[str, str, str]] = []
    succeeded = 0
    # What runs print (dbt, Dagster's own error reports with their stack traces) goes to the log; the
    # terminal gets one line per run and, on failure, one sentence per reason.
    with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        for country in layout.countries:
            for keys in contiguous_blocks(ordered, [key for key in drops if drops[key].country == country.code]):
                print(f"{country.name} ({country.code}) waves {', '.join(drops[key].wave for key in keys)}: "
                      "ingest, checks, wave-level models ...", file=out, flush=True)
                step_started = time.monotonic()
                tags = {**process_tags(), **range_tags(keys)}
                for key in keys:
                    tags.update(drops[key].run_tags)
                result = execute_with_progress(wave_job, instance, tags, out)
                if not result.success:
                    failed.append(country.code)
                    report_failure(f"      the wave run of {country.code} failed (run {result.run_id}).", result, log_path, out)
                    continue
                succeeded += 1
                warnings += failed_warnings(result.get_asset_check_evaluations())
                print(f"      done in {timing_line(instance, result.run_id, time.monotonic() - step_started)}",
                      file=out, flush=True)
                print(f"      corrections: {corrections_line(keys)}", file=out, flush=True)
                print(f"      field checks: {settings.field_checks_dir()}/<country>/<wave>.html", file=out, flush=True)
        if not succeeded:
            print("nothing was published: no wave run succeeded.", file=out)
            return 1
        print("cross-wave marts, statistics, publication ...", file=out, flush=True)
        step_started = time.monotonic()
        result = execute_with_progress(evaluation_job, instance, process_tags(), out)
    if not result.success:
        published = [event.step_key for event in result.all_events
                     if event.is_step_success and stage_of(event.step_key) == "publication"]
        outcome = (f"published before it failed: {', '.join(published)}" if published
                   else "the previous publication is untouched")
        return report_failure(f"the evaluation run failed (run {result.run_id}); {outcome}.", result, log_path, out)
    print(f"      done in {timing_line(instance, result.run_id, time.monotonic() - step_started)}", file=out)
    print(f"\n{len(drops)} waves of {len(layout.countries)} countries in {time.monotonic() - started:.0f} s. Published:\n"
          f"  {settings.published_database()}\n  {settings.publish_dir()}/<mart>.parquet\n"
          f"  {settings.publish_dir()}/report.html (report.es.html in Spanish)\n"
          f"  {settings.publish_dir()}/docs/index.html (what each column means)\n"
          f"  {settings.publish_dir()}/traces.html (where each headline figure comes from: score-pipeline trace)\n",
          file=out)
    for country in layout.countries:
        print(f"{country.name} ({country.code}, {country.currency})", file=out)
        print(query_published(HEADLINE_QUERY, "table", [country.code]) + "\n", file=out)
    print("The programme (marts.programme_summary)", file=out)
    print(query_published(PROGRAMME_QUERY, "table"), file=out)
    print_data_quality(warnings, out)
    if failed:
        print(f"\nthe wave runs of {', '.join(sorted(set(failed)))} failed (above): their published figures are those of "
              "their last successful load.", file=out)
        return 1
    return 0


def list_waves(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from score_pipeline.core.programme import LayoutError, read_layout

    try:
        layout = read_layout(settings.raw_dir())
    except LayoutError as error:
        print(error, file=out)
        return 1
    for reason in layout.refused.values():
        print(f"REFUSED {reason}", file=out)
    for status in layout.drops():
        print(f"{status.partition_key}: {'complete' if status.complete else 'NOT READY - ' + '; '.join(status.problems)}",
              file=out)
        if status.unread_note:
            print(f"  note: {status.unread_note}", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="score-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="materialize every complete wave end to end and publish the marts",
        description="Materialize every complete wave of every country of the raw root (SCORE_RAW_DIR): one run per "
                    "country (ingest, checks, wave-level models), then the cross-wave marts, the statistics and the "
                    "publication (SCORE_PUBLISH_DIR), with a line per step as it ends and the headline tables at the "
                    "end. The runs are recorded in the Dagster instance of DAGSTER_HOME; unset, the project's "
                    ".dagster/ for the default warehouse, dagster_home/ beside any other (SCORE_WAREHOUSE).")
    sql = commands.add_parser(
        "sql", help="query the published marts (or --warehouse), read-only; without a query, a prompt",
        description="Query the published marts (score_marts.duckdb), or with --warehouse the working warehouse, "
                    "read-only and nothing else: a statement that reads or writes another file, attaches a "
                    "database, loads an extension or changes a setting is refused. Without a query, statements "
                    "ended by ; from a prompt or from standard input.")
    sql.add_argument("query", nargs="?", help='e.g. "select * from marts.headline_indicators"; none: statements '
                                              "ended by ; from a prompt (with history) or from standard input")
    sql.add_argument("--format", choices=FORMATS, default="table",
                     help="table and markdown round numbers for reading; csv and json keep every digit")
    sql.add_argument("--warehouse", action="store_true",
                     help="query the working warehouse instead, read-only: the data team's raw.rejects, "
                          "raw.corrections ... (firm-level rows, never published)")
    trace = commands.add_parser(
        "trace", help="where a published figure comes from: its models and columns down to the extracts' columns",
        description="Where a published figure comes from: the chain of models and columns it is computed from, "
                    "down to the raw table, the ingest asset that loads it and the extract's column it reads. Give "
                    "the figure's row as column=value when the mart holds several figures in one column.")
    trace.add_argument("figure", help="<schema>.<relation>.<column>, e.g. marts.kpi_change.mean_pct_change")
    trace.add_argument("rows", nargs="*", metavar="column=value",
                       help="the figure's row, e.g. indicator=accidents (of marts.headline_indicators)")
    commands.add_parser(
        "waves", help="list the wave folders of the raw root and whether each drop is complete",
        description="List the wave folders of the raw root (SCORE_RAW_DIR), country by country, and whether each "
                    "drop is complete (its SHA256SUMS verifies), naming what is missing or wrong.")
    # Its own parser (score_pipeline/sample_data) reads the arguments and prints its description on --help.
    commands.add_parser("sample-data", help="write the sample extracts (see --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "sample-data":
        from score_pipeline.sample_data.__main__ import main as sample_main

        return sample_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return dispatch(args)
    except settings.SettingError as error:  # a user's setting: one sentence, no stack trace
        print(error, file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command."""
    if args.command == "run":
        return run_all_waves()
    if args.command == "waves":
        return list_waves()
    if args.command == "trace":
        return print_trace(args.figure, args.rows)
    database = settings.warehouse_path() if args.warehouse else settings.published_database()
    if args.query is None:
        from score_pipeline.prompt import interactive

        return interactive(args.format, database)
    return print_query(args.query, args.format, database)


def print_trace(figure: str, conditions: Sequence[str]) -> int:
    """The figure's trace from the published docs' manifest and catalog (lineage/)."""
    from score_pipeline.lineage.render import text_tree
    from score_pipeline.lineage.sql import LineageError
    from score_pipeline.lineage.trace import Project, parse_figure, parse_rows
    from score_pipeline.query import published_values

    try:
        relation, column = parse_figure(figure)
        traced = Project.published(settings.docs_dir()).trace(
            relation, column, parse_rows(list(conditions)), functools.partial(published_values, settings.published_database()))
    except LineageError as error:
        print(error, file=sys.stderr)
        return 2
    print(text_tree(traced))
    return 0


def print_query(query: str, output_format: str, database: Path) -> int:
    try:
        text = query_database(database, query, output_format)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    except Exception as error:  # a query error from DuckDB: say it plainly
        print(failure_line(error), file=sys.stderr)
        return 2
    try:
        print(text, flush=True)
    except BrokenPipeError:  # `| head` closed the pipe: stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 0


if __name__ == "__main__":
    sys.exit(main())
