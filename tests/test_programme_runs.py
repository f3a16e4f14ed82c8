"""The programme (contract 7) through real runs: the shipped programme root (Peru and Colombia) run end to end
by the session, a v1 single-country root, and the drop sensor discovering a country. Expectations come from the
reference computation on the raw files (tests/reference.py: NITs by DIAN's rule, scipy for the tests), pooled
by hand for the row `all`."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import (
    COLOMBIA_RAW, GHANA_RAW, GHANA_WAVES, RAW, SAMPLE_CORRECTIONS, SAMPLE_RAW, SAMPLE_WAVES, PipelineRun,
    materialize_ingest,
)
from dagster import DagsterInstance, build_sensor_context
from reference import Reference, fold, holm_by_hand, nit, read_csv, tin
from scipy import stats

from score_pipeline.automation import wave_drop_sensor
from score_pipeline.cli import run_all_waves
from score_pipeline.publish.marts import PUBLISHED_MARTS

KPIS = {"accidents": "accidents_pct_change", "absenteeism": "absenteeism_pct_change", "turnover": "turnover_pct_change",
        "defects": "defects_pct_change", "raw_material_waste": "waste_pct_change"}  # contract 7's column names


def summary_by_hand(references: list[Reference]) -> dict[str, float]:
    """Contract 7's programme_summary figures over the enterprises of these countries, each with its own
    country's baseline and endline, from the reference's per-enterprise figures."""
    pairs = pd.concat([reference.pairs("global") for reference in references])
    worker = {at: pd.concat([getattr(reference, at).worker_enterprise["overall"] for reference in references]).dropna()
              for at in ("baseline", "endline")}
    effects = pd.concat([reference.perceived(reference.endline) for reference in references])
    return {
        "n_enterprises": sum(len(reference.baseline.known) for reference in references),
        "n_pairs": len(pairs),
        "global_baseline": pairs["baseline"].mean(), "global_endline": pairs["endline"].mean(),
        "global_change": pairs["change"].mean(),
        "p_value": stats.ttest_rel(pairs["endline"], pairs["baseline"]).pvalue,
        "pct_gain_gt1": (pairs["change"] > 1).mean() * 100,
        **{column: pd.concat([participants(reference, reference.kpi_changes(kpi))["pct_change"]
                              for reference in references]).mean()
           for kpi, column in KPIS.items()},
        "worker_satisfaction_change": worker["endline"].mean() - worker["baseline"].mean(),
        "pct_positive_effects": effects["n_positive"].sum() / effects["n_responses"].sum() * 100,
    }


def participants(reference: Reference, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows (by identifier) of the enterprises the reference describes (its profile rows are all read)."""
    return frame[frame.index.isin(reference.baseline.known)]


def assert_summary_row(row: dict[str, object], expected: dict[str, float]) -> None:
    for column, value in expected.items():
        assert row[column] == pytest.approx(value, rel=1e-9, abs=1e-12), column


@pytest.fixture(scope="module")
def colombia() -> Reference:
    return Reference(COLOMBIA_RAW, identifier=nit)


def test_every_raw_table_and_staging_model_carries_the_country_first(pipeline: PipelineRun) -> None:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema in ('raw', 'staging') group by all").fetchall()
        assert len(relations) == 25  # seven instruments, five bookkeeping tables, thirteen staging models
        for schema, table, columns in relations:
            assert columns[0] == "country", (schema, table, columns)
            countries = {c for (c,) in connection.execute(f'select distinct country from {schema}."{table}"').fetchall()}
            shipped = {"gh"} if "sample_frame" in table else {"co", "pe"} if "corrections" in table else {"co", "gh", "pe"}
            assert countries == shipped, table  # Ghana alone has a sample frame, and no corrections log
        described = connection.execute("select * from raw.countries order by country").fetchall()
    assert described == [("co", "Colombia", "COP", "co.nit"), ("gh", "Ghana", "GHS", "gh.tin"),
                         ("pe", "Peru", "PEN", "pe.ruc")]  # their country.yaml


def test_a_warehouse_from_before_contract_7_gets_the_country_column(pipeline: PipelineRun, tmp_path: Path) -> None:
    """Its rows were loaded from a single-country root: they take the country of the root loading now."""
    warehouse = tmp_path / "score.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("delete from raw.company_profile where country <> 'pe'")  # one country, as before
        connection.execute("alter table raw.company_profile drop column country")
    materialize_ingest("2019-endline", warehouse, ["perfil_empresa"])
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        by_wave = connection.execute("select wave, country, count(*) from raw.company_profile group by all order by all").fetchall()
    assert by_wave == [("2017-baseline", "pe", 52), ("2018-midterm", "pe", 52), ("2019-endline", "pe", 52)]


