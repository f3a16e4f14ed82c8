"""Writing one wave of an instrument into the warehouse's raw tables, inside a transaction the caller
commits only when the wave's blocking checks pass (ingest/assets.py): stage, check, then swap."""

from __future__ import annotations

import duckdb
import pandas as pd

from score_pipeline.ingest.corrections import CORRECTION_COLUMNS
from score_pipeline.ingest.instruments import REJECT_COLUMNS, SUPERSEDED_COLUMNS, Ingested, Instrument

INGEST_LOG_COLUMNS = {
    "wave": "VARCHAR", "instrument": "VARCHAR", "source_file": "VARCHAR", "rows_received": "INTEGER",
    "rows_loaded": "INTEGER", "rows_rejected": "INTEGER", "duplicates_removed": "INTEGER",
    "values_invalid": "INTEGER", "loaded_at": "TIMESTAMP WITH TIME ZONE",
}
BOOKKEEPING = {"rejects": REJECT_COLUMNS, "superseded": SUPERSEDED_COLUMNS, "ingest_log": INGEST_LOG_COLUMNS,
               "corrections": CORRECTION_COLUMNS}


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


def create_tables(connection: duckdb.DuckDBPyConnection, instrument: Instrument) -> None:
    connection.execute("create schema if not exists raw")
    for table, columns in ((instrument.table, instrument.columns), *BOOKKEEPING.items()):
        connection.execute(ddl(table, columns))


def stage_wave(connection: duckdb.DuckDBPyConnection, instrument: Instrument, wave: str, ingested: Ingested) -> None:
    """Replace exactly this wave's rows of the instrument (table, rejects, superseded, log). Run inside a
    transaction: nothing is visible to others until the caller commits."""
    connection.execute(f"delete from raw.{instrument.table} where wave = ?", [wave])
    for table in BOOKKEEPING:
        connection.execute(f"delete from raw.{table} where wave = ? and instrument = ?", [wave, instrument.name])
    insert(connection, instrument.table, instrument.columns, ingested.frame)
    insert(connection, "rejects", REJECT_COLUMNS, pd.DataFrame(ingested.rejects, columns=list(REJECT_COLUMNS)))
    insert(connection, "superseded", SUPERSEDED_COLUMNS, pd.DataFrame(ingested.superseded, columns=list(SUPERSEDED_COLUMNS)))
    insert(connection, "corrections", CORRECTION_COLUMNS,
           pd.DataFrame(ingested.corrections, columns=list(CORRECTION_COLUMNS), dtype=object))
    log = {
        "wave": wave, "instrument": instrument.name, "source_file": f"{wave}/{instrument.name}",
        "rows_received": ingested.rows_received, "rows_loaded": ingested.rows_loaded,
        "rows_rejected": ingested.rows_rejected, "duplicates_removed": len(ingested.superseded),
        "values_invalid": ingested.values_invalid, "loaded_at": pd.Timestamp.now(tz="UTC"),
    }
    insert(connection, "ingest_log", INGEST_LOG_COLUMNS, pd.DataFrame([log]))
