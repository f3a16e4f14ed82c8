"""One benchmark size, in a process of its own: the pipeline end to end (`score-pipeline run`) under
a memory sampler, its time and peak memory per stage from the run's event log, then the baseline
SQL script on the same raw tables. Writes a JSON result.

    python -m score_pipeline.benchmark.measure RESULT.json   (paths from the SCORE_* variables)
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from score_pipeline import settings
from score_pipeline.running import pipeline_process, stage_of

BASELINE_SQL = Path(__file__).with_name("baseline.sql")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (started by any of its threads), from /proc."""
    children = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # the process ended meanwhile
        return []
    for task in tasks:
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # the thread ended meanwhile
            continue
    return children


@dataclass(frozen=True)
class Memory:
    """A process tree's memory, two ways: `pss` (proportional set size) counts a page that n processes share as
    1/n in each, so the tree's sum is what it takes of the machine's memory; `rss` counts a shared page once per
    process, so a process forked from another (the report's drawing process, forked from the report's step)
    counts the pages they share again."""

    rss: int = 0
    pss: int = 0

    def __add__(self, other: Memory) -> Memory:
        return Memory(self.rss + other.rss, self.pss + other.pss)


def process_memory(pid: int) -> Memory:
    """One process's resident and proportional memory, from /proc/<pid>/smaps_rollup (kB); none if it ended."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return Memory()
    fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in lines if line.startswith(("Rss:", "Pss:"))}
    return Memory(fields.get("Rss", 0), fields.get("Pss", 0))


def tree_memory(pid: int) -> Memory:
    """The memory of a process and all its descendants."""
    total, pending = Memory(), [pid]
    while pending:
        current = pending.pop()
        total += process_memory(current)
        pending += child_pids(current)
    return total


@dataclass
class MemorySampler:
    """Samples the memory of this process tree every `interval` seconds in a background thread."""

    interval: float = 0.25  # a step lasts seconds; sampling the /proc tree more often slows the run it measures
    samples: list[tuple[float, Memory]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), tree_memory(os.getpid())))
            time.sleep(self.interval)

    def peak(self, start: float = 0.0, end: float = float("inf"), kind: str = "pss") -> int:
        return max((getattr(memory, kind) for t, memory in self.samples if start <= t <= end), default=0)

    def peaks_mb(self, start: float = 0.0, end: float = float("inf")) -> dict[str, float]:
        """The peak between `start` and `end` as the results name it: PSS (`peak_mb`) and the RSS summed."""
        return {"peak_mb": self.peak(start, end) / 2**20, "peak_rss_sum_mb": self.peak(start, end, "rss") / 2**20}


def step_intervals(run_ids: list[str]) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of the runs, from the instance's event log."""
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.get()
    intervals = []
    for run_id in run_ids:
        started = {}
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started[event.step_key] = record.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                intervals.append((event.step_key, started[event.step_key], record.timestamp))
    return intervals


def run_pipeline() -> dict[str, object]:
    from dagster import DagsterInstance

    from score_pipeline.running import run_programme

    began = time.time()
    with MemorySampler() as sampler:
        out = io.StringIO()
        code = run_programme(out).code
    ended = time.time()
    if code != 0:
        raise SystemExit(f"the pipeline failed:\n{out.getvalue()}")
    runs = [r.run_id for r in DagsterInstance.get().get_runs()]  # the instance is this measurement's own
    stages: dict[str, dict[str, float]] = {}
    for step, start, end in step_intervals(runs):
        stage = stages.setdefault(stage_of(step), {"seconds": 0.0, "peak_mb": 0.0, "peak_rss_sum_mb": 0.0})
        stage["seconds"] += end - start
        stage.update({kind: max(stage[kind], peak) for kind, peak in sampler.peaks_mb(start, end).items()})
    stages["orchestration"] = {"seconds": ended - began - sum(s["seconds"] for s in stages.values()), **sampler.peaks_mb()}
    return {"wall_seconds": ended - began, **sampler.peaks_mb(), "stages": stages, "wave_run_seconds": wave_run_seconds()}


