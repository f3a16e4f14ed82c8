"""Faults: a run killed in the middle of dbt, a wave re-run twice, a new wave dropped in.

What must hold: the publication is never damaged by a run that did not finish, the next run
completes on its own, and the marts change only where the data did (to the last bit: the same
data gives byte-identical Parquet files)."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_CORRECTIONS, SAMPLE_RAW, SAMPLE_WAVES, PipelineRun, digests, publish_from
from dagster import DagsterInstance
from reference import Reference

from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
from score_pipeline.cli import run_all_waves
from score_pipeline.core.waves import wave_partitions
from score_pipeline.running import QUIET_RUN_CONFIG
from score_pipeline.publish.marts import PUBLISHED_MARTS
from score_pipeline.sample_data.extracts import write_sha256sums
from score_pipeline.settings import DBT_PROJECT_DIR
from score_pipeline.transform.resource import invoke

WAVE_MARTS = ("enterprise_scores", "category_scores")  # built by the wave runs, per wave


def parquet_digests(folder: Path) -> dict[str, str]:
    return {name: digest for name, digest in digests(folder).items() if name.endswith(".parquet")}


def wait_for_dbt(run: subprocess.Popen, timeout: float = 300) -> None:
    """Until dbt, inside the run's process, has begun building models: its log, in the invocation's target
    folder (named after the Dagster run), says so."""
    deadline = time.monotonic() + timeout
    while not any(re.search(r"\b1 of \d+ START ", log.read_text(errors="replace")) for log in dbt_logs_of(run.pid)):
        assert run.poll() is None, "the run ended before dbt started"
        assert time.monotonic() < deadline, "dbt never started"
        time.sleep(0.05)


def dbt_logs_of(pid: int) -> list[Path]:
    runs = [r for r in DagsterInstance.get().get_runs() if r.tags.get("score-pipeline/pid") == str(pid)]
    return [log for r in runs for log in (DBT_PROJECT_DIR / "target").glob(f"{r.run_id[:8]}-*/dbt.log")]


def test_a_run_killed_during_dbt_leaves_the_publication_and_the_next_run_completes(
        pipeline: PipelineRun, isolated: Path) -> None:
    """The warehouse and publication of the session, and a raw root with the endline only: the runs
    re-run that wave over every wave's data, so the next run must publish exactly the same marts."""
    shutil.copytree(SAMPLE_RAW / "2019-endline", isolated / "raw" / "2019-endline")
    warehouse, published = Path(os.environ["SCORE_WAREHOUSE"]), Path(os.environ["SCORE_PUBLISH_DIR"])
    warehouse.parent.mkdir(parents=True)
    shutil.copy(pipeline.warehouse, warehouse)
    publish_from(warehouse, published)
    before = digests(published)

    run = subprocess.Popen([sys.executable, "-m", "score_pipeline.cli", "run"], env=os.environ.copy(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_dbt(run)
    time.sleep(1.0)  # well into the build
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert digests(published) == before

    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()  # frees the dead run's pool slot
    assert "was abandoned by a process that ended" in out.getvalue()
    assert parquet_digests(published) == parquet_digests(pipeline.publish_dir)
    assert not [p for p in published.iterdir() if p.name.startswith(".staging")]
    abandoned = [r for r in DagsterInstance.get().get_runs() if r.tags.get("score-pipeline/pid") == str(run.pid)]
    assert abandoned and all(r.is_failure for r in abandoned)


def run_job(name: str, **kwargs) -> None:
    from score_pipeline.definitions import defs

    result = defs.resolve_job_def(name).execute_in_process(instance=DagsterInstance.get(), run_config=QUIET_RUN_CONFIG,
                                                           raise_on_error=False, **kwargs)
    assert result.success, name


def table(database: Path, mart: str, country: str | None = None) -> pd.DataFrame:
    """A mart, sorted; one country's rows without the column when `country` is given."""
    with duckdb.connect(str(database), read_only=True) as connection:
        if country is None:
            return connection.execute(f"select * from marts.{mart} order by all").df()
        return connection.execute(f"select * exclude (country) from marts.{mart} where country = ? order by all",
                                  [country]).df()


@pytest.fixture
def own_warehouse(pipeline: PipelineRun, isolated: Path) -> Path:
    """A copy of the session's warehouse, with the sample's waves registered in an instance of its own."""
    warehouse = Path(os.environ["SCORE_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    shutil.copy(pipeline.warehouse, warehouse)
    DagsterInstance.get().add_dynamic_partitions(wave_partitions.name, [f"pe/{wave}" for wave in SAMPLE_WAVES])
    return warehouse


def test_a_wave_rerun_twice_then_a_new_wave_changes_only_what_it_should(
        pipeline: PipelineRun, own_warehouse: Path, tmp_path: Path) -> None:
    """Re-runs change nothing (the marts after a re-run and republication are byte-identical Parquet:
    test_a_run_killed_during_dbt...); a new wave adds its rows and becomes the endline, nothing else."""
    raw = tmp_path / "raw"  # the isolated raw root, with the sample's corrections logs as the session ran it
    for wave in ("2017-baseline", "2018-midterm", "2019-endline"):
        shutil.copytree(SAMPLE_RAW / wave, raw / wave)
    corrections = shutil.copytree(SAMPLE_CORRECTIONS, tmp_path / "corrections", dirs_exist_ok=True)
    session_marts = {mart: table(pipeline.warehouse, mart) for mart in PUBLISHED_MARTS}
    for _ in range(2):  # the second re-run starts from the first's result
        run_job(WAVE_JOB, partition_key="pe/2018-midterm")
        for mart in WAVE_MARTS:
            pd.testing.assert_frame_equal(table(own_warehouse, mart), session_marts[mart], check_exact=True)

    # A follow-up wave arrives: here the midterm's extracts again, so every figure it brings is known.
    shutil.copytree(SAMPLE_RAW / "2018-midterm", raw / "2021-followup")
    write_sha256sums(raw / "2021-followup")
    shutil.copy(corrections / "2018-midterm.csv", corrections / "2021-followup.csv")
    DagsterInstance.get().add_dynamic_partitions(wave_partitions.name, ["pe/2021-followup"])
    run_job(WAVE_JOB, partition_key="pe/2021-followup")
    run_job(EVALUATION_JOB)

    per_wave = ("enterprise_scores", "category_scores", "wave_summary", "business_results", "worker_satisfaction",
                "perceived_effects", "data_quality")
    for mart in per_wave:
        now, before = table(own_warehouse, mart), session_marts[mart]
        old_waves = now[now["wave"] != "2021-followup"].reset_index(drop=True)
        pd.testing.assert_frame_equal(old_waves, before, check_exact=True, obj=f"{mart}, waves already published")
        followup = now[now["wave"] == "2021-followup"].assign(wave="2018-midterm").reset_index(drop=True)
        midterm = before[before["wave"] == "2018-midterm"].reset_index(drop=True)
        pd.testing.assert_frame_equal(followup, midterm, check_exact=True, obj=f"{mart}, the new wave")

    # The endline is now the follow-up: the changes are those from the baseline to the midterm's data.
    midterm_as_endline = Reference(baseline_and(raw, "2018-midterm", tmp_path / "two_waves"))
    changes = table(own_warehouse, "score_change", "pe").set_index("code")
    for code in ("global", "m1", "m3.eficiencia"):
        pairs = midterm_as_endline.pairs(code)
        assert changes.loc[code, "n_pairs"] == len(pairs)
        assert changes.loc[code, "endline_mean"] == pytest.approx(pairs["endline"].mean(), abs=1e-9)
        assert changes.loc[code, "mean_change"] == pytest.approx(pairs["change"].mean(), abs=1e-9)
    headline = table(own_warehouse, "headline_indicators", "pe").set_index("indicator")
    assert headline.loc["global_score", "endline"] == pytest.approx(midterm_as_endline.global_mean(midterm_as_endline.endline))
    coverage = table(own_warehouse, "panel_coverage", "pe")
    assert "wave_2021_followup" in coverage.columns and coverage["wave_2021_followup"].notna().all()


def baseline_and(raw: Path, wave: str, root: Path) -> Path:
    """A raw root holding the baseline and one other wave, for the reference to take as the endline."""
    for name in ("2017-baseline", wave):
        shutil.copytree(raw / name, root / name)
    return root


def test_dbt_waits_out_a_lock_held_by_another_process(pipeline: PipelineRun, tmp_path: Path) -> None:
    """Another process holding DuckDB's lock (an analyst's writing session, a killed run not yet gone): the
    pipeline's dbt must wait for it (profiles.yml `retries`), not fail."""
    warehouse = tmp_path / "score.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print('locked', flush=True); "
                               "time.sleep(15); c.close()"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with mock.patch.dict(os.environ, {"SCORE_WAREHOUSE": str(warehouse)}):
            result = invoke(DBT_PROJECT_DIR, tmp_path, ["build", "--select", "data_quality", "--exclude-resource-type",
                                                       "unit_test"])
            holder_gone = holder.poll() is not None
    finally:
        holder.wait(timeout=60)
    assert result.success, result.exception
    assert {r.node.unique_id: str(r.status) for r in result.result.results}["model.score.data_quality"] == "success"
    assert holder_gone  # dbt finished after the holder let go (15 s after it locked): it waited
