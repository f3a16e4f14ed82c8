"""`registro_capacitacion.csv`: the training and cost records, cumulative, one row per enterprise x
module started (empty before any module has started)."""

from __future__ import annotations

from score_pipeline.core.cells import as_text
from score_pipeline.core.wave_files import TRAINING as SOURCE
from score_pipeline.ingest.corrections import by_ruc_and_module
from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, Source, column_order, columns_of, corrected, field_reader, fixed, frame_of, headers_of,
    last_row_per_key, past_date, quantity, required_headers, rows_with_valid_ruc, whole_count,
)
from score_pipeline.ingest.normalise import parse_past_date
from score_pipeline.ingest.readers import read_delimited

MODULES = {"1", "2", "3", "4", "5"}
# A row without a valid module or start date is rejected whole (training.ingest); these are per cell.
FIELDS = (
    past_date("fecha_fin", "finished_on"),
    Field("sesiones_aula", "classroom_sessions", "INTEGER", fixed(whole_count)),
    Field("visitas_consultoria", "consulting_visits", "INTEGER", fixed(whole_count)),
    Field("aporte_usd", "contribution_usd", "DOUBLE", quantity("money", currency="USD")),
)
COLUMNS = {"wave": "VARCHAR", "ruc": "VARCHAR", "module": "INTEGER", "started_on": "DATE", **columns_of(FIELDS),
           "source_row": "INTEGER"}
REQUIRED_HEADERS = ["ruc", "modulo", "fecha_inicio", *required_headers(FIELDS)]


def headers() -> dict[str, str]:
    return {"ruc": "column 'ruc'", "module": "column 'modulo'", "started_on": "column 'fecha_inicio'", **headers_of(FIELDS)}


def by_enterprise_and_module(record: dict[str, object]) -> tuple[object, object]:
    return record["ruc"], record["module"]


def ingest(source: Source) -> Ingested:
    path = source.folder / SOURCE
    identifier = source.rules.identifier
    table = read_delimited(path, ",", REQUIRED_HEADERS, may_be_empty=True)  # before any module has finished
    corrections = corrected(source, "registro_capacitacion", table, by_ruc_and_module("ruc", "modulo", identifier))
    problems = Problems(source.wave, "registro_capacitacion", path)
    start_order = column_order(table, "fecha_inicio")
    read = field_reader(FIELDS, source, table, problems)
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "ruc", identifier):
        module = as_text(row["modulo"])
        if module not in MODULES:
            problems.reject_row(number, module, f"modulo {module!r} is not 1..5", ruc)
            continue
        started = parse_past_date(row["fecha_inicio"], order=start_order)
        if started.value is None:
            problems.reject_row(number, as_text(row["fecha_inicio"]), f"fecha_inicio: {started.problem or 'empty'}", ruc)
            continue
        records.append({"wave": source.wave, "ruc": ruc, "module": int(module), "started_on": started.value,
                        **read(number, row, ruc), "source_row": number})
    # A record listed twice (the same enterprise and module) keeps its last row, as a sheet's correction below.
    kept, superseded = last_row_per_key(records, problems, by_enterprise_and_module)
    return Ingested(frame_of(kept, COLUMNS), table.rows_received, problems.rejects, superseded, corrections)
