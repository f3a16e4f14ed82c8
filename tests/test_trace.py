"""`score-pipeline trace`: headline figures traced to the extracts' columns, on the session's publication.

Each expected chain is read by hand off the models' SQL; each hop is then checked against the dbt project
(the parent is a model or source the child depends on, both columns exist in the warehouse's catalog), and
the extract's column at the end against the header of the shipped file itself.
"""

from __future__ import annotations

import csv
import json
import re
import shlex

import duckdb
import openpyxl
import pytest
from conftest import SAMPLE_RAW, PipelineRun

from score_pipeline.cli import main
from score_pipeline.ingest.instruments import INSTRUMENTS
from score_pipeline.ingest.load import BOOKKEEPING, raw_columns, raw_origin
from score_pipeline.lineage.trace import Hop, Project, relation_key
from score_pipeline.publish.marts import PUBLISHED_MARTS
from score_pipeline.settings import CODEBOOK_PRACTICES, PROJECT_ROOT, docs_dir

BASELINE = SAMPLE_RAW / "2017-baseline"
HEADLINE = "marts.headline_indicators.change_pct"
# indicator -> the chain of its change_pct down to the raw column, and the extract's header that column reads
CHAINS = {
    "accidents": ([
        "marts.kpi_change.mean_pct_change",
        "intermediate.int_kpi_pairs_compared.pct_change",
        "intermediate.int_kpi_values_unpivoted.kpi_value",
        "staging.stg_raw__company_profile.work_accidents",
        "raw.company_profile.work_accidents",
    ], "perfil_empresa.xlsx", "Accidentes de trabajo (año)"),
    "global_score": ([
        "marts.wave_summary.mean",
        "marts.enterprise_scores.global_score",
        "intermediate.int_module_scores_averaged.score",
        "intermediate.int_category_scores_averaged.score",
        "staging.stg_raw__management_practices.score",
        "raw.management_practices.score",
    ], "practicas_gestion.csv", None),
    "annual_sales": ([
        "marts.business_results.annual_sales_mean",
        "staging.stg_raw__company_profile.annual_sales",
        "raw.company_profile.annual_sales",
    ], "perfil_empresa.xlsx", "Ventas anuales (S/.)"),
}
TREE = re.compile(r"^[│├└─ ]*")


def traced(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["trace", *args]) == 0
    return [TREE.sub("", line) for line in capsys.readouterr().out.splitlines()]


def published_project() -> tuple[dict, dict]:
    return (json.loads((docs_dir() / "manifest.json").read_text(encoding="utf-8")),
            json.loads((docs_dir() / "catalog.json").read_text(encoding="utf-8")))


def check_hop_against_the_project(child: str, parent: str, manifest: dict, catalog: dict) -> None:
    """`parent` feeds `child` in the dbt project: the child model depends on the parent's relation, names the
    parent's column in its SQL, and both columns are in the warehouse."""
    nodes = {relation_key(n): n for n in (*manifest["nodes"].values(), *manifest["sources"].values())}
    columns = {f"{e['metadata']['schema']}.{e['metadata']['name']}": set(e["columns"])
               for e in (*catalog["nodes"].values(), *catalog["sources"].values())}
    child_relation, child_column = child.rsplit(".", 1)
    parent_relation, parent_column = parent.rsplit(".", 1)
    child_node = nodes[child_relation]
    assert nodes[parent_relation]["unique_id"] in child_node["depends_on"]["nodes"], (child, parent)
    assert re.search(rf"\b{parent_column}\b", child_node["compiled_code"]), (child, parent)
    assert child_column in columns[child_relation] and parent_column in columns[parent_relation], (child, parent)


def extract_headers(file: str) -> list[str]:
    if file.endswith(".xlsx"):  # the header row is under the sheet's title rows
        sheet = openpyxl.load_workbook(BASELINE / file, read_only=True).active
        return [str(cell) for row in sheet.iter_rows(max_row=10, values_only=True) for cell in row if cell is not None]
    with (BASELINE / file).open(encoding="utf-8-sig") as handle:
        return next(csv.reader(handle, delimiter=";"))


@pytest.mark.parametrize("indicator", CHAINS)
def test_a_headline_figure_is_traced_through_the_models_to_the_extract_s_column(
        pipeline: PipelineRun, capsys: pytest.CaptureFixture[str], indicator: str) -> None:
    chain, file, header = CHAINS[indicator]
    lines = traced(capsys, HEADLINE, f"indicator={indicator}")
    names = [line.split()[0] for line in lines[:-1]]
    assert names == [HEADLINE, *chain]
    assert lines[0].endswith(f"[rows: indicator = '{indicator}']")
    assert f"(ingest asset raw/{chain[-1].split('.')[1]})" in lines[-2]
    manifest, catalog = published_project()
    for child, parent in zip(names, names[1:]):
        check_hop_against_the_project(child, parent, manifest, catalog)
    assert lines[-1].startswith(f"{file}, ")
    headers = extract_headers(file)
    if header is not None:
        assert lines[-1] == f"{file}, column '{header}'" and header in headers
    else:  # one row per practice column of the codebook: every practice's header ends with its id
        with CODEBOOK_PRACTICES.open(encoding="utf-8") as handle:
            ids = [row["practice_id"] for row in csv.DictReader(handle)]
        assert all(any(h.rsplit("/", 1)[-1] == pid for h in headers) for pid in ids)


