"""The benchmark's parts that must stay true between `make bench` runs: its hand-written baseline
computes the same marts as the pipeline, and its memory sampler sees child processes, counting the pages they share once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import PipelineRun

from score_pipeline.benchmark.measure import run_baseline, tree_memory
from score_pipeline.running import stage_of
from score_pipeline.publish.marts import PUBLISHED_MARTS


def test_the_baseline_script_computes_every_mart_as_the_pipeline_does(pipeline: PipelineRun, tmp_path: Path) -> None:
    _, comparison = run_baseline(pipeline.warehouse, tmp_path)
    assert set(comparison) == set(PUBLISHED_MARTS)
    assert {mart: verdict for mart, verdict in comparison.items() if not verdict.startswith("equal")} == {}


def test_memory_of_the_process_tree_includes_children() -> None:
    alone = tree_memory(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(200 * 2**20); import time; time.sleep(30)"])
    try:
        for _ in range(100):
            if tree_memory(os.getpid()).pss > alone.pss + 150 * 2**20:
                break
            time.sleep(0.05)
        grown = tree_memory(os.getpid())
        assert grown.pss > alone.pss + 150 * 2**20 and grown.rss > alone.rss + 150 * 2**20
    finally:
        child.kill()
        child.wait()


def test_pages_a_forked_child_shares_count_once_in_pss_and_twice_in_rss() -> None:
    """200 MiB written by a process, then shared with a child forked from it (copy on write, untouched by the
    child): the kernel's accounting counts them once across the two in PSS, in each of them in RSS."""
    script = ("import os, sys, time\nblock = bytearray(os.urandom(1024)) * (200 * 1024)\npid = os.fork()\n"
              "if pid == 0:\n    time.sleep(30)\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        parent.stdout.readline()  # the child is forked
        tree = tree_memory(parent.pid)
        assert tree.rss > 2 * 200 * 2**20  # the block in each process
        assert 200 * 2**20 < tree.pss < 1.5 * 200 * 2**20  # the block once
    finally:
        parent.kill()
        parent.wait()


def test_every_step_of_the_jobs_maps_to_a_stage_of_the_report() -> None:
    from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
    from score_pipeline.benchmark.__main__ import STAGE_ORDER
    from score_pipeline.definitions import defs

    steps = {job: [node.name for node in defs.resolve_job_def(job).graph.nodes] for job in (WAVE_JOB, EVALUATION_JOB)}
    assert {stage_of(step) for step in steps[WAVE_JOB]} == {"ingest", "dbt", "field checks"}
    assert {stage_of(step) for step in steps[EVALUATION_JOB]} == {"dbt", "statistics", "publication"}
    assert {"ingest", "dbt", "field checks", "statistics", "publication"} < set(STAGE_ORDER)
