"""The shared deployment (deploy/postgres/, `make serve`) against a real PostgreSQL on loopback, started by the
test itself (tests/postgres_server.py): the daemon's drop sensor queues and runs dropped waves, two runs at
once never overlap on the warehouse pool, the publication is in PostgreSQL for the analysts' read-only role, a
reader's transaction sees one publication whole, the history survives a restart of both services and a UI session
sees it, and a run whose services were killed together is failed by run monitoring while the next one runs. Where
nginx, htpasswd and openssl are installed, the UI is served behind the proxy with TLS and accounts: nothing
answers without an account, a viewer cannot launch a run, the data team can.
The tests of this file run in order on one deployment."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from unittest import mock

import duckdb
import psycopg2
import psycopg2.errors
import pytest
import yaml
from conftest import SAMPLE_RAW
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from postgres_server import Server, free_port, postgres_server, why_unavailable

from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
from score_pipeline.core.programme import COUNTRY_FILE
from score_pipeline.core.waves import wave_partitions
from score_pipeline.publish.postgres import MartsLoadError, PostgresDatabase, load_marts, read_marts
from score_pipeline.run_workers import PROCESS_TAG, process_is_gone
from score_pipeline.sample_data.extracts import write_sha256sums
from score_pipeline.settings import PROJECT_ROOT, SENSOR_INTERVAL_ENV

PERU = "name: Peru\ncurrency: PEN\nenterprise_id: pe.ruc\n"
# The daemon's intervals, in seconds, for these tests: every wait below is for a tick of the daemon (a sensor, the
# run queue, run monitoring), and ticks of a minute or half a minute made most of the file's 6 minutes. Dagster's
# sensor loop still evaluates at most every 5 s.
SHORT_INTERVAL = 1
# The proxy's accounts (when nginx, htpasswd and openssl are installed): one of each role.
DATA_TEAM, VIEWER = "dana", "vera"


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


def proxy_unavailable() -> str | None:
    """Why the UI cannot be served behind its proxy here, or None."""
    missing = [tool for tool in ("nginx", "htpasswd", "openssl") if shutil.which(tool) is None]
    return f"{', '.join(missing)} not installed (Debian: make deployment-packages, as root)" if missing else None


def write_accounts(path: Path) -> dict[str, str]:
    """An accounts file of htpasswd's bcrypt lines and a role each; the password of each account."""
    passwords = {DATA_TEAM: secrets.token_hex(8), VIEWER: secrets.token_hex(8)}
    lines = [subprocess.run(["htpasswd", "-nbB", name, password], capture_output=True, text=True, check=True).stdout.strip()
             + f":{role}" for (name, password), role in zip(passwords.items(), ("data-team", "viewer"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return passwords


@dataclass
class Deployment:
    server: Server
    folder: Path
    port: int
    passwords: dict[str, str]  # the proxy's accounts; none: the UI is served on loopback without the proxy
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
        for account in self.passwords or [DATA_TEAM]:
            wait_for(lambda: self.answers(account), f"the webserver of {account}", timeout=120)

    def open(self, path: str, data: bytes | None = None, account: str | None = DATA_TEAM,
             password: str | None = None) -> urllib.request.addinfourl:
        """A request to the UI: behind the proxy, over TLS (its self-signed certificate trusted), as `account`
        with its password (or `password`), or without credentials."""
        headers = {"Content-Type": "application/json"} if data else {}
        if not self.passwords:
            return urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data, headers),
                                          timeout=30)
        if account:
            login = f"{account}:{password or self.passwords[account]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(login).decode()
        trusted = ssl.create_default_context(cafile=self.home / "proxy" / "self-signed.pem")
        return urllib.request.urlopen(urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data, headers),
                                      timeout=30, context=trusted)

    def answers(self, account: str) -> bool:
        try:
            with self.open("/server_info", account=account) as response:
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

    def graphql(self, query: str, account: str = DATA_TEAM) -> dict:
        with self.open("/graphql", json.dumps({"query": query}).encode(), account) as response:
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
        passwords = {} if proxy_unavailable() else write_accounts(folder / "accounts")
        deployment = Deployment(server, folder, free_port(), passwords)
        (deployment.raw / "pe").mkdir(parents=True)
        (deployment.raw / "pe" / COUNTRY_FILE).write_text(PERU, encoding="utf-8")
        environment = {**server.environment, "DAGSTER_HOME": str(deployment.home), "SCORE_RAW_DIR": str(deployment.raw),
                       "SCORE_CORRECTIONS_DIR": str(folder / "corrections"),
                       "SCORE_WAREHOUSE": str(folder / "warehouse" / "score.duckdb"),
                       "SCORE_PUBLISH_DIR": str(folder / "published"), SENSOR_INTERVAL_ENV: str(SHORT_INTERVAL),
                       "SERVE_INSTANCE_CONFIG": str(instance_config_with_short_intervals(folder / "dagster.yaml")),
                       **({"SERVE_ACCOUNTS": str(folder / "accounts")} if passwords else {})}
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


