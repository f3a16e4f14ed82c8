"""The local instance's pooled SQLite storage (score_pipeline/instance_storage.py): what it writes,
Dagster's own SQLite storage reads back, and the private methods it overrides still have the shape
it was written against."""

import inspect
import shutil
import sqlite3
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, asset, materialize
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

from score_pipeline.instance_storage import (
    EnginePool,
    LocalSqliteStorage,
    PooledSqliteEventLogStorage,
    PooledSqliteRunStorage,
)
from score_pipeline.settings import LOCAL_INSTANCE_CONFIG


@asset
def counted() -> int:
    return 3


@pytest.fixture
def local_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(LOCAL_INSTANCE_CONFIG, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_the_local_instance_uses_the_pooled_storage(local_home: Path) -> None:
    with DagsterInstance.from_config(str(local_home)) as instance:
        assert isinstance(instance.run_storage, PooledSqliteRunStorage)
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)


def test_what_it_writes_dagsters_own_sqlite_storage_reads(local_home: Path) -> None:
    with DagsterInstance.from_config(str(local_home)) as instance:
        first = materialize([counted], instance=instance)
        second = materialize([counted], instance=instance)
    stock = DagsterSqliteStorage.from_local(str(local_home))
    runs = {run.run_id: run.status.value for run in stock.run_storage.get_runs()}
    assert runs == {first.run_id: "SUCCESS", second.run_id: "SUCCESS"}
    events = stock.event_log_storage.get_logs_for_run(second.run_id)
    assert [e.dagster_event.event_type_value for e in events if e.is_dagster_event][-1] == "PIPELINE_SUCCESS"
    latest = stock.event_log_storage.get_latest_materialization_events([AssetKey("counted")])[AssetKey("counted")]
    assert latest is not None and latest.run_id == second.run_id
    assert (local_home / "history" / "runs" / f"{second.run_id}.db").exists()  # Dagster's own layout


def test_a_second_process_sees_what_the_first_committed(local_home: Path) -> None:
    with DagsterInstance.from_config(str(local_home)) as writer, DagsterInstance.from_config(str(local_home)) as reader:
        reader.get_runs()  # the reader's connections are open before the writer writes
        result = materialize([counted], instance=writer)
        assert [run.run_id for run in reader.get_runs()] == [result.run_id]
        assert reader.get_latest_materialization_event(AssetKey("counted")).run_id == result.run_id


def test_wipe_closes_the_connections_to_the_databases_it_deletes(local_home: Path) -> None:
    with DagsterInstance.from_config(str(local_home)) as instance:
        materialize([counted], instance=instance)
        instance.wipe()
        assert instance.get_runs() == []
        assert materialize([counted], instance=instance).success


def test_has_table_answers_as_dagsters_own_and_a_table_added_later_is_seen(local_home: Path) -> None:
    with DagsterInstance.from_config(str(local_home)) as instance:
        materialize([counted], instance=instance)  # the index database exists, with Dagster's tables
        storage = instance.event_log_storage
        stock = DagsterSqliteStorage.from_local(str(local_home)).event_log_storage
        for table in ("asset_check_executions", "asset_event_tags", "dynamic_partitions", "not_a_table"):
            assert storage.has_table(table) == stock.has_table(table), table
        assert storage.has_table("asset_check_executions") and not storage.has_table("added_later")
        index = local_home / "history" / "runs" / "index.db"
        with sqlite3.connect(index) as connection:  # what `dagster instance migrate` does from another process
            connection.execute("create table added_later (id integer)")
        assert storage.has_table("added_later")  # a no is not remembered


def test_the_pool_keeps_only_the_newest_databases_open(tmp_path: Path) -> None:
    pool = EnginePool(limit=2)
    urls = [f"sqlite:///{tmp_path / f'{name}.db'}" for name in "abc"]
    engines = [pool.engine(url) for url in urls]
    assert pool.engine(urls[2]) is engines[2] and pool.engine(urls[1]) is engines[1]
    assert pool.engine(urls[0]) is not engines[0]  # closed as the least recently used, then built again
    with pool.engine(urls[0]).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    pool.dispose()


def test_the_private_methods_it_overrides_keep_their_shape() -> None:
    """Fails when a dagster upgrade renames or reshapes what instance_storage.py overrides."""
    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    assert list(inspect.signature(SqliteRunStorage.connect).parameters) == ["self"]
    assert list(inspect.signature(SqliteEventLogStorage.has_table).parameters) == ["self", "table_name"]
    stock_init = inspect.getsource(DagsterSqliteStorage.__init__)
    for attribute in ("self._run_storage", "self._event_log_storage", "self._schedule_storage", "self._inst_data"):
        assert attribute in stock_init
    for name in ("_initdb", "_initialized_dbs", "_db_lock", "conn_string_for_shard"):
        assert name in inspect.getsource(SqliteEventLogStorage)
    assert "self._conn_string" in inspect.getsource(SqliteRunStorage)
    assert LocalSqliteStorage.config_type() == DagsterSqliteStorage.config_type()
