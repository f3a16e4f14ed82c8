"""The data team's field checks (contract 6): outliers, missing instruments and confirm lines by hand,
and the pages the sample's run wrote, against values read straight from the raw files."""

from __future__ import annotations

import statistics
from html.parser import HTMLParser

import duckdb
import pandas as pd
import pytest
from conftest import COLOMBIA_WAVES, SAMPLE_WAVES, PipelineRun
from reference import Reference, number

from score_pipeline.core.identifiers import normalise_ruc
from score_pipeline.quality.field_checks import (
    PANEL_INSTRUMENTS, PROFILE_NUMBERS, confirmed_cells, missing_instruments, outliers,
)


def long(rows: dict[str, float], number: str = "annual_sales") -> pd.DataFrame:
    return pd.DataFrame({"ruc": list(rows), "number": number, "value": list(rows.values())})


def test_the_wave_range_is_three_iqr_around_the_quartiles() -> None:
    values = {f"r{i}": v for i, v in enumerate([10, 11, 12, 13, 14, 15, 16, 17, 60, -30])}
    q1, _, q3 = statistics.quantiles(values.values(), n=4, method="inclusive")  # linear interpolation
    low, high = q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)  # 11.25, 16.75 -> -5.25 .. 33.25
    found, confirmed = outliers(long(values), None, set())
    assert sorted(found["ruc"]) == sorted(r for r, v in values.items() if v < low or v > high) == ["r8", "r9"]
    assert confirmed == 0 and set(found["rule"]) == {"wave range"}
    assert set(found["header"]) == {PROFILE_NUMBERS["annual_sales"]}


def test_a_tenfold_change_from_the_previous_wave_is_an_outlier() -> None:
    current = long({"a": 100.0, "b": 9.0, "c": 5.0, "d": 50.0, "e": 1.0})
    previous = long({"a": 10.0, "b": 100.0, "c": 0.0, "d": 5.01, "e": 10.0})
    found, _ = outliers(current, previous, set())
    flagged = set(found.loc[found["rule"] == "previous wave", "ruc"])
    # a: x10 is not over 10 times; b: 0.09 is under a tenth; c: previous 0, no ratio; d: 9.98x; e: exactly a tenth
    assert flagged == {"b"}


def test_a_confirm_line_silences_its_cell_only() -> None:
    values = {f"r{i}": v for i, v in enumerate([10, 11, 12, 13, 14, 15, 16, 17, 60, -30])}
    found, confirmed = outliers(long(values), None, {("r8", "annual_sales"), ("r9", "workers")})
    assert list(found["ruc"]) == ["r9"] and confirmed == 1


def test_confirmed_cells_come_from_applied_confirm_lines_on_profile_numbers() -> None:
    lines = pd.DataFrame([
        ("perfil_empresa", "20-08526683-8", "Ventas anuales (S/.)", "confirm", "applied"),  # RUC as typed
        ("perfil_empresa", "20085266838", "N° trabajadores", "confirm", "stale"),           # not applied
        ("perfil_empresa", "20085266838", "Planilla mensual (S/.)", "replace", "applied"),   # not a confirm
        ("perfil_empresa", "20085266838", "Región", "confirm", "applied"),                    # not a number
    ], columns=["instrument", "key", "column_name", "action", "status"])
    assert confirmed_cells(lines, normalise_ruc) == {("20085266838", "annual_sales")}


def test_missing_instruments_lists_what_each_enterprise_lacks() -> None:
    panel = pd.DataFrame({"ruc": ["a", "b", "c"], "business_name": ["A", "B", "C"]})
    present = pd.DataFrame([(i, "a") for i in PANEL_INSTRUMENTS] + [(PANEL_INSTRUMENTS[0], "b")],
                           columns=["instrument", "ruc"])
    missing = missing_instruments(panel, present).set_index("ruc")["missing"].to_dict()
    assert missing == {"b": ", ".join(PANEL_INSTRUMENTS[1:]), "c": ", ".join(PANEL_INSTRUMENTS)}


class Tables(HTMLParser):
    """The rows of each table of a page, by the id of the section heading before it."""

    def __init__(self) -> None:
        super().__init__()
        self.section, self.rows, self.classes, self.cell = "", {}, {}, None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "h2":
            self.section = attributes.get("id", "")
        elif tag == "tr":
            self.rows.setdefault(self.section, []).append([])
            self.classes.setdefault(self.section, []).append(attributes.get("class") or "")
        elif tag == "td":
            self.cell = ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.rows[self.section][-1].append(self.cell.strip())
            self.cell = None


def page(pipeline: PipelineRun, wave: str) -> Tables:
    parsed = Tables()
    parsed.feed((pipeline.warehouse.parent / "field_checks" / "pe" / f"{wave}.html").read_text(encoding="utf-8"))
    return parsed


@pytest.mark.parametrize("wave", ["2017-baseline", "2018-midterm", "2019-endline"])
def test_each_waves_page_lists_what_the_raw_files_give(pipeline: PipelineRun, reference: Reference, wave: str) -> None:
    tables = page(pipeline, wave)
    data = next(w for w in reference.waves if w.key == wave)
    profile_rucs = set(data.profile["ruc_n"].dropna())
    workers_rucs = set(data.workers_raw["ruc_n"].dropna())
    practices_rucs = set(data.practices_raw["ruc_n"].dropna())
    expected_missing = sorted(r for r in profile_rucs if r not in workers_rucs or r not in practices_rucs)
    listed = sorted(row[0] for row in tables.rows.get("missing", []) if row)
    assert listed == expected_missing
    # Outliers by the wave range, from the sheet as pandas reads it (no confirm line covers an outlier here)
    expected, listed = set(), set()
    for header in PROFILE_NUMBERS.values():
        values = data.profile.set_index("ruc_n")[header].map(number).dropna()
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        expected |= {(r, header) for r, v in values.items() if v < q1 - 3 * (q3 - q1) or v > q3 + 3 * (q3 - q1)}
    listed = {(row[0], row[1]) for row in tables.rows.get("outliers", []) if row and row[3] == "wave range"}
    assert listed == expected
    flagged = [row[0] for row, kind in zip(tables.rows.get("evaluators", []), tables.classes.get("evaluators", []))
               if row and kind == "flag"]
    assert flagged == (["EV03"] if wave == "2018-midterm" else [])  # the sample's calibration


@pytest.mark.parametrize("wave", ["2017-baseline", "2018-midterm"])
def test_the_pages_hold_each_log_line_with_its_status(pipeline: PipelineRun, wave: str) -> None:
    rows = [row for row in page(pipeline, wave).rows["corrections"] if row]
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
        stored = connection.execute("select log_line, status from raw.corrections where country = 'pe' and wave = ? "
                                    "order by log_line", [wave]).fetchall()
    assert [(int(row[0]), row[-1]) for row in rows] == stored and stored


def test_the_waves_run_links_its_page(pipeline: PipelineRun) -> None:
    """The page is in the metadata of the wave's `quality/field_checks` materialization (the UI links it)."""
    from dagster import AssetKey, DagsterInstance

    records = DagsterInstance.get().fetch_materializations(AssetKey(["quality", "field_checks"]), limit=20).records
    linked = {r.partition_key: r.asset_materialization.metadata["field_checks"].value for r in reversed(records)}
    assert linked == {f"{country}/{wave}": str(pipeline.warehouse.parent / "field_checks" / country / f"{wave}.html")
                      for country, waves in (("pe", SAMPLE_WAVES), ("co", COLOMBIA_WAVES)) for wave in waves}