def owner_database(server: Server, database: str | None = None) -> PostgresDatabase:
    return PostgresDatabase(server.host, server.port, server.user, server.password, database or server.database)


def comparable(rows: list[tuple]) -> list[tuple]:
    """Rows as both drivers give them, sorted: DuckDB's lists and HUGEINTs are PostgreSQL's arrays and numerics."""
    def value(cell: object) -> object:
        if isinstance(cell, list):
            return tuple(value(item) for item in cell)
        return int(cell) if isinstance(cell, Decimal) and cell == cell.to_integral_value() else cell
    return sorted((tuple(map(value, row)) for row in rows), key=repr)


def test_every_mart_is_in_postgresql_as_published_for_the_analysts_role(deployment: Deployment) -> None:
    """The deployment's publication (the first test's) read back by the analysts' role: every mart of the DuckDB
    file, with its columns in order and its rows, and nothing else in schema marts."""
    server = deployment.server
    with duckdb.connect(str(deployment.folder / "published" / "score_marts.duckdb"), read_only=True) as published, \
            owner_database(server).connect(server.analyst, server.analyst_password) as analyst, analyst.cursor() as cursor:
        marts = [name for (name,) in published.execute("select table_name from duckdb_tables() "
                                                        "where schema_name = 'marts' order by 1").fetchall()]
        cursor.execute("select table_name from information_schema.tables where table_schema = 'marts' order by 1")
        assert [name for (name,) in cursor.fetchall()] == marts
        assert len(marts) == 20  # contract 4's 16 marts and the four of 8.3
        loaded = {}
        for mart in marts:
            expected = published.execute(f"select * from marts.{mart}")
            columns, rows = [column[0] for column in expected.description], expected.fetchall()
            cursor.execute(f"select * from marts.{mart}")
            assert [column.name for column in cursor.description] == columns, mart
            assert comparable(cursor.fetchall()) == comparable(rows), mart
            loaded[mart] = len(rows)
        assert loaded["enterprise_scores"] and loaded["category_scores"] and loaded["panel_coverage"]


