"""Row counts and column types of the relations a dbt build materialized, read after dbt exits.

dagster-dbt's own `fetch_row_counts` / `fetch_column_metadata` query through an in-process dbt
adapter while dbt still holds DuckDB's single write lock (and the adapter costs seconds a run), so
this reads the warehouse once, read-only, after the build: one query for every relation's columns
and one count per relation, milliseconds in all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
from dagster import TableColumn, TableSchema


@dataclass(frozen=True)
class Relation:
    """A model's table or view in the warehouse, with the column descriptions of its dbt YAML."""

    schema: str
    name: str
    descriptions: Mapping[str, str]


def relations_from_manifest(manifest: Mapping[str, Any], unique_ids: Iterable[str]) -> dict[str, Relation]:
    nodes = manifest["nodes"]
    relations = {}
    for unique_id in unique_ids:
        node = nodes.get(unique_id)
        if node and node["resource_type"] in ("model", "seed", "snapshot"):
            descriptions = {name: column.get("description") or "" for name, column in node.get("columns", {}).items()}
            relations[unique_id] = Relation(node["schema"], node.get("alias") or node["name"], descriptions)
    return relations


def relation_metadata(connection: duckdb.DuckDBPyConnection, relations: Mapping[str, Relation],
                      wave: str | None = None) -> dict[str, dict[str, Any]]:
    """unique_id -> {dagster/row_count, dagster/column_schema} for the relations that exist; for a wave
    partition, the row count is that wave's rows of a relation with a `wave` column."""
    if not relations:
        return {}
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, kind in connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "order by table_schema, table_name, ordinal_position").fetchall():
        columns.setdefault((schema, table), []).append((column, kind))
    metadata = {}
    for unique_id, relation in relations.items():
        found = columns.get((relation.schema, relation.name))
        if not found:
            continue
        where = " where wave = ?" if wave and any(name == "wave" for name, _ in found) else ""
        count = connection.execute(f'select count(*) from "{relation.schema}"."{relation.name}"{where}',
                                   [wave] if where else []).fetchone()[0]
        schema = TableSchema(columns=[TableColumn(name, kind, description=relation.descriptions.get(name) or None)
                                      for name, kind in found])
        metadata[unique_id] = {"dagster/row_count": count, "dagster/column_schema": schema}
    return metadata
