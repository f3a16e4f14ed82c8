"""A published mart as a Stata file (`<mart>.dta`, format 118: Stata 14 and later), written by pandas'
StataWriter from the staged table and its dbt documentation (issue 28; decisions: "Stata files").

What Stata cannot hold is turned into what it can, by the column's DuckDB type, never by a list of marts:
names cut to Stata's 32 characters, descriptions to its 80-character labels, lists joined into text, coded
columns (a dbt `accepted_values` test) into labelled integers, nulls into Stata's missing (`.`, and `""` for
text: Stata has no other missing string).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import duckdb
from pandas.io.stata import InvalidColumnName

from score_pipeline.transform.metadata import Relation

STATA_FORMAT = 118  # Stata 14 and later; 119 is only for more than 32,767 variables
NAME_LENGTH = 32
LABEL_LENGTH = 80  # a variable's and the dataset's label, in characters
CUT_MARK = "..."  # ends a label cut at a word boundary; the whole description is in the docs site
STRING_BYTES = 2045  # the longest str#; a longer text is a strL
EXACT_INTEGERS = 2**53  # beyond Stata's long (int32) an integer is a double, exact up to here
LIST_SEPARATOR = " "  # list elements are codes, numbers or words (contract 2.6: `temas` is a list of words)
# Stata's reserved names ([U] 11.3), str1..str2045 too; a name that is one gets a leading underscore.
RESERVED_NAMES = frozenset({"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
                            "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"})
RESERVED_STRING_TYPE = re.compile(r"str[0-9]+")
NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_]")
INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                           "UINTEGER", "UBIGINT", "UHUGEINT"})
AS_THEY_ARE = frozenset({"VARCHAR", "BOOLEAN", "FLOAT", "DOUBLE", "DATE", "TIMESTAMP", "TIMESTAMP_S",
                         "TIMESTAMP_MS", "TIMESTAMP_NS"})
DATE_FORMATS = {"DATE": "td"}  # Stata's day; every timestamp is a %tc (milliseconds, UTC for a zoned one)


class StataExportError(Exception):
    """A mart that cannot be written as a Stata file as it stands; nothing is published."""


def stata_name(column: str) -> str:
    """The column's name as Stata accepts it: [A-Za-z_][A-Za-z0-9_]*, at most 32 characters, not reserved."""
    name = NOT_IN_A_NAME.sub("_", column)
    if name[:1].isdigit() or name in RESERVED_NAMES or RESERVED_STRING_TYPE.fullmatch(name):
        name = "_" + name
    return name[:NAME_LENGTH]


def stata_label(description: str) -> str:
    """A description as a Stata label: markdown's code marks dropped, white space collapsed, and a text longer
    than 80 characters cut at the last word boundary that leaves room for `...`."""
    text = " ".join(description.replace("`", "").split())
    if len(text) <= LABEL_LENGTH:
        return text
    room = LABEL_LENGTH - len(CUT_MARK)
    words = text[:room + 1].rsplit(" ", 1)[0] if " " in text[:room + 1] else text[:room]
    return words.rstrip(" ,;:(") + CUT_MARK


def write_stata_file(connection: duckdb.DuckDBPyConnection, table: str, path: Path, documented: Relation) -> None:
    """Write `table` (schema-qualified, as `connection` names it) to `path` as a .dta file labelled from
    `documented`; StataExportError naming the mart and column of anything Stata cannot hold."""
    mart = documented.name
    types = dict(connection.execute(
        "select column_name, data_type from duckdb_columns() where database_name = current_database() "
        "and schema_name || '.' || table_name = ? order by column_index", [table]).fetchall())
    names = _stata_names(mart, list(types))
    coded = {column: values for column, values in documented.accepted_values.items() if column in types}
    values = {column: _as_stata_value(mart, column, kind, coded.get(column)) for column, kind in types.items()}
    longest = _checked(connection, table, mart, types, values, coded)
    frame = connection.execute("select " + ", ".join(f'{value} as "{column}"' for column, value in values.items())
                               + f" from {table}").df()
    options = {
        "variable_labels": {names[column]: stata_label(documented.descriptions.get(column) or documented.description)
                            for column in types},
        "value_labels": {names[column]: dict(enumerate(map(str, accepted), start=1)) for column, accepted in coded.items()},
        "convert_strl": [names[column] for column, length in longest.items() if length > STRING_BYTES],
        "convert_dates": {names[column]: DATE_FORMATS.get(kind, "tc") for column, kind in types.items()
                          if kind.startswith(("DATE", "TIMESTAMP"))},
        "data_label": stata_label(documented.description),
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InvalidColumnName)  # a name pandas would change behind our back
            frame.rename(columns=names).to_stata(path, write_index=False, version=STATA_FORMAT, **options)
    except (ValueError, InvalidColumnName) as error:
        raise StataExportError(f"not published: {mart}.dta: {' '.join(str(error).split())}") from error


