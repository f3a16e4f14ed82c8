"""Shared fixtures. Every path the pipeline writes is pointed into a temporary folder before
any test runs, and one end-to-end run of all sample waves is shared by the mart tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from shared_run import run_once

from score_pipeline.resources import RawRootResource, WarehouseResource
from score_pipeline.settings import DBT_PROJECT_DIR, LOCAL_INSTANCE_CONFIG, PROJECT_ROOT

SAMPLE_ROOT = PROJECT_ROOT / "data" / "raw"  # the shipped programme root: pe, co and gh
SAMPLE_RAW = SAMPLE_ROOT / "pe"  # Peru's waves, the calibrated sample the evaluation summary describes
SAMPLE_CORRECTIONS = PROJECT_ROOT / "data" / "corrections" / "pe"
SAMPLE_WAVES = ("2017-baseline", "2018-midterm", "2019-endline")
COLOMBIA_RAW = SAMPLE_ROOT / "co"
COLOMBIA_WAVES = ("2019-baseline", "2020-midterm", "2021-endline")
GHANA_RAW = SAMPLE_ROOT / "gh"  # synthetic, with an evaluation design (contract 8): a sample frame and worker codes
GHANA_WAVES = ("2022-baseline", "2023-midterm", "2024-endline")


_SESSION_DIR = Path(tempfile.mkdtemp(prefix="score_pipeline_tests_"))
# The resources the steps and the sensors read (definitions.py), for runs and ticks a test builds itself.
RAW = {"raw": RawRootResource()}
STEP_RESOURCES = {"warehouse": WarehouseResource(), **RAW}


# The folder where the first xdist worker leaves its end-to-end run for the others (tests/shared_run.py): set by the
# process that starts the workers, in its own session folder (removed when it ends), for the workers it starts.
SHARED_RUN_ENV = "SCORE_TESTS_SHARED_RUN"


def pytest_configure(config: pytest.Config) -> None:
    base = _SESSION_DIR
    if not hasattr(config, "workerinput"):  # not an xdist worker: a session of its own, or the workers' controller
        os.environ[SHARED_RUN_ENV] = str(base / "shared_run")
    (base / "dagster_home").mkdir()
    shutil.copy(LOCAL_INSTANCE_CONFIG, base / "dagster_home" / "dagster.yaml")
    os.environ.update({
        "DAGSTER_HOME": str(base / "dagster_home"),
        "SCORE_RAW_DIR": str(SAMPLE_ROOT),
        "SCORE_WAREHOUSE": str(base / "warehouse" / "score.duckdb"),
        "SCORE_PUBLISH_DIR": str(base / "published"),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    })


# Files that spend most of their time waiting on services (the deployment's daemon and its runs, about 3 minutes):
# collected first, so that `make test` (xdist's loadfile, scopes kept in collection order) starts them at once on
# one worker while the other computes, instead of running them alone at the end.
STARTED_FIRST = ("test_deployment.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in STARTED_FIRST)  # stable: the rest keep their order


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@dataclass(frozen=True)
class PipelineRun:
    warehouse: Path
    publish_dir: Path
    output: str

    @property
    def database(self) -> Path:
        return self.publish_dir / "score_marts.duckdb"


@pytest.fixture(scope="session")
def pipeline() -> PipelineRun:
    """All sample waves of every sample country materialized end to end (`score-pipeline run`) once per session:
    under xdist, by the first worker that needs it, the others getting a copy in their session folder."""
    output = (run_once(Path(os.environ[SHARED_RUN_ENV]), _SESSION_DIR, run_the_sample)
              if os.environ.get("PYTEST_XDIST_WORKER") else run_the_sample())
    return PipelineRun(Path(os.environ["SCORE_WAREHOUSE"]), Path(os.environ["SCORE_PUBLISH_DIR"]), output)


def run_the_sample() -> str:
    from score_pipeline.cli import run_all_waves

    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()
    return out.getvalue()


def one_country(database: Path, country: str = "pe") -> duckdb.DuckDBPyConnection:
    """A connection on which `marts.<mart>` is one country's rows of the published mart without the column: a
    single-country analyst's view, for the tests that check that country against the reference computation."""
    connection = duckdb.connect()
    connection.execute(f"attach '{database}' as published (read_only)")
    connection.execute("create schema marts")
    for (mart,) in connection.execute("select table_name from information_schema.tables "
                                      "where table_catalog = 'published' and table_schema = 'marts'").fetchall():
        connection.execute(f"create view memory.marts.{mart} as select * exclude (country) "
                           f"from published.marts.{mart} where country = '{country}'")
    return connection


