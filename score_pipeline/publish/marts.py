"""Publication of the marts for analysts (contract 4): `score_marts.duckdb` (schema `marts`,
every mart and nothing else) and one Parquet file per mart.

Everything is written into a staging folder beside the publication first and checked
(privacy; no inf or NaN); only when all files are complete are they moved into place
with `os.replace`, which is atomic per file on one filesystem. An analyst holding the
old file open keeps reading the old inode; a failed run never touches the publication.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

from score_pipeline.publish.privacy import PrivacyError, privacy_problems
from score_pipeline.settings import PUBLISHED_DATABASE_NAME

PUBLISHED_MARTS = (
    "enterprise_scores", "category_scores", "wave_summary", "score_change", "kpi_change", "business_results",
    "worker_satisfaction", "perceived_effects", "module_spillover", "headline_indicators", "data_quality",
    "panel_coverage", "participation", "case_studies", "evaluator_effects", "programme_summary",
    "balance", "did", "attrition", "worker_panel",
)
# Published rows are sorted, so the same data gives byte-identical files whatever order the waves were
# built in. The headline keeps the reading order its model gives it, the programme summary its
# countries then the pooled row, the design marts contract 8.3's order of their variables, arms and groups
# (all rebuilt whole from sorted inputs, so deterministic).
KEEPS_MODEL_ORDER = {"headline_indicators", "programme_summary", "balance", "did", "attrition", "worker_panel"}
# DuckDB 2.x writes a storage format that the 1.x clients analysts use (the CLI, R, DBeaver, older
# Python) cannot open; files written at this version open in DuckDB 1.4 and later.
PUBLISHED_STORAGE_VERSION = "v1.4.0"
FLOAT_TYPES = ("DOUBLE", "FLOAT")  # the column types that can hold inf or NaN


class NonFiniteValueError(Exception):
    """A mart holds inf or NaN where contract 4 wants null (a figure whose denominator is zero or undefined);
    nothing is published."""


def non_finite_values(connection: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    """Every float column of the tables of `schema` that holds inf or NaN, in words. It reads the tables'
    columns, not a list of today's marts, so a mart added tomorrow is held to the same rule."""
    columns = connection.execute(
        "select table_name, list(column_name order by column_index) from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? and list_contains(?, data_type) "
        "group by table_name order by table_name", [schema, list(FLOAT_TYPES)]).fetchall()
    problems = []
    for table, names in columns:
        counts = connection.execute("select " + ", ".join(
            f'count(*) filter (where isinf("{name}")), count(*) filter (where isnan("{name}"))' for name in names)
            + f' from {schema}."{table}"').fetchone()
        for name, infinite, not_a_number in zip(names, counts[::2], counts[1::2]):
            found = [f"{count} {kind}" for count, kind in ((infinite, "inf"), (not_a_number, "NaN")) if count]
            if found:
                problems.append(f"{schema}.{table}.{name} holds {' and '.join(found)}")
    return problems


def build_publication(warehouse: duckdb.DuckDBPyConnection, staging: Path) -> list[Path]:
    """Write the database and the Parquet files of every mart into `staging`, reading them through a
    read-only connection to the warehouse (the resource's: its lock wait, its deterministic settings);
    PrivacyError if they would disclose worker-level data (publish/privacy.py), NonFiniteValueError if a mart
    holds inf or NaN (contract 4)."""
    database = staging / PUBLISHED_DATABASE_NAME
    source = warehouse.execute("select current_database()").fetchone()[0]
    warehouse.execute(f"attach '{database}' as published (storage_version '{PUBLISHED_STORAGE_VERSION}', read_write)")
    try:
        warehouse.execute("use published")
        warehouse.execute("create schema marts")
        files = []
        for mart in PUBLISHED_MARTS:
            order = "" if mart in KEEPS_MODEL_ORDER else " order by all"
            warehouse.execute(f'create table marts.{mart} as select country, * exclude (country) from "{source}".marts.{mart}{order}')
            parquet = staging / f"{mart}.parquet"
            warehouse.execute(f"copy marts.{mart} to '{parquet}' (format parquet)")
            files.append(parquet)
        problems = privacy_problems(warehouse)
        if problems:
            raise PrivacyError("not published: " + "; ".join(problems))
        non_finite = non_finite_values(warehouse)
        if non_finite:
            raise NonFiniteValueError("not published (contract 4: a figure whose denominator is zero or undefined is "
                                      "null, never inf or NaN): " + "; ".join(non_finite))
        warehouse.execute("checkpoint")
    finally:
        warehouse.execute(f'use "{source}"')
        warehouse.execute("detach published")
    return [*files, database]


def publish_marts(warehouse: duckdb.DuckDBPyConnection, publish_dir: Path) -> list[Path]:
    """Build the publication aside, then swap each file into `publish_dir`; returns the published paths."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    staging = publish_dir / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        built = build_publication(warehouse, staging)
        published = []
        for path in built:
            target = publish_dir / path.name
            os.replace(path, target)
            published.append(target)
        return published
    finally:
        shutil.rmtree(staging, ignore_errors=True)
