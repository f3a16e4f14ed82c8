"""The shared deployment (deploy/postgres/, `make serve`) against a real PostgreSQL on loopback, started by the
test itself (tests/postgres_server.py): the daemon's drop sensor queues and runs dropped waves, two runs at
once never overlap on the warehouse pool, the history survives a restart of both services and a UI session
sees it, and a run whose services were killed together is failed by run monitoring while the next one runs.
The tests of this file run in order on one deployment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import yaml
from conftest import SAMPLE_RAW
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from postgres_server import Server, free_port, postgres_server, why_unavailable

from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
from score_pipeline.core.programme import COUNTRY_FILE
from score_pipeline.core.waves import wave_partitions
from score_pipeline.run_workers import PROCESS_TAG, process_is_gone
from score_pipeline.sample_data.extracts import write_sha256sums
from score_pipeline.settings import PROJECT_ROOT, SENSOR_INTERVAL_ENV

PERU = "name: Peru\ncurrency: PEN\nenterprise_id: pe.ruc\n"
# The daemon's intervals, in seconds, for these tests: every wait below is for a tick of the daemon (a sensor, the
# run queue, run monitoring), and ticks of a minute or half a minute made most of the file's 6 minutes. Dagster's
# sensor loop still evaluates at most every 5 s.
SHORT_INTERVAL = 1


def instance_config_with_short_intervals(target: Path) -> Path:
    """deploy/postgres/dagster.yaml as shipped, but for the intervals of the run queue and of run monitoring."""
    config = yaml.safe_load((PROJECT_ROOT / "deploy" / "postgres" / "dagster.yaml").read_text(encoding="utf-8"))
    config["run_coordinator"]["config"] = {"dequeue_interval_seconds": SHORT_INTERVAL}
    config["run_monitoring"].update(poll_interval_seconds=SHORT_INTERVAL,
                                    free_slots_after_run_end_seconds=SHORT_INTERVAL)
    target.write_text(yaml.safe_dump(config), encoding="utf-8")
    return target


def wait_for(condition: Callable[[], object], what: str, timeout: float = 300, every: float = 1.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


@dataclass
class Deployment:
    server: Server
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def home(self) -> Path:
        return self.folder / "dagster_home"

    @property
    def raw(self) -> Path:
        return self.folder / "raw"

    def start(self) -> None:
        """`make serve`'s script, in a session of its own (its group is the deployment's services)."""
        log = (self.folder / "serve.log").open("a")
        self.process = subprocess.Popen([str(PROJECT_ROOT / "deploy" / "postgres" / "serve"), str(self.port)],
                                        cwd=PROJECT_ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        wait_for(self.answers, "the webserver", timeout=120)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/server_info", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: the services stop as an operator stops them; SIGKILL: every process of the group dies at
        once (a host crash, an out-of-memory kill of the service group), run workers included."""
        if sig == signal.SIGKILL:
            for pid in self.group_pids():
                os.kill(pid, signal.SIGKILL)
        else:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=60)
        wait_for(lambda: not self.group_pids(), "the deployment's processes to end", timeout=90)

    def group_pids(self) -> list[int]:
        """Every process of the services' session: the script, webserver, daemon, code servers, run workers."""
        session = self.process.pid  # started with start_new_session: it leads its session
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getsid(int(entry.name)) == session:
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    def instance(self) -> DagsterInstance:
        return DagsterInstance.from_config(str(self.home))

    def graphql(self, query: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/graphql", data=json.dumps({"query": query}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["data"]

    def drop(self, wave: str, as_wave: str | None = None) -> None:
        """Copy Peru's wave in as a drop, SHA256SUMS last (a follow-up is the same extracts under another name)."""
        target = self.raw / "pe" / (as_wave or wave)
        staging = self.raw / "pe" / f".{target.name}"
        shutil.copytree(SAMPLE_RAW / wave, staging)
        (staging / "SHA256SUMS").unlink()
        write_sha256sums(staging)
        staging.rename(target)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if problem := why_unavailable():
        pytest.skip(f"no PostgreSQL for the deployment tests: {problem}")
    folder = tmp_path_factory.mktemp("deployment")
    with postgres_server() as server:
        deployment = Deployment(server, folder, free_port())
        (deployment.raw / "pe").mkdir(parents=True)
        (deployment.raw / "pe" / COUNTRY_FILE).write_text(PERU, encoding="utf-8")
        environment = {**server.environment, "DAGSTER_HOME": str(deployment.home), "SCORE_RAW_DIR": str(deployment.raw),
                       "SCORE_CORRECTIONS_DIR": str(folder / "corrections"),
                       "SCORE_WAREHOUSE": str(folder / "warehouse" / "score.duckdb"),
                       "SCORE_PUBLISH_DIR": str(folder / "published"), SENSOR_INTERVAL_ENV: str(SHORT_INTERVAL),
                       "SERVE_INSTANCE_CONFIG": str(instance_config_with_short_intervals(folder / "dagster.yaml"))}
        with mock.patch.dict(os.environ, environment):
            try:
                yield deployment  # not started: the first test drops its waves before the daemon's first tick
            finally:
                if deployment.process is not None and deployment.process.poll() is None:
                    deployment.stop()


def runs_of(instance: DagsterInstance, job: str, statuses: list[DagsterRunStatus] | None = None) -> list[DagsterRun]:
    return instance.get_runs(RunsFilter(job_name=job, statuses=statuses or []))


def step_intervals(instance: DagsterInstance, run_id: str) -> list[tuple[float, float]]:
    started, intervals = {}, []
    for record in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                                      DagsterEventType.STEP_FAILURE}):
        if record.dagster_event.event_type == DagsterEventType.STEP_START:
            started[record.step_key] = record.timestamp
        else:
            intervals.append((started.pop(record.step_key), record.timestamp))
    return intervals


