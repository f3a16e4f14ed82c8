"""The programme (contract 7) through real runs: a single-country root of another country end to end, the
country of every raw row, two countries in one warehouse each computed within itself. Expectations come
from the reference computation on the raw files (tests/reference.py), NITs by DIAN's rule."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_RAW, PipelineRun, materialize_ingest
from reference import Reference, holm_by_hand, nit

from score_pipeline.cli import run_all_waves
from score_pipeline.sample_data import generate_country
from score_pipeline.sample_data.countries import COLOMBIA as COLOMBIA_SAMPLE


def test_a_single_country_root_of_colombia_runs_end_to_end(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Colombia's generated waves as a v1 root (SCORE_COUNTRY=co, its country.yaml at the root): NITs pass ingest
    and the GX gate, and the published figures are those the reference computes from the raw files by DIAN's
    rule (the pipeline does not yet run programme roots: issue 14 goes on)."""
    raw = isolated / "raw"
    generate_country(isolated / "generated", COLOMBIA_SAMPLE)
    shutil.copytree(isolated / "generated" / "co", raw, dirs_exist_ok=True)
    monkeypatch.setenv("SCORE_COUNTRY", "co")
    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()
    assert "3 waves in" in out.getvalue()

    reference = Reference(raw, identifier=nit)
    published = isolated / "published" / "score_marts.duckdb"
    with duckdb.connect(str(published), read_only=True) as connection:
        headline = dict(connection.execute(
            "select indicator, [baseline, endline] from marts.headline_indicators").fetchall())
        scored = {r for (r,) in connection.execute(
            "select ruc from marts.enterprise_scores where wave = '2019-baseline' and global_score is not null").fetchall()}
    with duckdb.connect(str(isolated / "warehouse" / "score.duckdb"), read_only=True) as connection:
        refused = {reason.split()[0] for (reason,) in connection.execute(
            "select reason from raw.rejects where reason like '%co.nit%'").fetchall()}
    assert headline["global_score"][0] == pytest.approx(reference.global_mean(reference.baseline), abs=0.005)
    assert headline["global_score"][1] == pytest.approx(reference.global_mean(reference.endline), abs=0.005)
    assert scored == set(reference.baseline.scores["global"].dropna().index)
    assert len(scored) == 30
    invalid = {str(raw).strip() for wave in reference.waves
               for frame, column in ((wave.practices_raw, "ruc"), (wave.workers_raw, "RUC"))
               for raw in frame.loc[frame["ruc_n"].isna(), column]}
    assert refused == invalid and len(invalid) == 4  # the planted bad NITs (the test submissions, a stray worker)


def test_every_raw_table_and_staging_model_carries_the_country_first(pipeline: PipelineRun) -> None:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema in ('raw', 'staging') group by all").fetchall()
        assert len(relations) == 21  # the six instruments and four bookkeeping tables, eleven staging models
        for schema, table, columns in relations:
            assert columns[0] == "country", (schema, table, columns)
            assert connection.execute(f'select distinct country from {schema}."{table}"').fetchall() in ([("pe",)], []), table


def test_a_warehouse_from_before_contract_7_gets_the_country_column(pipeline: PipelineRun, tmp_path: Path) -> None:
    """Its rows were loaded from a single-country root: they take the country of the root loading now."""
    warehouse = tmp_path / "score.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("alter table raw.company_profile drop column country")
    materialize_ingest("2019-endline", warehouse, ["perfil_empresa"])
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        by_wave = connection.execute("select wave, country, count(*) from raw.company_profile group by all order by all").fetchall()
    assert by_wave == [("2017-baseline", "pe", 52), ("2018-midterm", "pe", 52), ("2019-endline", "pe", 52)]


def test_two_countries_in_one_warehouse_are_computed_each_within_itself(isolated: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Peru's sample, then Colombia's waves, run as two single-country roots into one warehouse: every mart holds
    both countries, each with its own baseline and endline, Holm families and known enterprises (contract 7)."""
    shutil.copytree(SAMPLE_RAW, isolated / "raw", dirs_exist_ok=True)
    assert run_all_waves(out=io.StringIO()) == 0
    generate_country(isolated / "programme", COLOMBIA_SAMPLE)
    monkeypatch.setenv("SCORE_RAW_DIR", str(isolated / "programme" / "co"))
    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()

    peru, colombia = Reference(SAMPLE_RAW), Reference(isolated / "programme" / "co", identifier=nit)
    with duckdb.connect(str(isolated / "published" / "score_marts.duckdb"), read_only=True) as connection:
        def query(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()

        global_score = {c: (b, e) for c, b, e in query(
            "select country, baseline, endline from marts.headline_indicators where indicator = 'global_score'")}
        pairs = dict(query("select country, n_pairs from marts.score_change where code = 'global'"))
        effects = query("select country, wave, evaluator, p_value, p_holm from marts.evaluator_effects "
                        "where p_value is not null")
        participation = dict(query("select country, count(*) from marts.participation group by all"))
    for code, reference in (("pe", peru), ("co", colombia)):
        assert global_score[code] == pytest.approx((reference.global_mean(reference.baseline),
                                                    reference.global_mean(reference.endline)), abs=1e-9)
        assert pairs[code] == len(reference.pairs("global"))
        assert participation[code] == len(reference.baseline.known)
        family = {(wave, evaluator): p for country, wave, evaluator, p, _ in effects if country == code}
        expected = holm_by_hand(family)
        for country, wave, evaluator, _, p_holm in effects:
            if country == code:
                assert p_holm == pytest.approx(expected[(wave, evaluator)], rel=1e-9)
    assert (pairs["pe"], pairs["co"]) == (52, 30)
    report = (isolated / "published" / "report.html").read_text(encoding="utf-8")
    assert report.count("<h1>") == 2 and "<h1>SCORE Training impact evaluation, Colombia</h1>" in report
