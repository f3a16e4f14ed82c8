"""`encuesta_trabajadores.csv`: the worker satisfaction survey, one row per worker, items typed as
their hand-written labels under headers that start with the codebook's prefix."""

from __future__ import annotations

import csv
from pathlib import Path

from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, columns_of, corrected, field_reader, frame_of, headers_of, rows_with_valid_ruc, text,
)
from score_pipeline.ingest.corrections import Log, by_column
from score_pipeline.ingest.normalise import IdentifierRule, normalise_ruc, parse_satisfaction, parse_sex
from score_pipeline.ingest.readers import read_delimited, unique_column
from score_pipeline.settings import CODEBOOK_WORKER_ITEMS

SOURCE = "encuesta_trabajadores.csv"
# The items of the codebook (dbt_project/seeds/codebook_worker_items.csv); a test keeps the two equal.
WORKER_ITEMS = tuple(f"w{i:02d}" for i in range(1, 16))

FIELDS = (
    text("ID encuesta", "response_id"),
    Field("Sexo", "sex", "VARCHAR", parse_sex),
    text("Edad", "age_band"),
    text("Antigüedad", "tenure_band"),
    text("Área", "work_area"),
)
COLUMNS = {"wave": "VARCHAR", "ruc": "VARCHAR", **columns_of(FIELDS), **{item: "INTEGER" for item in WORKER_ITEMS},
           "n_no_answer": "INTEGER", "source_row": "INTEGER"}


def worker_item_prefixes() -> dict[str, str]:
    with CODEBOOK_WORKER_ITEMS.open(encoding="utf-8") as handle:
        return {row["item_id"]: row["header_prefix"] for row in csv.DictReader(handle)}


def headers() -> dict[str, str]:
    items = {item: f"the column whose header starts {prefix!r}" for item, prefix in worker_item_prefixes().items()}
    return {"ruc": "column 'RUC'", **headers_of(FIELDS), **items,
            "n_no_answer": "the items' columns: how many are empty or 'NS/NR'"}


def ingest(folder: Path, wave: str, log: Log | None = None, identifier: IdentifierRule = normalise_ruc) -> Ingested:
    path = folder / SOURCE
    table = read_delimited(path, ";", ["ID encuesta", "RUC", *(f.header for f in FIELDS[1:])])
    item_column = {
        item: unique_column(path, table.header, [h for h in table.header if h == prefix or h.startswith(prefix + " ")],
                            f"item {item} (header starting {prefix!r})")
        for item, prefix in worker_item_prefixes().items()
    }
    corrections = corrected(log, wave, "encuesta_trabajadores", table, by_column("ID encuesta"))
    problems = Problems(wave, "encuesta_trabajadores", path)
    read = field_reader(FIELDS, table)
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "RUC", identifier):
        record = {"wave": wave, "ruc": ruc, **read(problems, number, row, ruc), "source_row": number}
        no_answer = 0
        for item, column in item_column.items():
            parsed = parse_satisfaction(row[column])
            no_answer += parsed.value is None and parsed.problem is None
            record[item] = problems.value(parsed, number, column, row[column], ruc)
        record["n_no_answer"] = no_answer
        records.append(record)
    return Ingested(frame_of(records, COLUMNS), table.rows_received, problems.rejects, corrections=corrections)
