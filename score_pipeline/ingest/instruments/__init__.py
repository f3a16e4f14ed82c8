"""The survey instruments: one module per instrument, each declaring its file, its fields (header,
warehouse column, type, parser) and how a wave's file becomes a typed frame plus its rejects.

Pure functions of the files (no warehouse): the Dagster assets are thin shells around
`Instrument.ingest`. Column names are English snake_case; every row carries the wave key and
where it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from score_pipeline.ingest.instruments import (
    case_studies, practices, profile, sample_frame, self_assessment, training, worker_survey,
)
from score_pipeline.ingest.instruments.common import (
    FOLDER_COLUMNS, REJECT_COLUMNS, SUPERSEDED_COLUMNS, CountryRules, Ingested, Source,
)
from score_pipeline.ingest.readers import count_delimited_records, count_sheet_rows

__all__ = ["CORRECTABLE", "INSTRUMENTS", "INSTRUMENTS_BY_NAME", "REJECT_COLUMNS", "SUPERSEDED_COLUMNS",
           "CountryRules", "Ingested", "Instrument", "Source"]


@dataclass(frozen=True)
class Instrument:
    name: str  # the contract's instrument: the file name without extension
    source: str  # the file (or folder) of a wave it is read from
    table: str  # the raw table in the warehouse
    label: str
    columns: dict[str, str]  # warehouse column -> DuckDB type
    ingest: Callable[[Source], Ingested]  # the wave's file(s), read under the country's rules
    # The data rows of a wave's file, counted without the reader (readers.count_*): the reconciliation check.
    count_received: Callable[[Path], int]
    headers: Callable[[], dict[str, str]]  # warehouse column -> where in the file it is read from
    key: tuple[str, ...] = ("ruc",)  # unique within a wave after resubmissions are resolved
    row_id: str = "source_row"  # the column naming the source row a loaded row came from
    correctable: bool = True  # takes lines of the wave's corrections log (contract 5)
    every_wave: bool = True  # sent in every wave (contract 2): its row count is compared with the previous wave's

    def read_from(self, column: str) -> str:
        """Where a raw column's values come from: `perfil_empresa.xlsx, column 'Accidentes de trabajo (año)'`."""
        return f"{self.source}, {FOLDER_COLUMNS.get(column) or self.headers()[column]}"


def delimited_count(file: str, delimiter: str) -> Callable[[Path], int]:
    return lambda folder: count_delimited_records(folder / file, delimiter)


INSTRUMENTS = (
    Instrument("practicas_gestion", practices.SOURCE, "management_practices",
               "Management practices questionnaire (evaluator)", practices.COLUMNS, practices.ingest,
               delimited_count(practices.SOURCE, ";"), practices.headers, ("ruc", "practice_id")),
    Instrument("perfil_empresa", profile.SOURCE, "company_profile", "Company profile sheet", profile.COLUMNS,
               profile.ingest, lambda folder: count_sheet_rows(folder / profile.SOURCE), profile.headers),
    Instrument("autoevaluacion", self_assessment.SOURCE, "self_assessment", "Enterprise self-assessment survey",
               self_assessment.COLUMNS, self_assessment.ingest, delimited_count(self_assessment.SOURCE, ";"),
               self_assessment.headers),
    Instrument("encuesta_trabajadores", worker_survey.SOURCE, "worker_survey",
               "Worker satisfaction survey (one row per worker)", worker_survey.COLUMNS, worker_survey.ingest,
               delimited_count(worker_survey.SOURCE, ";"), worker_survey.headers, ()),
    Instrument("registro_capacitacion", training.SOURCE, "training_records",
               "Training and cost records (cumulative)", training.COLUMNS, training.ingest,
               delimited_count(training.SOURCE, ","), training.headers, ("ruc", "module")),
    Instrument("estudios_caso", case_studies.SOURCE, "case_studies", "Case studies (markdown with front matter)",
               case_studies.COLUMNS, case_studies.ingest, case_studies.count, case_studies.headers, ("ruc",),
               row_id="source_file", correctable=False, every_wave=False),
    Instrument("muestra", sample_frame.SOURCE, "sample_frame",
               "Sample frame of the evaluation: each enterprise's arm (first wave only)", sample_frame.COLUMNS,
               sample_frame.ingest, sample_frame.count, sample_frame.headers, ("ruc",), correctable=False,
               every_wave=False),
)
INSTRUMENTS_BY_NAME = {instrument.name: instrument for instrument in INSTRUMENTS}
CORRECTABLE = tuple(instrument.name for instrument in INSTRUMENTS if instrument.correctable)
