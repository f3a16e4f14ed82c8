"""`encuesta_trabajadores.csv`: the worker satisfaction survey, one row per worker, items typed as
their hand-written labels under headers that start with the codebook's prefix."""

from __future__ import annotations

import csv
from collections import Counter

from score_pipeline.core.cells import Parsed, as_text
from score_pipeline.core.wave_files import WORKER_SURVEY as SOURCE
from score_pipeline.ingest.corrections import by_column
from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, Source, coded, columns_of, corrected, field_reader, fixed, frame_of, headers_of,
    required_headers, rows_with_valid_ruc, text,
)
from score_pipeline.ingest.normalise import parse_satisfaction, parse_sex
from score_pipeline.ingest.readers import read_delimited, unique_column
from score_pipeline.settings import CODEBOOK_WORKER_ITEMS

# The items of the codebook (dbt_project/seeds/codebook_worker_items.csv); a test keeps the two equal.
WORKER_ITEMS = tuple(f"w{i:02d}" for i in range(1, 16))
AGE_BANDS = ("18-25", "26-35", "36-45", "46+")
TENURE_BANDS = ("<1", "1-3", "3-5", ">5")  # years; a spreadsheet may have turned `1-3` into a date: invalid


def parse_worker_code(raw: object) -> Parsed[str]:
    """Contract 8.2: a worker's pseudonymous code, compared trimmed and case-insensitively: stored trimmed in
    upper case (`t-0123 ` is `T-0123`); empty is an anonymous respondent."""
    return Parsed(as_text(raw).upper() or None)


FIELDS = (
    text("ID encuesta", "response_id"),
    Field("Sexo", "sex", "VARCHAR", fixed(parse_sex)),
    coded("Edad", "age_band", AGE_BANDS),
    coded("Antigüedad", "tenure_band", TENURE_BANDS),
    text("Área", "work_area"),
    Field("Código trabajador", "worker_code", "VARCHAR", fixed(parse_worker_code), optional=True),
)
WORKER_CODE = FIELDS[-1]
COLUMNS = {"wave": "VARCHAR", "ruc": "VARCHAR", **columns_of(FIELDS), **{item: "INTEGER" for item in WORKER_ITEMS},
           "n_no_answer": "INTEGER", "source_row": "INTEGER"}


def worker_item_prefixes() -> dict[str, str]:
    with CODEBOOK_WORKER_ITEMS.open(encoding="utf-8") as handle:
        return {row["item_id"]: row["header_prefix"] for row in csv.DictReader(handle)}


def headers() -> dict[str, str]:
    items = {item: f"the column whose header starts {prefix!r}" for item, prefix in worker_item_prefixes().items()}
    return {"ruc": "column 'RUC'", **headers_of(FIELDS), **items,
            "n_no_answer": "the items' columns: how many are empty or 'NS/NR'"}


def drop_repeated_codes(records: list[dict[str, object]], problems: Problems) -> None:
    """A code used twice in one enterprise and wave is an invalid value in every row of it (contract 8.2): those
    respondents count as anonymous. The reject names the row, never the code (contract 8.2: no worker can be
    singled out, not even on the data team's pages)."""
    uses = Counter((r["ruc"], r["worker_code"]) for r in records if r["worker_code"] is not None)
    for record in records:
        times = uses.get((record["ruc"], record["worker_code"]), 0)
        if times > 1:
            problems.invalid_value(record["source_row"], WORKER_CODE.header, "", f"worker code used {times} times in "
                                   "the enterprise: these respondents count as anonymous", record["ruc"])
            record["worker_code"] = None


def ingest(source: Source) -> Ingested:
    path = source.folder / SOURCE
    table = read_delimited(path, ";", ["RUC", *required_headers(FIELDS)])
    item_column = {
        item: unique_column(path, table.header, [h for h in table.header if h == prefix or h.startswith(prefix + " ")],
                            f"item {item} (header starting {prefix!r})")
        for item, prefix in worker_item_prefixes().items()
    }
    corrections = corrected(source, "encuesta_trabajadores", table, by_column("ID encuesta"))
    problems = Problems(source.wave, "encuesta_trabajadores", path)
    read = field_reader(FIELDS, source, table, problems)
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "RUC", source.rules.identifier):
        record = {"wave": source.wave, "ruc": ruc, **read(number, row, ruc), "source_row": number}
        no_answer = 0
        for item, column in item_column.items():
            parsed = parse_satisfaction(row[column])
            no_answer += parsed.value is None and parsed.problem is None
            record[item] = problems.value(parsed, number, column, row[column], ruc)
        record["n_no_answer"] = no_answer
        records.append(record)
    drop_repeated_codes(records, problems)
    return Ingested(frame_of(records, COLUMNS), table.rows_received, problems.rejects, corrections=corrections)
