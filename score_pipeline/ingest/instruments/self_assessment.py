"""`autoevaluacion.csv`: the enterprise's self-assessment (a form export): a rating per module and,
per outcome, the effect it saw and how much the training influenced it."""

from __future__ import annotations

from score_pipeline.core.wave_files import SELF_ASSESSMENT as SOURCE
from score_pipeline.ingest.corrections import by_column
from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, Source, choice, columns_of, corrected, field_reader, fixed, frame_of, headers_of,
    keep_latest, rating, required_headers, text, timed_submissions,
)
from score_pipeline.ingest.readers import IngestError, Table, read_delimited

PERCEIVED_OUTCOMES = (
    "condiciones_trabajo", "accidentes", "ausentismo", "defectos", "desperdicio",
    "costo_unitario", "productividad", "ventas", "utilidades", "satisfaccion_clientes",
)
EFFECTS = frozenset({"positivo", "ninguno", "negativo", "no_sabe"})
INFLUENCE = frozenset({"mucho", "algo", "nada", "no_sabe"})
MODULES = range(1, 6)

RATINGS = tuple(Field(f"autoeval/m{m}", f"self_rating_m{m}", "INTEGER", fixed(rating)) for m in MODULES)
EFFECT_FIELDS = tuple(Field(f"efectos/{o}", f"effect_{o}", "VARCHAR", choice(EFFECTS))
                      for o in PERCEIVED_OUTCOMES)
INFLUENCE_FIELDS = tuple(Field(f"influencia_score/{o}", f"influence_{o}", "VARCHAR", choice(INFLUENCE))
                         for o in PERCEIVED_OUTCOMES)
ASSESSMENT_FIELDS = (text("cargo_informante", "respondent_role"), *RATINGS)
# Read in the order of the form (each outcome's effect, then its influence); loaded in column order.
FIELDS = (*ASSESSMENT_FIELDS, *(f for pair in zip(EFFECT_FIELDS, INFLUENCE_FIELDS) for f in pair))
COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "submission_uuid": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE",
    **columns_of((*ASSESSMENT_FIELDS, *EFFECT_FIELDS, *INFLUENCE_FIELDS)), "source_row": "INTEGER",
}


def headers() -> dict[str, str]:
    return {"ruc": "column 'ruc'", "submission_uuid": "column '_uuid'", "submitted_at": "column '_submission_time'",
            **headers_of(FIELDS)}


PERCEPTION_HEADERS = required_headers((*EFFECT_FIELDS, *INFLUENCE_FIELDS))


def fields_of(table: Table, source: Source) -> tuple[Field, ...]:
    """The form's fields, with the perceptions block (contract 2.3: from the second wave on) where the wave has
    it: required whole from the country's second wave on, and in the first wave either whole or absent."""
    present = [h for h in PERCEPTION_HEADERS if h in table.header]
    if not present and source.first_wave:
        return ASSESSMENT_FIELDS
    missing = [h for h in PERCEPTION_HEADERS if h not in table.header]
    if missing:
        why = "" if present else " (the perceptions block is required from the country's second wave on)"
        raise IngestError(table.path, f"missing required column(s): {', '.join(missing)}{why}")
    return FIELDS


def ingest(source: Source) -> Ingested:
    path = source.folder / SOURCE
    table = read_delimited(path, ";", ["_uuid", "_submission_time", "ruc", *required_headers(ASSESSMENT_FIELDS)],
                           form_export=True)
    fields = fields_of(table, source)
    corrections = corrected(source, "autoevaluacion", table, by_column("_uuid"))
    problems = Problems(source.wave, "autoevaluacion", path)
    read = field_reader(fields, source, table, problems)
    records = [{"wave": source.wave, **s.stamp(), **read(s.number, s.row, s.ruc)}
               for s in timed_submissions(problems, table, source.rules.identifier)]
    kept, superseded = keep_latest(records, problems)
    return Ingested(frame_of(kept, COLUMNS), table.rows_received, problems.rejects, superseded, corrections)
