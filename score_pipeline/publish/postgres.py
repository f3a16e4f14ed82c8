"""The marts on the shared deployment's PostgreSQL (docs/deployment.md, "The marts in PostgreSQL"): analysts query
schema `marts` with their own SQL client, as the read-only role `DAGSTER_PG_ANALYST_USER`.

Each publication loads the published DuckDB file into PostgreSQL in one transaction, after the files' swap. A
mart's rows live in `marts_storage.<mart>`, a table that is emptied and filled again (DELETE then INSERT) rather
than dropped: a reader's snapshot keeps seeing the rows of the publication it started under, whatever mart it
reads next. Analysts read `marts.<mart>`, a view listing the mart's columns in the publication's order. When a
mart's columns change (a new wave's column in panel_coverage), its table gains or loses columns in place (no
rewrite, same table) and its view is made again; that needs the two alone, so the publication first takes their
locks without waiting, and tries again while a reader holds them (docs/decisions.md, "The marts on the shared
server").
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.errors
from dagster import ConfigurableResource
from psycopg2 import sql
from psycopg2.extras import execute_values

from score_pipeline import settings

MARTS_SCHEMA = "marts"  # the analysts' views, named as in the published DuckDB file
STORAGE_SCHEMA = "marts_storage"  # the views' rows: the analysts' role has no privilege on it
# DuckDB's column types and PostgreSQL's (as format_type() spells them); a list is an array of its element's type.
POSTGRES_TYPES = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer",
    "BIGINT": "bigint", "HUGEINT": "numeric", "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint",
    "UBIGINT": "numeric", "FLOAT": "real", "DOUBLE": "double precision", "DATE": "date",
    "TIMESTAMP": "timestamp without time zone", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
}
DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")
ROWS_PER_INSERT = 1000


class MartsLoadError(Exception):
    """The marts could not be loaded into PostgreSQL; the previous publication's marts are still there."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # PostgreSQL's


@dataclass(frozen=True)
class Mart:
    name: str
    columns: tuple[Column, ...]
    rows: list[tuple]


