"""The benchmark's parts that must stay true between `make bench` runs: its hand-written baseline
computes the same marts as the pipeline, and its memory sampler sees child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import PipelineRun

from score_pipeline.benchmark.measure import run_baseline, stage_of, tree_rss_bytes
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


def test_steps_map_to_the_stages_of_the_report() -> None:
    assert [stage_of(s) for s in ("raw__worker_survey", "validate_company_profile", "dbt_wave_models",
                                  "marts__score_change", "published__report")] == [
        "ingest", "checks", "dbt", "statistics", "publish"]
