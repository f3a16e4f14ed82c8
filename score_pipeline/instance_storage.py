"""The local Dagster instance's SQLite storage, with its database connections kept open.

Dagster's SQLite storages build an engine, open a connection and close it again for every
statement they run. On this machine that is ~20 ms per event, most of it in the close (closing the
last connection to a WAL database checkpoints it, an fsync) and in building the engine; a `make run`
stores ~800 events (every model, check and output), so about a fifth of the sample's run time went
to the event log. `deploy/local/dagster.yaml` names `LocalSqliteStorage` instead: the same files and
schema, read and written by the same Dagster code, through a small pool of open connections per
database with `synchronous=NORMAL` (SQLite's recommended setting under WAL: a commit is durable
once the WAL is synced, which happens at checkpoints; a power cut may lose the last events, never
corrupt the file).

It is the one home of dagster's private storage API: it imports `dagster._core.storage`'s SQLite event log,
run and schedule storages, `DagsterSqliteStorage` with its `_runs_directory` / `_event_logs_directory` /
`_schedule_directory`, `SQLITE_BUSY_TIMEOUT_SECONDS` and `INDEX_SHARD_NAME`, overrides their `_connect` /
`connect` and the event log's `has_table`, and sets or reads their private attributes (`_run_storage`,
`_event_log_storage`, `_schedule_storage`, `_inst_data`, `_initdb`, `_initialized_dbs`, `_db_lock`,
`_conn_string`). tests/test_instance_storage.py
(test_the_private_methods_it_overrides_keep_their_shape, and the round trips through Dagster's own storage)
fails if a dagster upgrade moves or reshapes them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME, SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

OPEN_DATABASES = 8  # per process: the index, the runs database and the few newest run shards


class EnginePool:
    """One SQLAlchemy engine per SQLite file, the least recently used closed past OPEN_DATABASES.

    The event log keeps one database per run; a webserver that has shown many runs would otherwise
    keep a connection to each of them open.
    """

    def __init__(self, limit: int = OPEN_DATABASES) -> None:
        self._limit = limit
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()

    def engine(self, conn_string: str) -> Engine:
        with self._lock:
            engine = self._engines.pop(conn_string, None) or _engine(conn_string)
            self._engines[conn_string] = engine
            while len(self._engines) > self._limit:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    def dispose(self) -> None:
        with self._lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


def _engine(conn_string: str) -> Engine:
    engine = create_engine(conn_string, pool_size=2, max_overflow=4,
                           connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection, connection.begin():
        yield connection


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, through open connections."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._pool = EnginePool()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table, asked through the pool and remembered once it has: Dagster
        asks before storing every check evaluation and tagged event, each time through a new engine (about 2 ms,
        2 s of the sample's run). A table is only ever added (`dagster instance migrate`), so a yes stays true; a
        no is asked again."""
        if table_name not in self._tables_present:
            engine = self._pool.engine(self.conn_string_for_shard(INDEX_SHARD_NAME))
            with engine.connect() as connection:
                if engine.dialect.has_table(connection, table_name):
                    self._tables_present.add(table_name)
        return table_name in self._tables_present

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._pool.engine(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with _transaction(engine) as connection:
                yield connection

    def wipe(self) -> None:
        self._pool.dispose()  # wipe deletes the run databases: no connection may stay open on them
        self._tables_present.clear()
        super().wipe()

    def dispose(self) -> None:
        self._pool.dispose()
        super().dispose()


class PooledSqliteRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage, through open connections."""

    def __init__(self, conn_string: str, inst_data: Any = None) -> None:
        self._pool = EnginePool(limit=1)
        super().__init__(conn_string, inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _transaction(self._pool.engine(self._conn_string)) as connection:
            yield connection

    def dispose(self) -> None:
        self._pool.dispose()
        super().dispose()


class LocalSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` of a local instance (same files under base_dir), with pooled connections."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        # DagsterSqliteStorage.__init__ would build the unpooled storages: its attributes are set here.
        self.base_dir = base_dir
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> LocalSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
