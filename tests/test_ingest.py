"""Ingest: counts against the independent reference, idempotent re-runs, and files that stop a
wave with an error naming them while the wave's loaded data stays as it was."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_RAW, SAMPLE_WAVES, copy_wave
from dagster import DagsterInstance, materialize
from reference import LABELS, Reference, fold, read_csv, ruc

from score_pipeline.ingest.assets import ingest_assets
from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME
from score_pipeline.quality.checks import ingest_checks
from score_pipeline.resources import WarehouseResource
from score_pipeline.sample_data.extracts import write_sha256sums
from score_pipeline.waves import wave_partitions

PRACTICE_CODES = {"1", "2", "3", "4", "5", "NA", "99", ""}


@pytest.mark.parametrize("wave", SAMPLE_WAVES)
def test_practices_counts_match_the_reference(wave: str) -> None:
    raw = read_csv(SAMPLE_RAW / wave / "practicas_gestion.csv", ";")
    raw["ruc_n"] = raw["ruc"].map(ruc)
    valid = raw[raw["ruc_n"].notna()]
    latest = valid.assign(t=pd.to_datetime(valid["_submission_time"], utc=True)).sort_values("t").groupby("ruc_n").tail(1)
    cells = latest[[c for c in raw.columns if c.count("/") == 2]].stack()
    ingested = INSTRUMENTS_BY_NAME["practicas_gestion"].ingest(SAMPLE_RAW / wave, wave)
    assert ingested.rows_received == len(raw)
    assert ingested.rows_rejected == raw["ruc_n"].isna().sum() >= 1
    assert len(ingested.superseded) == len(valid) - len(latest) >= 1
    assert ingested.rows_loaded == len(latest)
    assert ingested.values_invalid == (~cells.isin(PRACTICE_CODES)).sum() > 0
    assert len(ingested.frame) == 43 * len(latest)


@pytest.mark.parametrize("wave", SAMPLE_WAVES)
def test_worker_survey_counts_match_the_reference(wave: str) -> None:
    raw = read_csv(SAMPLE_RAW / wave / "encuesta_trabajadores.csv", ";")
    raw["ruc_n"] = raw["RUC"].map(ruc)
    kept = raw[raw["ruc_n"].notna()]
    answers = kept[[c for c in raw.columns if c.startswith("P")]].stack().map(fold)
    invalid_answers = (~answers.isin(set(LABELS) | {"", "ns/nr"})).sum()
    invalid_sex = (~kept["Sexo"].map(fold).isin({"f", "m", "mujer", "hombre", ""})).sum()
    ingested = INSTRUMENTS_BY_NAME["encuesta_trabajadores"].ingest(SAMPLE_RAW / wave, wave)
    assert ingested.rows_received == len(raw)
    assert ingested.rows_loaded == len(kept) == len(ingested.frame)
    assert ingested.values_invalid == invalid_answers + invalid_sex > 0


def test_profile_reads_every_firm_with_numbers_as_numbers(reference: Reference) -> None:
    ingested = INSTRUMENTS_BY_NAME["perfil_empresa"].ingest(SAMPLE_RAW / "2017-baseline", "2017-baseline")
    frame = ingested.frame.set_index("ruc")
    expected = reference.baseline.profile_number("Ventas anuales (S/.)")
    assert set(frame.index) == set(expected.index) and len(frame) == 52
    assert frame["annual_sales"].astype(float).sort_index().equals(expected.astype(float).sort_index())
    assert ingested.rejects == []


def materialize_ingest(wave: str, warehouse: Path, *, expect_success: bool = True):
    instance = DagsterInstance.get()
    if not instance.has_dynamic_partition(wave_partitions.name, wave):
        instance.add_dynamic_partitions(wave_partitions.name, [wave])
    return materialize([*ingest_assets, *ingest_checks], partition_key=wave, instance=instance,
                       resources={"warehouse": WarehouseResource(path=str(warehouse))}, raise_on_error=expect_success)


def table_counts(warehouse: Path, wave: str) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            table: connection.execute(f"select count(*) from raw.{table} where wave = ?", [wave]).fetchone()[0]
            for table in ("management_practices", "company_profile", "self_assessment", "worker_survey",
                          "training_records", "case_studies", "rejects", "superseded", "ingest_log")
        }


def test_a_wave_materializes_with_checks_passing_and_reruns_are_idempotent(isolated: Path) -> None:
    copy_wave("2019-endline", isolated / "raw")
    warehouse = isolated / "warehouse" / "score.duckdb"
    result = materialize_ingest("2019-endline", warehouse)
    assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations())
    assert len(result.get_asset_check_evaluations()) == 12
    first = table_counts(warehouse, "2019-endline")
    assert first["company_profile"] == 52 and first["case_studies"] == 6 and first["ingest_log"] == 6
    metadata = {m.asset_key.path[-1]: m.metadata for m in result.get_asset_materialization_events()
                for m in [m.event_specific_data.materialization]}
    assert metadata["management_practices"]["duplicates_removed"].value == first["superseded"] - 2  # 2 self-assessments
    for _ in range(2):
        materialize_ingest("2019-endline", warehouse)
    assert table_counts(warehouse, "2019-endline") == first


def break_wave(folder: Path, how: str) -> str:
    """Damage a drop; returns the text the error must contain."""
    if how == "missing column":
        path = folder / "practicas_gestion.csv"
        text = path.read_text(encoding="utf-8-sig").replace("ruc;evaluador", "numero_ruc;evaluador", 1)
        path.write_text(text, encoding="utf-8-sig")
        write_sha256sums(folder)
        return "practicas_gestion.csv: missing required column(s): ruc"
    if how == "unreadable file":
        (folder / "perfil_empresa.xlsx").write_bytes(b"this is not a workbook")
        write_sha256sums(folder)
        return "perfil_empresa.xlsx: is not a readable xlsx workbook"
    with (folder / "encuesta_trabajadores.csv").open("ab") as handle:  # corrupt: the checksum no longer matches
        handle.write(b"1;2;3\n")
    return "encuesta_trabajadores.csv: checksum mismatch"


@pytest.mark.parametrize("how", ["missing column", "unreadable file", "corrupt SHA256SUMS"])
def test_a_broken_file_stops_the_wave_naming_it_and_keeps_the_loaded_data(isolated: Path, how: str) -> None:
    folder = copy_wave("2018-midterm", isolated / "raw")
    warehouse = isolated / "warehouse" / "score.duckdb"
    materialize_ingest("2018-midterm", warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        before = {t: connection.execute(f"select * from raw.{t} order by all").fetchall()
                  for t in ("management_practices", "company_profile", "worker_survey")}
    expected_message = break_wave(folder, how)
    result = materialize_ingest("2018-midterm", warehouse, expect_success=False)
    assert not result.success
    messages = " ".join(str(e.event_specific_data.error) for e in result.all_events if e.is_step_failure)
    assert expected_message in messages
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        after = {t: connection.execute(f"select * from raw.{t} order by all").fetchall() for t in before}
    assert after == before