def test_the_analysts_role_reads_the_marts_and_nothing_else(deployment: Deployment) -> None:
    server = deployment.server
    with owner_database(server).connect(server.analyst, server.analyst_password) as analyst, analyst.cursor() as cursor:
        analyst.autocommit = True
        cursor.execute("select count(*) from marts.enterprise_scores")
        assert cursor.fetchone()[0] > 0
        for refused in ("select * from runs", "select * from marts_storage.enterprise_scores",
                        "insert into marts.enterprise_scores (country) values ('xx')", "delete from marts.data_quality",
                        "create table marts.mine (x integer)", "create table public.mine (x integer)",
                        "create schema mine", "drop view marts.data_quality"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(refused)


# Two publications of two hand-made marts: the second has new rows in both, and a new column in b.
FIRST = {"a": "select * from (values (1, 'first'), (2, 'first')) rows(id, publication)",
         "b": "select * from (values (1, 'first'), (2, 'first')) rows(id, publication)"}
SECOND = {"a": "select 3 as id, 'second' as publication",
          "b": "select 3 as id, 'second' as publication, 1.5::double as added"}
# The third changes the columns of a, and cannot be loaded: PostgreSQL's text cannot hold a NUL character.
THIRD = {"a": "select 4::bigint as id, 'third' as publication", "b": "select 4 as id, 'third' || chr(0) as publication"}


def published_file(path: Path, marts: dict[str, str]) -> Path:
    """A published DuckDB file whose schema marts holds each mart, made by its query."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        for name, query in marts.items():
            connection.execute(f"create table marts.{name} as {query}")
    return path


@pytest.fixture(scope="module")
def scratch_database(deployment: Deployment) -> PostgresDatabase:
    """A database of its own on the deployment's server for hand-made publications, which the daemon's never
    touch."""
    with owner_database(deployment.server).connect() as connection:
        connection.autocommit = True
        connection.cursor().execute("create database publication_tests")
    return owner_database(deployment.server, "publication_tests")


def marts_as_read(cursor: psycopg2.extensions.cursor) -> dict[str, list[tuple]]:
    found = {}
    for mart in ("a", "b"):
        cursor.execute(f"select * from marts.{mart} order by id")
        found[mart] = cursor.fetchall()
    return found


def test_a_reader_sees_the_publication_its_transaction_began_under_whole(scratch_database: PostgresDatabase,
                                                                        tmp_path: Path) -> None:
    """A repeatable read transaction that read mart a before a publication committed reads the old b after it,
    although b's columns changed (its new column null); the next transaction reads the new a and b."""
    assert load_marts(scratch_database, published_file(tmp_path / "first.duckdb", FIRST)) == {"a": 2, "b": 2}
    with scratch_database.connect() as reader, reader.cursor() as cursor:
        reader.set_session(isolation_level="REPEATABLE READ")
        cursor.execute("select * from marts.a order by id")
        assert cursor.fetchall() == [(1, "first"), (2, "first")]
        load_marts(scratch_database, published_file(tmp_path / "second.duckdb", SECOND), lock_wait_seconds=5)
        cursor.execute("select * from marts.b order by id")
        assert cursor.fetchall() == [(1, "first", None), (2, "first", None)]
        reader.rollback()
        assert marts_as_read(cursor) == {"a": [(3, "second")], "b": [(3, "second", 1.5)]}


def test_a_publication_waits_without_blocking_readers_and_a_failed_one_leaves_the_previous(
        scratch_database: PostgresDatabase, tmp_path: Path) -> None:
    """A reader holds b, whose columns the next publication changes: the publication holds nothing while it waits
    (the reader reads a at once) and goes on when the reader is done. One that waits longer than it may gives up,
    and the previous marts stay; so do they when PostgreSQL refuses a publication's data halfway through."""
    load_marts(scratch_database, published_file(tmp_path / "second.duckdb", SECOND))
    outcome = []

    def publish_first() -> None:
        outcome.append(load_marts(scratch_database, published_file(tmp_path / "first.duckdb", FIRST), lock_wait_seconds=20))

    with scratch_database.connect() as reader, reader.cursor() as cursor:
        reader.set_session(isolation_level="REPEATABLE READ")
        cursor.execute("set statement_timeout = '5s'")
        cursor.execute("select count(*) from marts.b")
        waiting = threading.Thread(target=publish_first)
        waiting.start()
        time.sleep(1)
        cursor.execute("select * from marts.a order by id")
        assert cursor.fetchall() == [(3, "second")]
        assert not outcome
        reader.rollback()
        waiting.join(timeout=30)
        assert outcome == [{"a": 2, "b": 2}]
        assert marts_as_read(cursor) == {"a": [(1, "first"), (2, "first")], "b": [(1, "first"), (2, "first")]}
        with pytest.raises(MartsLoadError, match="a reader's transaction held b for 1 s"):
            load_marts(scratch_database, published_file(tmp_path / "again.duckdb", SECOND), lock_wait_seconds=1)
        reader.rollback()
        with pytest.raises(MartsLoadError, match="not loaded into PostgreSQL .*NUL.*; the previous marts stay"):
            load_marts(scratch_database, published_file(tmp_path / "third.duckdb", THIRD))
        assert marts_as_read(cursor) == {"a": [(1, "first"), (2, "first")], "b": [(1, "first"), (2, "first")]}


TYPED = ("select 1.25::decimal(5, 2) as money, date '2019-03-01' as day, timestamptz '2019-03-01 10:05:00+00' as submitted, "
         "true as flag, 2::hugeint as big, ['a', null]::varchar[] as labels, [1, 2] as modules, null::double as missing")


def test_each_column_type_reads_back_as_published_and_a_mart_no_longer_published_goes(
        scratch_database: PostgresDatabase, tmp_path: Path) -> None:
    published = published_file(tmp_path / "typed.duckdb", {"typed": TYPED})
    assert load_marts(scratch_database, published) == {"typed": 1}
    with duckdb.connect(str(published), read_only=True) as duck, scratch_database.connect() as reader, \
            reader.cursor() as cursor:
        expected = duck.execute("select * from marts.typed").fetchall()
        cursor.execute("select * from marts.typed")
        assert cursor.fetchall() == expected
        cursor.execute("select table_schema, table_name from information_schema.tables "
                       "where table_schema like 'marts%' order by 1, 2")
        assert cursor.fetchall() == [("marts", "typed"), ("marts_storage", "typed")]


def test_a_column_without_a_postgresql_type_is_refused_naming_it(tmp_path: Path) -> None:
    published = published_file(tmp_path / "nested.duckdb", {"a": "select 1 as id, [[1, 2], [3]] as nested"})
    with pytest.raises(MartsLoadError, match=r"^marts\.a\.nested: DuckDB's INTEGER\[\]\[\] has no PostgreSQL column type"):
        read_marts(published)


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


@pytest.fixture
def proxied(deployment: Deployment) -> Deployment:
    if not deployment.passwords:
        pytest.skip(f"the UI's proxy: {proxy_unavailable()}")
    return deployment


def test_without_an_account_the_ui_answers_only_with_a_login_request(proxied: Deployment) -> None:
    for path, data in (("/", None), ("/server_info", None), ("/runs", None), ("/graphql", b'{"query": "{ version }"}')):
        for account, password in ((None, None), (DATA_TEAM, "not-the-password"), ("nobody", "guess")):
            with pytest.raises(urllib.error.HTTPError) as refused:
                proxied.open(path, data, account, password)
            assert refused.value.code == 401, (path, account)
            assert refused.value.headers["WWW-Authenticate"] == 'Basic realm="score-pipeline"'
    with pytest.raises(urllib.error.HTTPError) as plain:  # no Dagster behind plain HTTP either
        urllib.request.urlopen(f"http://127.0.0.1:{proxied.port}/server_info", timeout=10)
    assert plain.value.code == 400


LAUNCH_PUBLICATION = """mutation { launchRun(executionParams: {selector: {repositoryLocationName: "score_pipeline",
    repositoryName: "__repository__", jobName: "JOB"}, runConfigData: {}}) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""".replace("JOB", EVALUATION_JOB)


def test_a_viewer_cannot_launch_a_run_and_the_data_team_can(proxied: Deployment) -> None:
    assert proxied.graphql(LAUNCH_PUBLICATION, VIEWER)["launchRun"] == {"__typename": "UnauthorizedError"}
    launched = proxied.graphql(LAUNCH_PUBLICATION, DATA_TEAM)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    assert proxied.instance().get_run_by_id(run_id).job_name == EVALUATION_JOB
    seen = proxied.graphql("{ runsOrError { ... on Runs { results { runId } } } }", VIEWER)["runsOrError"]["results"]
    assert run_id in {run["runId"] for run in seen}  # the viewer reads what the data team does


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
                                   "DAGSTER_PG_PASSWORD DAGSTER_PG_DB DAGSTER_PG_ANALYST_USER DAGSTER_PG_ANALYST_PASSWORD "
                                   "(docs/deployment.md)")


