"""The bad-input corpus (tests/bad_inputs.py) through real Dagster runs of the ingest asset and its
GX checks. Each case either loads with exactly the expected rows and cells set aside, or is refused
with an error naming the file and the problem while the wave's loaded rows stay as they were; in
both, the published marts stay byte-identical."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from bad_inputs import CASES, Accepted, Case, Loaded, Refused, Unapplied, build
from conftest import PipelineRun, digests, materialize_ingest, run_dbt
from dagster import DagsterInstance

from score_pipeline.core.waves import drop_statuses, is_wave_name, orphan_logs, verify_drop
from score_pipeline.running import failure_reasons
from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME

RAW_TABLES = ("management_practices", "company_profile", "self_assessment", "worker_survey", "training_records",
              "case_studies", "rejects", "superseded", "ingest_log")
COUNTS = ("rows_received", "rows_rejected", "duplicates_removed", "values_invalid")


def test_the_corpus_has_86_cases_or_more_over_every_instrument() -> None:
    """43 cases before issue 11, at least doubled."""
    instruments = {case.instrument for case in CASES}
    assert len(CASES) >= 86 and instruments == {
        "practicas_gestion", "perfil_empresa", "autoevaluacion", "encuesta_trabajadores", "registro_capacitacion",
        "estudios_caso", "muestra", "drop"}
    assert sum(1 for case in CASES if case.log is not None) >= 12  # every way a corrections log can be wrong (issue 13)
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def own_instance() -> Iterator[DagsterInstance]:
    """The cases' runs (refused ones among them) go to an in-memory instance of their own: the
    cases need each run's events, not a run history, and an instance on disk doubled their time."""
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(scope="module")
def warehouse(pipeline: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's warehouse (every sample wave loaded) for the cases to run against."""
    copy = tmp_path_factory.mktemp("corpus_warehouse") / "score.duckdb"
    shutil.copy(pipeline.warehouse, copy)
    return copy


def query(database: Path, sql: str, parameters: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def wave_rows(database: Path, wave: str) -> dict[str, list[tuple]]:
    return {table: query(database, f"select * exclude (loaded_at) from raw.{table} where wave = ? order by all"
                         if table == "ingest_log" else f"select * from raw.{table} where wave = ? order by all", [wave])
            for table in RAW_TABLES}


def logged_counts(database: Path, wave: str, instrument: str) -> dict[str, int]:
    """The wave's counts of the instrument; all 0 for a file the wave does not have (Peru's sample frame)."""
    row = query(database, f"select {', '.join(COUNTS)} from raw.ingest_log where country = 'pe' and wave = ? "
                          "and instrument = ?", [wave, instrument])
    return dict(zip(COUNTS, row[0] if row else (0,) * len(COUNTS)))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input(case: Case, pipeline: PipelineRun, warehouse: Path, own_instance: DagsterInstance, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    published = digests(pipeline.publish_dir)
    monkeypatch.setenv("SCORE_RAW_DIR", str(tmp_path / "raw"))
    if case.log is not None:  # the case's log alone (the endline ships none)
        monkeypatch.setenv("SCORE_CORRECTIONS_DIR", str(tmp_path / "corrections"))
    folder = build(case, tmp_path / "raw", tmp_path / "corrections")
    if isinstance(case.expected, Unapplied):
        assert_unapplied(case, case.expected, folder, pipeline, warehouse, own_instance)
    elif isinstance(case.expected, Refused):
        assert_refused(case, case.expected, folder, warehouse, own_instance)
    elif isinstance(case.expected, Accepted):
        assert_accepted(case, case.expected, folder, pipeline, warehouse, own_instance)
    else:
        assert_loaded(case, case.expected, pipeline, warehouse, tmp_path, own_instance)
    assert digests(pipeline.publish_dir) == published


def assert_refused(case: Case, expected: Refused, folder: Path, warehouse: Path, instance: DagsterInstance) -> None:
    if case.instrument == "drop":  # not a wave yet: listed with the problem, no run is started for it
        status = next(s for s in drop_statuses(folder.parent, "pe") if s.folder == folder)
        assert not status.complete and any(expected.message in problem for problem in status.problems), status
        if not is_wave_name(folder.name):
            return
    before = wave_rows(warehouse, case.wave)
    instruments = None if case.instrument == "drop" else [case.instrument]  # a drop started by hand: all refuse it
    result = materialize_ingest(case.wave, warehouse, instruments, raise_on_error=False, instance=instance)
    assert not result.success
    reasons = failure_reasons(result)
    assert reasons and all(expected.message in reason for reason in reasons), reasons
    assert wave_rows(warehouse, case.wave) == before


def assert_accepted(case: Case, expected: Accepted, folder: Path, pipeline: PipelineRun, warehouse: Path,
                    instance: DagsterInstance) -> None:
    status = verify_drop(folder, "pe")
    assert status.complete, status.problems
    assert (expected.note in (status.unread_note or "")) if expected.note else status.unread == []
    result = materialize_ingest(case.wave, warehouse, instance=instance)
    assert result.success, failure_reasons(result)
    for instrument in INSTRUMENTS_BY_NAME:
        assert logged_counts(warehouse, case.wave, instrument) == logged_counts(pipeline.warehouse, case.wave, instrument)


def assert_unapplied(case: Case, expected: Unapplied, folder: Path, pipeline: PipelineRun, warehouse: Path,
                     instance: DagsterInstance) -> None:
    notes = orphan_logs(folder.parent, folder.parent.parent / "corrections")
    assert len(notes) == 1 and expected.note in notes[0], notes
    result = materialize_ingest(case.wave, warehouse, [case.instrument], instance=instance)
    assert result.success, failure_reasons(result)
    assert logged_counts(warehouse, case.wave, case.instrument) == logged_counts(pipeline.warehouse, case.wave, case.instrument)
    assert query(warehouse, "select count(*) from raw.corrections where wave = ? and instrument = ?",
                 [case.wave, case.instrument]) == [(0,)]


def raw_values(database: Path, instrument: str, wave: str, ignoring: tuple[str, ...]) -> list[tuple]:
    table = INSTRUMENTS_BY_NAME[instrument].table
    exclude = f" exclude ({', '.join(ignoring)})" if ignoring else ""
    return query(database, f"select *{exclude} from raw.{table} where wave = ? order by all", [wave])


def assert_loaded(case: Case, expected: Loaded, pipeline: PipelineRun, warehouse: Path, tmp_path: Path,
                  instance: DagsterInstance) -> None:
    result = materialize_ingest(case.wave, warehouse, [case.instrument], instance=instance)
    assert all(check.passed for check in result.get_asset_check_evaluations() if check.check_name in ("structure", "reconciliation"))
    if expected.same_values_but is not None:  # re-saved, not changed: the very same values load
        assert raw_values(warehouse, case.instrument, case.wave, expected.same_values_but) == raw_values(
            pipeline.warehouse, case.instrument, case.wave, expected.same_values_but)
    clean = logged_counts(pipeline.warehouse, case.wave, case.instrument)
    deltas = {"rows_received": expected.rows_received, "rows_rejected": expected.rows_rejected,
              "duplicates_removed": expected.duplicates_removed, "values_invalid": expected.values_invalid}
    assert logged_counts(warehouse, case.wave, case.instrument) == {
        name: clean[name] * expected.scale + deltas[name] for name in COUNTS}
    if expected.reason:
        reasons = [r for (r,) in query(warehouse, "select reason from raw.rejects where wave = ? and instrument = ?",
                                       [case.wave, case.instrument])]
        assert any(expected.reason in reason for reason in reasons), reasons
    if case.log is not None:  # (the other cases run with the shipped sample's logs)
        statuses = query(warehouse, "select status from raw.corrections where wave = ? and instrument = ? order by log_line",
                         [case.wave, case.instrument])
        assert tuple(status for (status,) in statuses) == expected.corrections
        corrections_check = [c for c in result.get_asset_check_evaluations() if c.check_name == "corrections"]
        assert [c.passed for c in corrections_check] == [all(s == "applied" for s in expected.corrections)]  # WARN
    if expected.unknown_enterprises:
        assert_counted_as_unknown(case, expected, pipeline, warehouse, tmp_path)


def assert_counted_as_unknown(case: Case, expected: Loaded, pipeline: PipelineRun, warehouse: Path, tmp_path: Path) -> None:
    """Whether a RUC belongs to the evaluation needs every wave's profile: dbt decides it (decisions.md)."""
    completed, _ = run_dbt(["build", "--select", "int_unknown_enterprise_rows", "data_quality"], warehouse, tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:]
    sql = "select rows_rejected, rows_loaded from marts.data_quality where country = 'pe' and wave = ? and instrument = ?"
    clean = query(pipeline.warehouse, sql, [case.wave, case.instrument])
    if clean:
        (clean_rejected, clean_loaded), = clean
        expected_row = (clean_rejected + expected.unknown_enterprises, clean_loaded - expected.enterprises_lost)
    else:  # a file the clean wave does not have (Peru's sample frame): the case's own ingest counts, less the unknown
        logged = logged_counts(warehouse, case.wave, case.instrument)
        expected_row = (logged["rows_rejected"] + expected.unknown_enterprises, logged["rows_received"]
                        - logged["rows_rejected"] - logged["duplicates_removed"] - expected.unknown_enterprises)
    assert query(warehouse, sql, [case.wave, case.instrument]) == [expected_row]
