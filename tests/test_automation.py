"""The drop sensor, the nightly schedule, and overlapping runs that cannot lock up the warehouse."""

from __future__ import annotations

import hashlib

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import RAW, SAMPLE_CORRECTIONS, PipelineRun, copy_wave
from dagster import (
    DagsterEvent, DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunRequest, SkipReason,
    build_schedule_context, build_sensor_context,
)
from dagster._core.utils import make_new_run_id

from score_pipeline.automation import (
    EVALUATION_JOB, WAVE_JOB, nightly_latest_wave, publication_due, publish_after_waves, wave_drop_sensor,
)
from score_pipeline.core.waves import CORRECTIONS_TAG, DROP_TAG, wave_partitions
from score_pipeline.sample_data.extracts import write_sha256sums


def evaluate(instance: DagsterInstance):
    return wave_drop_sensor(build_sensor_context(instance=instance, resources=RAW))


RUN_EVENTS = {DagsterRunStatus.STARTED: [DagsterEventType.RUN_START],
              DagsterRunStatus.SUCCESS: [DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS]}


def record_run(instance: DagsterInstance, job: str, status: DagsterRunStatus, tags: dict[str, str] | None = None) -> str:
    """A run in the instance's storage as a run that got to `status` leaves it (start and end events)."""
    run = DagsterRun(job_name=job, run_id=make_new_run_id(), status=DagsterRunStatus.NOT_STARTED, tags=tags or {})
    instance.add_run(run)
    for event_type in RUN_EVENTS[status]:
        time.sleep(0.01)
        instance.run_storage.handle_run_event(run.run_id, DagsterEvent(event_type.value, job_name=job))
    return run.run_id


