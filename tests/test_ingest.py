"""Ingest: counts against the independent reference and idempotent re-runs (bad files: test_bad_inputs.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_RAW, SAMPLE_WAVES, copy_wave, materialize_ingest
from reference import LABELS, Reference, fold, read_csv, ruc

from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME

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
    assert len(result.get_asset_check_evaluations()) == 18  # structure, reconciliation, content x 6 instruments
    first = table_counts(warehouse, "2019-endline")
    assert first["company_profile"] == 52 and first["case_studies"] == 6 and first["ingest_log"] == 6
    metadata = {m.asset_key.path[-1]: m.metadata for m in result.get_asset_materialization_events()
                for m in [m.event_specific_data.materialization]}
    assert metadata["management_practices"]["duplicates_removed"].value == first["superseded"] - 2  # 2 self-assessments
    for _ in range(2):
        materialize_ingest("2019-endline", warehouse)
    assert table_counts(warehouse, "2019-endline") == first
