"""Column lineage inside one query: the stored columns a result column's values are computed from, and the
rows they come from (the columns known to equal a literal there).

sqlglot parses DuckDB's SQL, its `UNPIVOT` statement and clause and `COLUMNS('regex')` included, but its
own lineage cannot traverse an UNPIVOT, which is where the KPIs of the headline (the -42 % accidents) and
the score levels come from. So this follows the query itself, on sqlglot's syntax tree: CTEs, subqueries,
joins, unions (by position) and unpivots, with `*`, `alias.*`, `* exclude (...)` and `COLUMNS(...)`
expanded from the stored relations' columns.

A column's lineage is what its value is computed from (the projection's expression), not the columns that
filter, join or group the rows. Those filters still matter to a reader: the equalities to a literal in
WHERE, JOIN ... ON, USING and FILTER (WHERE ...) clauses, and the literal a union branch or an unpivot
gives a column, narrow the rows, so a figure of one row (`indicator = 'accidents'`) is traced through the
union branch and the unpivoted column that make it, and not through the others.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
Rows = Mapping[str, str]  # column -> the literal it equals in every row that counts
ColumnsOf = Callable[[str], Sequence[str]]  # a stored relation ("schema.table") -> its columns


class LineageError(Exception):
    """The query names something this cannot resolve (a column of no source, an unknown relation)."""


@dataclass(frozen=True, order=True)
class Origin:
    """A stored relation's column a result column is computed from, with the rows of it that count."""

    relation: str  # "schema.table", as the query names it, lower case
    column: str
    rows: tuple[tuple[str, str], ...] = ()  # (column, literal) of that relation, sorted


def column_origins(sql: str, column: str, columns_of: ColumnsOf, rows: Rows | None = None) -> set[Origin]:
    """The stored columns the query's result `column` is computed from, for the result rows where each
    column of `rows` equals its literal."""
    query = sqlglot.parse_one(sql, dialect=DIALECT)
    relation = relation_of(query, {}, columns_of)
    if column.lower() not in relation.columns:
        raise LineageError(f"the query has no column {column!r} (it has {', '.join(relation.columns)})")
    return set(relation.origins(column.lower(), {k.lower(): v for k, v in (rows or {}).items()}))


def query_columns(sql: str, columns_of: ColumnsOf) -> list[str]:
    """The query's result columns, in order."""
    return relation_of(sqlglot.parse_one(sql, dialect=DIALECT), {}, columns_of).columns


class Relation(ABC):
    @property
    @abstractmethod
    def columns(self) -> list[str]: ...

    @abstractmethod
    def origins(self, column: str, rows: Rows) -> Iterator[Origin]:
        """The stored columns `column` is computed from, for the rows where `rows` hold."""


class Stored(Relation):
    """A table or view of the warehouse: where this query's lineage ends."""

    def __init__(self, name: str, columns_of: ColumnsOf):
        self.name, self._columns_of = name, columns_of

    @cached_property
    def columns(self) -> list[str]:
        return [column.lower() for column in self._columns_of(self.name)]

    def origins(self, column: str, rows: Rows) -> Iterator[Origin]:
        yield Origin(self.name, column, tuple(sorted((c, v) for c, v in rows.items() if c in self.columns)))


class SetOperation(Relation):
    """UNION [ALL] (and INTERSECT, EXCEPT): branches matched by position, named by the first."""

    def __init__(self, branches: Sequence[Relation]):
        self.branches = branches

    @property
    def columns(self) -> list[str]:
        return self.branches[0].columns

    def origins(self, column: str, rows: Rows) -> Iterator[Origin]:
        position = {name: index for index, name in enumerate(self.columns)}
        for branch in self.branches:
            own = branch.columns
            yield from branch.origins(own[position[column]], {own[position[c]]: v for c, v in rows.items()})


