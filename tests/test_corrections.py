"""Field corrections (contract 5): a wave's log read and checked line by line, applied to the rows as
read, each line with its status; expected values are read from the raw files with openpyxl and csv,
not through the pipeline's readers."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import (
    COLOMBIA_RAW, COLOMBIA_WAVES, GHANA_WAVES, SAMPLE_CORRECTIONS, SAMPLE_RAW, SAMPLE_WAVES, PipelineRun, copy_wave,
    materialize_ingest, run_dbt,
)
from reference import nit, read_csv, ruc

from score_pipeline.ingest.corrections import LOG_COLUMNS, read_log
from score_pipeline.ingest.instruments import CORRECTABLE
from score_pipeline.ingest.readers import IngestError

WAVE = "2019-endline"
GOOD = {"instrument": "perfil_empresa", "key": "20085266838", "column": "N° trabajadores", "action": "replace",
        "old_value": "29", "new_value": "31", "author": "Ana", "date": "2020-01-15", "reason": "call to the firm"}


def write_log(folder: Path, lines: list[dict[str, str]], columns: tuple[str, ...] = LOG_COLUMNS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{WAVE}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(lines)
    return path


@pytest.mark.parametrize("change,problem", [
    ({"instrument": "estudios_caso"}, "line 3: unknown instrument 'estudios_caso'"),
    ({"action": "fix"}, "line 3: unknown action 'fix'"),
    ({"reason": " "}, "line 3: reason is empty"),
    ({"author": ""}, "line 3: author is empty"),
    ({"date": "15/01/2020"}, "line 3: date '15/01/2020' is not YYYY-MM-DD"),
    ({"action": "drop_row"}, "line 3: a drop_row leaves column, old_value and new_value empty"),
])
def test_a_log_that_cannot_be_read_names_the_line(tmp_path: Path, change: dict[str, str], problem: str) -> None:
    path = write_log(tmp_path, [GOOD, {**GOOD, **change}])
    with pytest.raises(IngestError, match=problem):
        read_log(path, CORRECTABLE)


def test_a_log_without_a_required_column_is_refused(tmp_path: Path) -> None:
    path = write_log(tmp_path, [GOOD], columns=tuple(c for c in LOG_COLUMNS if c != "reason"))
    with pytest.raises(IngestError, match="missing column\\(s\\): reason"):
        read_log(path, CORRECTABLE)


def test_a_wave_without_a_log_has_no_corrections(tmp_path: Path) -> None:
    assert read_log(tmp_path / f"{WAVE}.csv", CORRECTABLE).corrections == ()


def first_profile_rows(wave: str, count: int, raw: Path = SAMPLE_RAW) -> list[tuple]:
    sheet = openpyxl.load_workbook(raw / wave / "perfil_empresa.xlsx", read_only=True, data_only=True)["perfil"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[2])
    return header, rows[3:3 + count]


def worker_rows(wave: str) -> list[dict[str, str]]:
    return read_csv(SAMPLE_RAW / wave / "encuesta_trabajadores.csv", ";").to_dict("records")


def test_each_line_applies_in_order_with_its_status(pipeline: PipelineRun, isolated: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    header, (first, second) = first_profile_rows(WAVE, 2)
    workers = header.index("N° trabajadores")
    first_ruc, second_ruc = first[0].strip(), second[0].strip()
    dropped = worker_rows(WAVE)[0]["ID encuesta"]
    lines = [
        {**GOOD, "key": first_ruc, "old_value": str(first[workers]), "new_value": "31"},       # applied
        {**GOOD, "key": first_ruc, "old_value": str(first[workers]), "new_value": "35"},       # stale: now 31
        {**GOOD, "key": first_ruc, "old_value": "31", "new_value": "33"},                      # applied on the line before's value
        {**GOOD, "key": "20100123453", "old_value": "1", "new_value": "2"},                    # no_match
        {**GOOD, "key": second_ruc, "action": "confirm", "old_value": str(second[workers]), "new_value": ""},  # applied
        {**GOOD, "instrument": "encuesta_trabajadores", "key": dropped, "action": "drop_row", "column": "",
         "old_value": "", "new_value": ""},                                                   # applied
    ]
    write_log(isolated / "corrections", lines)
    monkeypatch.setenv("SCORE_CORRECTIONS_DIR", str(isolated / "corrections"))
    copy_wave(WAVE, isolated / "raw")
    warehouse = isolated / "warehouse" / "score.duckdb"
    result = materialize_ingest(WAVE, warehouse)  # every instrument: data_quality below needs them all
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    assert checks[("worker_survey", "reconciliation")].passed and checks[("company_profile", "reconciliation")].passed
    assert checks[("worker_survey", "corrections")].passed  # its one line applied
    profile = checks[("company_profile", "corrections")]  # WARN: lines 3 (stale) and 5 (no_match) named
    assert not profile.passed and profile.metadata["not_applied"].value == 2
    assert "| 3 | stale |" in profile.metadata["lines_not_applied"].value
    assert "| 5 | no_match |" in profile.metadata["lines_not_applied"].value

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        statuses = connection.execute("select log_line, status from raw.corrections order by log_line").fetchall()
        loaded = dict(connection.execute("select ruc, workers from raw.company_profile").fetchall())
        survey = connection.execute("select count(*) from raw.worker_survey").fetchone()[0]
        dropped_reason = connection.execute(
            "select reason from raw.rejects where instrument = 'encuesta_trabajadores' and kind = 'row'").fetchall()
    assert statuses == [(2, "applied"), (3, "stale"), (4, "applied"), (5, "no_match"), (6, "applied"), (7, "applied")]
    assert loaded[first_ruc] == 33 and loaded[second_ruc] == second[workers]
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:  # the same wave without a log
        uncorrected = connection.execute("select count(*) from raw.worker_survey where wave = ?", [WAVE]).fetchone()[0]
    assert survey == uncorrected - 1
    assert ("set aside by corrections line 7: call to the firm",) in dropped_reason

    completed, _ = run_dbt(["build", "--select", "+data_quality", "--exclude-resource-type", "unit_test",
                            "--indirect-selection", "cautious"], warehouse,
                           isolated / "dbt")
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        counted = connection.execute("select instrument, corrections_applied, corrections_not_applied "
                                     "from marts.data_quality order by instrument").fetchall()
    assert counted == [("autoevaluacion", 0, 0), ("encuesta_trabajadores", 1, 0), ("estudios_caso", 0, 0),
                       ("perfil_empresa", 3, 2), ("practicas_gestion", 0, 0), ("registro_capacitacion", 0, 0)]


def test_the_run_summary_counts_each_waves_lines(isolated: Path) -> None:
    from score_pipeline.running import corrections_line
    from score_pipeline.ingest.corrections import CORRECTION_COLUMNS
    from score_pipeline.ingest.load import raw_columns

    warehouse = isolated / "warehouse" / "score.duckdb"
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.corrections (" + ", ".join(f"{c} {t}" for c, t in raw_columns(CORRECTION_COLUMNS).items()) + ")")
        connection.execute("insert into raw.corrections (country, wave, log_line, status) values "
                           "('pe', '2018-midterm', 2, 'applied'), ('pe', '2018-midterm', 3, 'stale'), "
                           "('pe', '2018-midterm', 4, 'applied'), ('co', '2017-baseline', 2, 'stale')")
    assert corrections_line(["pe/2017-baseline", "pe/2018-midterm"]) == (
        "pe/2017-baseline none; pe/2018-midterm 2 applied, 1 not applied")


def raw_rows(raw: Path, wave: str, instrument: str) -> tuple[list[dict[str, object]], str]:
    """The rows of a country's instrument's raw file as read by openpyxl / pandas (tests/reference.py), and the
    column its key names."""
    if instrument == "perfil_empresa":
        header, rows = first_profile_rows(wave, 10_000, raw)
        return [dict(zip(header, row)) for row in rows if row[0] is not None], "RUC"
    name, separator, key = {"practicas_gestion": ("practicas_gestion.csv", ";", "_uuid"),
                            "autoevaluacion": ("autoevaluacion.csv", ";", "_uuid"),
                            "encuesta_trabajadores": ("encuesta_trabajadores.csv", ";", "ID encuesta"),
                            "registro_capacitacion": ("registro_capacitacion.csv", ",", "ruc")}[instrument]
    return read_csv(raw / wave / name, separator).to_dict("records"), key


def expected_status(raw: Path, wave: str, line: dict[str, str], identifier: Callable[[object], str | None]) -> str:
    """Contract 5's statuses, from the raw rows (no line of the shipped logs depends on another); identifiers
    under the country's rule (tests/reference.py)."""
    rows, key_column = raw_rows(raw, wave, line["instrument"])
    if line["instrument"] == "registro_capacitacion":
        ruc_part, _, module = line["key"].rpartition(":")
        found = [r for r in rows if identifier(r["ruc"]) == identifier(ruc_part) and r["modulo"].strip() == module]
    elif line["instrument"] == "perfil_empresa":
        found = [r for r in rows if str(r["RUC"]).strip() == line["key"] or identifier(r["RUC"]) == identifier(line["key"])]
    else:
        found = [r for r in rows if r[key_column].strip() == line["key"]]
    if not found:
        return "no_match"
    if len(found) > 1:
        return "ambiguous"
    if line["action"] == "drop_row":
        return "applied"
    cell = found[0][line["column"]]
    as_written = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()
    return "applied" if as_written == line["old_value"] else "stale"


