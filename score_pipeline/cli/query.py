"""`score-pipeline sql`: a query on the published marts (or, `--warehouse`, on the working warehouse), printed
for a person or for another tool; and the values of a published column, for `score-pipeline trace`.

`table` and `markdown` are for reading (numbers rounded for the eye, lists joined); `csv` and
`json` are for other tools and keep every value exact: a double prints with all its digits
(Python's shortest round-trip repr), a list column is a JSON array.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from score_pipeline import settings

FORMATS = ("table", "csv", "json", "markdown")
TABLE_ROW_LIMIT = 10_000


# `score-pipeline sql` reads its one database and nothing else: no file (read_csv, copy ... to, attach of
# another database), no extension to install or load; the configuration is locked, so that no statement
# (`set enable_external_access = true`) turns that back on.
CONFINED = {"enable_external_access": False, "lock_configuration": True}


def query_published(query: str, output_format: str, parameters: Sequence[object] = ()) -> str:
    """Run a query on the published marts (the analysts' file, never the warehouse)."""
    return query_database(settings.published_database(), query, output_format, parameters)


def query_database(database: Path, query: str, output_format: str, parameters: Sequence[object] = ()) -> str:
    """Run a query on a DuckDB file, read-only and confined to it."""
    import duckdb

    if not database.exists():
        raise FileNotFoundError(f"{database} does not exist yet: run `make run` first")
    connection = duckdb.connect(str(database), read_only=True, config=CONFINED)
    try:
        cursor = connection.execute(query, list(parameters))
        if cursor.description is None:
            return ""
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchmany(TABLE_ROW_LIMIT) if output_format in ("table", "markdown") else cursor.fetchall()
    finally:
        connection.close()
    return render(columns, rows, output_format)


def published_values(database: Path, relation: str, column: str) -> list[str] | None:
    """The values (as text, nulls left out) a column of a published mart holds; None when the publication does
    not hold the relation (a model that is not published) or is not there."""
    import duckdb

    if not database.exists():
        return None
    schema, table = relation.split(".")
    with duckdb.connect(str(database), read_only=True, config=CONFINED) as connection:
        if not connection.execute("select 1 from information_schema.columns where table_schema = ? and table_name = ? "
                                  "and column_name = ?", [schema, table, column]).fetchall():
            return None
        rows = connection.execute(f'select distinct "{column}"::varchar as value from "{schema}"."{table}" '
                                  f'where "{column}" is not null order by value').fetchall()
    return [value for (value,) in rows]


def failure_line(error: Exception) -> str:
    """A failed query in one line: DuckDB's sentence, without the statement it quotes below it."""
    return f"query failed: {str(error).strip().splitlines()[0]}"


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], output_format: str) -> str:
    if output_format == "csv":
        return to_csv(columns, rows)
    if output_format == "json":
        return to_json(columns, rows)
    from tabulate import tabulate

    readable = [[for_reading(value) for value in row] for row in rows]
    style = "github" if output_format == "markdown" else "simple"
    alignment = ["right" if is_numeric_column(rows, index) else "left" for index in range(len(columns))]
    return tabulate(readable, headers=list(columns), tablefmt=style, disable_numparse=True, colalign=alignment)


def is_numeric_column(rows: Sequence[Sequence[Any]], index: int) -> bool:
    values = [row[index] for row in rows if row[index] is not None]
    return bool(values) and all(isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool) for v in values)


def for_reading(value: Any) -> str:
    """A cell as a person reads it: about four significant digits, thousands separated, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float | decimal.Decimal):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if number == 0 or math.isinf(number):
            return f"{number:g}"
        if abs(number) >= 1000:
            return f"{number:,.0f}"
        if abs(number) < 0.001:
            return f"{number:.2e}"
        return f"{number:.4g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, list | tuple):
        return "; ".join(for_reading(item) for item in value)
    return str(value)


def exact(value: Any) -> Any:
    """A value as JSON holds it without loss: floats as they are (NaN and infinities as null),
    decimals as exact text, dates in ISO 8601."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [exact(item) for item in value]
    if isinstance(value, dict):
        return {str(key): exact(item) for key, item in value.items()}
    return value


def to_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    records = [{column: exact(value) for column, value in zip(columns, row)} for row in rows]
    return json.dumps(records, ensure_ascii=False, allow_nan=False)


def csv_cell(value: Any) -> Any:
    """A CSV field: one line always; a list or struct is written as JSON."""
    value = exact(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return repr(value) if isinstance(value, float) else value


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().rstrip("\n")