class Unpivot(Relation):
    """`UNPIVOT ... ON <columns> INTO NAME <name> VALUE <value>`: the value column comes from the columns
    unpivoted, one per row, and the name column holds which (a literal, from no column)."""

    def __init__(self, source: Relation, on: Sequence[exp.Expression], name: str, value: str):
        self.source, self.name, self.value = source, name, value
        self.on = expand(on, source.columns)

    @cached_property
    def columns(self) -> list[str]:
        return [c for c in self.source.columns if c not in self.on] + [self.name, self.value]

    def origins(self, column: str, rows: Rows) -> Iterator[Origin]:
        kept = {c: v for c, v in rows.items() if c not in (self.name, self.value)}
        if column == self.name:
            return
        if column != self.value:
            yield from self.source.origins(column, kept)
            return
        for unpivoted in self.on:
            if rows.get(self.name, unpivoted) == unpivoted:
                yield from self.source.origins(unpivoted, kept)


class Select(Relation):
    """One SELECT: its sources by alias (FROM and JOINs), its projections, its row conditions."""

    def __init__(self, node: exp.Select, ctes: Mapping[str, Relation], columns_of: ColumnsOf):
        self.node = node
        self.sources: dict[str, Relation] = {}
        clauses = [node.args.get("from_"), *(node.args.get("joins") or [])]
        for clause in filter(None, clauses):
            alias, relation = source_of(clause.this, ctes, columns_of)
            self.sources[alias] = relation

    @cached_property
    def projections(self) -> list[tuple[str, exp.Expression]]:
        """(result column, expression over the sources' columns), stars expanded."""
        projections: list[tuple[str, exp.Expression]] = []
        for item in self.node.expressions:
            if isinstance(item, exp.Star):
                excluded = {c.name.lower() for c in item.args.get("except_") or []}
                projections += [(c, exp.column(c, table=alias)) for alias, source in self.sources.items()
                                for c in source.columns if c not in excluded]
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                alias = item.table.lower()
                projections += [(c, exp.column(c, table=alias)) for c in self.source(alias, item).columns]
            elif isinstance(item, exp.Columns):
                pattern = re.compile(item.this.name)
                projections += [(c, exp.column(c, table=alias)) for alias, source in self.sources.items()
                                for c in source.columns if pattern.search(c)]
            else:
                projections.append((item.alias_or_name.lower(), item.unalias()))
        return projections

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self.projections]

    def origins(self, column: str, rows: Rows) -> Iterator[Origin]:
        expressions = dict(reversed(self.projections))  # the first of a repeated name
        if any(contradicts(expressions.get(c), v) for c, v in rows.items()):
            return
        known = {self.resolve(expressions[c]): v for c, v in rows.items() if isinstance(expressions.get(c), exp.Column)}
        expression = expressions[column]
        filters = [f.expression.this for f in expression.find_all(exp.Filter)]
        filters += [condition for c, v in rows.items() for condition in case_conditions(expressions.get(c), v)]
        source_rows = self.rows_of_sources(known, filters)
        for reference in own_columns(expression):
            if reference.table == "" and reference.name.lower() not in self.source_columns and reference.name.lower() in expressions:
                yield from self.origins(reference.name.lower(), rows)  # a lateral alias: an earlier projection
                continue
            alias, name = self.resolve(reference)
            yield from self.sources[alias].origins(name, source_rows.get(alias, {}))

    @cached_property
    def source_columns(self) -> set[str]:
        return {c for source in self.sources.values() for c in source.columns}

    def source(self, alias: str, where: exp.Expression) -> Relation:
        if alias not in self.sources:
            raise LineageError(f"{where.sql(DIALECT)!r}: no source named {alias!r}")
        return self.sources[alias]

    def resolve(self, column: exp.Column) -> tuple[str, str]:
        """(source alias, column) a column reference of this SELECT names."""
        name = column.name.lower()
        if column.table:
            self.source(column.table.lower(), column)
            return column.table.lower(), name
        for alias, source in self.sources.items():
            if name in source.columns:
                return alias, name
        raise LineageError(f"column {name!r} is in none of the sources ({', '.join(self.sources)})")

    def rows_of_sources(self, known: Mapping[tuple[str, str], str], filters: Sequence[exp.Expression]) -> dict[str, dict[str, str]]:
        """Each source's columns that equal a literal in the rows that count: those the caller asked for,
        those WHERE, ON, USING and the projection's FILTER clauses set, spread over column equalities."""
        literals = dict(known)
        pairs: list[tuple[tuple[str, str], tuple[str, str]]] = []
        conditions = [self.node.args.get("where"), *(join.args.get("on") for join in self.node.args.get("joins") or []), *filters]
        for condition in filter(None, conditions):
            for equality in conjuncts(condition.this if isinstance(condition, exp.Where) else condition):
                left, right = equality.this, equality.expression
                if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
                    left, right = right, left
                column = self.resolved(left)
                if column is None:
                    continue
                if isinstance(right, exp.Literal):
                    literals[column] = right.name
                elif (other := self.resolved(right)) is not None:
                    pairs.append((column, other))
        aliases = list(self.sources)
        for index, join in enumerate(self.node.args.get("joins") or []):
            joined = aliases[index + 1]
            for using in join.args.get("using") or []:
                name = using.name.lower()
                earlier = next((a for a in aliases[:index + 1] if name in self.sources[a].columns), None)
                if earlier:
                    pairs.append(((earlier, name), (joined, name)))
        spread = True
        while spread:
            spread = False
            for a, b in pairs:
                for one, other in ((a, b), (b, a)):
                    if one in literals and other not in literals:
                        literals[other] = literals[one]
                        spread = True
        by_source: dict[str, dict[str, str]] = {}
        for (alias, name), value in literals.items():
            by_source.setdefault(alias, {})[name] = value
        return by_source

    def resolved(self, expression: exp.Expression) -> tuple[str, str] | None:
        """(source alias, column) when the expression is a column of a source here (not an outer query's)."""
        if not isinstance(expression, exp.Column):
            return None
        try:
            return self.resolve(expression)
        except LineageError:
            return None


