"""`muestra.csv`: the evaluation's sample frame (contract 8.1), one row per enterprise of the sample with its
assigned arm (`grupo`) and, optionally, its randomisation stratum (`estrato`). Read in the country's first wave
only, and only when that wave's SHA256SUMS lists it (core/waves.reads_sample_frame); any other wave has none.

A row is rejected for an invalid identifier, a `grupo` that is neither arm, or an identifier listed more than
once (every row of it, whatever its `grupo`). An identifier in none of the country's profile sheets is rejected
later, in the warehouse (dbt: int_unknown_enterprise_rows), as for every instrument. No row is a duplicate and no
cell an invalid value (contract 8.3).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from score_pipeline.core.cells import Parsed, as_text
from score_pipeline.core.wave_files import SAMPLE_FRAME as SOURCE
from score_pipeline.core.waves import listed_files, reads_sample_frame
from score_pipeline.ingest.instruments.common import Ingested, Problems, Source, frame_of, rows_with_valid_ruc
from score_pipeline.ingest.normalise import fold_label
from score_pipeline.ingest.readers import count_delimited_records, read_delimited

TREATMENT, COMPARISON = "tratamiento", "comparacion"
ARMS = (TREATMENT, COMPARISON)  # as raw.sample_frame stores them: `grupo` folded (any case, accents dropped)
COLUMNS = {"wave": "VARCHAR", "ruc": "VARCHAR", "arm": "VARCHAR", "stratum": "VARCHAR", "source_row": "INTEGER"}
REQUIRED_HEADERS = ["ruc", "grupo"]  # `estrato` is optional (contract 8.1)
STRATUM = "estrato"


def headers() -> dict[str, str]:
    return {"ruc": "column 'ruc'", "arm": "column 'grupo', lower case without accents",
            "stratum": f"column {STRATUM!r} (optional; empty or absent: null)"}


def frame_path(folder: Path) -> Path | None:
    """The wave's frame when the pipeline reads it: in the country's first wave, listed in its SHA256SUMS."""
    return folder / SOURCE if reads_sample_frame(folder, listed_files(folder)) else None


def count(folder: Path) -> int:
    """The frame's data rows, counted without the reader (0 for a wave whose frame is not read)."""
    path = frame_path(folder)
    return count_delimited_records(path, ";") if path is not None else 0


def parse_arm(raw: object) -> Parsed[str]:
    """`grupo`: `tratamiento` or `comparacion`, in any case, `comparación` with its accent too."""
    arm = fold_label(raw)
    return Parsed(arm) if arm in ARMS else Parsed(None, f"grupo {as_text(raw)!r} is not tratamiento or comparacion")


def ingest(source: Source) -> Ingested:
    path = frame_path(source.folder)
    if path is None:
        return Ingested(frame_of([], COLUMNS), 0, sent=False)
    table = read_delimited(path, ";", REQUIRED_HEADERS)
    problems = Problems(source.wave, "muestra", path)
    identified = list(rows_with_valid_ruc(problems, table, "ruc", source.rules.identifier))
    listings = Counter(ruc for _, _, ruc in identified)
    records = []
    for number, row, ruc in identified:
        if listings[ruc] > 1:
            rows = ", ".join(str(n) for n, _, other in identified if other == ruc)
            problems.reject_row(number, as_text(row["ruc"]), f"enterprise {ruc} is listed {listings[ruc]} times "
                                                              f"(rows {rows}): every row of it is rejected", ruc)
            continue
        arm = parse_arm(row["grupo"])
        if arm.problem:
            problems.reject_row(number, as_text(row["grupo"]), arm.problem, ruc)
            continue
        records.append({"wave": source.wave, "ruc": ruc, "arm": arm.value,
                        "stratum": as_text(row.get(STRATUM)) or None, "source_row": number})
    return Ingested(frame_of(records, COLUMNS), table.rows_received, problems.rejects)
