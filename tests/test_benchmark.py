"""The benchmark's parts that must stay true between `make bench` runs: its hand-written baseline
computes the same marts as the pipeline, and its memory sampler sees child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import PipelineRun

from score_pipeline.benchmark.measure import run_baseline, tree_rss_bytes
from score_pipeline.running import stage_of
from score_pipeline.publish.marts import PUBLISHED_MARTS


def test_the_baseline_script_computes_every_mart_as_the_pipeline_does(pipeline: PipelineRun, tmp_path: Path) -> None:
    _, comparison = run_baseline(pipeline.warehouse, tmp_path)
    assert set(comparison) == set(PUBLISHED_MARTS)
    assert {mart: verdict for mart, verdict in comparison.items() if not verdict.startswith("equal")} == {}


def test_memory_of_the_process_tree_includes_children() -> None:
    alone = tree_rss_bytes(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(200 * 2**20); import time; time.sleep(30)"])
    try:
        for _ in range(100):
            if tree_rss_bytes(os.getpid()) > alone + 150 * 2**20:
                break
            time.sleep(0.05)
        assert tree_rss_bytes(os.getpid()) > alone + 150 * 2**20
    finally:
        child.kill()
        child.wait()


def test_every_step_of_the_jobs_maps_to_a_stage_of_the_report() -> None:
    from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
    from score_pipeline.benchmark.__main__ import STAGE_ORDER
    from score_pipeline.definitions import defs

    steps = {job: [node.name for node in defs.resolve_job_def(job).graph.nodes] for job in (WAVE_JOB, EVALUATION_JOB)}
    assert {stage_of(step) for step in steps[WAVE_JOB]} == {"ingest", "dbt", "field checks"}
    assert {stage_of(step) for step in steps[EVALUATION_JOB]} == {"dbt", "statistics", "publication"}
    assert {"ingest", "dbt", "field checks", "statistics", "publication"} < set(STAGE_ORDER)
