"""The DuckDB warehouse resource.

Connections are opened only inside asset and check bodies (never at import),
and every step that opens the warehouse runs in the `duckdb_warehouse` pool
(limit 1), so DuckDB's one-writer rule is never hit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
from dagster import ConfigurableResource

from score_pipeline import settings
from score_pipeline.ingest.instruments import REJECT_COLUMNS, SUPERSEDED_COLUMNS, Ingested, Instrument

INGEST_LOG_COLUMNS = {
    "wave": "VARCHAR", "instrument": "VARCHAR", "source_file": "VARCHAR", "rows_received": "INTEGER",
    "rows_loaded": "INTEGER", "rows_rejected": "INTEGER", "duplicates_removed": "INTEGER",
    "values_invalid": "INTEGER", "loaded_at": "TIMESTAMP WITH TIME ZONE",
}


# One DuckDB thread, here and in dbt's profile: parallel aggregation adds floats in a varying order,
# so the same raw data gave marts differing in the last bit from run to run.
DETERMINISTIC = {"threads": 1}


def connect_when_free(database: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, waiting while another process holds the file's lock.

    Inside the pipeline the pool serialises every step, so the holder is a process outside it:
    the dbt of a run that was killed finishes on its own within seconds, and is waited for rather
    than failing the next run. A lock still held after `wait_seconds` is reported as it is.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(database), read_only=read_only, config=DETERMINISTIC)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


class WarehouseResource(ConfigurableResource):
    """The pipeline's working DuckDB file: `path`, or `SCORE_WAREHOUSE` read when a step connects."""

    path: str | None = None
    lock_wait_seconds: float = 120.0

    @property
    def database(self) -> Path:
        return Path(self.path) if self.path else settings.warehouse_path()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            self.database.parent.mkdir(parents=True, exist_ok=True)
        connection = connect_when_free(self.database, read_only, self.lock_wait_seconds)
        try:
            yield connection
        finally:
            connection.close()

    def read_wave(self, table: str, wave: str) -> pd.DataFrame:
        with self.connect(read_only=True) as connection:
            return connection.execute(f"select * from raw.{table} where wave = ?", [wave]).df()

    def describe(self, table: str) -> dict[str, str]:
        """Column -> DuckDB type of a raw table."""
        with self.connect(read_only=True) as connection:
            rows = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position", [table]).fetchall()
        return dict(rows)


def ddl(table: str, columns: dict[str, str]) -> str:
    body = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    return f"create table if not exists raw.{table} ({body})"


def insert(connection: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    connection.register("incoming", frame)
    casts = ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind in columns.items())
    connection.execute(f"insert into raw.{table} select {casts} from incoming")
    connection.unregister("incoming")


def replace_wave(connection: duckdb.DuckDBPyConnection, instrument: Instrument, wave: str, ingested: Ingested) -> None:
    """Replace exactly this wave's rows of the instrument (table, rejects, superseded, log) in one transaction."""
    connection.execute("create schema if not exists raw")
    for table, columns in ((instrument.table, instrument.columns), ("rejects", REJECT_COLUMNS),
                           ("superseded", SUPERSEDED_COLUMNS), ("ingest_log", INGEST_LOG_COLUMNS)):
        connection.execute(ddl(table, columns))
    connection.execute("begin transaction")
    try:
        connection.execute(f"delete from raw.{instrument.table} where wave = ?", [wave])
        for table in ("rejects", "superseded", "ingest_log"):
            connection.execute(f"delete from raw.{table} where wave = ? and instrument = ?", [wave, instrument.name])
        insert(connection, instrument.table, instrument.columns, ingested.frame)
        insert(connection, "rejects", REJECT_COLUMNS, pd.DataFrame(ingested.rejects, columns=list(REJECT_COLUMNS)))
        insert(connection, "superseded", SUPERSEDED_COLUMNS, pd.DataFrame(ingested.superseded, columns=list(SUPERSEDED_COLUMNS)))
        log = {
            "wave": wave, "instrument": instrument.name, "source_file": f"{wave}/{instrument.name}",
            "rows_received": ingested.rows_received, "rows_loaded": ingested.rows_loaded,
            "rows_rejected": ingested.rows_rejected,
            "duplicates_removed": len(ingested.superseded), "values_invalid": ingested.values_invalid,
            "loaded_at": pd.Timestamp.now(tz="UTC"),
        }
        insert(connection, "ingest_log", INGEST_LOG_COLUMNS, pd.DataFrame([log]))
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