def test_the_daemon_queues_and_runs_two_drops_at_once_without_overlap_on_the_warehouse(deployment: Deployment) -> None:
    """Two waves dropped together: the drop sensor queues a run for each at once, and the pool of limit 1
    keeps their warehouse steps apart (Dagster holds the second run in the queue while the pool is full);
    the publication follows the batch."""
    deployment.drop("2017-baseline")
    deployment.drop("2018-midterm")
    deployment.start()
    instance = deployment.instance()
    done = wait_for(lambda: len(runs_of(instance, WAVE_JOB, [DagsterRunStatus.SUCCESS])) == 2 and
                    runs_of(instance, WAVE_JOB), "both wave runs to succeed", timeout=420, every=2)
    assert sorted(run.tags["dagster/partition"] for run in done) == ["pe/2017-baseline", "pe/2018-midterm"]
    records = instance.get_run_records(RunsFilter(run_ids=[run.run_id for run in done]))
    created = sorted(record.create_timestamp.timestamp() for record in records)
    assert created[1] - created[0] < 10  # queued together, by one tick of the sensor
    steps = sorted(interval for run in done for interval in step_intervals(instance, run.run_id))
    assert all(earlier[1] <= later[0] for earlier, later in zip(steps, steps[1:])), "warehouse steps overlapped"
    wait_for(lambda: runs_of(instance, EVALUATION_JOB, [DagsterRunStatus.SUCCESS]), "the publication", timeout=300, every=2)
    assert (deployment.folder / "published" / "score_marts.duckdb").is_file()


def test_the_history_and_the_partitions_survive_a_restart_and_the_ui_sees_them(deployment: Deployment) -> None:
    before = {run.run_id: run.status for run in deployment.instance().get_runs()}
    deployment.stop()
    deployment.start()
    instance = deployment.instance()  # a new process's view: everything is read back from PostgreSQL
    assert {run.run_id: run.status for run in instance.get_runs()} == before
    assert instance.get_dynamic_partitions(wave_partitions.name) == ["pe/2017-baseline", "pe/2018-midterm"]
    seen = deployment.graphql("{ runsOrError { ... on Runs { results { runId status } } } }")["runsOrError"]["results"]
    assert {run["runId"]: run["status"] for run in seen} == {run_id: status.value for run_id, status in before.items()}


def test_a_run_whose_services_were_killed_is_failed_and_the_next_run_completes(deployment: Deployment) -> None:
    """Every process of the deployment killed at once during a wave run: its worker is gone, the run stays
    STARTED with the pool slot it held. Restarted, run monitoring fails it (the launcher's health check
    reads the worker's pid tag) and frees the slot, and the next drop's run completes."""
    instance = deployment.instance()
    deployment.drop("2019-endline")
    running = wait_for(lambda: next((run for run in runs_of(instance, WAVE_JOB, [DagsterRunStatus.STARTED])
                                     if PROCESS_TAG in run.tags and step_intervals(instance, run.run_id)), None),
                       "the endline's run to be under way", timeout=300, every=0.5)
    deployment.stop(signal.SIGKILL)
    assert process_is_gone(int(running.tags[PROCESS_TAG]))
    assert instance.get_run_by_id(running.run_id).status == DagsterRunStatus.STARTED

    deployment.drop("2019-endline", as_wave="2020-followup")
    deployment.start()
    failed = wait_for(lambda: (run := instance.get_run_by_id(running.run_id)).status == DagsterRunStatus.FAILURE and run,
                      "run monitoring to fail the abandoned run", timeout=180, every=1)
    assert failed.is_failure
    recovered = wait_for(lambda: next((run for run in runs_of(instance, WAVE_JOB, [DagsterRunStatus.SUCCESS])
                                       if run.tags.get("dagster/partition") == "pe/2020-followup"), None),
                         "the next run to complete", timeout=420, every=2)
    assert recovered.is_success


def test_the_launcher_reports_a_run_dead_only_when_its_recorded_worker_of_this_host_is_gone() -> None:
    import socket

    from dagster._core.launcher import WorkerStatus

    from score_pipeline.run_workers import HOST_TAG, ProcessCheckedRunLauncher, process_tags

    ended = subprocess.Popen(["true"])
    ended.wait()
    launcher = ProcessCheckedRunLauncher()
    status = lambda tags: launcher.check_run_worker_health(DagsterRun(job_name=WAVE_JOB, tags=tags)).status  # noqa: E731
    assert status({PROCESS_TAG: str(ended.pid), HOST_TAG: socket.gethostname()}) == WorkerStatus.FAILED
    assert status(process_tags()) == WorkerStatus.RUNNING  # this very process
    assert status({}) == WorkerStatus.RUNNING  # no worker recorded yet: the start timeout covers it
    assert status({PROCESS_TAG: str(ended.pid), HOST_TAG: "another-host"}) == WorkerStatus.RUNNING  # not ours to judge


def test_serve_without_its_database_says_which_variables_are_missing() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DAGSTER_PG_")}
    done = subprocess.run([str(PROJECT_ROOT / "deploy" / "postgres" / "serve")], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60, env={**environment, "DAGSTER_PG_HOST": "127.0.0.1"})
    assert done.returncode == 2
    assert done.stderr.strip() == ("make serve needs the PostgreSQL it stores runs in: set DAGSTER_PG_PORT DAGSTER_PG_USER "
                                   "DAGSTER_PG_PASSWORD DAGSTER_PG_DB (docs/deployment.md)")
