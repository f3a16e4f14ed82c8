"""What a run says about the data it loaded (issue 26, item 8): one line per wave and instrument with anything to
say, and a warning when a file holds far fewer rows than the same file in the previous wave."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bad_inputs import WORKERS, drop_column, read_rows, write_rows, PRACTICES
from conftest import copy_wave
from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetKey

from score_pipeline.quality.summary import failed_warnings, quality_lines
from score_pipeline.sample_data.extracts import write_sha256sums

BASELINE, MIDTERM = "2017-baseline", "2018-midterm"


def test_a_line_for_each_wave_and_instrument_with_anything_to_say() -> None:
    counts = [
        {"country": "pe", "wave": MIDTERM, "instrument": "perfil_empresa", "rows_rejected": 0, "duplicates_removed": 0,
         "values_invalid": 0},
        {"country": "pe", "wave": MIDTERM, "instrument": "practicas_gestion", "rows_rejected": 1, "duplicates_removed": 4,
         "values_invalid": 14},
        {"country": "co", "wave": "2019-baseline", "instrument": "autoevaluacion", "rows_rejected": 0,
         "duplicates_removed": 1, "values_invalid": 0},
    ]
    notes = [("pe", MIDTERM, "practicas_gestion", "column 'onda' is missing")]
    warnings = [("pe/2018-midterm", "encuesta_trabajadores", "holds 300 rows, 1230 in 2017-baseline")]
    assert quality_lines(counts, notes, warnings) == [
        "co/2019-baseline autoevaluacion: 1 duplicate removed",
        "pe/2018-midterm encuesta_trabajadores: holds 300 rows, 1230 in 2017-baseline",
        "pe/2018-midterm practicas_gestion: 1 row rejected, 4 duplicates removed, 14 invalid values; column 'onda' is missing",
    ]


def test_only_failed_warn_checks_are_said() -> None:
    key = AssetKey(["raw", "worker_survey"])
    evaluations = [
        AssetCheckEvaluation(asset_key=key, check_name="volume", passed=False, severity=AssetCheckSeverity.WARN,
                             description="cut short", partition="pe/2018-midterm"),
        AssetCheckEvaluation(asset_key=key, check_name="content", passed=True, severity=AssetCheckSeverity.WARN,
                             partition="pe/2018-midterm"),
        AssetCheckEvaluation(asset_key=key, check_name="structure", passed=False, severity=AssetCheckSeverity.ERROR,
                             description="refused", partition="pe/2018-midterm"),
    ]
    assert failed_warnings(evaluations) == [("pe/2018-midterm", "encuesta_trabajadores", "cut short (WARN check 'volume')")]


def data_rows(path: Path, encoding: str) -> int:
    return sum(1 for row in list(csv.reader(io.StringIO(path.read_text(encoding=encoding)), delimiter=";"))[1:] if any(row))


def test_a_run_says_what_it_set_aside_and_that_a_file_was_cut_short(isolated: Path) -> None:
    """A midterm whose worker survey was cut to a third and whose practices export lost its informational `onda`
    column: the run still publishes, and says both in its data-quality lines."""
    from score_pipeline.cli import run_all_waves

    raw = isolated / "raw"
    baseline, midterm = copy_wave(BASELINE, raw), copy_wave(MIDTERM, raw)
    rows = read_rows(midterm, WORKERS)
    write_rows(midterm, WORKERS, rows[: 1 + (len(rows) - 1) // 3])
    drop_column(PRACTICES, lambda name: name == "onda")(midterm)
    (midterm / "SHA256SUMS").unlink()
    write_sha256sums(midterm)
    kept, before = data_rows(midterm / WORKERS.file, "utf-8"), data_rows(baseline / WORKERS.file, "cp1252")
    assert kept < before / 2

    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()
    said = out.getvalue().split("\nData quality")[1].splitlines()
    workers = next(line for line in said if line.strip().startswith("pe/2018-midterm encuesta_trabajadores:"))
    assert f"encuesta_trabajadores.csv holds {kept} rows, {before} in 2017-baseline" in workers
    assert "(WARN check 'volume')" in workers
    practices = next(line for line in said if line.strip().startswith("pe/2018-midterm practicas_gestion:"))
    assert "column 'onda' is missing (informational" in practices
    assert not any(line.strip().startswith("pe/2017-baseline encuesta_trabajadores:") and "volume" in line for line in said)
