"""A real browser (Debian's chromium, driven by playwright): the Dagster UI started with `make ui`
as the README says, on the instance `make run` materialized, and the report. Screenshots go to
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import PipelineRun
from dagster import DagsterInstance

from score_pipeline.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).with_name("artifacts")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: `make browser` installs it, as root")

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def ui_environment(port: int) -> dict[str, str]:
    """The shell of a newcomer who never activated the venv: system PATH only, the session's settings."""
    keep = ("HOME", "DAGSTER_HOME", "SCORE_RAW_DIR", "SCORE_WAREHOUSE", "SCORE_PUBLISH_DIR")
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "UI_PORT": str(port), **{k: os.environ[k] for k in keep}}


@dataclass
class UI:
    base: str
    console: Path


@pytest.fixture(scope="module")
def ui(pipeline: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    """`make ui` as the README tells users to start it, after `make run` (the session's pipeline)."""
    port = free_port()
    console = tmp_path_factory.mktemp("ui") / "console.log"
    with console.open("w") as output:
        process = subprocess.Popen(["make", "ui"], cwd=PROJECT_ROOT, env=ui_environment(port), stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(f"{base}/server_info", timeout=2)
                break
            except OSError:
                assert process.poll() is None, console.read_text()
                time.sleep(1)
        else:
            pytest.fail("the UI did not start:\n" + console.read_text())
        graphql(base, "mutation { setNuxSeen }")  # the community dialog would cover the page
        yield UI(base, console)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: dagster dev stops webserver and daemon
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
TICKS_QUERY = """{ sensorOrError(sensorSelector: {repositoryName: "__repository__",
    repositoryLocationName: "score_pipeline", sensorName: "%s"}) {
    ... on Sensor { sensorState { ticks(limit: 5) { status skipReason runIds } } } } }"""


def test_make_ui_loads_the_code_location_without_the_venv_on_path(ui: UI) -> None:
    entries = graphql(ui.base, LOCATION_QUERY)["data"]["workspaceOrError"]["locationEntries"]
    loaded = {e["name"]: e["locationOrLoadError"] for e in entries}
    assert loaded["score_pipeline"]["__typename"] == "RepositoryLocation", loaded


def test_the_daemon_does_not_redo_what_make_run_did(ui: UI) -> None:
    """The first ticks of a new daemon after `make run`: no wave re-run, no publication."""
    instance = DagsterInstance.get()
    runs_before = instance.get_runs_count()
    ticks: dict[str, list[dict]] = {}
    for _ in range(150):
        for sensor in ("wave_drop_sensor", "publish_after_waves"):
            state = graphql(ui.base, TICKS_QUERY % sensor)["data"]["sensorOrError"]["sensorState"]
            ticks[sensor] = [t for t in state["ticks"] if t["status"] in ("SKIPPED", "SUCCESS", "FAILURE")]
        if all(ticks.values()):
            break
        time.sleep(2)
    else:
        pytest.fail(f"the daemon evaluated no sensor: {ticks}\n{ui.console.read_text()}")
    assert [t["status"] for t in ticks["wave_drop_sensor"]] == ["SKIPPED"], ticks
    assert ticks["wave_drop_sensor"][0]["skipReason"] == "no new or changed complete wave drop"
    assert [t["status"] for t in ticks["publish_after_waves"]] == ["SKIPPED"], ticks
    assert instance.get_runs_count() == runs_before


def test_the_ui_console_stays_readable(ui: UI) -> None:
    console = ui.console.read_text()
    assert "will not be used" not in console  # no dagster.yaml in the working folder to warn about
    assert "Traceback" not in console
    assert len(console.splitlines()) < 40, console


def test_lineage_from_a_raw_instrument_to_the_headline(browser, ui: UI) -> None:
    webserver = ui.base
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{webserver}/assets/marts/headline_indicators?view=lineage&lineageScope=upstream&lineageDepth=12")
    for group in ("ingest", "staging", "intermediate", "marts", "reference"):
        page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    page.screenshot(path=ARTIFACTS / "lineage.png")
    # Node labels are truncated when the graph is zoomed out; the edges it draws come from this query.
    nodes = graphql(webserver, "{ assetNodes { assetKey { path } dependencyKeys { path } groupName kinds } }")
    parents = {"/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]}
               for n in nodes["data"]["assetNodes"]}
    chain = ["raw/management_practices", "staging/stg_raw__management_practices",
             "intermediate/int_category_scores_averaged", "intermediate/int_module_scores_averaged",
             "marts/enterprise_scores", "marts/wave_summary", "marts/headline_indicators"]
    for upstream, downstream in zip(chain, chain[1:]):
        assert upstream in parents[downstream], (upstream, downstream)
    kinds = {"/".join(n["assetKey"]["path"]): set(n["kinds"]) for n in nodes["data"]["assetNodes"]}
    assert "dbt" in kinds["marts/headline_indicators"] and "duckdb" in kinds["raw/management_practices"]
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes["data"]["assetNodes"]}
    assert [key for key, group in groups.items() if group == "default"] == []
    assert {groups[f"raw/{table}"] for table in ("ingest_log", "rejects", "superseded")} == {"ingest"}
    assert "corrections_log" in parents["raw/company_profile"]  # contract 5: the log is an input of the ingest
    assert "corrections_log" not in parents["raw/case_studies"]  # which it cannot correct
    assert {"raw/rejects", "raw/corrections", "intermediate/int_evaluator_scores_joined"} <= parents["quality/field_checks"]
    assert all(kinds[key] for key in kinds), [key for key in kinds if not kinds[key]]


def test_checks_and_partitions_of_an_ingest_asset(browser, ui: UI) -> None:
    webserver = ui.base
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{webserver}/assets/raw/management_practices?view=checks")
    page.get_by_text("structure", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("content", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("Passed").first.wait_for(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "checks.png")
    page.goto(f"{webserver}/assets/raw/management_practices?view=partitions")
    for key in ("pe/2017-baseline", "pe/2018-midterm", "pe/2019-endline", "co/2020-midterm"):
        page.get_by_text(key).first.wait_for(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "partitions.png")


def report_words(language: str) -> dict:
    """The report's words in one language, as templates/report_text.yaml gives them."""
    catalog = PROJECT_ROOT / "score_pipeline" / "templates" / "report_text.yaml"
    return yaml.safe_load(catalog.read_text(encoding="utf-8"))[language]


def test_the_report_renders_its_charts_and_tables(browser, pipeline: PipelineRun) -> None:
    report = pipeline.publish_dir / "report.html"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(report.as_uri())
    titles = page.locator("section h2").all_inner_texts()
    notes = page.locator("section p.method").all_inner_texts()
    assert len(notes) == len(titles) and all(note.strip() for note in notes)  # a method note under every title
    assert set(titles) == {words["title"] for words in report_words("en")["sections"].values()}  # and no other
    programme = page.locator("#programme")  # the programme page first: the countries side by side
    side_by_side = programme.locator("section", has_text="Countries side by side").locator("table")
    assert side_by_side.locator("th").all_inner_texts() == ["Figure", "Colombia", "Ghana", "Peru", "Programme"]
    pairs = side_by_side.locator("tr", has_text="Enterprises paired").first.locator("td")
    assert pairs.all_inner_texts() == ["Enterprises paired", "30", "33", "52", "115"]  # Ghana: its treated arm
    assert pairs.first.locator("span").get_attribute("title") == "n_pairs"  # the mart's column, for analysts
    assert programme.locator("section svg").count() == 2  # score change with its interval, KPI changes
    peru = page.locator("#pe")
    assert peru.locator("section svg").count() >= 5
    assert peru.locator("section table").count() >= 8
    assert peru.get_by_text("Headline indicators").count() == 1
    assert "3.06" in peru.locator("section").first.inner_text()
    headline = peru.locator("section", has_text="Headline indicators").locator("table")
    header = headline.locator("th").all_inner_texts()
    accidents = headline.locator("tr", has_text="Work accidents per year").first.locator("td").all_inner_texts()
    assert accidents[header.index("evaluation summary")] == "-42 %"  # the seed's summary figure beside the computed one
    sales = headline.locator("tr", has_text="Annual sales").first.locator("td").all_inner_texts()
    assert sales[header.index("Unit")] == "PEN"
    changes = peru.locator("section", has_text="Module and category changes").locator("table")
    header = changes.locator("th").all_inner_texts()
    global_row = changes.locator("tr", has_text="global").first.locator("td").all_inner_texts()
    assert global_row[header.index("Holm p")] == "< 0.001"  # 6.1e-25 from scipy on the sample, not 0.0
    assert changes.locator("th", has_text="Holm p").get_attribute("title") == "p_holm"
    module_1 = changes.locator("tr", has_text="Workplace cooperation").first.locator("td").all_inner_texts()
    assert module_1[:2] == ["Workplace cooperation", "m1"]  # the codebook's name beside the code
    business = peru.locator("section", has_text="Business results").locator("table")
    header = business.locator("th").all_inner_texts()
    endline = business.locator("tr", has_text="2019-endline").first.locator("td").all_inner_texts()
    assert endline[header.index("Annual sales")] == "PEN 8,850,000"  # thousands separated, in its currency
    evaluators = peru.locator("section", has_text="Evaluator effects")
    assert evaluators.locator("svg").count() == 1
    flagged = [row for row in evaluators.locator("table tr").all_inner_texts() if "2018-midterm" in row and "EV03" in row]
    assert len(flagged) == 1
    colombia = page.locator("#co").locator("section", has_text="Headline indicators").locator("table")
    assert "evaluation summary" not in colombia.locator("th").all_inner_texts()  # Peru's published figures only
    page.screenshot(path=ARTIFACTS / "report.png", full_page=True)


def test_the_report_prints_to_pdf_with_every_table_on_the_page(browser, pipeline: PipelineRun, tmp_path: Path) -> None:
    """Chromium prints the report (A4 landscape, its print styles): a part per page break, every table as wide
    as the page at most, and the figures as a reader reads them in the PDF's own text."""
    from pypdf import PdfReader

    page = browser.new_page(viewport={"width": 1031, "height": 700})  # A4 landscape less its margins, in CSS px
    page.emulate_media(media="print")
    page.goto((pipeline.publish_dir / "report.html").as_uri())
    too_wide = page.evaluate("() => [...document.querySelectorAll('table')].filter("
                             "t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length")
    assert too_wide == 0
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    pages = PdfReader(pdf).pages
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)  # A4 landscape, in mm
    texts = [p.extract_text() for p in pages]
    assert texts[0].startswith("SCORE Training impact evaluation, the programme")
    starts = [number for number, text in enumerate(texts) if "SCORE Training impact evaluation, " in text]
    assert len(starts) == 4 and starts[0] == 0  # the programme, then each country from a new page
    peru = "\n".join(texts[starts[3]:])
    assert "PEN 7,050,000" in peru and "< 0.001" in peru and "-42.0 %" in peru


def test_the_spanish_report_has_spanish_titles_notes_and_codebook_names(browser, pipeline: PipelineRun) -> None:
    """report.es.html: the same sections under their Spanish titles and notes, the codebooks' Spanish names
    (modules, worker items), the catalog's Spanish labels and CLDR's Spanish country names; each report
    links to the other."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto((pipeline.publish_dir / "report.html").as_uri())
    page.locator("nav.languages a", has_text="Español").click()
    page.wait_for_load_state()
    assert page.url.endswith("report.es.html") and page.locator("html").get_attribute("lang") == "es"
    sections = report_words("es")["sections"]
    titles = page.locator("section h2").all_inner_texts()
    assert set(titles) == {words["title"] for words in sections.values()}
    assert page.locator("section p.method").all_inner_texts() == [
        next(words["note"] for words in sections.values() if words["title"] == title) for title in titles]
    assert page.locator("h1").all_inner_texts() == [
        "Evaluación de impacto de la capacitación SCORE, el programa",
        "Evaluación de impacto de la capacitación SCORE, Colombia",
        "Evaluación de impacto de la capacitación SCORE, Ghana",
        "Evaluación de impacto de la capacitación SCORE, Perú"]
    peru = page.locator("#pe")
    headline = peru.locator("section", has_text="Indicadores principales").locator("table")
    header = headline.locator("th").all_inner_texts()
    accidents = headline.locator("tr", has_text="Accidentes de trabajo por año").first.locator("td").all_inner_texts()
    assert accidents[header.index("Indicador")] == "Accidentes de trabajo por año"
    assert accidents[header.index("resumen de la evaluación")] == "-42 %"
    changes = peru.locator("section", has_text="Cambios por módulo y categoría").locator("table")
    module_1 = changes.locator("tr", has_text="Cooperación en el lugar de trabajo").first.locator("td").all_inner_texts()
    assert module_1[:2] == ["Cooperación en el lugar de trabajo", "m1"]
    side_by_side = page.locator("#programme").locator("table").first
    assert side_by_side.locator("th").all_inner_texts() == ["Cifra", "Colombia", "Ghana", "Perú", "Programa"]
    distributions = peru.locator("section", has_text="Distribución de los puntajes por ronda")
    assert distributions.locator("p.caption").inner_text() == report_words("es")["global_score_by_wave"]
    english = browser.new_page()
    english.goto((pipeline.publish_dir / "report.html").as_uri())
    english_chart = english.locator("#pe section", has_text="Score distributions by wave").locator("svg")
    assert distributions.locator("svg").inner_html() == english_chart.inner_html()  # one drawing, two captions
    page.locator("nav.languages a", has_text="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/report.html")
    page.screenshot(path=ARTIFACTS / "report_es.png")


# Every header word's line boxes, and every figure's and code's: a word or a figure on more than one line is broken.
BROKEN_ACROSS_LINES = """() => {
  const lines = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return new Set([...range.getClientRects()].map(box => Math.round(box.top))).size;
  };
  const broken = [];
  for (const cell of document.querySelectorAll('th, td.number, td.code')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      const pieces = cell.tagName === 'TH' ? [...text.matchAll(/\S+/g)] : [...text.matchAll(/\S(.*\S)?/g)];
      for (const piece of pieces) {
        if (lines(node, piece.index, piece.index + piece[0].length) > 1) broken.push(piece[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("file", ["report.html", "report.es.html"])
def test_no_header_word_nor_figure_is_broken_across_lines_on_screen_or_printed(browser, pipeline: PipelineRun,
                                                                                file: str) -> None:
    """Issue 28: headers were mart columns broken mid-word (`change_p ct`) and `< 0.001` wrapped. Measured on the
    text's own line boxes at 1400 px and at the printed page's width, with figures right-aligned and words left,
    and every table as wide as its place at most."""
    for width, media in ((1400, "screen"), (1031, "print")):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.emulate_media(media=media)
        page.goto((pipeline.publish_dir / file).as_uri())
        assert page.evaluate(BROKEN_ACROSS_LINES) == [], (width, media)
        assert page.evaluate("() => [...document.querySelectorAll('table')].filter(table => table.getBoundingClientRect()"
                             ".width > table.parentElement.getBoundingClientRect().width + 1).length") == 0  # no scrolling
        alignments = page.evaluate("() => [...document.querySelectorAll('td')].map(cell => "
                                   "[cell.className, getComputedStyle(cell).textAlign])")
        assert {kind: {align for other, align in alignments if other == kind} for kind, _ in alignments} == {
            "number": {"right"}, "words": {"left"}, "code": {"left"}}
        page.close()


def labels_of(language: str) -> dict[str, dict[str, str]]:
    """report_labels.yaml in one language: section -> code -> label."""
    catalogue = yaml.safe_load((PROJECT_ROOT / "score_pipeline" / "templates" / "report_labels.yaml").read_text(encoding="utf-8"))
    return {section: {code: words[language] for code, words in entries.items()} for section, entries in catalogue.items()}


# What a reader reads as a label: table headers and cells, and the charts' texts (matplotlib writes each text of
# an SVG drawing as paths under a comment holding the text).
SHOWN_LABELS = """() => {
  const shown = [...document.querySelectorAll('th, td')].map(cell => cell.innerText.trim());
  for (const svg of document.querySelectorAll('svg')) {
    const walker = document.createTreeWalker(svg, NodeFilter.SHOW_COMMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) shown.push(node.textContent.trim());
  }
  return shown;
}"""


def test_the_spanish_report_shows_no_english_label_and_neither_report_shows_a_code_as_a_label(
        browser, pipeline: PipelineRun) -> None:
    """Issue 28: the Spanish report kept English headers, units (`percent`, `enterprises`), ticks and a legend
    titled `name`; both showed outcome codes (`condiciones_trabajo`) and columns (`pct_gain_gt1`) as labels."""
    english, spanish = labels_of("en"), labels_of("es")
    english_only = {words for section in english for code, words in english[section].items()
                    if words != spanish[section][code]}
    # Codes a reader would see as identifiers; `enterprises` is also an English unit, `accidentes` a Spanish one.
    codes = {code for section in ("columns", "outcomes") for code in english[section] if "_" in code} | {"percent", "name"}
    shown = {}
    for file in ("report.html", "report.es.html"):
        page = browser.new_page()
        page.goto((pipeline.publish_dir / file).as_uri())
        shown[file] = set(page.evaluate(SHOWN_LABELS))
        page.close()
    assert {"Absenteeism", "Working conditions", "% change", "Enterprises paired"} <= shown["report.html"]
    assert {"Ausentismo", "Condiciones de trabajo", "cambio en %", "Empresas pareadas"} <= shown["report.es.html"]
    assert shown["report.es.html"] & english_only == set()
    assert shown["report.html"] & codes == set() and shown["report.es.html"] & codes == set()
    assert shown["report.html"] & set(english["outcomes"]) == set()  # the Spanish outcome codes


def column_texts(table, header: str) -> list[str]:
    """The cells of a table's column, top down, by its header."""
    index = table.locator("th").all_inner_texts().index(header)
    return [row.locator("td").nth(index).inner_text() for row in table.locator("tbody tr").all()]


def test_the_report_s_tables_are_sorted(browser, pipeline: PipelineRun) -> None:
    """The KPI table by KPI in the headline catalog's order (headline_catalog.csv's sort_order), all enterprises
    first, then the profile sheet's cost structures in the contract's order; perceived effects by outcome in
    the contract's order (2.3), then wave; scores global, modules, categories; data quality by wave and file."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((pipeline.publish_dir / "report.html").as_uri())
    peru = page.locator("#pe")
    kpis = peru.locator("section#pe-kpis table")
    kpi_order = ["Work accidents per year", "Absenteeism", "Staff turnover", "Defective products", "Raw material waste",
                 "Cost per unit produced"]
    costs = ["All enterprises", "Labour", "Domestic inputs", "Imported inputs"]
    assert list(zip(column_texts(kpis, "KPI"), column_texts(kpis, "Cost structure"))) == [
        (kpi, cost) for kpi in kpi_order for cost in costs]
    effects = peru.locator("section#pe-effects table")
    outcomes = ["Working conditions", "Accidents", "Absenteeism", "Defects", "Waste", "Unit cost", "Productivity",
                "Sales", "Profits", "Customer satisfaction"]
    assert list(zip(column_texts(effects, "Outcome"), column_texts(effects, "Wave"))) == [
        (outcome, wave) for outcome in outcomes for wave in ("2018-midterm", "2019-endline")]
    codes = column_texts(peru.locator("section#pe-score_changes table"), "Code")
    assert codes[:6] == ["global", "m1", "m2", "m3", "m4", "m5"] and codes[6:] == sorted(codes[6:]) and len(codes) == 26
    quality = peru.locator("section#pe-quality table")
    rows = list(zip(column_texts(quality, "Wave"), column_texts(quality, "Instrument (file)")))
    assert rows == sorted(rows) and len(rows) == len(set(rows))


def test_the_report_is_stamped_with_its_time_code_version_and_each_drop(browser, pipeline: PipelineRun) -> None:
    """Its foot says when it was computed, by which package version and commit, and from which drop of each
    wave: the sha256 of the wave's SHA256SUMS (contract 1), computed here from the sample's files."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((pipeline.publish_dir / "report.html").as_uri())
    stamp = page.locator("footer#stamp")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert f"Computed on {today}" in stamp.inner_text()
    assert f"score-pipeline {version('score-pipeline')}" in stamp.inner_text()
    rows = [row.locator("td").all_inner_texts() for row in stamp.locator("tbody tr").all()]
    expected = [[yaml.safe_load((country / "country.yaml").read_text(encoding="utf-8"))["name"], wave.name,
                 hashlib.sha256((wave / "SHA256SUMS").read_bytes()).hexdigest()]
                for country in sorted((PROJECT_ROOT / "data" / "raw").iterdir()) for wave in sorted(country.glob("20*"))]
    assert rows == expected and len(rows) == 9
    page.goto((pipeline.publish_dir / "report.es.html").as_uri())
    assert "Calculado el" in page.locator("footer#stamp").inner_text()


def test_peru_s_positive_effects_baseline_says_it_is_the_midterm(browser, pipeline: PipelineRun) -> None:
    """Perceptions are asked from the second wave on (contract 2.3): Peru's 73.2 % 'baseline' is the midterm's."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((pipeline.publish_dir / "report.html").as_uri())
    headline = page.locator("section#pe-headline")
    row = headline.locator("tr", has_text="Perceived effects that are positive").locator("td").all_inner_texts()
    assert row[headline.locator("th").all_inner_texts().index("Baseline")] == "73.2 % (2018-midterm)"
    assert "2018-midterm" in headline.locator("p.note").inner_text()


# Contract 8.3's variables and outcomes, in its order.
DESIGN_VARIABLES = ["global_score", "score_m1", "score_m2", "score_m3", "score_m4", "score_m5", "workers", "female_share_pct",
                    "annual_sales", "monthly_payroll", "capacity_use_pct", "accidents", "absenteeism", "turnover",
                    "defects", "raw_material_waste", "unit_cost", "worker_satisfaction"]


def three_decimals(value: float | None) -> str:
    """A figure as the report prints it with 3 decimals: a whole number, or one of a thousand or more, without."""
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 1000 else f"{value:,.3f}"


@pytest.mark.parametrize("file, language", [("report.html", "en"), ("report.es.html", "es")])
def test_a_country_with_a_frame_has_its_design_in_both_languages(browser, pipeline: PipelineRun, file: str,
                                                                 language: str) -> None:
    """Issue 29: Ghana's design (contract 8.3) after its headline, each part with its method note: the balance
    table with the variables beyond |0.25| flagged, the difference in differences as a chart of its estimates
    with their intervals and a table, attrition by arm with the Lee bounds, the worker panel (stayers beside
    all respondents); the figures those of the published marts; Peru and Colombia (no frame) have none."""
    sections = report_words(language)["sections"]
    keys = ["design_balance", "design_did", "design_attrition", "design_worker_panel"]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((pipeline.publish_dir / file).as_uri())
    ghana = page.locator("#gh")
    assert ghana.locator("section h2").all_inner_texts()[1:5] == [sections[key]["title"] for key in keys]
    assert [ghana.locator(f"section#gh-{key} p.method").inner_text() for key in keys] == [
        sections[key]["note"] for key in keys]
    frame_intro = report_words(language)["frame_intro"]  # its other sections describe its treated enterprises
    assert frame_intro in ghana.locator("h1 + p").inner_text()
    for country in ("pe", "co"):
        assert page.locator(f"#{country} section[id*=design]").count() == 0
        assert frame_intro not in page.locator(f"#{country} h1 + p").inner_text()
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        def mart(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()
        normalized = dict(mart("select variable, normalized_difference from marts.balance where country = 'gh'"))
        did = {outcome: rest for outcome, *rest in mart("select outcome, did, ci_low, ci_high from marts.did "
                                                        "where country = 'gh'")}
        attrition = dict(mart("select arm, attrition_pct from marts.attrition where country = 'gh'"))
        lee = mart("select distinct lee_lower, lee_upper from marts.attrition where country = 'gh'")
        changes = dict(mart('select "group", change from marts.worker_panel where country = \'gh\''))
    balance = ghana.locator("section#gh-design_balance table")
    rows = balance.locator("tbody tr").all()
    assert len(rows) == len(DESIGN_VARIABLES)
    header = balance.locator("th").all_inner_texts()
    assert [row.locator("td").nth(len(header) - 2).inner_text() for row in rows] == [
        three_decimals(normalized[variable]) for variable in DESIGN_VARIABLES]
    assert [row.get_attribute("class") == "flag" for row in rows] == [
        abs(normalized[variable]) > 0.25 for variable in DESIGN_VARIABLES]
    assert any(row.get_attribute("class") == "flag" for row in rows)  # the synthetic sample has some
    module_1 = "M1 Workplace cooperation" if language == "en" else "M1 Cooperación en el lugar de trabajo"
    assert rows[1].locator("td").first.inner_text() == module_1
    estimates = ghana.locator("section#gh-design_did")
    assert estimates.locator("svg").count() == 1
    drawn = estimates.locator("svg").evaluate(
        "svg => { const w = document.createTreeWalker(svg, NodeFilter.SHOW_COMMENT), t = [];"
        " for (let n = w.nextNode(); n; n = w.nextNode()) t.push(n.textContent.trim()); return t; }")
    labels = column_texts(estimates.locator("table"), estimates.locator("th").first.inner_text())
    assert set(labels) <= set(drawn) and len(labels) == len(DESIGN_VARIABLES)  # every outcome's estimate, labelled
    header = estimates.locator("th").all_inner_texts()
    for position, name in ((5, "did"), (len(header) - 2, "ci_low"), (len(header) - 1, "ci_high")):
        assert [row.locator("td").nth(position).inner_text() for row in estimates.locator("tbody tr").all()] == [
            three_decimals(did[outcome][("did", "ci_low", "ci_high").index(name)]) for outcome in DESIGN_VARIABLES]
    arms = ghana.locator("section#gh-design_attrition table tbody tr").all()
    assert [row.locator("td").first.inner_text() for row in arms] == (
        ["Treatment", "Comparison"] if language == "en" else ["Tratamiento", "Comparación"])
    assert [row.locator("td").nth(3).inner_text() for row in arms] == [
        f"{attrition[arm]:.1f} %" for arm in ("tratamiento", "comparacion")]
    assert len(lee) == 1 and [row.locator("td").all_inner_texts()[-2:] for row in arms] == [
        [three_decimals(bound) for bound in lee[0]]] * 2
    panel = ghana.locator("section#gh-design_worker_panel table tbody tr").all()
    assert [row.locator("td").nth(6).inner_text() for row in panel] == [
        three_decimals(changes[group]) for group in ("all", "stayers", "leavers", "joiners")]
    assert panel[1].locator("td").first.inner_text().startswith("Stayers" if language == "en" else "Permanecen")
    page.screenshot(path=ARTIFACTS / f"design_{language}.png", full_page=True)


def test_a_headline_figure_of_the_report_links_to_its_trace(browser, pipeline: PipelineRun) -> None:
    """Clicking `accidents` in Peru's headline opens traces.html at the accidents figure: its chain of models
    down to the profile sheet's accidents column, each model linked to its page of the docs site."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto((pipeline.publish_dir / "report.html").as_uri())
    headline = page.locator("#pe").locator("section", has_text="Headline indicators").locator("table")
    link = headline.locator("a", has_text="Work accidents per year").first
    assert link.get_attribute("title") == "accidents: where this figure comes from"
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("traces.html#accidents")
    figure = page.locator("section#accidents")
    assert figure.locator("h2").inner_text() == "Work accidents per year accidents"
    codes = figure.locator("li > a > code").all_inner_texts()
    assert codes[0] == "marts.headline_indicators.change_pct" and codes[-1] == "raw.company_profile.work_accidents"
    assert figure.locator("li.file").inner_text() == "perfil_empresa.xlsx, column 'Accidentes de trabajo (año)'"
    assert "Mean of (endline - baseline) / baseline * 100; null when no enterprise counts." in figure.inner_text()  # kpi_change's YAML description
    figure.locator("a", has_text="marts.kpi_change.mean_pct_change").click()
    page.locator("tr", has_text="mean_pct_change").first.wait_for(timeout=60_000)  # the docs site's page of kpi_change
    assert "#!/model/model.score.kpi_change" in page.url
    page.goto((pipeline.publish_dir / "traces.html").as_uri())
    sections = page.locator("section").evaluate_all("sections => sections.map(s => s.id)")
    assert len(sections) == 18 and all(page.locator(f"section#{s} li.file").count() >= 1 for s in sections)
    page.screenshot(path=ARTIFACTS / "traces.png", full_page=True)


def test_the_docs_site_opens_from_disk_with_every_mart_s_columns_described(browser, pipeline: PipelineRun) -> None:
    """docs/index.html of the publication (dbt docs generate --static): a dbt mart and a scipy mart, each column
    with the description its YAML gives."""
    site = (pipeline.publish_dir / "docs" / "index.html").as_uri()
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    for node, column, description in [
            ("model/model.score.kpi_change", "mean_pct_change", "Mean of (endline - baseline) / baseline * 100; null when no enterprise counts."),
            ("source/source.score.statistics.programme_summary", "pct_gain_gt1",
             "Share of the pairs whose global score rose by more than one point, in percent.")]:
        page.goto(f"{site}#!/{node}")
        row = page.locator("tr", has_text=column).first
        row.wait_for(timeout=60_000)
        assert description in row.inner_text()
    page.goto(f"{site}#!/overview")  # the landing page: the project's overview, not dbt's default one
    page.get_by_text("SCORE Training impact evaluation: the evaluation marts").wait_for(timeout=60_000)
    assert "Welcome!" not in page.locator("body").inner_text()
    page.screenshot(path=ARTIFACTS / "docs_site.png")


def test_the_field_checks_page_shows_the_flagged_evaluator(browser, pipeline: PipelineRun) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto((pipeline.warehouse.parent / "field_checks" / "pe" / "2018-midterm.html").as_uri())
    flagged = page.locator("tr.flag")
    assert flagged.count() == 1 and flagged.locator("td").first.inner_text() == "EV03"
    assert flagged.locator("td").first.evaluate("cell => getComputedStyle(cell).backgroundColor") == "rgb(255, 221, 221)"
    assert page.locator("#corrections + table tr").count() == 1 + 4  # header + the midterm log's four lines
    page.screenshot(path=ARTIFACTS / "field_checks.png", full_page=True)