@dataclass(frozen=True)
class PostgresDatabase:
    """The deployment's PostgreSQL database (the Dagster instance's), as its owner."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_environment(cls) -> PostgresDatabase:
        values = settings.postgres_settings()
        if not values["PORT"].isdigit():
            raise settings.SettingError(f"{settings.POSTGRES_ENV_PREFIX}PORT={values['PORT']!r}: give the port's number")
        return cls(values["HOST"], int(values["PORT"]), values["USER"], values["PASSWORD"], values["DB"])

    @contextmanager
    def connect(self, user: str | None = None, password: str | None = None) -> Iterator[psycopg2.extensions.connection]:
        connection = psycopg2.connect(host=self.host, port=self.port, dbname=self.database, user=user or self.user,
                                      password=password or self.password, application_name="score-pipeline")
        try:
            yield connection
        finally:
            connection.close()


def postgres_type(duckdb_type: str, where: str) -> str:
    if duckdb_type.endswith("[]"):
        element = duckdb_type[:-2]
        if not element.endswith("[]"):  # PostgreSQL's arrays of arrays must be rectangular: not a list of lists
            return postgres_type(element, where) + "[]"
    if decimal := DECIMAL.fullmatch(duckdb_type):
        return f"numeric({decimal[1]},{decimal[2]})"
    if duckdb_type in POSTGRES_TYPES:
        return POSTGRES_TYPES[duckdb_type]
    raise MartsLoadError(f"{where}: DuckDB's {duckdb_type} has no PostgreSQL column type here (publish/postgres.py)")


def read_marts(published_database: Path) -> list[Mart]:
    """Every table of schema marts of the published DuckDB file, with its columns and rows."""
    with duckdb.connect(str(published_database), read_only=True) as connection:
        tables = connection.execute(
            "select table_name, list(column_name order by column_index), list(data_type order by column_index) "
            "from duckdb_columns() where schema_name = 'marts' group by table_name order by table_name").fetchall()
        return [Mart(table, tuple(Column(name, postgres_type(kind, f"marts.{table}.{name}"))
                                  for name, kind in zip(names, types)),
                     connection.execute(f'select * from marts."{table}"').fetchall())
                for table, names, types in tables]


def existing_columns(cursor: psycopg2.extensions.cursor, schema: str) -> dict[str, tuple[Column, ...]]:
    """The columns of every table or view of `schema`, in order."""
    cursor.execute("select c.relname, array_agg(a.attname::text order by a.attnum), "
                   "array_agg(format_type(a.atttypid, a.atttypmod) order by a.attnum) "
                   "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                   "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
                   "where n.nspname = %s and c.relkind in ('r', 'v') group by c.relname", [schema])
    return {name: tuple(map(Column, names, types)) for name, names, types in cursor.fetchall()}


def relation(schema: str, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def create_schemas(cursor: psycopg2.extensions.cursor) -> None:
    for schema in (MARTS_SCHEMA, STORAGE_SCHEMA):
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))


def take_locks(cursor: psycopg2.extensions.cursor, names: list[str], present: dict[str, set[str]],
               wait_seconds: float) -> None:
    """The exclusive locks of the tables and views whose shape changes (those of them `present`, by schema), all
    at once and without waiting while holding any (a reader holding one mart and asking for another would
    otherwise deadlock with the publication)."""
    held = [relation(schema, name) for name in names for schema in (STORAGE_SCHEMA, MARTS_SCHEMA)
            if name in present[schema]]
    if not held:
        return
    deadline = time.monotonic() + wait_seconds
    while True:
        cursor.execute("savepoint locks")
        try:
            cursor.execute(sql.SQL("lock table {} in access exclusive mode nowait").format(sql.SQL(", ").join(held)))
            return
        except psycopg2.errors.LockNotAvailable:
            cursor.execute("rollback to savepoint locks")
            if time.monotonic() >= deadline:
                raise MartsLoadError(f"not loaded into PostgreSQL: a reader's transaction held {', '.join(names)} for "
                                     f"{wait_seconds:.0f} s (their columns change); the previous marts stay") from None
            time.sleep(0.2)


def reshape(cursor: psycopg2.extensions.cursor, mart: Mart, stored: tuple[Column, ...] | None) -> None:
    """Make the mart's table hold exactly its columns (a new table, or columns added and dropped in place) and
    its view list them in the publication's order."""
    table = relation(STORAGE_SCHEMA, mart.name)
    cursor.execute(sql.SQL("drop view if exists {}").format(relation(MARTS_SCHEMA, mart.name)))
    if stored is None:
        cursor.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(column.type)) for column in mart.columns)))
    else:
        for column in set(stored) - set(mart.columns):
            cursor.execute(sql.SQL("alter table {} drop column {}").format(table, sql.Identifier(column.name)))
        for column in [column for column in mart.columns if column not in stored]:
            cursor.execute(sql.SQL("alter table {} add column {} {}").format(table, sql.Identifier(column.name),
                                                                             sql.SQL(column.type)))
    cursor.execute(sql.SQL("create view {} as select {} from {}").format(
        relation(MARTS_SCHEMA, mart.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in mart.columns), table))


def replace_rows(cursor: psycopg2.extensions.cursor, mart: Mart) -> None:
    table = relation(STORAGE_SCHEMA, mart.name)
    cursor.execute(sql.SQL("delete from {}").format(table))
    if mart.rows:
        statement = sql.SQL("insert into {} ({}) values %s").format(
            table, sql.SQL(", ").join(sql.Identifier(column.name) for column in mart.columns))
        execute_values(cursor, statement.as_string(cursor), mart.rows, page_size=ROWS_PER_INSERT)


def drop_mart(cursor: psycopg2.extensions.cursor, name: str) -> None:
    cursor.execute(sql.SQL("drop view if exists {}").format(relation(MARTS_SCHEMA, name)))
    cursor.execute(sql.SQL("drop table if exists {}").format(relation(STORAGE_SCHEMA, name)))


