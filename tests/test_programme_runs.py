"""The programme (contract 7) through real runs: the country of every raw row, and a single-country root of
another country run end to end into a warehouse that holds Peru, each country computed within itself. Expectations come
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


def test_colombia_run_into_peru_s_warehouse_is_computed_within_itself(pipeline: PipelineRun, isolated: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Colombia's generated waves, as the single-country root `.../co` (its folder name and country.yaml), run
    into a copy of the session's warehouse holding Peru's sample: NITs pass ingest and the GX gate, and every
    mart holds both countries, each with its own baseline and endline, Holm family and known enterprises
    (contract 7), as the reference computes them from the raw files (NITs by DIAN's rule)."""
    warehouse = isolated / "warehouse" / "score.duckdb"
    warehouse.parent.mkdir(parents=True)
    shutil.copy(pipeline.warehouse, warehouse)
    colombia_root = generate_country(isolated / "programme", COLOMBIA_SAMPLE)[0].parent
    monkeypatch.setenv("SCORE_RAW_DIR", str(colombia_root))
    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()

    peru, colombia = Reference(SAMPLE_RAW), Reference(colombia_root, identifier=nit)
    with duckdb.connect(str(isolated / "published" / "score_marts.duckdb"), read_only=True) as connection:
        def query(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()

        global_score = {c: (b, e) for c, b, e in query(
            "select country, baseline, endline from marts.headline_indicators where indicator = 'global_score'")}
        pairs = dict(query("select country, n_pairs from marts.score_change where code = 'global'"))
        effects = query("select country, wave, evaluator, p_value, p_holm from marts.evaluator_effects "
                        "where p_value is not null")
        participation = dict(query("select country, count(*) from marts.participation group by all"))
        scored = {r for (r,) in query("select ruc from marts.enterprise_scores "
                                      "where country = 'co' and wave = '2019-baseline' and global_score is not null")}
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
    assert scored == set(colombia.baseline.scores["global"].dropna().index)

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        refused = {reason.split()[0] for (reason,) in connection.execute(
            "select reason from raw.rejects where country = 'co' and reason like '%co.nit%'").fetchall()}
    invalid = {str(raw).strip() for wave in colombia.waves
               for frame, column in ((wave.practices_raw, "ruc"), (wave.workers_raw, "RUC"))
               for raw in frame.loc[frame["ruc_n"].isna(), column]}
    assert refused == invalid and len(invalid) == 4  # the planted bad NITs (the test submissions, a stray worker)
    report = (isolated / "published" / "report.html").read_text(encoding="utf-8")
    assert report.count("<h1>") == 2 and "<h1>SCORE Training impact evaluation, Colombia</h1>" in report