def test_the_sensor_starts_a_run_per_drop_no_run_has_ingested(isolated: Path) -> None:
    instance = DagsterInstance.get()
    folder = copy_wave("2017-baseline", isolated / "raw")
    half_copied = copy_wave("2018-midterm", isolated / "raw")
    (half_copied / "SHA256SUMS").unlink()  # still being copied

    first = evaluate(instance)
    assert [r.partition_key for r in first.run_requests] == ["pe/2017-baseline"]
    assert first.dynamic_partitions_requests[0].partition_keys == ["pe/2017-baseline"]
    tags = first.run_requests[0].tags
    drop_tag, corrections_tag = f"{DROP_TAG}/pe/2017-baseline", f"{CORRECTIONS_TAG}/pe/2017-baseline"
    assert tags[drop_tag] == hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()
    assert tags[corrections_tag] == "none"  # no corrections log for the wave

    # A new daemon starts with an empty cursor: what decides is whether a run carries the drop's tag.
    instance.add_dynamic_partitions(wave_partitions.name, ["pe/2017-baseline"])
    record_run(instance, WAVE_JOB, DagsterRunStatus.SUCCESS, {drop_tag: tags[drop_tag], corrections_tag: "none"})
    idle = evaluate(instance)
    assert not idle.run_requests  # nothing new, and the tick history says why the midterm waits
    assert idle.skip_reason.skip_message == "not a complete wave drop: pe/2018-midterm: SHA256SUMS is missing: the drop is not complete"

    with (folder / "autoevaluacion.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert not evaluate(instance).run_requests  # a mismatch is not a drop
    write_sha256sums(folder)
    write_sha256sums(half_copied)
    changed = evaluate(instance)
    assert sorted(r.partition_key for r in changed.run_requests) == ["pe/2017-baseline", "pe/2018-midterm"]
    assert changed.dynamic_partitions_requests[0].partition_keys == ["pe/2018-midterm"]


def test_after_make_run_the_sensors_have_nothing_to_do(pipeline: PipelineRun) -> None:
    """The session's instance as `make run` left it: a daemon starting now re-runs no wave and publishes nothing."""
    instance = DagsterInstance.get()
    drops = evaluate(instance)
    assert not drops.run_requests and drops.skip_reason.skip_message == "no new or changed complete wave drop"
    publication = publish_after_waves(build_sensor_context(instance=instance))
    assert isinstance(publication, SkipReason)


def test_a_batch_of_wave_runs_ends_in_one_publication(isolated: Path) -> None:
    instance = DagsterInstance.get()
    context = lambda: build_sensor_context(instance=instance)  # noqa: E731
    assert publish_after_waves(context()).skip_message == "no wave run has succeeded since the last publication"
    record_run(instance, EVALUATION_JOB, DagsterRunStatus.SUCCESS)
    done = [record_run(instance, WAVE_JOB, DagsterRunStatus.SUCCESS) for _ in range(2)]
    running = record_run(instance, WAVE_JOB, DagsterRunStatus.STARTED)
    assert "1 wave run(s) queued or running" in publish_after_waves(context()).skip_message
    instance.delete_run(running)
    last = record_run(instance, WAVE_JOB, DagsterRunStatus.SUCCESS)
    request = publish_after_waves(context())
    assert isinstance(request, RunRequest) and request.run_key == f"after:{last}"
    assert done[0] != last
    record_run(instance, EVALUATION_JOB, DagsterRunStatus.STARTED)  # the publication it asked for
    assert isinstance(publish_after_waves(context()), SkipReason)


def test_publication_due_waits_for_the_batch() -> None:
    assert isinstance(publication_due(2, ["b", "a"]), SkipReason)
    assert isinstance(publication_due(0, []), SkipReason)
    assert publication_due(0, ["b", "a"]).run_key == "after:b"


def test_the_schedule_reruns_the_latest_wave(isolated: Path) -> None:
    copy_wave("2017-baseline", isolated / "raw")
    copy_wave("2019-endline", isolated / "raw")
    requests = nightly_latest_wave(build_schedule_context(instance=DagsterInstance.get(), resources=RAW))
    assert [request.partition_key for request in requests] == ["pe/2019-endline"]


def test_two_waves_run_at_once_without_lock_errors(isolated: Path) -> None:
    for wave in ("2017-baseline", "2018-midterm"):
        copy_wave(wave, isolated / "raw")
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(wave_partitions.name, ["pe/2017-baseline", "pe/2018-midterm"])
    script = Path(__file__).with_name("run_wave.py")
    runs = [subprocess.Popen([sys.executable, str(script), wave], env=os.environ.copy(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for wave in ("pe/2017-baseline", "pe/2018-midterm")]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert not any("Could not set lock" in output for output in outputs)
    with duckdb.connect(os.environ["SCORE_WAREHOUSE"], read_only=True) as connection:
        waves = connection.execute("select wave, count(*) from marts.enterprise_scores group by wave order by wave").fetchall()
    assert waves == [("2017-baseline", 52), ("2018-midterm", 52)]
    blocked = [r for run in instance.get_runs() for r in instance.all_logs(run.run_id)
               if "blocked by limit for pool duckdb_warehouse" in (r.user_message or "")]
    assert blocked, "the runs overlapped without the pool serialising their warehouse steps"


def test_a_changed_corrections_log_runs_its_wave_again(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contract 5: a changed log is new data for its wave; the run carries the log version it was started for."""
    instance = DagsterInstance.get()
    monkeypatch.setenv("SCORE_CORRECTIONS_DIR", str(isolated / "corrections"))
    copy_wave("2017-baseline", isolated / "raw")
    request = evaluate(instance).run_requests[0]
    instance.add_dynamic_partitions(wave_partitions.name, ["pe/2017-baseline"])
    record_run(instance, WAVE_JOB, DagsterRunStatus.SUCCESS, request.tags)
    assert not evaluate(instance).run_requests

    log = isolated / "corrections" / "2017-baseline.csv"
    log.parent.mkdir()
    shutil.copy(SAMPLE_CORRECTIONS / "2017-baseline.csv", log)  # the shipped sample's log arrives
    again = evaluate(instance).run_requests
    assert [r.partition_key for r in again] == ["pe/2017-baseline"]
    assert again[0].tags[f"{CORRECTIONS_TAG}/pe/2017-baseline"] == hashlib.sha256(log.read_bytes()).hexdigest()
    record_run(instance, WAVE_JOB, DagsterRunStatus.SUCCESS, again[0].tags)
    assert not evaluate(instance).run_requests

    with log.open("a", encoding="utf-8") as handle:  # a data manager adds a line
        handle.write("perfil_empresa,20818446340,N° trabajadores,confirm,56,,Ana,2017-07-01,checked by phone\n")
    assert [r.partition_key for r in evaluate(instance).run_requests] == ["pe/2017-baseline"]


def test_a_log_no_wave_is_named_after_is_reported(isolated: Path) -> None:
    """A log saved under a mistyped wave name applies to nothing: the sensor's tick history says so."""
    instance = DagsterInstance.get()
    copy_wave("2017-baseline", isolated / "raw")
    request = evaluate(instance).run_requests[0]
    instance.add_dynamic_partitions(wave_partitions.name, ["pe/2017-baseline"])
    record_run(instance, WAVE_JOB, DagsterRunStatus.SUCCESS, request.tags)
    (isolated / "corrections").mkdir()
    shutil.copy(SAMPLE_CORRECTIONS / "2017-baseline.csv", isolated / "corrections" / "2017-baseline .csv")
    idle = evaluate(instance)
    assert not idle.run_requests
    assert idle.skip_reason.skip_message == (
        f"2017-baseline .csv: no wave folder '2017-baseline ' under {isolated / 'raw'}: applied to nothing")


def test_the_sensors_keep_their_intervals_unless_the_setting_shortens_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production ticks: a minute for drops, half a minute for the publication; SCORE_SENSOR_INTERVAL_SECONDS (the
    deployment tests) replaces both, and a value that is not a whole number of seconds is one sentence naming it."""
    from score_pipeline import settings

    assert (wave_drop_sensor.minimum_interval_seconds, publish_after_waves.minimum_interval_seconds) == (60, 30)
    monkeypatch.setenv(settings.SENSOR_INTERVAL_ENV, "2")
    assert settings.sensor_interval(60) == 2
    for wrong in ("0", "1.5", "soon"):
        monkeypatch.setenv(settings.SENSOR_INTERVAL_ENV, wrong)
        with pytest.raises(settings.SettingError, match=f"^SCORE_SENSOR_INTERVAL_SECONDS='{wrong}': give a whole number"):
            settings.sensor_interval(60)