def load_marts(database: PostgresDatabase, published_database: Path, lock_wait_seconds: float = 120.0) -> dict[str, int]:
    """Replace the marts in PostgreSQL by those of the published DuckDB file, in one transaction; the rows loaded
    per mart. MartsLoadError (the previous marts untouched) when a reader holds a mart whose columns change for
    longer than `lock_wait_seconds`, or when PostgreSQL refuses the data."""
    marts = read_marts(published_database)
    with database.connect() as connection:
        try:
            with connection, connection.cursor() as cursor:
                create_schemas(cursor)
                stored, shown = existing_columns(cursor, STORAGE_SCHEMA), existing_columns(cursor, MARTS_SCHEMA)
                published = {mart.name for mart in marts}
                reshaped = [mart for mart in marts if stored.get(mart.name) is None
                            or set(stored[mart.name]) != set(mart.columns) or shown.get(mart.name) != mart.columns]
                gone = sorted((set(stored) | set(shown)) - published)
                take_locks(cursor, [mart.name for mart in reshaped] + gone,
                           {STORAGE_SCHEMA: set(stored), MARTS_SCHEMA: set(shown)}, lock_wait_seconds)
                for name in gone:
                    drop_mart(cursor, name)
                for mart in reshaped:
                    reshape(cursor, mart, stored.get(mart.name))
                for mart in marts:
                    replace_rows(cursor, mart)
        except (psycopg2.Error, ValueError) as error:  # ValueError: a value psycopg2 cannot send (text with NUL)
            raise MartsLoadError(f"not loaded into PostgreSQL ({str(error).strip().splitlines()[0]}); "
                                 "the previous marts stay") from error
    return {mart.name: len(mart.rows) for mart in marts}


def prepare_analysts_role(database: PostgresDatabase, analyst: str, password: str) -> None:
    """The analysts' role: it logs in with `password` (set again at every start, so changing the variable changes
    it), may connect to the database and read schema marts (the views there now and those made later), nothing
    else of the database; the two schemas created if need be."""
    with database.connect() as connection, connection, connection.cursor() as cursor:
        create_schemas(cursor)
        cursor.execute("select 1 from pg_roles where rolname = %s", [analyst])
        verb = "alter" if cursor.fetchone() else "create"
        role = sql.Identifier(analyst)
        cursor.execute(sql.SQL(verb + " role {} login nosuperuser nocreatedb nocreaterole noinherit password %s")
                       .format(role), [password])
        marts = sql.Identifier(MARTS_SCHEMA)
        for statement in ("grant connect on database {database} to {role}",
                          "grant usage on schema {marts} to {role}",
                          "grant select on all tables in schema {marts} to {role}",
                          "alter default privileges in schema {marts} grant select on tables to {role}"):
            cursor.execute(sql.SQL(statement).format(database=sql.Identifier(database.database), role=role,
                                                     marts=marts))


class MartsDatabaseResource(ConfigurableResource):
    """Where the publication also loads the marts: the deployment's PostgreSQL when SCORE_PUBLISH_POSTGRES is 1
    (`make serve` sets it), nowhere otherwise (`make run`, the tests' runs)."""

    lock_wait_seconds: float = 120.0

    @property
    def enabled(self) -> bool:
        return settings.publish_to_postgres()

    def load(self, published_database: Path) -> dict[str, int]:
        return load_marts(PostgresDatabase.from_environment(), published_database, self.lock_wait_seconds)


def main() -> int:
    """`make serve`'s first step: the schemas and the analysts' role, from the environment."""
    try:
        analyst, password = settings.analyst_role()
        prepare_analysts_role(PostgresDatabase.from_environment(), analyst, password)
    except (settings.SettingError, psycopg2.Error) as error:
        print(f"make serve: the analysts' role in PostgreSQL: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