def contradicts(expression: exp.Expression | None, value: str) -> bool:
    """Whether a projection cannot be `value`: a literal other than it (a union branch that is not it), or a
    CASE whose every outcome is such a literal."""
    if isinstance(expression, exp.Case):
        outcomes = [branch.args["true"] for branch in expression.args["ifs"]] + [expression.args.get("default") or exp.null()]
        return all(isinstance(o, (exp.Literal, exp.Null)) for o in outcomes) and not any(
            isinstance(o, exp.Literal) and o.name == value for o in outcomes)
    return isinstance(expression, exp.Literal) and expression.name != value


def case_conditions(expression: exp.Expression | None, value: str) -> list[exp.Expression]:
    """What a CASE of literal outcomes tells of the rows where it gives `value`: the condition of the one
    WHEN that gives it, when neither another WHEN nor the ELSE does (`case when code = 'global' then
    'global' else 'module' end`: the rows of 'global' have code = 'global')."""
    if not isinstance(expression, exp.Case):
        return []
    giving = [branch for branch in expression.args["ifs"]
              if isinstance(branch.args["true"], exp.Literal) and branch.args["true"].name == value]
    default = expression.args.get("default")
    if len(giving) != 1 or (isinstance(default, exp.Literal) and default.name == value):
        return []
    return [giving[0].this]


def conjuncts(condition: exp.Expression) -> Iterator[exp.EQ]:
    """The equalities ANDed together in a condition."""
    if isinstance(condition, exp.And):
        yield from conjuncts(condition.this)
        yield from conjuncts(condition.expression)
    elif isinstance(condition, exp.Paren):
        yield from conjuncts(condition.this)
    elif isinstance(condition, exp.EQ):
        yield condition


