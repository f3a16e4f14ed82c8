"""Column lineage inside a query (lineage/sql.py), checked against DuckDB itself: a column the lineage names
changes the figure when its rows are changed, and a column it leaves out does not. The expected origins are
read off each query by hand."""

from __future__ import annotations

import duckdb
import pytest

from score_pipeline.lineage.sql import LineageError, Origin, column_origins, query_columns

TABLES = """
create schema s;
create table s.t1 (k varchar, grp varchar, x double, y double, z double);
insert into s.t1 values ('e1', 'a', 0.2, 3.0, 7.0), ('e2', 'a', 0.5, 4.0, 1.0), ('e3', 'c', 2.0, 5.0, 2.5),
                        ('e4', 'c', 0.4, 6.5, 9.0);
create table s.t2 (k varchar, kind varchar, v double, w double);
insert into s.t2 values ('e1', 'a', 10.0, 1.0), ('e2', 'c', 20.0, 2.0), ('e3', 'a', 30.0, 3.0), ('e4', 'c', 45.0, 4.0);
"""
# The columns holding values (not keys): the ones the oracle changes.
VALUE_COLUMNS = {("s.t1", "x"), ("s.t1", "y"), ("s.t1", "z"), ("s.t2", "v"), ("s.t2", "w")}

# (query, result column, the figure's row, the origins read off the query by hand)
CASES = {
    "a union branch whose literal is another row's is not followed": (
        "select 'a' as indicator, avg(x) as value from s.t1 union all select 'b', avg(y) from s.t1 "
        "union all select kind, sum(v) from s.t2 group by kind",
        "value", {"indicator": "a"}, {Origin("s.t1", "x"), Origin("s.t2", "v", (("kind", "a"),))}),
    "the UNPIVOT statement's value is the unpivoted column of the row's name": (
        "with wide as (select k, x as first, y as second from s.t1), "
        "long as (unpivot wide on first, second into name part value amount) "
        "select part, sum(amount) as total from long group by part",
        "total", {"part": "second"}, {Origin("s.t1", "y")}),
    "the UNPIVOT clause takes COLUMNS(regex), and other columns pass through it": (
        "select k, item, answer * 2 as doubled, z from (select k, columns('^[xyz]$') from s.t1) "
        "unpivot (answer for item in (columns('^[xy]$')))",
        "doubled", {"item": "y"}, {Origin("s.t1", "y")}),
    "a join's literal narrows that source's rows": (
        "select t1.k, t1.x + t2.v as total from s.t1 join s.t2 on t2.k = t1.k and t2.kind = 'a'",
        "total", {}, {Origin("s.t1", "x"), Origin("s.t2", "v", (("kind", "a"),))}),
    "the figure's row reaches the other side of a join's equality": (
        "select a.grp, sum(b.v) as total from s.t1 as a join s.t2 as b on b.kind = a.grp group by a.grp",
        "total", {"grp": "a"}, {Origin("s.t2", "v", (("kind", "a"),))}),
    "a CASE of literals gives its WHEN's condition to the rows of its outcome": (
        "with parts as (select 'whole' as code, x as score from s.t1 union all select 'half', y from s.t1), "
        "levelled as (select case when code = 'whole' then 'top' else 'part' end as level, score from parts) "
        "select level, avg(score) as mean from levelled group by level",
        "mean", {"level": "top"}, {Origin("s.t1", "x")}),
    "a count's FILTER is its value": (
        "select grp, count(*) filter (where x > 1) as n_big from s.t1 group by grp",
        "n_big", {}, {Origin("s.t1", "x")}),
    "an aggregate's FILTER chooses its rows": (
        "select max(y) filter (where grp = 'a') as y_of_a from s.t1",
        "y_of_a", {}, {Origin("s.t1", "y", (("grp", "a"),))}),
    "arg_max's ordering key chooses the row, it is not the value": (
        "select grp, arg_max(z, x) as z_at_largest_x from s.t1 group by grp",
        "z_at_largest_x", {}, {Origin("s.t1", "z")}),
    "a lateral alias is the projection it names": (
        "select b.*, v * 2 as doubled, doubled + 1 as plus_one from s.t2 as b",
        "plus_one", {}, {Origin("s.t2", "v")}),
    "a star with EXCLUDE keeps the other columns": (
        "with kept as (select * exclude (w) from s.t2) select * from kept",
        "v", {}, {Origin("s.t2", "v")}),
    "USING joins columns of the same name": (
        "select k, t1.y + t2.w as total from s.t1 join s.t2 using (k)",
        "total", {}, {Origin("s.t1", "y"), Origin("s.t2", "w")}),
}


@pytest.fixture(scope="module")
def connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(TABLES)
    return connection


def columns_of(connection: duckdb.DuckDBPyConnection):
    def lookup(relation: str) -> list[str]:
        schema, table = relation.split(".")
        return [name for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table]).fetchall()]
    return lookup


def figure(connection: duckdb.DuckDBPyConnection, sql: str, column: str, rows: dict[str, str]) -> list[object]:
    where = " and ".join(f"{name} = '{value}'" for name, value in rows.items()) or "true"
    return sorted(connection.execute(f"select {column} from ({sql}) where {where}").fetchall(), key=repr)


def changes_figure(connection: duckdb.DuckDBPyConnection, case: tuple, relation: str, column: str,
                   only: tuple[tuple[str, str], ...] = ()) -> bool:
    """Whether changing `relation.column` (in the rows where `only` holds) changes the figure."""
    sql, result_column, rows, _ = case
    before = figure(connection, sql, result_column, rows)
    where = " and ".join(f"{name} = '{value}'" for name, value in only) or "true"
    connection.execute("begin")
    try:
        connection.execute(f"update {relation} set {column} = {column} * 3 + 1 where {where}")
        after = figure(connection, sql, result_column, rows)
    finally:
        connection.execute("rollback")
    return before != after


@pytest.mark.parametrize("name", CASES)
def test_a_column_s_origins_are_those_read_off_the_query(connection, name: str) -> None:
    sql, column, rows, expected = CASES[name]
    assert column_origins(sql, column, columns_of(connection), rows) == expected


@pytest.mark.parametrize("name", CASES)
def test_duckdb_agrees_changing_an_origin_changes_the_figure_and_no_other_column_does(connection, name: str) -> None:
    case = CASES[name]
    sql, column, rows, _ = case
    origins = column_origins(sql, column, columns_of(connection), rows)
    named = {(origin.relation, origin.column) for origin in origins}
    for origin in origins:
        assert changes_figure(connection, case, origin.relation, origin.column, origin.rows), origin
    for relation, value_column in VALUE_COLUMNS - named:
        assert not changes_figure(connection, case, relation, value_column), (relation, value_column)


def test_the_result_columns_expand_stars_and_unpivots(connection) -> None:
    sql = CASES["the UNPIVOT clause takes COLUMNS(regex), and other columns pass through it"][0]
    assert query_columns(sql, columns_of(connection)) == ["k", "item", "doubled", "z"]
    assert query_columns("select * from (unpivot s.t1 on x, y into name n value v)", columns_of(connection)) == [
        "k", "grp", "z", "n", "v"]


def test_a_column_of_no_source_is_named() -> None:
    with pytest.raises(LineageError, match="'missing' is in none of the sources"):
        column_origins("select missing + 1 as m from s.t", "m", lambda relation: ["a", "b"])
    with pytest.raises(LineageError, match="the query has no column 'other'"):
        column_origins("select a from s.t", "other", lambda relation: ["a", "b"])