def _stata_names(mart: str, columns: list[str]) -> dict[str, str]:
    names = {column: stata_name(column) for column in columns}
    taken: dict[str, str] = {}
    for column, name in names.items():
        if name in taken:
            raise StataExportError(f"not published: {mart}.dta: columns {taken[name]} and {column} are both {name} in Stata")
        taken[name] = column
    return names


def _is_text(kind: str) -> bool:
    return kind == "VARCHAR" or kind.endswith("[]")


def _as_stata_value(mart: str, column: str, kind: str, accepted: tuple[str, ...] | None) -> str:
    """The SELECT expression that gives the column a value Stata can hold: a coded column as its value's position
    1..n in the accepted list, text with null as "", a list as its elements' text joined, every integer as BIGINT
    (Stata's long, or a double beyond it), a decimal or a column of no type (every value null) as a double, a
    zoned timestamp in UTC."""
    quoted = f'"{column}"'
    if accepted is not None:
        return f"list_position({_sql_list(accepted)}, {quoted}::VARCHAR)::INTEGER"
    if kind == "VARCHAR":
        return f"coalesce({quoted}, '')"
    if kind in AS_THEY_ARE:
        return quoted
    if kind.endswith("[]") and kind.count("[]") == 1 and not kind.startswith(("STRUCT", "MAP", "UNION")):
        return f"coalesce(array_to_string({quoted}, '{LIST_SEPARATOR}'), '')"
    if kind in INTEGER_TYPES:
        return f"{quoted}::BIGINT"
    if kind.startswith("DECIMAL") or kind.strip('"') == "NULL":  # a scipy mart's figure null on every row (a first wave)
        return f"{quoted}::DOUBLE"
    if kind == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {quoted})"
    raise StataExportError(f"not published: {mart}.dta: {column} is a {kind}, which has no Stata type "
                           "(a list of scalars, text, a number, a date or a timestamp has)")


def _checked(connection: duckdb.DuckDBPyConnection, table: str, mart: str, types: dict[str, str], values: dict[str, str],
             coded: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """The longest value in bytes of each text column, in one scan of the table that also refuses a coded value
    outside its accepted list and an integer a Stata double cannot hold exactly (beyond 2^53)."""
    checks = {}
    for column, kind in types.items():
        quoted = f'"{column}"'
        if column in coded:
            accepted = _sql_list(coded[column])
            checks[column] = f"list(distinct {quoted}::VARCHAR) filter (where not list_contains({accepted}, {quoted}::VARCHAR))"
        elif kind in INTEGER_TYPES:
            checks[column] = f"count(*) filter (where {values[column]} not between -{EXACT_INTEGERS} and {EXACT_INTEGERS})"
        elif _is_text(kind):
            checks[column] = f"coalesce(max(strlen({values[column]})), 0)"
    if not checks:
        return {}
    found = dict(zip(checks, connection.execute(f"select {', '.join(checks.values())} from {table}").fetchone()))
    for column, outside in found.items():
        if column in coded and outside:
            raise StataExportError(f"not published: {mart}.dta: {column} holds {', '.join(map(repr, sorted(outside)))}, "
                                   "outside the values its dbt accepted_values test lists")
        if types[column] in INTEGER_TYPES and outside:
            raise StataExportError(f"not published: {mart}.dta: {column} holds an integer beyond 2^53, "
                                   "which a Stata double cannot hold exactly")
    return {column: length for column, length in found.items() if column not in coded and _is_text(types[column])}


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + str(value).replace("'", "''") + "'" for value in values) + "]::VARCHAR[]"