@pytest.fixture(scope="module")
def ghana() -> Reference:
    """Ghana's treated enterprises: with a sample frame, the participant marts describe them (contract 8.1). The
    shipped frame rejects no row, so its `tratamiento` rows are the treated enterprises."""
    frame = read_csv(GHANA_RAW / GHANA_WAVES[0] / "muestra.csv", ";")
    treated = frozenset(tin(ruc) for ruc, grupo in zip(frame["ruc"], frame["grupo"]) if fold(grupo) == "tratamiento")
    return Reference(GHANA_RAW, identifier=tin, enterprises=treated)


def test_the_programme_root_computes_each_country_within_itself_and_pools_them(
        pipeline: PipelineRun, reference: Reference, colombia: Reference, ghana: Reference) -> None:
    """The shipped root (Peru's calibrated sample, Colombia's and Ghana's synthetic waves; Ghana's figures over its treated
    enterprises, contract 8.1) run by `make run`: every
    mart holds every country, each with its own baseline and endline, Holm family and known enterprises; the
    programme summary's country rows and its pooled row `all` are the contract's figures."""
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        def query(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()

        global_score = {c: (b, e) for c, b, e in query(
            "select country, baseline, endline from marts.headline_indicators where indicator = 'global_score'")}
        pairs = dict(query("select country, n_pairs from marts.score_change where code = 'global'"))
        score_change_p = dict(query("select country, p_value from marts.score_change where code = 'global'"))
        effects = query("select country, wave, evaluator, p_value, p_holm from marts.evaluator_effects "
                        "where p_value is not null")
        participation = dict(query("select country, count(*) from marts.participation group by all"))
        money = dict(query("select country, unit from marts.headline_indicators where indicator = 'annual_sales'"))
        scored = {r for (r,) in query("select ruc from marts.enterprise_scores "
                                      "where country = 'co' and wave = '2019-baseline' and global_score is not null")}
        summary = connection.execute("select * from marts.programme_summary").df()
    for code, country in (("pe", reference), ("co", colombia), ("gh", ghana)):
        assert global_score[code] == pytest.approx((country.global_mean(country.baseline),
                                                    country.global_mean(country.endline)), abs=1e-9)
        assert pairs[code] == len(country.pairs("global"))
        assert participation[code] == (72 if code == "gh" else len(country.baseline.known))  # every enterprise
        family = {(wave, evaluator): p for c, wave, evaluator, p, _ in effects if c == code}
        expected = holm_by_hand(family)
        for c, wave, evaluator, _, p_holm in effects:
            if c == code:
                assert p_holm == pytest.approx(expected[(wave, evaluator)], rel=1e-9)
    assert (pairs["pe"], pairs["co"]) == (52, 30)
    assert scored == set(colombia.baseline.scores["global"].dropna().index)
    assert money == {"co": "COP", "gh": "GHS", "pe": "PEN"}  # each country's currency

    assert list(summary["country"]) == ["co", "gh", "pe", "all"]
    rows = summary.set_index("country").to_dict("index")
    assert (rows["co"]["name"], rows["gh"]["name"], rows["pe"]["name"], rows["all"]["name"]) == (
        "Colombia", "Ghana", "Peru", "Programme")
    assert (rows["pe"]["baseline_wave"], rows["pe"]["endline_wave"]) == ("2017-baseline", "2019-endline")
    assert (rows["co"]["baseline_wave"], rows["co"]["endline_wave"]) == ("2019-baseline", "2021-endline")
    assert pd.isna(rows["all"]["baseline_wave"]) and pd.isna(rows["all"]["endline_wave"])
    for code, country in (("pe", reference), ("co", colombia), ("gh", ghana)):
        assert_summary_row(rows[code], summary_by_hand([country]))
        assert rows[code]["p_value"] == pytest.approx(score_change_p[code], rel=1e-12)  # score_change's global row
    assert_summary_row(rows["all"], summary_by_hand([reference, colombia, ghana]))
    assert (rows["all"]["n_enterprises"], rows["all"]["n_pairs"]) == (82 + len(ghana.baseline.known),
                                                                      82 + len(ghana.pairs("global")))
    assert rows["pe"]["global_baseline"] == pytest.approx(2.04, abs=0.005)  # the evaluation summary's figures
    assert rows["pe"]["accidents_pct_change"] == pytest.approx(-42, abs=0.5)

    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        refused = {reason.split()[0] for (reason,) in connection.execute(
            "select reason from raw.rejects where country = 'co' and reason like '%co.nit%'").fetchall()}
    invalid = {str(raw).strip() for wave in colombia.waves
               for frame, column in ((wave.practices_raw, "ruc"), (wave.workers_raw, "RUC"))
               for raw in frame.loc[frame["ruc_n"].isna(), column]}
    assert refused == invalid and len(invalid) == 4  # the planted bad NITs (the test submissions, a stray worker)
    report = (pipeline.publish_dir / "report.html").read_text(encoding="utf-8")
    assert "<h1>SCORE Training impact evaluation, Colombia</h1>" in report
    assert "<h1>SCORE Training impact evaluation, Peru</h1>" in report
    assert "The programme (marts.programme_summary)" in pipeline.output


def test_a_v1_root_gives_the_v1_figures_with_country_pe(pipeline: PipelineRun, isolated: Path, reference: Reference,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Peru's waves straight under the raw root, no country.yaml, no SCORE_COUNTRY: the v1 layout. The marts
    hold country 'pe' only, with the v1 figures, and programme_summary has Peru's row and `all`, the same.
    Every published mart's rows equal Peru's rows of the programme's publication (the session's): a country's
    figures do not depend on the other countries in the warehouse."""
    monkeypatch.delenv("SCORE_COUNTRY", raising=False)
    for wave in SAMPLE_WAVES:
        shutil.copytree(SAMPLE_RAW / wave, isolated / "raw" / wave)
    shutil.copytree(SAMPLE_CORRECTIONS, isolated / "corrections")  # a v1 root's logs: <wave>.csv, no country folder
    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()
    assert "Peru (pe, PEN)" in out.getvalue()
    with duckdb.connect(str(isolated / "published" / "score_marts.duckdb"), read_only=True) as connection:
        countries = {c for (c,) in connection.execute(
            "select distinct country from marts.enterprise_scores union select distinct country from marts.score_change "
            "union select distinct country from marts.headline_indicators").fetchall()}
        headline = dict(connection.execute("select indicator, round(endline, 2) from marts.headline_indicators "
                                           "where indicator in ('global_score', 'accidents')").fetchall())
        accidents = connection.execute("select round(change_pct) from marts.headline_indicators "
                                       "where indicator = 'accidents'").fetchone()[0]
        summary = connection.execute("select * from marts.programme_summary").df().set_index("country").to_dict("index")
    assert countries == {"pe"}
    assert headline["global_score"] == 3.06 and accidents == -42
    assert list(summary) == ["pe", "all"]
    expected = summary_by_hand([reference])
    assert_summary_row(summary["pe"], expected)
    assert_summary_row(summary["all"], expected)

    v1 = isolated / "published" / "score_marts.duckdb"
    for mart in PUBLISHED_MARTS:
        alone, in_programme = (peru_rows(database, mart) for database in (v1, pipeline.database))
        in_programme = in_programme[alone.columns]  # panel_coverage: the programme's also has Colombia's waves
        if mart == "programme_summary":  # its `all` row pools Colombia in the programme
            alone, in_programme = alone.iloc[:1], in_programme.iloc[:1]
        pd.testing.assert_frame_equal(alone, in_programme, check_exact=False, rtol=1e-12, obj=mart)


def peru_rows(database: Path, mart: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        order = "" if mart == "programme_summary" else " order by all"
        return connection.execute(f"select * from marts.{mart} where country in ('pe', 'all'){order}").df()


def record_runs(instance: DagsterInstance, requests: list) -> None:
    """The runs the sensor asked for, as if they ran: what it reads is whether a run carries a drop's tags."""
    from dagster import DagsterRun
    from dagster._core.utils import make_new_run_id

    from score_pipeline.automation import WAVE_JOB
    from score_pipeline.core.waves import wave_partitions

    for request in requests:
        instance.add_dynamic_partitions(wave_partitions.name, [request.partition_key])
        instance.add_run(DagsterRun(job_name=WAVE_JOB, run_id=make_new_run_id(), tags=request.tags))


def test_a_new_country_is_a_new_folder_the_sensor_discovers(isolated: Path) -> None:
    """A programme root with Peru's waves run: dropping Colombia's folder starts Colombia's runs only, and
    registers its partitions; a folder that is not a country is refused alone, with its reason."""
    raw = isolated / "raw"
    shutil.copytree(SAMPLE_RAW, raw / "pe")
    instance = DagsterInstance.get()
    first = wave_drop_sensor(build_sensor_context(instance=instance, resources=RAW))
    assert [r.partition_key for r in first.run_requests] == [f"pe/{wave}" for wave in SAMPLE_WAVES]
    record_runs(instance, first.run_requests)
    assert not wave_drop_sensor(build_sensor_context(instance=instance, resources=RAW)).run_requests

    shutil.copytree(COLOMBIA_RAW, raw / "co")
    (raw / "colombia_old").mkdir()  # not an ISO code: refused alone
    tick = wave_drop_sensor(build_sensor_context(instance=instance, resources=RAW))
    assert [r.partition_key for r in tick.run_requests] == ["co/2019-baseline", "co/2020-midterm", "co/2021-endline"]
    assert tick.dynamic_partitions_requests[0].partition_keys == [r.partition_key for r in tick.run_requests]
    drop_tags = [key for r in tick.run_requests for key in r.tags if key.startswith("score-pipeline/drop/")]
    assert drop_tags and all(key.startswith("score-pipeline/drop/co/") for key in drop_tags)
    record_runs(instance, tick.run_requests)
    idle = wave_drop_sensor(build_sensor_context(instance=instance, resources=RAW))
    assert not idle.run_requests
    assert f"country folder {raw / 'colombia_old'}: the folder is not named by an ISO 3166-1" in idle.skip_reason.skip_message


def test_make_run_names_a_refused_country_and_reads_the_others(isolated: Path) -> None:
    """A country folder without its country.yaml is refused and named; the other countries' waves are read
    (here one still being copied, so nothing runs at all)."""
    raw = isolated / "raw"
    shutil.copytree(COLOMBIA_RAW / "2019-baseline", raw / "co" / "2019-baseline")
    shutil.copy(COLOMBIA_RAW / "country.yaml", raw / "co")
    (raw / "co" / "2019-baseline" / "SHA256SUMS").unlink()
    (raw / "gh" / "2019-endline").mkdir(parents=True)  # no country.yaml
    out = io.StringIO()
    assert run_all_waves(out=out) == 1
    assert out.getvalue().splitlines() == [
        f"skipping country folder {raw / 'gh'}: country.yaml is missing",
        "skipping co/2019-baseline: SHA256SUMS is missing: the drop is not complete",
        f"no complete wave drop under {raw}"]


def test_a_country_whose_ingest_is_refused_stops_only_its_own_models(isolated: Path) -> None:
    """One wave run covers every country (issue 27); Colombia's baseline export lost its `evaluador` column, so its
    ingest is refused: the run is planned again without Colombia, Peru is published, and the run exits 1 naming
    Colombia."""
    from bad_inputs import PRACTICES, drop_column

    from score_pipeline.sample_data.extracts import write_sha256sums

    raw = isolated / "raw"
    shutil.copytree(SAMPLE_RAW / "2017-baseline", raw / "pe" / "2017-baseline")
    shutil.copy(SAMPLE_RAW.parent / "pe" / "country.yaml", raw / "pe")
    broken = shutil.copytree(COLOMBIA_RAW / "2019-baseline", raw / "co" / "2019-baseline")
    shutil.copy(COLOMBIA_RAW / "country.yaml", raw / "co")
    drop_column(PRACTICES, lambda name: name == "evaluador")(broken)
    (broken / "SHA256SUMS").unlink()
    write_sha256sums(broken)
    out = io.StringIO()
    assert run_all_waves(out=out) == 1
    said = out.getvalue()
    assert "the wave run of co 2019-baseline; pe 2017-baseline failed" in said
    assert "raw__management_practices: 2019-baseline/practicas_gestion.csv: missing required column(s): evaluador" in said
    assert "the other countries' waves again, without co:" in said and "waves pe 2017-baseline: ingest" in said
    assert "the waves of co were refused (above)" in said
    with duckdb.connect(str(isolated / "published" / "score_marts.duckdb"), read_only=True) as connection:
        assert connection.execute("select distinct country from marts.enterprise_scores").fetchall() == [("pe",)]