SHIPPED = (("co", COLOMBIA_RAW, nit), ("pe", SAMPLE_RAW, ruc))  # each country's waves and identifier rule


def test_the_shipped_logs_apply_with_the_statuses_the_raw_files_give(pipeline: PipelineRun) -> None:
    """data/corrections/<country>/: every action and every status, and the headline still the evaluation's
    (test_marts); each country's logs applied to its own waves only."""
    expected, cells = [], []
    for country, raw, identifier in SHIPPED:
        for log in sorted((SAMPLE_CORRECTIONS.parent / country).glob("*.csv")):
            with log.open(encoding="utf-8", newline="") as handle:
                for number, line in enumerate(csv.DictReader(handle), start=2):
                    expected.append((country, log.stem, number, line["action"],
                                     expected_status(raw, log.stem, line, identifier)))
                    cells.append((country, log.stem, line["instrument"], line["key"], line["column"]))
    assert len(set(cells)) == len(cells)  # no line depends on the value another left
    assert {action for *_, action, _ in expected} == {"replace", "drop_row", "confirm"}
    assert {status for *_, status in expected} == {"applied", "no_match", "ambiguous", "stale"}
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        stored = connection.execute("select country, wave, log_line, action, status from raw.corrections "
                                    "order by all").fetchall()
        dropped = connection.execute("select count(*) from raw.rejects where reason like 'set aside by corrections line%'").fetchone()[0]
    assert stored == sorted(expected)
    assert dropped == sum(1 for *_, action, status in expected if action == "drop_row" and status == "applied")
    printed = []  # make run's line: per wave of every country (one wave run), its lines applied and not applied
    for country, waves in (("co", COLOMBIA_WAVES), ("gh", GHANA_WAVES), ("pe", SAMPLE_WAVES)):  # gh ships no log
        for wave in waves:
            statuses = [status for code, log_wave, _, _, status in expected if (code, log_wave) == (country, wave)]
            applied = statuses.count("applied")
            printed.append(f"{country}/{wave} {applied} applied, {len(statuses) - applied} not applied" if statuses
                           else f"{country}/{wave} none")
    assert f"corrections: {'; '.join(printed)}" in pipeline.output
