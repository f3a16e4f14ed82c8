"""Row counts, column types and column lineage of the relations a dbt build materialized, read after dbt exits.

dagster-dbt's own `fetch_row_counts` / `fetch_column_metadata` query through an in-process dbt
adapter while dbt still holds DuckDB's single write lock (and the adapter costs seconds a run), so
this reads the warehouse once, read-only, after the build: one query for every relation's columns
and one count per relation, milliseconds in all. Each model's column lineage (`dagster/column_lineage`,
what `fetch_column_metadata(with_column_lineage=True)` would record, had sqlglot's lineage followed
DuckDB's UNPIVOT) comes from its compiled SQL through lineage/sql.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetKey, TableColumn, TableColumnDep, TableColumnLineage, TableSchema

from score_pipeline.core.waves import partition_key
from score_pipeline.lineage.sql import ColumnsOf, LineageError, column_origins


@dataclass(frozen=True)
class Relation:
    """A model's table or view in the warehouse, with the column descriptions of its dbt YAML."""

    schema: str
    name: str
    descriptions: Mapping[str, str]
    compiled: Path | None = None  # a model's SQL as the build compiled it (its target folder): its column lineage
    description: str = ""  # the relation's own
    # column -> the values its dbt `accepted_values` test accepts, in the YAML's order (the coded columns)
    accepted_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def relations_from_manifest(manifest: Mapping[str, Any], unique_ids: Iterable[str],
                            target: Path | None = None) -> dict[str, Relation]:
    nodes = manifest["nodes"]
    relations = {}
    for unique_id in unique_ids:
        node = nodes.get(unique_id)
        if node and node["resource_type"] in ("model", "seed", "snapshot"):
            descriptions = _column_descriptions(node)
            compiled = (target / "compiled" / node["package_name"] / node["original_file_path"]
                        if target is not None and node["resource_type"] == "model" else None)
            relations[unique_id] = Relation(node["schema"], node.get("alias") or node["name"], descriptions, compiled)
    return relations


def column_lineage(sql: str, columns: Sequence[str], columns_of: ColumnsOf,
                   asset_keys: Mapping[str, AssetKey]) -> TableColumnLineage:
    """Each column's direct parents: the columns of the relations the model's SQL reads, as Dagster assets."""
    deps = {}
    for column in columns:
        parents = {(asset_keys[origin.relation], origin.column) for origin in column_origins(sql, column, columns_of)
                   if origin.relation in asset_keys}
        deps[column] = [TableColumnDep(key, name) for key, name in sorted(parents, key=lambda p: (p[0].to_user_string(), p[1]))]
    return TableColumnLineage(deps_by_column=deps)


def source_relation(manifest: Mapping[str, Any], source: str, table: str) -> Relation:
    """A dbt source's table with the column descriptions of its YAML (the scipy marts: source `statistics`)."""
    node = next(node for node in manifest["sources"].values()
                if (node["source_name"], node["name"]) == (source, table))
    return Relation(node["schema"], node.get("identifier") or node["name"], _column_descriptions(node))


def documented_relations(manifest: Mapping[str, Any], schema: str) -> dict[str, Relation]:
    """Every model and source table of `schema` by its name, with its description, its columns' and the values
    its `accepted_values` tests accept (the tests of its YAML, as the manifest holds them)."""
    accepted: dict[str, dict[str, tuple[str, ...]]] = {}
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and test.get("name") == "accepted_values" and node.get("attached_node"):
            accepted.setdefault(node["attached_node"], {})[node["column_name"]] = tuple(test["kwargs"]["values"])
    relations = {}
    for unique_id, node in [*manifest["nodes"].items(), *manifest["sources"].items()]:
        if node["resource_type"] in ("model", "source") and node["schema"] == schema:
            name = node.get("alias") or node.get("identifier") or node["name"]
            relations[name] = Relation(schema, name, _column_descriptions(node), description=node.get("description") or "",
                                       accepted_values=accepted.get(unique_id, {}))
    return relations


def _column_descriptions(node: Mapping[str, Any]) -> dict[str, str]:
    return {name: column.get("description") or "" for name, column in node.get("columns", {}).items()}


@dataclass(frozen=True)
class RelationFacts:
    """What a build left in one relation: its metadata (column types, total rows) and, for a relation
    with `country` and `wave` columns, its rows in each of the partitions (`pe/2017-baseline`) built."""

    metadata: dict[str, Any]
    rows_by_partition: dict[str, int]


def relation_facts(connection: duckdb.DuckDBPyConnection, relations: Mapping[str, Relation],
                   partition_keys: Sequence[str] = (), asset_keys: Mapping[str, AssetKey] | None = None) -> dict[str, RelationFacts]:
    """unique_id -> RelationFacts for the relations that exist; with `asset_keys` ("schema.table" -> the asset),
    each model's column lineage too (none when its SQL is beyond lineage/sql.py: metadata never fails a build)."""
    if not relations:
        return {}
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, kind in connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "order by table_schema, table_name, ordinal_position").fetchall():
        columns.setdefault((schema, table), []).append((column, kind))

    def columns_of(relation: str) -> list[str]:
        found = columns.get(tuple(relation.split(".", 1)))
        if found is None:
            raise LineageError(f"{relation} is not in the warehouse")
        return [column.lower() for column, _ in found]

    facts = {}
    for unique_id, relation in relations.items():
        found = columns.get((relation.schema, relation.name))
        if not found:
            continue
        name = f'"{relation.schema}"."{relation.name}"'
        count = connection.execute(f"select count(*) from {name}").fetchone()[0]
        by_partition = {}
        if partition_keys and {"country", "wave"} <= {column for column, _ in found}:
            counted = {partition_key(country, wave): rows for country, wave, rows in connection.execute(
                f"select country, wave, count(*) from {name} group by country, wave").fetchall()}
            by_partition = {key: counted.get(key, 0) for key in partition_keys}
        schema = TableSchema(columns=[TableColumn(column, kind, description=relation.descriptions.get(column) or None)
                                      for column, kind in found])
        metadata: dict[str, Any] = {"dagster/row_count": count, "dagster/column_schema": schema}
        if asset_keys is not None and relation.compiled is not None and relation.compiled.exists():
            try:
                metadata["dagster/column_lineage"] = column_lineage(
                    relation.compiled.read_text(encoding="utf-8"), [c for c, _ in found], columns_of, asset_keys)
            except LineageError:
                pass
        facts[unique_id] = RelationFacts(metadata, by_partition)
    return facts
