"""A published figure traced to the raw files: the chain of dbt models and columns it is computed from, down
to the raw tables, the ingest assets that load them and the extracts' columns they read.

It reads what the publication leaves beside the docs site (dbt's manifest, compiled, and its catalog of
the warehouse's columns), so a trace is the lineage of the marts as published. Each model's compiled SQL
is followed by `lineage.sql`; a hop whose rows cannot exist (the figure's row is another union branch's,
or another unpivoted column's) is left out, so `indicator = 'accidents'` is traced to the accidents
column alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from score_pipeline.ingest.load import raw_origin
from score_pipeline.lineage.sql import LineageError, Origin, Rows, column_origins

MANIFEST = "manifest.json"  # in the docs folder of the publication
CATALOG = "catalog.json"
RAW_SOURCE = "raw"
ValuesOf = Callable[[str, str], Sequence[str] | None]  # (relation, column) -> the values it holds; None: unknown
LISTED_VALUES = 30  # a row filter's wrong value: at most this many of the column's values named


@dataclass
class Hop:
    """One column of one relation in a trace, with what it is computed from."""

    relation: str  # "marts.kpi_change"
    column: str
    rows: tuple[tuple[str, str], ...]  # the rows that count: (column, literal)
    kind: str  # "model", "seed", "raw" (loaded by an ingest asset) or "python" (a mart computed in Python)
    unique_id: str = ""  # dbt's: the docs site's page of the relation
    description: str = ""
    asset: str = ""  # the Dagster asset that writes the relation
    read_from: str = ""  # a raw column: the extract and its column; a seed: its file
    upstream: list[Hop] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.relation}.{self.column}"

    @property
    def leaf_note(self) -> str:
        """What ends the trace under this hop: the extract's column of a raw one, or that a model's column is
        computed from no column."""
        if self.kind == "raw":
            return self.read_from
        if self.kind == "model" and not self.upstream:
            return "computed from no column: a count of rows, or a constant"
        return ""


class Project:
    """The dbt project as published: its models' compiled SQL, its sources and seeds, the warehouse's columns."""

    def __init__(self, manifest: Mapping[str, Any], catalog: Mapping[str, Any]):
        self.nodes = {relation_key(node): node for node in (*manifest["nodes"].values(), *manifest["sources"].values())
                      if node["resource_type"] in ("model", "seed", "source")}
        self.catalog_columns = {
            f"{entry['metadata']['schema']}.{entry['metadata']['name']}".lower():
                [name.lower() for name, _ in sorted(entry["columns"].items(), key=lambda item: item[1]["index"])]
            for entry in (*catalog["nodes"].values(), *catalog["sources"].values())}

    @classmethod
    def published(cls, docs_dir: Path) -> Project:
        missing = [name for name in (MANIFEST, CATALOG) if not (docs_dir / name).exists()]
        if missing:
            raise LineageError(f"no {' or '.join(missing)} in {docs_dir}: publish the marts first (make run)")
        return cls(json.loads((docs_dir / MANIFEST).read_text(encoding="utf-8")),
                   json.loads((docs_dir / CATALOG).read_text(encoding="utf-8")))

    def columns_of(self, relation: str) -> list[str]:
        if relation not in self.catalog_columns:
            raise LineageError(f"{relation} is not in the warehouse's catalog")
        return self.catalog_columns[relation]

    def trace(self, relation: str, column: str, rows: Rows | None = None, values_of: ValuesOf | None = None) -> Hop:
        """The figure `relation.column` (for the rows where `rows` hold) and everything it is computed from.
        `values_of` tells the values a row filter's column holds, where known (the published marts)."""
        relation, column = relation.lower(), column.lower()
        if relation not in self.nodes:
            raise LineageError(f"no model, seed or source {relation!r} in the project")
        if column not in self.columns_of(relation):
            raise LineageError(f"{relation} has no column {column!r} (it has {', '.join(self.columns_of(relation))})")
        own_rows = tuple(sorted((c.lower(), v) for c, v in (rows or {}).items()))
        for row_column, value in own_rows:
            self.check_row(relation, row_column, value, values_of)
        return self._trace(Origin(relation, column, own_rows)) or self.hop(Origin(relation, column, own_rows))

    def check_row(self, relation: str, column: str, value: str, values_of: ValuesOf | None) -> None:
        """A row filter names a column of the relation and, where its values are known, one of them."""
        if column not in self.columns_of(relation):
            raise LineageError(f"{relation} has no column {column!r} to choose the figure's row by "
                               f"(it has {', '.join(self.columns_of(relation))})")
        held = values_of(relation, column) if values_of else None
        if held is not None and value not in held:
            listed = ", ".join(held[:LISTED_VALUES]) + (f" ... ({len(held)} in all)" if len(held) > LISTED_VALUES else "")
            raise LineageError(f"no row of {relation} has {column} = {value!r}: its {column} is one of {listed}")

    def _trace(self, origin: Origin) -> Hop | None:
        """The hop and its upstream; None when the rows asked for cannot come from this column (a pruned branch)."""
        hop = self.hop(origin)
        node = self.nodes[origin.relation]
        if hop.kind != "model":
            return hop
        origins = self.origins(node["compiled_code"], origin.column, origin.rows)
        if not origins and origin.rows and self.origins(node["compiled_code"], origin.column, ()):
            return None  # the rows asked for are not this column's
        for parent in sorted(broadest(origins)):
            traced = self._trace(parent)
            if traced is not None:
                hop.upstream.append(traced)
        return None if origins and not hop.upstream else hop

    def origins(self, sql: str, column: str, rows: tuple[tuple[str, str], ...]) -> set[Origin]:
        return column_origins(sql, column, self.columns_of, dict(rows))

    def hop(self, origin: Origin) -> Hop:
        node = self.nodes[origin.relation]
        column = next((c for name, c in node.get("columns", {}).items() if name.lower() == origin.column), {})
        hop = Hop(origin.relation, origin.column, origin.rows, kind_of(node), node["unique_id"], column.get("description") or "",
                  asset="/".join(node.get("meta", {}).get("dagster", {}).get("asset_key", [])))
        if hop.kind == "raw":
            hop.read_from = raw_origin(node["name"], origin.column)
        elif hop.kind == "seed":
            hop.read_from = node["original_file_path"]
        return hop


