"""Contract v3 section 8 at ingest: the sample frame `muestra.csv` (8.1, 8.3) and worker codes (8.2), read from
Ghana's shipped waves and from small files written here; every expected value by hand or from the raw files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import GHANA_RAW, GHANA_WAVES
from reference import fold, read_csv, read_lines, tin

from score_pipeline.core.programme import IdentifierScheme
from score_pipeline.core.waves import verify_drop
from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME, CountryRules, Source
from score_pipeline.ingest.instruments.sample_frame import parse_arm
from score_pipeline.ingest.instruments.worker_survey import parse_worker_code
from score_pipeline.sample_data.extracts import write_sha256sums

GHANA_RULES = CountryRules.of(IdentifierScheme(stdnum_module="gh.tin").normalise, "GHS", "gh")
FRAME, SURVEY = INSTRUMENTS_BY_NAME["muestra"], INSTRUMENTS_BY_NAME["encuesta_trabajadores"]
TREATED, COMPARED, UNLISTED = "C0000803561", "C0001234560", "C0000000000"  # valid TINs (GRA's check digit)


@pytest.mark.parametrize("spelling", ["comparacion", "Comparación", "COMPARACIÓN", " comparación ", "CoMpArAcIoN"])
def test_comparison_is_read_in_any_case_and_accent(spelling: str) -> None:
    assert parse_arm(spelling).value == "comparacion" and parse_arm("TRATAMIENTO ").value == "tratamiento"


@pytest.mark.parametrize("spelling", ["control", "tratado", "", "comparacion/tratamiento"])
def test_another_group_is_no_arm(spelling: str) -> None:
    assert parse_arm(spelling).value is None and "is not tratamiento or comparacion" in parse_arm(spelling).problem


def test_ghanas_frame_loads_each_listed_enterprise_with_its_arm() -> None:
    folder = GHANA_RAW / GHANA_WAVES[0]
    _, rows, _ = read_lines(folder / "muestra.csv", ";")
    expected = {tin(row.cells["ruc"]): (fold(row.cells["grupo"]), row.cells["estrato"].strip()) for row in rows}
    ingested = FRAME.ingest(Source(folder, GHANA_WAVES[0], GHANA_RULES))
    loaded = {r.ruc: (r.arm, r.stratum) for r in ingested.frame.itertuples()}
    assert loaded == expected and len(loaded) == len(rows) == 71
    assert {arm for arm, _ in loaded.values()} == {"tratamiento", "comparacion"}
    assert (ingested.rows_received, ingested.rows_rejected, ingested.values_invalid, ingested.superseded) == (71, 0, 0, [])


@pytest.mark.parametrize("wave", GHANA_WAVES[1:])
def test_a_later_wave_has_no_frame_to_count(wave: str) -> None:
    ingested = FRAME.ingest(Source(GHANA_RAW / wave, wave, GHANA_RULES, first_wave=False))
    assert ingested.frame.empty and ingested.rows_received == 0 and not ingested.sent
    assert FRAME.count_received(GHANA_RAW / wave) == 0


def write_wave(root: Path, wave: str, frame: str | None, listed: bool = True) -> Path:
    """A country's wave folder holding only a frame (the frame's instrument reads nothing else)."""
    folder = root / wave
    folder.mkdir(parents=True)
    (folder / "notas.txt").write_text("-\n", encoding="utf-8")
    if frame is not None and listed:
        (folder / "muestra.csv").write_text(frame, encoding="utf-8-sig")
    write_sha256sums(folder)
    if frame is not None and not listed:
        (folder / "muestra.csv").write_text(frame, encoding="utf-8-sig")
    return folder


def test_frame_rows_are_rejected_with_their_reasons(tmp_path: Path) -> None:
    frame = ("ruc;grupo\n"  # no `estrato`: optional, every stratum null, no note
             f"{TREATED};tratamiento\n"
             f"C00-0123456-7;comparacion\n"       # check digit: 1*0+2*0+3*0+4*1+5*2+6*3+7*4+8*5+9*6 = 154, mod 11 = 0
             f"{COMPARED};control\n"              # another grupo
             f"{UNLISTED};tratamiento\n"          # listed twice, whatever the grupo: both rows rejected
             f" c00-0000000-0 ;comparación\n"
             "\n")
    ingested = FRAME.ingest(Source(write_wave(tmp_path, "2022-baseline", frame), "2022-baseline", GHANA_RULES))
    assert ingested.frame[["ruc", "arm", "stratum"]].values.tolist() == [[TREATED, "tratamiento", None]]
    reasons = {r["row_number"]: r["reason"] for r in ingested.rejects}
    assert set(reasons) == {3, 4, 5, 6} and all(r["kind"] == "row" for r in ingested.rejects)
    assert "C0001234567" in reasons[3] and "control" in reasons[4]
    assert "listed 2 times (rows 5, 6)" in reasons[5] == reasons[6]
    assert (ingested.rows_received, ingested.rows_rejected, ingested.rows_loaded, ingested.values_invalid) == (5, 4, 1, 0)


def test_a_frame_outside_the_first_wave_or_not_listed_is_unread(tmp_path: Path) -> None:
    frame = f"ruc;grupo;estrato\n{TREATED};tratamiento;A\n"
    first = write_wave(tmp_path / "listed", "2022-baseline", None)
    later = write_wave(tmp_path / "listed", "2023-midterm", frame)
    assert FRAME.ingest(Source(later, later.name, GHANA_RULES, first_wave=False)).rows_received == 0
    assert verify_drop(later, "gh").unread == [
        "notas.txt", "muestra.csv (not the first wave 2022-baseline: a sample frame is read there only)"]
    assert verify_drop(first, "gh").unread == ["notas.txt"]
    unlisted = write_wave(tmp_path / "unlisted", "2022-baseline", frame, listed=False)
    assert FRAME.ingest(Source(unlisted, unlisted.name, GHANA_RULES)).rows_received == 0
    assert verify_drop(unlisted, "gh").unread == ["notas.txt", "muestra.csv (not in SHA256SUMS)"]
    shutil.rmtree(tmp_path / "unlisted")
    listed = write_wave(tmp_path / "unlisted", "2022-baseline", frame)
    assert FRAME.ingest(Source(listed, listed.name, GHANA_RULES)).rows_loaded == 1


@pytest.mark.parametrize(("typed", "stored"), [("T-0123", "T-0123"), ("  t-0123 ", "T-0123"), ("", None), ("  ", None)])
def test_a_worker_code_is_trimmed_and_compared_without_case(typed: str, stored: str | None) -> None:
    assert parse_worker_code(typed).value == stored and parse_worker_code(typed).problem is None


@pytest.mark.parametrize("wave", GHANA_WAVES)
def test_ghanas_worker_codes_load_and_a_code_used_twice_is_invalid_in_both_rows(wave: str) -> None:
    raw = read_csv(GHANA_RAW / wave / "encuesta_trabajadores.csv", ";")
    raw["ruc_n"], raw["code"] = raw["RUC"].map(tin), raw["Código trabajador"].str.strip().str.upper()
    coded = raw[raw["ruc_n"].notna() & (raw["code"] != "")]
    repeated = coded.duplicated(["ruc_n", "code"], keep=False)
    ingested = SURVEY.ingest(Source(GHANA_RAW / wave, wave, GHANA_RULES))
    code_rejects = [r for r in ingested.rejects if r["column_name"] == "Código trabajador"]
    assert len(code_rejects) == repeated.sum() == (2 if wave == GHANA_WAVES[0] else 0)
    assert all(r["kind"] == "value" and r["raw_value"] == "" for r in code_rejects)  # never the code itself
    loaded = ingested.frame.set_index("source_row")["worker_code"]
    expected = coded[~repeated].set_index(coded[~repeated].index + 2)["code"]  # data row i is the file's row i + 2
    assert loaded.dropna().sort_index().to_dict() == expected.sort_index().to_dict()
    assert not any(r["kind"] == "note" for r in ingested.rejects)


def test_a_survey_without_the_code_column_has_every_code_null_and_no_note(tmp_path: Path) -> None:
    wave = GHANA_WAVES[0]
    rows = read_csv(GHANA_RAW / wave / "encuesta_trabajadores.csv", ";").drop(columns="Código trabajador")
    folder = tmp_path / wave
    folder.mkdir()
    rows.to_csv(folder / "encuesta_trabajadores.csv", sep=";", index=False, encoding="utf-8")
    ingested = SURVEY.ingest(Source(folder, wave, GHANA_RULES))
    assert ingested.frame["worker_code"].isna().all() and ingested.rows_loaded == len(rows) - 1  # the stray row (invalid TIN)
    assert not any(r["kind"] == "note" or r["column_name"] == "Código trabajador" for r in ingested.rejects)
