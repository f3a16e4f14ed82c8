"""The drop sensor, the nightly schedule, and overlapping runs that cannot lock up the warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from conftest import copy_wave
from dagster import DagsterInstance, RunRequest, build_schedule_context, build_sensor_context

from score_pipeline.automation import nightly_latest_wave, wave_drop_sensor
from score_pipeline.sample_data.extracts import write_sha256sums


def evaluate(cursor: str | None, instance: DagsterInstance):
    return wave_drop_sensor(build_sensor_context(instance=instance, cursor=cursor))


def test_the_sensor_starts_a_run_per_new_or_changed_complete_drop(isolated: Path) -> None:
    instance = DagsterInstance.get()
    folder = copy_wave("2017-baseline", isolated / "raw")
    half_copied = copy_wave("2018-midterm", isolated / "raw")
    (half_copied / "SHA256SUMS").unlink()  # still being copied

    first = evaluate(None, instance)
    assert [r.partition_key for r in first.run_requests] == ["2017-baseline"]
    assert first.dynamic_partitions_requests[0].partition_keys == ["2017-baseline"]

    instance.add_dynamic_partitions("wave", ["2017-baseline"])
    idle = evaluate(first.cursor, instance)
    assert not idle.run_requests  # nothing new, and the tick history says why the midterm waits
    assert idle.skip_reason.skip_message == "not a complete wave drop: 2018-midterm: SHA256SUMS is missing: the drop is not complete"

    with (folder / "autoevaluacion.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert not evaluate(first.cursor, instance).run_requests  # a mismatch is not a drop
    write_sha256sums(folder)
    write_sha256sums(half_copied)
    changed = evaluate(first.cursor, instance)
    assert sorted(r.partition_key for r in changed.run_requests) == ["2017-baseline", "2018-midterm"]
    assert changed.dynamic_partitions_requests[0].partition_keys == ["2018-midterm"]


def test_the_schedule_reruns_the_latest_wave(isolated: Path) -> None:
    copy_wave("2017-baseline", isolated / "raw")
    copy_wave("2019-endline", isolated / "raw")
    request = nightly_latest_wave(build_schedule_context(instance=DagsterInstance.get()))
    assert isinstance(request, RunRequest) and request.partition_key == "2019-endline"


def test_two_waves_run_at_once_without_lock_errors(isolated: Path) -> None:
    for wave in ("2017-baseline", "2018-midterm"):
        copy_wave(wave, isolated / "raw")
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("wave", ["2017-baseline", "2018-midterm"])
    script = Path(__file__).with_name("run_wave.py")
    runs = [subprocess.Popen([sys.executable, str(script), wave], env=os.environ.copy(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for wave in ("2017-baseline", "2018-midterm")]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert not any("Could not set lock" in output for output in outputs)
    with duckdb.connect(os.environ["SCORE_WAREHOUSE"], read_only=True) as connection:
        waves = connection.execute("select wave, count(*) from marts.enterprise_scores group by wave order by wave").fetchall()
    assert waves == [("2017-baseline", 52), ("2018-midterm", 52)]
    blocked = [r for run in instance.get_runs() for r in instance.all_logs(run.run_id)
               if "blocked by limit for pool duckdb_warehouse" in (r.user_message or "")]
    assert blocked, "the runs overlapped without the pool serialising their warehouse steps"