def broadest(origins: set[Origin]) -> set[Origin]:
    """The origins without those another origin of the same column covers: one asking fewer of its rows (the
    union branches of `kpi_change` reach the same pairs with `kpi` alone and with `kpi` and `cost_structure`)."""
    return {origin for origin in origins if not any(
        other != origin and (other.relation, other.column) == (origin.relation, origin.column)
        and set(other.rows) < set(origin.rows) for other in origins)}


def relation_key(node: Mapping[str, Any]) -> str:
    """"schema.name" as compiled SQL names the relation (`"score"."marts"."kpi_change"` -> marts.kpi_change)."""
    name = node.get("alias") or node.get("identifier") or node["name"]
    return f"{node['schema']}.{name}".lower()


def kind_of(node: Mapping[str, Any]) -> str:
    if node["resource_type"] != "source":
        return node["resource_type"]
    return "raw" if node["source_name"] == RAW_SOURCE else "python"


def parse_figure(figure: str) -> tuple[str, str]:
    """`marts.kpi_change.mean_pct_change` -> ("marts.kpi_change", "mean_pct_change")."""
    parts = figure.split(".")
    if len(parts) != 3 or not all(parts):
        raise LineageError(f"{figure!r} is not <schema>.<relation>.<column> (e.g. marts.kpi_change.mean_pct_change)")
    return f"{parts[0]}.{parts[1]}", parts[2]


def parse_rows(conditions: list[str]) -> dict[str, str]:
    """`indicator=accidents` ... -> {"indicator": "accidents"}."""
    rows = {}
    for condition in conditions:
        column, equals, value = condition.partition("=")
        if not equals or not column.strip():
            raise LineageError(f"{condition!r} is not <column>=<value> (e.g. indicator=accidents)")
        rows[column.strip()] = value.strip()
    return rows
