"""The contract's privacy rule (section 4), checked on what is about to be published: no
worker-level row, and no enterprise-level worker figure behind fewer than 5 respondents.

It reads the tables' columns, not a list of today's marts, so a mart added tomorrow is held to
the same rule before it can reach an analyst.
"""

from __future__ import annotations

import re

import duckdb

from score_pipeline.ingest.instruments.worker_survey import WORKER_ITEMS

MIN_RESPONDENTS = 5
# Columns that only a row per worker has (the raw survey, int_worker_respondents_scored); the worker's code
# (contract 8.2) is never published.
RESPONDENT_COLUMNS = {"response_id", "respondent_row", "respondent_score", "sex", "age_band", "tenure_band",
                      "work_area", "n_no_answer", "worker_code", *WORKER_ITEMS}
# A figure drawn from the worker survey: an item, a satisfaction score, a respondent count.
WORKER_FIGURE = re.compile(r"^(w\d{2}|overall|n_respondents|.*satisfaction.*|.*respondent.*)$")


class PrivacyError(Exception):
    """The publication would disclose worker-level data; nothing is published."""


def privacy_problems(connection: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    """Every breach of the rule among the tables and views of `schema`, in words."""
    tables = connection.execute(
        "select table_name, list(column_name order by column_index) from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? group by table_name order by table_name", [schema]).fetchall()
    problems = []
    for table, columns in tables:
        worker_level = sorted(RESPONDENT_COLUMNS.intersection(columns))
        if worker_level:
            problems.append(f"{schema}.{table} has worker-level columns: {', '.join(worker_level)}")
        figures = [c for c in columns if WORKER_FIGURE.match(c)]
        if "ruc" not in columns or not figures:
            continue
        if "n_respondents" not in columns:
            problems.append(f"{schema}.{table} publishes worker figures per enterprise ({', '.join(figures)}) "
                            f"without n_respondents")
            continue
        small = connection.execute(
            f'select count(*) from {schema}."{table}" where n_respondents < {MIN_RESPONDENTS}').fetchone()[0]
        if small:
            problems.append(f"{schema}.{table} has {small} enterprise row(s) with fewer than {MIN_RESPONDENTS} respondents")
    return problems
