"""The data team's field checks (contract 6): outliers, missing instruments and confirm lines by hand,
and the pages the sample's run wrote, against values read straight from the raw files."""

from __future__ import annotations

import statistics
from html.parser import HTMLParser

import duckdb
import pandas as pd
import pytest
from conftest import COLOMBIA_WAVES, GHANA_RAW, GHANA_WAVES, SAMPLE_WAVES, PipelineRun
from reference import Country, CountryReference, Reference, number, read_csv

from score_pipeline.core.identifiers import normalise_ruc
from score_pipeline.quality.field_checks import (
    PANEL_INSTRUMENTS, PROFILE_NUMBERS, attrition_so_far, confirmed_cells, contaminated, missing_instruments, outliers,
    without_arm,
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


def page(pipeline: PipelineRun, wave: str, country: str = "pe") -> Tables:
    parsed = Tables()
    parsed.feed((pipeline.warehouse.parent / "field_checks" / country / f"{wave}.html").read_text(encoding="utf-8"))
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
                      for country, waves in (("pe", SAMPLE_WAVES), ("co", COLOMBIA_WAVES), ("gh", GHANA_WAVES))
                      for wave in waves}


# -- contract 8: the design's checks --------------------------------------------------------------------------

ARMS_BY_HAND = pd.DataFrame({"ruc": ["t1", "t2", "t3", "c1", "c2", "c3", "c4"],
                             "arm": ["tratamiento"] * 3 + ["comparacion"] * 4})


def test_an_enterprise_the_frame_does_not_list_has_no_arm() -> None:
    panel = pd.DataFrame({"ruc": ["t1", "c1", "x"], "business_name": ["T1", "C1", "X"]})
    assert without_arm(panel, ARMS_BY_HAND).to_dict("records") == [{"ruc": "x", "business_name": "X"}]


def test_a_comparison_enterprise_with_training_records_is_contaminated() -> None:
    panel = pd.DataFrame({"ruc": ["t1", "c1", "c2"], "business_name": ["T1", "C1", "C2"]})
    training = pd.DataFrame({"ruc": ["t1", "c2", "c2", "c4"], "module": [1, 2, 1, 1]})  # t1 treated: not contaminated
    found = contaminated(panel, ARMS_BY_HAND, training)
    assert found.to_dict("records") == [{"ruc": "c2", "business_name": "C2", "modules": "1, 2"},
                                        {"ruc": "c4", "business_name": None, "modules": "1"}]  # c4 not in this sheet
    assert contaminated(panel, ARMS_BY_HAND.iloc[0:0], training).empty  # no frame, no arm


def test_attrition_so_far_follows_the_arms_scored_at_the_first_wave() -> None:
    # treated: t1, t2 scored first, t1 now: 1 - 1/2 = 50 %; comparison: c1, c2, c3 first (c4 contaminated aside),
    # c1, c2, c3 now: 0 %; t3 scored now only: not followed
    found = attrition_so_far(ARMS_BY_HAND, {"c4"}, {"t1", "t2", "c1", "c2", "c3", "c4"}, {"t1", "t3", "c1", "c2", "c3"})
    assert found.to_dict("records") == [
        {"arm": "tratamiento", "n_first_wave": 2, "n_this_wave": 1, "attrition_pct": 50.0},
        {"arm": "comparacion", "n_first_wave": 3, "n_this_wave": 3, "attrition_pct": 0.0}]
    nobody = attrition_so_far(ARMS_BY_HAND, set(), set(), set())
    assert nobody["n_first_wave"].tolist() == [0, 0] and nobody["attrition_pct"].isna().all()


@pytest.fixture(scope="module")
def ghana() -> CountryReference:
    return CountryReference(Country.read(GHANA_RAW), None)


@pytest.mark.parametrize("wave", GHANA_WAVES)
def test_ghanas_pages_show_its_design_from_the_raw_files(pipeline: PipelineRun, ghana: CountryReference, wave: str) -> None:
    tables = page(pipeline, wave, "gh")
    data = next(w for w in ghana.waves if w.key == wave)
    profile = {r.ruc_n for r in data.profile_extract.loaded()}
    arms = ghana.arms  # the frame's accepted rows, read from muestra.csv
    assert [row[0] for row in tables.rows.get("without-arm", []) if row] == sorted(profile - set(arms))
    trained = {r.ruc_n for r in data.training_extract.loaded()}
    tainted = sorted(r for r in trained if arms.get(r) == "comparacion")
    assert [row[0] for row in tables.rows["contaminated"] if row] == tainted and tainted
    scored_first, scored_now = (set(ghana.scores[w]["global"].dropna().index) for w in (GHANA_WAVES[0], wave))
    for arm, (name, first, now, pct) in zip(("tratamiento", "comparacion"), (r for r in tables.rows["attrition"] if r)):
        followed = {r for r, a in arms.items() if a == arm and r not in tainted} & scored_first
        assert (name, int(first), int(now)) == (arm, len(followed), len(followed & scored_now))
        assert float(pct) == pytest.approx(round((1 - len(followed & scored_now) / len(followed)) * 100, 1))
    # a code typed twice in one enterprise: counted per enterprise from the file, the code itself never shown
    survey = read_csv(GHANA_RAW / wave / "encuesta_trabajadores.csv", ";")
    codes = survey.assign(ruc=survey["RUC"].map(ghana.country.identifier),
                          code=survey["Código trabajador"].fillna("").str.strip().str.upper())
    codes = codes[(codes["code"] != "") & codes["ruc"].isin(ghana.known)]
    repeated = codes[codes.duplicated(["ruc", "code"], keep=False)].groupby("ruc").size()
    assert [(row[0], int(row[1])) for row in tables.rows.get("repeated-codes", []) if row] == sorted(repeated.items())
    html = (pipeline.warehouse.parent / "field_checks" / "gh" / f"{wave}.html").read_text(encoding="utf-8")
    assert not any(code in html for code in codes["code"])  # no worker code anywhere on the page


def test_a_country_without_a_frame_says_so(pipeline: PipelineRun) -> None:
    tables = page(pipeline, SAMPLE_WAVES[0])
    assert not tables.rows.get("without-arm") and not tables.rows.get("attrition")
    assert "has no sample frame" in (pipeline.warehouse.parent / "field_checks" / "pe" / f"{SAMPLE_WAVES[0]}.html").read_text(encoding="utf-8")
