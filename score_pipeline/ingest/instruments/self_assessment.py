"""`autoevaluacion.csv`: the enterprise's self-assessment (a form export): a rating per module and,
per outcome, the effect it saw and how much the training influenced it."""

from __future__ import annotations

from pathlib import Path

from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, choice, columns_of, corrected, field_reader, frame_of, headers_of, keep_latest, rating, text,
    timed_submissions,
)
from score_pipeline.ingest.corrections import Log, by_column
from score_pipeline.ingest.normalise import IdentifierRule, as_text, normalise_ruc
from score_pipeline.ingest.readers import read_delimited

SOURCE = "autoevaluacion.csv"
PERCEIVED_OUTCOMES = (
    "condiciones_trabajo", "accidentes", "ausentismo", "defectos", "desperdicio",
    "costo_unitario", "productividad", "ventas", "utilidades", "satisfaccion_clientes",
)
EFFECTS = frozenset({"positivo", "ninguno", "negativo", "no_sabe"})
INFLUENCE = frozenset({"mucho", "algo", "nada", "no_sabe"})
MODULES = range(1, 6)

RATINGS = tuple(Field(f"autoeval/m{m}", f"self_rating_m{m}", "INTEGER", rating) for m in MODULES)
EFFECT_FIELDS = tuple(Field(f"efectos/{o}", f"effect_{o}", "VARCHAR", choice(EFFECTS))
                      for o in PERCEIVED_OUTCOMES)
INFLUENCE_FIELDS = tuple(Field(f"influencia_score/{o}", f"influence_{o}", "VARCHAR", choice(INFLUENCE))
                         for o in PERCEIVED_OUTCOMES)
# Read in the order of the form (each outcome's effect, then its influence); loaded in column order.
FIELDS = (text("cargo_informante", "respondent_role"), *RATINGS,
          *(f for pair in zip(EFFECT_FIELDS, INFLUENCE_FIELDS) for f in pair))
COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "submission_uuid": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE",
    **columns_of((FIELDS[0], *RATINGS, *EFFECT_FIELDS, *INFLUENCE_FIELDS)), "source_row": "INTEGER",
}


def headers() -> dict[str, str]:
    return {"ruc": "column 'ruc'", "submission_uuid": "column '_uuid'", "submitted_at": "column '_submission_time'",
            **headers_of(FIELDS)}


def ingest(folder: Path, wave: str, log: Log | None = None, identifier: IdentifierRule = normalise_ruc) -> Ingested:
    path = folder / SOURCE
    table = read_delimited(path, ";", ["_uuid", "_submission_time", "ruc", *(f.header for f in RATINGS)], form_export=True)
    corrections = corrected(log, wave, "autoevaluacion", table, by_column("_uuid"))
    problems = Problems(wave, "autoevaluacion", path)
    read = field_reader(FIELDS, table)
    records = [{"wave": wave, "ruc": ruc, "submission_uuid": as_text(row["_uuid"]), "submitted_at": moment,
                **read(problems, number, row, ruc), "source_row": number}
               for number, row, ruc, moment in timed_submissions(problems, table, identifier)]
    kept, superseded = keep_latest(records, problems)
    return Ingested(frame_of(kept, COLUMNS), table.rows_received, problems.rejects, superseded, corrections)
