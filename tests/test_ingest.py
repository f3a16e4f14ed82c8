"""Ingest: counts against the independent reference and idempotent re-runs (bad files: test_bad_inputs.py)."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_RAW, SAMPLE_WAVES, STEP_RESOURCES, copy_wave, materialize_ingest
from reference import LABELS, PRACTICE_CODES, Reference, fold, read_csv, ruc

from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME, Source
from score_pipeline.sample_data.extracts import write_sha256sums

@pytest.mark.parametrize("wave", SAMPLE_WAVES)
def test_practices_counts_match_the_reference(wave: str) -> None:
    raw = read_csv(SAMPLE_RAW / wave / "practicas_gestion.csv", ";")
    raw["ruc_n"] = raw["ruc"].map(ruc)
    valid = raw[raw["ruc_n"].notna()]
    latest = valid.assign(t=pd.to_datetime(valid["_submission_time"], utc=True)).sort_values("t").groupby("ruc_n").tail(1)
    cells = latest[[c for c in raw.columns if c.count("/") == 2]].stack()
    ingested = INSTRUMENTS_BY_NAME["practicas_gestion"].ingest(Source(SAMPLE_RAW / wave, wave))
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
    ingested = INSTRUMENTS_BY_NAME["encuesta_trabajadores"].ingest(Source(SAMPLE_RAW / wave, wave))
    assert ingested.rows_received == len(raw)
    assert ingested.rows_loaded == len(kept) == len(ingested.frame)
    assert ingested.values_invalid == invalid_answers + invalid_sex > 0


def test_profile_reads_every_firm_with_numbers_as_numbers(reference: Reference) -> None:
    ingested = INSTRUMENTS_BY_NAME["perfil_empresa"].ingest(Source(SAMPLE_RAW / "2017-baseline", "2017-baseline"))
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
    # structure, reconciliation, content x 7 instruments (the sample frame's too: a wave without one has none),
    # corrections and volume x the 5 survey instruments
    assert len(result.get_asset_check_evaluations()) == 31
    first = table_counts(warehouse, "2019-endline")
    assert first["company_profile"] == 52 and first["case_studies"] == 6 and first["ingest_log"] == 6  # no muestra row
    metadata = {m.asset_key.path[-1]: m.metadata for m in result.get_asset_materialization_events()
                for m in [m.event_specific_data.materialization]}
    assert metadata["management_practices"]["duplicates_removed"].value == first["superseded"] - 2  # 2 self-assessments
    for _ in range(2):
        materialize_ingest("2019-endline", warehouse)
    assert table_counts(warehouse, "2019-endline") == first


def test_the_reconciliation_check_refuses_a_reader_that_loses_a_row(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that drops a row without a word (as an unclosed quote once made the CSV reader do) is
    caught by the count of the file's lines, and the wave keeps the rows it had."""
    from score_pipeline.running import failure_reasons
    from score_pipeline.ingest.instruments import worker_survey

    copy_wave("2019-endline", isolated / "raw")
    warehouse = isolated / "warehouse" / "score.duckdb"
    materialize_ingest("2019-endline", warehouse, ["encuesta_trabajadores"])
    def rows() -> dict[str, list[tuple]]:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            return {table: connection.execute(f"select * from raw.{table} where wave = '2019-endline' order by all").fetchall()
                    for table in ("worker_survey", "rejects", "ingest_log")}

    before = rows()
    lines = (SAMPLE_RAW / "2019-endline" / "encuesta_trabajadores.csv").read_bytes().splitlines()
    data_rows = sum(1 for line in lines[1:] if line.strip(b" ;\t\""))  # 1,323, by hand: `wc -l` less the header

    def losing_a_row(*args, **kwargs):
        table = worker_survey.read_delimited.__wrapped__(*args, **kwargs)
        table.rows.pop(len(table.rows) // 2)
        return table

    losing_a_row.__wrapped__ = worker_survey.read_delimited
    monkeypatch.setattr(worker_survey, "read_delimited", losing_a_row)
    result = materialize_ingest("2019-endline", warehouse, ["encuesta_trabajadores"], raise_on_error=False)
    assert not result.success
    assert failure_reasons(result) == [
        f"raw__worker_survey: pe/2019-endline/encuesta_trabajadores.csv: refused, the wave's loaded rows are unchanged: "
        f"reconciliation check: the file has {data_rows} data rows but {data_rows - 1} were received"]
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()}["reconciliation"] is False
    assert rows() == before