@pytest.fixture(scope="session")
def reference():
    from reference import Reference

    return Reference(SAMPLE_RAW)


def new_dagster_home(folder: Path) -> Path:
    """An empty Dagster instance with the project's dagster.yaml. Tests that run jobs on broken or
    extra waves use one, so that the session's instance (read by the UI tests) stays as a run left it."""
    folder.mkdir(parents=True)
    shutil.copy(LOCAL_INSTANCE_CONFIG, folder / "dagster.yaml")
    return folder


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A raw root, corrections root (empty), warehouse, publish folder and Dagster home of the test's own."""
    (tmp_path / "raw").mkdir()
    new_dagster_home(tmp_path / "dagster_home")
    monkeypatch.setenv("SCORE_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("SCORE_CORRECTIONS_DIR", str(tmp_path / "corrections"))
    monkeypatch.setenv("SCORE_WAREHOUSE", str(tmp_path / "warehouse" / "score.duckdb"))
    monkeypatch.setenv("SCORE_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path


def copy_wave(wave: str, raw_root: Path) -> Path:
    target = raw_root / wave
    shutil.copytree(SAMPLE_RAW / wave, target)
    return target


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file of a folder (the publication), by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def materialize_ingest(wave: str, warehouse: Path, instruments: Sequence[str] | None = None, *, raise_on_error: bool = True,
                       instance=None):
    """A real Dagster run of the ingest assets (all, or the named instruments) and their checks on Peru's
    wave (of the session's programme root, or of a test's single-country root), in the given instance (the
    DAGSTER_HOME one by default)."""
    from dagster import DagsterInstance, materialize

    from score_pipeline.core.waves import partition_key, wave_partitions
    from score_pipeline.ingest.assets import ingest_assets
    from score_pipeline.ingest.instruments import INSTRUMENTS

    key = partition_key("pe", wave)
    chosen = [i for i, instrument in enumerate(INSTRUMENTS) if instruments is None or instrument.name in instruments]
    instance = instance or DagsterInstance.get()
    if not instance.has_dynamic_partition(wave_partitions.name, key):
        instance.add_dynamic_partitions(wave_partitions.name, [key])
    with mock.patch.dict(os.environ, {"SCORE_WAREHOUSE": str(warehouse)}):  # the resource's one source
        return materialize([ingest_assets[i] for i in chosen], partition_key=key,
                           instance=instance, resources=STEP_RESOURCES,
                           raise_on_error=raise_on_error)


def run_dbt(args: list[str], warehouse: Path, scratch: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """The real dbt CLI on a warehouse; returns the process and the results of run_results.json."""
    env = {**os.environ, "SCORE_WAREHOUSE": str(warehouse), "DBT_TARGET_PATH": str(scratch / "target"),
           "DBT_LOG_PATH": str(scratch / "logs")}
    completed = subprocess.run([str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", str(DBT_PROJECT_DIR)], cwd=DBT_PROJECT_DIR,
                               env=env, capture_output=True, text=True, timeout=600)
    results_file = scratch / "target" / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    return completed, results


def publish_from(warehouse: Path, publish_dir: Path) -> list[Path]:
    """Publish the marts of a warehouse file, through a connection as the resource opens it."""
    from score_pipeline.publish.marts import publish_marts
    from score_pipeline.resources import DETERMINISTIC

    with duckdb.connect(str(warehouse), read_only=True, config=DETERMINISTIC) as connection:
        return publish_marts(connection, publish_dir)


@pytest.fixture
def own_publication(pipeline: PipelineRun, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the warehouse and a publication of its own, to break without touching the session's."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    publish_from(warehouse, tmp_path / "published")
    return warehouse, tmp_path / "published"


def assert_refused_and_untouched(warehouse: Path, published: Path, damage: Sequence[str], error: type[Exception],
                                 match: str | None = None) -> None:
    """The warehouse damaged by the `damage` statements, the next publication refused with `error` (its message
    matching `match`), and the previous publication left byte for byte, no staging folder behind."""
    before = digests(published)
    with duckdb.connect(str(warehouse)) as connection:
        for statement in damage:
            connection.execute(statement)
    with pytest.raises(error, match=match):
        publish_from(warehouse, published)
    assert digests(published) == before
    assert not [p for p in published.iterdir() if p.name.startswith(".staging")]
