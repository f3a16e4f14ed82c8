"""`practicas_gestion.csv`: the evaluator's management practices questionnaire (a form export), one
column per practice of the codebook; loaded as one row per enterprise x practice."""

from __future__ import annotations

import csv

from score_pipeline.core.cells import Parsed, as_text
from score_pipeline.core.wave_files import PRACTICES as SOURCE
from score_pipeline.ingest.corrections import by_column
from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, Source, columns_of, corrected, field_reader, fixed, frame_of, headers_of, keep_latest,
    past_date, required_headers, text, timed_submissions,
)
from score_pipeline.ingest.normalise import parse_practice_score
from score_pipeline.ingest.readers import IngestError, read_delimited, unique_column
from score_pipeline.settings import CODEBOOK_PRACTICES


def form_index(raw: object) -> Parsed[int]:
    label = as_text(raw)
    if not label:
        return Parsed(None)
    return Parsed(int(label)) if label.isdigit() else Parsed(None, f"{label!r} is not a row index (a whole number)")


SUBMISSION_HEADERS = ["_uuid", "_submission_time", "ruc"]
VISIT_FIELDS = (  # what the form says about the visit, repeated on each practice's row
    Field("_index", "form_index", "INTEGER", fixed(form_index), informational=True),
    text("evaluador", "evaluator"),
    past_date("fecha_visita", "visit_date"),
    text("onda", "form_wave_label", informational=True),
)
COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "submission_uuid": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE",
    **columns_of(VISIT_FIELDS), "practice_id": "VARCHAR", "score": "INTEGER", "answer_status": "VARCHAR",
    "source_row": "INTEGER",
}


def headers() -> dict[str, str]:
    practice = "the practice columns '.../<practice_id>' (a row per practice of the codebook)"
    return {"ruc": "column 'ruc'", "submission_uuid": "column '_uuid'", "submitted_at": "column '_submission_time'",
            **headers_of(VISIT_FIELDS), "practice_id": f"{practice}: the header's last segment",
            "score": f"{practice}: the answer, 1..5 (NA, 99: null)", "answer_status": f"{practice}: the answer"}


def practice_ids() -> list[str]:
    """The codebook's practices, in its order (the one list: dbt reads the same seed)."""
    with CODEBOOK_PRACTICES.open(encoding="utf-8") as handle:
        return [row["practice_id"] for row in csv.DictReader(handle)]


def practice_id_of(header: str) -> str:
    """Contract 2.1: a practice column is matched by the practice id after the last `/` (a form exported
    without its group paths heads it with the id alone)."""
    return header.rsplit("/", 1)[-1]


def ingest(source: Source) -> Ingested:
    path = source.folder / SOURCE
    ids = practice_ids()
    table = read_delimited(path, ";", SUBMISSION_HEADERS + required_headers(VISIT_FIELDS), form_export=True)
    missing = [pid for pid in ids if not any(practice_id_of(name) == pid for name in table.header)]
    if missing:
        raise IngestError(path, f"missing practice column(s): {', '.join(missing)}")
    column_of = {pid: unique_column(path, table.header, [n for n in table.header if practice_id_of(n) == pid],
                                    f"practice {pid}") for pid in ids}
    corrections = corrected(source, "practicas_gestion", table, by_column("_uuid"), by_last_segment=True)
    problems = Problems(source.wave, "practicas_gestion", path)
    submissions = [{**s.stamp(), "row": s.row} for s in timed_submissions(problems, table, source.rules.identifier)]
    kept, superseded = keep_latest(submissions, problems)
    read_visit = field_reader(VISIT_FIELDS, source, table, problems)
    records = []
    for submission in kept:
        row, number, ruc = submission["row"], submission["source_row"], submission["ruc"]
        base = {"wave": source.wave, "ruc": ruc, "submission_uuid": submission["submission_uuid"],
                "submitted_at": submission["submitted_at"], **read_visit(number, row, ruc), "source_row": number}
        for pid in ids:
            raw = row[column_of[pid]]
            score, status = parse_practice_score(raw)
            if status == "invalid":
                problems.invalid_value(number, column_of[pid], raw, f"{as_text(raw)!r} is not 1..5, NA, 99 or empty", ruc)
            records.append({**base, "practice_id": pid, "score": score, "answer_status": status})
    return Ingested(frame_of(records, COLUMNS), table.rows_received, problems.rejects, superseded, corrections)