def wave_run_seconds() -> list[float]:
    """How long each wave run took (one per country under `make run`), in the order they ran."""
    from dagster import DagsterInstance, RunsFilter

    from score_pipeline.automation import WAVE_JOB

    records = DagsterInstance.get().get_run_records(RunsFilter(job_name=WAVE_JOB), ascending=True)
    return [record.end_time - record.start_time for record in records]


def run_one_more_wave() -> float:
    """Seconds for what the drop sensor starts when one wave arrives and the others are loaded: the
    wave run of one partition (its dbt build gets that wave in `--vars`), then the publication run.
    The latest wave stands in for the new one (the same work); imports are already warm here."""
    from dagster import DagsterInstance

    from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
    from score_pipeline.running import QUIET_RUN_CONFIG
    from score_pipeline.definitions import defs
    from score_pipeline.core.waves import wave_partitions

    instance = DagsterInstance.get()
    latest = instance.get_dynamic_partitions(wave_partitions.name)[-1]
    began = time.time()
    for job, partition in ((WAVE_JOB, latest), (EVALUATION_JOB, None)):
        result = defs.resolve_job_def(job).execute_in_process(instance=instance, partition_key=partition,
                                                              run_config=QUIET_RUN_CONFIG, raise_on_error=False)
        if not result.success:
            raise SystemExit(f"{job} failed on the one-more-wave measurement")
    return time.time() - began


def raw_row_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [t for (t,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1").fetchall()]
        return {t: connection.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}


def run_baseline(warehouse: Path, scratch: Path) -> tuple[float, dict[str, str]]:
    """The baseline script on a copy of the warehouse (same DuckDB settings as the pipeline), and how
    each of its marts compares with the pipeline's on the columns both have."""
    from score_pipeline.resources import DETERMINISTIC

    copy = scratch / "warehouse_for_the_baseline.duckdb"
    shutil.copy(warehouse, copy)
    began = time.perf_counter()
    with duckdb.connect(str(copy), config=DETERMINISTIC) as connection:
        connection.execute(BASELINE_SQL.read_text(encoding="utf-8"))
        seconds = time.perf_counter() - began
        comparison = {mart: compare(connection, mart) for (mart,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'baseline' and table_name in "
            "(select table_name from duckdb_tables() where schema_name = 'marts') order by 1").fetchall()}
    copy.unlink()
    return seconds, comparison


def compare(connection: duckdb.DuckDBPyConnection, mart: str) -> str:
    """'equal (n rows, k columns)' when both sides hold the same rows on their shared columns
    (doubles to 6 decimals: they differ only by float noise), else how many rows differ."""
    columns = connection.execute(
        "select column_name, any_value(data_type) from duckdb_columns() where table_name = ? "
        "and schema_name in ('marts', 'baseline') group by column_name having count(*) = 2 order by 1", [mart]).fetchall()
    select = ", ".join(f'round("{c}", 6) as "{c}"' if kind == "DOUBLE" else f'"{c}"' for c, kind in columns)
    differing = connection.execute(f"""
        select (select count(*) from (select {select} from marts.{mart} except all select {select} from baseline.{mart}))
             + (select count(*) from (select {select} from baseline.{mart} except all select {select} from marts.{mart}))
    """).fetchone()[0]
    rows = connection.execute(f"select count(*) from marts.{mart}").fetchone()[0]
    return f"equal ({rows} rows, {len(columns)} columns)" if not differing else f"{differing} rows differ"


def main(argv: list[str]) -> int:
    result_path = Path(argv[0])
    with pipeline_process():  # as `score-pipeline run` runs it
        pipeline = run_pipeline()
        one_more_wave = run_one_more_wave()
    warehouse = settings.warehouse_path()
    baseline_seconds, comparison = run_baseline(warehouse, result_path.parent)
    result = {**pipeline, "one_more_wave_seconds": one_more_wave, "raw_rows": raw_row_counts(warehouse), "baseline_seconds": baseline_seconds,
              "baseline_comparison": comparison}
    result_path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
