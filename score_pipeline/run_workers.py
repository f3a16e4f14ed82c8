"""Which process runs a run, and whether it is still there.

A run worker that dies (killed, out of memory, its host's services stopped together) leaves its run
STARTED and its `duckdb_warehouse` pool slot claimed, so every later run waits. Each run records the
process that executes it in two tags, from the process itself (`record_worker`, called when the warehouse
resource is set up in the run worker; `make run` tags its runs when it creates them). From those tags,
`score-pipeline run` fails its own abandoned runs when it starts (running.fail_abandoned_runs), and the
shared deployment's run monitoring asks `ProcessCheckedRunLauncher` whether a run's worker is alive.

The launcher's health check answers with dagster's private `dagster._core.launcher.CheckRunHealthResult` /
`WorkerStatus`, imported here only; tests/test_deployment.py
(test_the_launcher_reports_a_run_dead_only_when_its_recorded_worker_of_this_host_is_gone) fails if they move.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from dagster import DagsterInstance, DagsterRun, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

PROCESS_TAG, HOST_TAG = "score-pipeline/pid", "score-pipeline/host"


def process_tags() -> dict[str, str]:
    """Tags naming this process, so that a later process can tell a run it executes was abandoned."""
    return {PROCESS_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def record_worker(instance: DagsterInstance, run_id: str) -> None:
    """Tag the run with the process executing it, unless the run already names this very process."""
    run = instance.get_run_by_id(run_id)
    if run is not None and {key: run.tags.get(key) for key in (PROCESS_TAG, HOST_TAG)} != process_tags():
        instance.add_run_tags(run_id, process_tags())


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def worker_is_gone(tags: Mapping[str, str]) -> bool | None:
    """Whether the run's recorded worker process on this host has ended; None when the run names no worker
    of this host (not started yet, or run elsewhere: nothing can be told from here)."""
    pid, host = tags.get(PROCESS_TAG), tags.get(HOST_TAG)
    if not pid or host != socket.gethostname():
        return None
    return process_is_gone(int(pid))


class ProcessCheckedRunLauncher(DefaultRunLauncher):
    """Dagster's default run launcher (runs in processes of the code location's server), with the health
    check that run monitoring needs to fail a run whose worker died: the process its tags name is gone.
    A run whose worker has not recorded itself yet counts as running (its start timeout covers it)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        gone = worker_is_gone(run.tags)
        if gone:
            return CheckRunHealthResult(WorkerStatus.FAILED, f"its worker process {run.tags[PROCESS_TAG]} has ended")
        return CheckRunHealthResult(WorkerStatus.RUNNING, "" if gone is False else "no worker recorded yet")