def test_the_accidents_figure_is_traced_to_the_accidents_column_alone(pipeline: PipelineRun,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The KPI unpivot makes six KPIs one column: the figure of one row follows its own KPI, the mart's column
    without a row follows all six."""
    lines = traced(capsys, HEADLINE, "indicator=accidents")
    assert [line for line in lines if line.startswith("raw.")] == [
        "raw.company_profile.work_accidents  (ingest asset raw/company_profile)"]
    every_kpi = traced(capsys, "marts.kpi_change.mean_pct_change")
    assert {line.split()[0] for line in every_kpi if line.startswith("raw.")} == {
        f"raw.company_profile.{column}" for column in ("work_accidents", "absenteeism_pct", "staff_turnover_pct",
                                                      "defective_products_pct", "raw_material_waste_pct", "unit_cost")}


def test_worker_satisfaction_is_traced_to_the_survey_s_items(pipeline: PipelineRun,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    lines = traced(capsys, HEADLINE, "indicator=worker_satisfaction")
    assert [line.split()[0] for line in lines[:4]] == [
        HEADLINE, "marts.worker_satisfaction.mean", "intermediate.int_worker_enterprises_summarised.mean",
        "intermediate.int_worker_respondents_scored.respondent_score"]
    assert "[rows: item = 'overall']" in lines[1]
    items = [line.split()[0] for line in lines if line.startswith("raw.")]
    assert items == [f"raw.worker_survey.w{i:02d}" for i in range(1, 16)]


def test_a_python_mart_names_the_asset_that_computes_it(pipeline: PipelineRun,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert traced(capsys, "marts.score_change.ci_low") == [
        "marts.score_change.ci_low  (computed in Python by the asset marts/score_change)"]


def test_a_figure_that_is_not_published_is_named(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "marts.kpi_change.mean"]) == 2
    assert "marts.kpi_change has no column 'mean' (it has country, kpi, " in capsys.readouterr().err
    assert main(["trace", "kpi_change.mean_pct_change"]) == 2
    assert "is not <schema>.<relation>.<column>" in capsys.readouterr().err
    assert main(["trace", HEADLINE, "indicator"]) == 2
    assert "'indicator' is not <column>=<value>" in capsys.readouterr().err


def test_a_row_no_published_row_has_is_named_with_the_values_its_column_holds(
        pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt value once traced to "computed from no column", exit 0; a misspelt column likewise."""
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        indicators = [value for (value,) in connection.execute(
            "select distinct indicator from marts.headline_indicators order by indicator").fetchall()]
    assert "accidents" in indicators and len(indicators) > 10
    assert main(["trace", HEADLINE, "indicator=acidents"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.splitlines() == [
        f"no row of marts.headline_indicators has indicator = 'acidents': its indicator is one of {', '.join(indicators)}"]
    assert main(["trace", HEADLINE, "country=pe", "indicatr=accidents"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("marts.headline_indicators has no column 'indicatr' to choose the figure's row by "
                                  "(it has country, indicator, ")
    assert main(["trace", HEADLINE, "country=xx", "indicator=accidents"]) == 2
    assert capsys.readouterr().err.strip() == "no row of marts.headline_indicators has country = 'xx': its country is one of co, gh, pe"


def test_without_a_publication_trace_says_what_to_do(isolated, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", HEADLINE, "indicator=accidents"]) == 2
    assert "publish the marts first (make run)" in capsys.readouterr().err


def test_every_raw_column_says_where_it_comes_from() -> None:
    for instrument in INSTRUMENTS:
        for column in raw_columns(instrument.columns):
            assert raw_origin(instrument.table, column).startswith(f"{instrument.source}, "), (instrument.name, column)
    for table, columns in BOOKKEEPING.items():
        for column in raw_columns(columns):
            assert raw_origin(table, column).endswith(f": column {column!r}"), (table, column)
    assert raw_origin("countries", "currency") == "country.yaml, key 'currency'"


def test_every_column_of_every_published_mart_is_traced(pipeline: PipelineRun) -> None:
    """No mart column is beyond the trace (an unknown SQL form, a raw table without its origin, such as the
    bookkeeping tables, raises), and every raw column it reaches is one the warehouse's raw table has."""
    project = Project.published(docs_dir())
    _, catalog = published_project()
    raw_tables = {entry["metadata"]["name"]: set(entry["columns"]) for entry in catalog["sources"].values()
                  if entry["metadata"]["schema"] == "raw"}
    for mart in PUBLISHED_MARTS:
        for column in project.columns_of(f"marts.{mart}"):
            raw = [hop for hop in walk(project.trace(f"marts.{mart}", column)) if hop.kind == "raw"]
            assert all(hop.column in raw_tables[hop.relation.split(".")[1]] and hop.read_from for hop in raw), column


def walk(hop: Hop) -> list[Hop]:
    return [hop, *(each for parent in hop.upstream for each in walk(parent))]


def test_the_readme_s_trace_is_what_the_command_prints(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith("$ .venv/bin/score-pipeline trace "))
    end = lines.index("```", start)
    assert main(shlex.split(lines[start].split("score-pipeline", 1)[1])) == 0
    assert capsys.readouterr().out.splitlines() == lines[start + 1:end]