def own_columns(expression: exp.Expression) -> Iterator[exp.Column]:
    """The column references of an expression, not those of the subqueries inside it, nor those that only
    choose which rows count: the FILTER clause of an aggregate of a column (`max(score) filter (where module
    = 'm1')` is the score's) and the ordering key of `arg_min` / `arg_max` (the value at the first wave is
    the value's, not the wave's). A count's FILTER is its value (`count(*) filter (where gained_over_one)`)."""
    skipped = {id(node.expression) for node in expression.find_all(exp.ArgMin, exp.ArgMax) if node.expression}
    skipped |= {id(node.expression) for node in expression.find_all(exp.Filter) if any(own_columns(node.this))}
    for node in expression.walk(prune=lambda n: isinstance(n, exp.Query) or id(n) in skipped):
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star) and id(node) not in skipped:
            yield node


def expand(columns: Sequence[exp.Expression], available: Sequence[str]) -> list[str]:
    """Column references and COLUMNS('regex') to the column names they stand for."""
    names: list[str] = []
    for column in columns:
        if isinstance(column, exp.Columns):
            pattern = re.compile(column.this.name)
            names += [c for c in available if pattern.search(c)]
        else:
            names.append(column.name.lower())
    return names


def relation_of(node: exp.Expression, ctes: Mapping[str, Relation], columns_of: ColumnsOf) -> Relation:
    """The relation a query expression stands for, its WITH clause's CTEs visible inside it."""
    with_clause = node.args.get("with_")
    if with_clause is not None:
        ctes = dict(ctes)
        for cte in with_clause.expressions:
            ctes[cte.alias.lower()] = relation_of(cte.this, ctes, columns_of)
    if isinstance(node, exp.Subquery):
        return with_pivots(relation_of(node.this, ctes, columns_of), node)
    if isinstance(node, exp.SetOperation):
        return SetOperation([relation_of(node.this, ctes, columns_of), relation_of(node.expression, ctes, columns_of)])
    if isinstance(node, exp.Select):
        return Select(node, ctes, columns_of)
    if isinstance(node, exp.Table):  # `UNPIVOT wide ON ...`
        return source_of(node, ctes, columns_of)[1]
    if isinstance(node, exp.Pivot) and node.args.get("unpivot"):  # DuckDB's UNPIVOT statement
        into = node.args["into"]
        return Unpivot(relation_of(node.this, ctes, columns_of), node.expressions, into.this.name.lower(),
                       into.expressions[0].name.lower())
    raise LineageError(f"cannot follow {type(node).__name__}: {node.sql(DIALECT)[:120]}")


def source_of(node: exp.Expression, ctes: Mapping[str, Relation], columns_of: ColumnsOf) -> tuple[str, Relation]:
    """(alias, relation) of one FROM or JOIN item."""
    if isinstance(node, exp.Table):
        name = node.name.lower()
        if not node.db and name in ctes:
            relation = ctes[name]
        else:
            relation = Stored(f"{node.db.lower()}.{name}" if node.db else name, columns_of)
        return (node.alias_or_name.lower() if not node.args.get("pivots") else pivot_alias(node, name)), with_pivots(relation, node)
    relation = relation_of(node, ctes, columns_of)
    return pivot_alias(node, node.alias.lower()), relation


def pivot_alias(node: exp.Expression, default: str) -> str:
    for pivot in node.args.get("pivots") or []:
        if pivot.alias:
            return pivot.alias.lower()
    return node.alias.lower() or default


def with_pivots(relation: Relation, node: exp.Expression) -> Relation:
    """The UNPIVOT clauses after a FROM item: `... UNPIVOT (value FOR name IN (columns))`."""
    for pivot in node.args.get("pivots") or []:
        if not pivot.args.get("unpivot"):
            raise LineageError(f"cannot follow a PIVOT: {pivot.sql(DIALECT)[:120]}")
        field = pivot.args["fields"][0]
        relation = Unpivot(relation, field.expressions, field.this.name.lower(), pivot.expressions[0].name.lower())
    return relation