@pytest.mark.parametrize("accounts, refusal", [
    (None, "make serve: SERVE_HOST=0.0.0.0 opens the UI beyond this machine: set SERVE_ACCOUNTS to its accounts file "
           '(docs/deployment.md, "Accounts")'),
    ("dana:$2y$05$abc:data-team\n", "make serve: <accounts>, line 1: not name:bcrypt hash:role (role data-team or viewer; "
                                    'docs/deployment.md, "Accounts")'),
    ("# nobody yet\n", "make serve: <accounts> holds no account"),
])
def test_serve_beyond_loopback_needs_accounts_it_can_read(accounts: str | None, refusal: str, tmp_path: Path) -> None:
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("SERVE_", "DAGSTER_PG_"))}
    environment = {**inherited, "SERVE_HOST": "0.0.0.0", "DAGSTER_HOME": str(tmp_path / "home"),
                   **{f"DAGSTER_PG_{part}": "unused" for part in ("HOST", "PORT", "USER", "PASSWORD", "DB", "ANALYST_USER",
                                                                   "ANALYST_PASSWORD")}}
    if accounts is not None:
        (tmp_path / "accounts").write_text(accounts, encoding="utf-8")
        environment["SERVE_ACCOUNTS"] = str(tmp_path / "accounts")
    done = subprocess.run([str(PROJECT_ROOT / "deploy" / "postgres" / "serve")], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60, env=environment)
    assert (done.returncode, done.stderr.strip()) == (2, refusal.replace("<accounts>", str(tmp_path / "accounts")))
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("port, problem", [
    ("5432x", "DAGSTER_PG_PORT='5432x': give the port's number"),
    (None, "connection to server at \"127.0.0.1\", port <port> failed: Connection refused"),  # a free port
], ids=["not a port", "nothing listening"])  # ids, not a port drawn at collection: xdist's workers collect alike
def test_the_analysts_role_step_says_in_one_line_what_stops_it(port: str | None, problem: str) -> None:
    port = port or str(free_port())
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("DAGSTER_PG_")}
    settings = {"HOST": "127.0.0.1", "PORT": port, "USER": "dagster", "PASSWORD": "unused", "DB": "dagster",
                "ANALYST_USER": "analyst", "ANALYST_PASSWORD": "unused"}
    done = subprocess.run([sys.executable, "-m", "score_pipeline.publish.postgres"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60,
                          env={**inherited, **{f"DAGSTER_PG_{part}": value for part, value in settings.items()}})
    assert (done.returncode, done.stderr) == (2, "make serve: the analysts' role in PostgreSQL: "
                                                 f"{problem.replace('<port>', port)}\n")
