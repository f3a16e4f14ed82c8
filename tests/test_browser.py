"""A real browser (Debian's chromium, driven by playwright): the Dagster UI on a materialized
instance, and the report. Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PipelineRun

from score_pipeline.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).with_name("artifacts")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

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


@pytest.fixture(scope="module")
def webserver(pipeline: PipelineRun) -> Iterator[str]:
    """dagster-webserver on 127.0.0.1 against the session's materialized instance."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("the webserver did not start")
        graphql(base, "mutation { setNuxSeen }")  # the community dialog would cover the page
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_lineage_from_a_raw_instrument_to_the_headline(browser, webserver: str) -> None:
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


def test_checks_and_partitions_of_an_ingest_asset(browser, webserver: str) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{webserver}/assets/raw/management_practices?view=checks")
    page.get_by_text("structure", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("content", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("Passed").first.wait_for(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "checks.png")
    page.goto(f"{webserver}/assets/raw/management_practices?view=partitions")
    for wave in ("2017-baseline", "2018-midterm", "2019-endline"):
        page.get_by_text(wave).first.wait_for(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "partitions.png")


def test_the_report_renders_its_charts_and_tables(browser, pipeline: PipelineRun) -> None:
    report = pipeline.publish_dir / "report.html"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(report.as_uri())
    assert page.locator("section svg").count() >= 5
    assert page.locator("section table").count() >= 8
    assert page.get_by_text("Headline indicators").count() == 1
    assert "3.06" in page.locator("section").first.inner_text()
    page.screenshot(path=ARTIFACTS / "report.png", full_page=True)
