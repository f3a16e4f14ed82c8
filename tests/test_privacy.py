"""Privacy (contract 4): nothing published, in the database, the Parquet or Stata files or the report, holds a
worker-level row or an enterprise-level worker figure behind fewer than 5 respondents."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import GHANA_RAW, GHANA_WAVES, SAMPLE_RAW, PipelineRun, digests, publish_from
from reference import read_csv

from score_pipeline.publish.privacy import PrivacyError, privacy_problems


def response_ids() -> set[str]:
    """Every worker's questionnaire id in the raw surveys: none may appear in anything published."""
    return {i for wave in SAMPLE_RAW.iterdir() if wave.is_dir()
            for i in read_csv(wave / "encuesta_trabajadores.csv", ";")["ID encuesta"] if i}


def parquet_as_schema(folder: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create schema marts")
    for path in sorted(folder.glob("*.parquet")):
        connection.execute(f"create view marts.{path.stem} as select * from read_parquet('{path}')")
    return connection


def stata_as_schema(folder: Path) -> duckdb.DuckDBPyConnection:
    """The Stata files as read by pyreadstat, coded columns as their labels, one table each."""
    import pyreadstat

    connection = duckdb.connect()
    connection.execute("create schema marts")
    for path in sorted(folder.glob("*.dta")):
        frame, _ = pyreadstat.read_dta(str(path), apply_value_formats=True)
        connection.register("frame", frame)
        connection.execute(f"create table marts.{path.stem} as select * from frame")
        connection.unregister("frame")
    return connection


def published_text(connection: duckdb.DuckDBPyConnection) -> str:
    """Every cell of every mart as text."""
    tables = [t for (t,) in connection.execute(
        "select distinct table_name from duckdb_columns() where schema_name = 'marts'").fetchall()]
    return "\n".join(str(row) for t in tables for row in connection.execute(f"select * from marts.{t}").fetchall())


def test_the_sample_has_a_firm_below_the_threshold_to_hold_back(reference) -> None:
    midterm = reference.waves[1].worker_enterprise
    assert (midterm["n_scored"] < 5).sum() == 1  # the firm whose figure must stay unpublished


@pytest.mark.parametrize("form", ["database", "parquet", "stata"])
def test_the_publication_passes_the_scan_and_names_no_worker(pipeline: PipelineRun, form: str) -> None:
    if form == "database":
        connection = duckdb.connect(str(pipeline.database), read_only=True)
    else:
        connection = {"parquet": parquet_as_schema, "stata": stata_as_schema}[form](pipeline.publish_dir)
    try:
        marts = connection.execute("select count(distinct table_name) from duckdb_columns() where schema_name = 'marts'")
        assert marts.fetchone()[0] == 20, form  # every mart read in this form: contract 4's 16 and 8.3's 4
        assert privacy_problems(connection) == []
        text = published_text(connection)
    finally:
        connection.close()
    ids = response_ids()
    assert len(ids) > 3000 and not [i for i in ids if i in text]


def test_the_report_shows_no_worker_and_no_worker_figure_per_enterprise(pipeline: PipelineRun) -> None:
    report = (pipeline.publish_dir / "report.html").read_text(encoding="utf-8")
    assert not [i for i in response_ids() if i in report]
    for table in re.findall(r"<table.*?</table>", report, flags=re.DOTALL):
        headers = [h.lower() for h in re.findall(r"<th[^>]*>(.*?)</th>", table, flags=re.DOTALL)]
        if any("ruc" in h for h in headers):
            assert not [h for h in headers if re.search(r"satisf|respondent|^w\d\d$|overall", h)], headers


def test_the_scan_names_worker_level_tables_and_small_enterprise_figures() -> None:
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.execute("create table marts.answers as select 'x' as response_id, 3 as w01")
    connection.execute("create table marts.by_firm as select * from (values ('20100123453', 4.1, 12), "
                       "('20100123461', 3.2, 4)) t(ruc, satisfaction, n_respondents)")
    connection.execute("create table marts.by_firm_uncounted as select '20100123453' as ruc, 3.9 as overall")
    connection.execute("create table marts.by_wave as select '2017-baseline' as wave, 3.6 as satisfaction, 4 as n_respondents")
    assert privacy_problems(connection) == [
        "marts.answers has worker-level columns: response_id, w01",
        "marts.by_firm has 1 enterprise row(s) with fewer than 5 respondents",
        "marts.by_firm_uncounted publishes worker figures per enterprise (overall) without n_respondents",
    ]


def test_a_mart_that_would_disclose_a_small_firm_is_not_published(pipeline: PipelineRun, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    publish_from(warehouse, tmp_path / "published")
    before = digests(tmp_path / "published")
    with duckdb.connect(str(warehouse)) as connection:  # a change that would publish a per-firm worker figure
        connection.execute("""
            create or replace table marts.participation as
            select participation.*, workers.mean as worker_satisfaction, workers.n_respondents
            from marts.participation
            join intermediate.int_worker_enterprises_summarised as workers
              on workers.ruc = participation.ruc and workers.item = 'overall' and workers.wave = '2018-midterm'
        """)
    with pytest.raises(PrivacyError, match="marts.participation has 1 enterprise row"):
        publish_from(warehouse, tmp_path / "published")
    assert digests(tmp_path / "published") == before


def test_worker_codes_are_never_published(pipeline: PipelineRun) -> None:
    """Contract 8.2: Ghana's worker codes are in no mart, no Parquet file, no report, no field checks page; a mart
    holding a `worker_code` column is worker-level."""
    codes = {code.strip().upper() for wave in GHANA_WAVES
             for code in read_csv(GHANA_RAW / wave / "encuesta_trabajadores.csv", ";")["Código trabajador"] if code.strip()}
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        published = published_text(connection)
    with parquet_as_schema(pipeline.publish_dir) as connection:
        published += published_text(connection)
    pages = [pipeline.publish_dir / "report.html", pipeline.publish_dir / "report.es.html",
             *(pipeline.warehouse.parent / "field_checks" / "gh").glob("*.html")]
    published += "".join(page.read_text(encoding="utf-8") for page in pages)
    assert len(codes) > 500 and len(pages) == 5 and not [code for code in codes if code in published.upper()]
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.execute("create table marts.panel as select 'gh' as country, 'T-0123' as worker_code, 3.5 as score")
    assert privacy_problems(connection) == ["marts.panel has worker-level columns: worker_code"]
