"""Writing one wave of an instrument into the warehouse's raw tables, inside a transaction the caller
commits only when the wave's blocking checks pass (ingest/assets.py): stage, check, then swap."""

from __future__ import annotations

import duckdb
import pandas as pd

from score_pipeline.core.programme import COUNTRY_FILE
from score_pipeline.ingest.corrections import CORRECTION_COLUMNS
from score_pipeline.ingest.instruments import INSTRUMENTS, REJECT_COLUMNS, SUPERSEDED_COLUMNS, Ingested, Instrument
from score_pipeline.ingest.instruments.common import FOLDER_COLUMNS

INGEST_LOG_COLUMNS = {
    "wave": "VARCHAR", "instrument": "VARCHAR", "source_file": "VARCHAR", "rows_received": "INTEGER",
    "rows_loaded": "INTEGER", "rows_rejected": "INTEGER", "duplicates_removed": "INTEGER",
    "values_invalid": "INTEGER", "loaded_at": "TIMESTAMP WITH TIME ZONE",
}
BOOKKEEPING = {"rejects": REJECT_COLUMNS, "superseded": SUPERSEDED_COLUMNS, "ingest_log": INGEST_LOG_COLUMNS,
               "corrections": CORRECTION_COLUMNS}
COUNTRY_COLUMN = "country"  # contract 7: every raw row carries its country's code, first
# The countries loaded, as their country.yaml describes them (the marts' names and currencies).
COUNTRIES_DDL = ("create table if not exists raw.countries (country VARCHAR primary key, name VARCHAR not null, "
                 "currency VARCHAR not null, enterprise_id VARCHAR not null)")


# Where the rows of the raw tables no instrument writes come from (a figure's trace ends there).
BOOKKEEPING_ORIGINS = {
    "rejects": "the rows and cells the ingest asset set aside, with their reasons",
    "superseded": "the submissions a later one of the same enterprise replaced",
    "ingest_log": "counted by the ingest asset as it loads the wave's file",
    "corrections": "the wave's corrections log (<corrections>/<cc>/<wave>.csv), line by line, with each line's status",
}


def raw_origin(table: str, column: str) -> str:
    """Where a raw table's column comes from: `perfil_empresa.xlsx, column 'Accidentes de trabajo (año)'`,
    `country.yaml, key 'currency'`, or what the ingest asset records."""
    instrument = next((i for i in INSTRUMENTS if i.table == table), None)
    if instrument is not None:
        return instrument.read_from(column)
    if table == "countries":
        return f"{COUNTRY_FILE}, {FOLDER_COLUMNS[column] if column == COUNTRY_COLUMN else f'key {column!r}'}"
    return f"{BOOKKEEPING_ORIGINS[table]}: column {column!r}"


def declared_raw_columns() -> str:
    """Every raw table's declared columns and types, as one text (what changes the warehouse's raw schema)."""
    tables = {**{i.table: i.columns for i in INSTRUMENTS}, **BOOKKEEPING}
    return f"{COUNTRIES_DDL}|" + "|".join(f"{table}:{raw_columns(columns)}" for table, columns in sorted(tables.items()))


def raw_columns(columns: dict[str, str]) -> dict[str, str]:
    """A raw table's columns: the country, then what the instrument or the bookkeeping declares."""
    return {COUNTRY_COLUMN: "VARCHAR", **columns}


def ddl(table: str, columns: dict[str, str]) -> str:
    body = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    return f"create table if not exists raw.{table} ({body})"


def insert(connection: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], frame: pd.DataFrame,
           country: str) -> None:
    if frame.empty:
        return
    connection.register("incoming", frame.assign(**{COUNTRY_COLUMN: country}))
    names = raw_columns(columns)
    targets = ", ".join(f'"{name}"' for name in names)
    casts = ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind in names.items())
    connection.execute(f"insert into raw.{table} ({targets}) select {casts} from incoming")
    connection.unregister("incoming")


def create_tables(connection: duckdb.DuckDBPyConnection, instrument: Instrument, country: str) -> None:
    connection.execute("create schema if not exists raw")
    connection.execute(COUNTRIES_DDL)
    for table, columns in ((instrument.table, instrument.columns), *BOOKKEEPING.items()):
        connection.execute(ddl(table, raw_columns(columns)))
        add_country_column(connection, table, country)
        add_new_columns(connection, table, columns)


def record_country(connection: duckdb.DuckDBPyConnection, code: str, name: str, currency: str, scheme: str) -> None:
    """The country's row of raw.countries as its country.yaml says now (a corrected name replaces the old)."""
    connection.execute("insert or replace into raw.countries values (?, ?, ?, ?)", [code, name, currency, scheme])


def add_country_column(connection: duckdb.DuckDBPyConnection, table: str, country: str) -> None:
    """A warehouse written before contract 7 has no country column: it is added (last), its rows being the
    country of the root they were loaded from, the one being loaded now (a warehouse held one country)."""
    has_it = connection.execute("select count(*) from information_schema.columns where table_schema = 'raw' "
                                "and table_name = ? and column_name = ?", [table, COUNTRY_COLUMN]).fetchone()[0]
    if not has_it:
        connection.execute(f'alter table raw.{table} add column "{COUNTRY_COLUMN}" VARCHAR')
        connection.execute(f'update raw.{table} set "{COUNTRY_COLUMN}" = ?', [country])


def add_new_columns(connection: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    """A column the instrument declares since the warehouse was written (contract 8's `worker_code`) is added,
    null in the rows loaded before: a wave holds its values once it is ingested again."""
    present = {name for (name,) in connection.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
        [table]).fetchall()}
    for name, kind in columns.items():
        if name not in present:
            connection.execute(f'alter table raw.{table} add column "{name}" {kind}')


def stage_wave(connection: duckdb.DuckDBPyConnection, instrument: Instrument, country: str, wave: str,
               ingested: Ingested) -> None:
    """Replace exactly this country's wave's rows of the instrument (table, rejects, superseded, log). Run
    inside a transaction: nothing is visible to others until the caller commits."""
    connection.execute(f"delete from raw.{instrument.table} where country = ? and wave = ?", [country, wave])
    for table in BOOKKEEPING:
        connection.execute(f"delete from raw.{table} where country = ? and wave = ? and instrument = ?",
                           [country, wave, instrument.name])
    insert(connection, instrument.table, instrument.columns, ingested.frame, country)
    insert(connection, "rejects", REJECT_COLUMNS, pd.DataFrame(ingested.rejects, columns=list(REJECT_COLUMNS)), country)
    insert(connection, "superseded", SUPERSEDED_COLUMNS,
           pd.DataFrame(ingested.superseded, columns=list(SUPERSEDED_COLUMNS)), country)
    insert(connection, "corrections", CORRECTION_COLUMNS,
           pd.DataFrame(ingested.corrections, columns=list(CORRECTION_COLUMNS), dtype=object), country)
    if not ingested.sent:  # no file of this instrument in the wave: nothing to count (no data_quality row)
        return
    log = {
        "wave": wave, "instrument": instrument.name, "source_file": f"{wave}/{instrument.name}",
        "rows_received": ingested.rows_received, "rows_loaded": ingested.rows_loaded,
        "rows_rejected": ingested.rows_rejected, "duplicates_removed": len(ingested.superseded),
        "values_invalid": ingested.values_invalid, "loaded_at": pd.Timestamp.now(tz="UTC"),
    }
    insert(connection, "ingest_log", INGEST_LOG_COLUMNS, pd.DataFrame([log]), country)