def test_a_refused_wave_prints_one_sentence_and_no_traceback(isolated: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from score_pipeline.cli import run_all_waves

    folder = copy_wave("2017-baseline", isolated / "raw")
    text = (folder / "autoevaluacion.csv").read_text(encoding="utf-8")
    (folder / "autoevaluacion.csv").write_text(text.replace(";", ","), encoding="utf-8")
    (folder / "SHA256SUMS").unlink()
    write_sha256sums(folder)
    out = io.StringIO()
    assert run_all_waves(out=out) == 1
    captured = capfd.readouterr()
    printed = out.getvalue() + captured.out + captured.err
    assert "Traceback" not in printed and "dagster._core" not in printed, printed
    assert ("  raw__self_assessment: 2017-baseline/autoevaluacion.csv: header has one column; expected the separator ';'"
            in out.getvalue().splitlines())


def test_the_worker_items_are_the_codebooks() -> None:
    """The survey's items are declared in Python (the raw table's columns) and in the codebook seed
    dbt reads: they must be the same list."""
    from score_pipeline.ingest.instruments.worker_survey import WORKER_ITEMS, worker_item_prefixes

    assert tuple(worker_item_prefixes()) == WORKER_ITEMS


def test_each_instrument_declares_its_columns_once() -> None:
    """The raw table's columns come from the instrument's field declarations, and every column a GX
    suite names is one of them (a renamed field cannot leave a suite testing nothing)."""
    import json

    from score_pipeline.ingest.instruments import INSTRUMENTS
    from score_pipeline.settings import EXPECTATIONS_DIR

    for instrument in INSTRUMENTS:
        suite = json.loads((EXPECTATIONS_DIR / f"{instrument.name}.json").read_text(encoding="utf-8"))
        assert suite["meta"]["table"] == instrument.table
        named = {k.get("column") for k in (e["kwargs"] for e in suite["expectations"])} | {
            c for e in suite["expectations"] for c in (e["kwargs"].get("column_list") or [])} | {
            e["kwargs"].get(side) for e in suite["expectations"] for side in ("column_A", "column_B")}
        assert named - {None} <= set(instrument.columns), (instrument.name, named - {None} - set(instrument.columns))


def test_a_run_over_two_waves_refuses_only_the_wave_it_cannot_read(isolated: Path) -> None:
    """A single run over several waves (make run, a backfill): an unreadable file refuses its own wave;
    the other wave is loaded, checked and recorded as materialized, and the step names the bad file."""
    from dagster import DagsterInstance, materialize

    from score_pipeline.core.waves import wave_partitions
    from score_pipeline.running import failure_reasons, range_tags
    from score_pipeline.ingest.assets import ingest_assets
    from score_pipeline.sample_data.extracts import write_sha256sums

    for wave in ("2018-midterm", "2019-endline"):
        copy_wave(wave, isolated / "raw")
    broken = isolated / "raw" / "2019-endline"
    (broken / "encuesta_trabajadores.csv").write_text("ID encuesta,RUC\n2019-00001,20085266838\n", encoding="utf-8")
    write_sha256sums(broken)
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(wave_partitions.name, ["pe/2018-midterm", "pe/2019-endline"])
    survey = next(asset for asset in ingest_assets if asset.key.path[-1] == "worker_survey")
    result = materialize([survey], instance=instance, resources=STEP_RESOURCES,
                         tags=range_tags(["pe/2018-midterm", "pe/2019-endline"]), raise_on_error=False)
    assert not result.success
    assert failure_reasons(result) == ["raw__worker_survey: 2019-endline/encuesta_trabajadores.csv: header has one "
                                       "column; expected the separator ';'"]
    materialized = [m.event_specific_data.materialization.partition for m in result.get_asset_materialization_events()]
    assert materialized == ["pe/2018-midterm"]
    with duckdb.connect(str(isolated / "warehouse" / "score.duckdb"), read_only=True) as connection:
        loaded = dict(connection.execute("select wave, count(*) from raw.worker_survey group by wave").fetchall())
        logged = dict(connection.execute("select wave, rows_loaded from raw.ingest_log group by all").fetchall())
    assert loaded == logged and set(loaded) == {"2018-midterm"} and loaded["2018-midterm"] > 1000
