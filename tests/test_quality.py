"""The GX suites fail on purpose-built bad frames, with the right severity; types are checked
against the warehouse."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME
from score_pipeline.ingest.validation import resolve, shared_values, type_problems, validate
from score_pipeline.settings import EXPECTATIONS_DIR

GOOD_PROFILE = {
    "wave": "2017-baseline", "ruc": "20100123453", "business_name": "X", "region": "Lima", "sector": "Textil",
    "size": "Pequeña", "cost_structure": "Mano de obra", "workers": 30.0, "female_workers": 10.0,
    "annual_sales": 1e6, "monthly_payroll": 5e4, "capacity_use_pct": 60.0, "work_accidents": 2.0,
    "absenteeism_pct": 4.0, "staff_turnover_pct": 10.0, "defective_products_pct": 3.0,
    "raw_material_waste_pct": 5.0, "unit_cost": 12.0, "uses_productivity_indicators": True,
    "gender_equality_policy": False, "registered_on": None, "source_row": 4,
}


def failing(frame: pd.DataFrame, instrument: str, severity: str) -> set[str]:
    return {o.label for o in validate(instrument, frame).failures(severity)}


def test_a_good_profile_row_passes_every_expectation() -> None:
    validation = validate("perfil_empresa", pd.DataFrame([GOOD_PROFILE]))
    assert validation.failures("error") == [] and validation.failures("warn") == []


def test_structural_failures_are_errors() -> None:
    frame = pd.DataFrame([GOOD_PROFILE, {**GOOD_PROFILE, "source_row": 5}, {**GOOD_PROFILE, "ruc": "2010012345"}])
    assert failing(frame, "perfil_empresa", "error") == {
        "expect_column_values_to_be_unique(ruc)", "expect_column_values_to_match_regex(ruc)"}


def test_content_failures_are_warnings() -> None:
    """What ingest lets through but a data manager should look at: a firm of no workers, a turnover
    above 100 % (possible, more leavers than the average headcount, and worth a second look)."""
    bad = {**GOOD_PROFILE, "workers": 0.0, "female_workers": 0.0, "staff_turnover_pct": 150.0}
    assert failing(pd.DataFrame([bad]), "perfil_empresa", "warn") == {
        "expect_column_values_to_be_between(workers)", "expect_column_values_to_be_between(staff_turnover_pct)"}
    assert failing(pd.DataFrame([bad]), "perfil_empresa", "error") == set()


def test_the_rules_the_suites_leave_to_ingest_are_enforced_by_ingest() -> None:
    """The content suites do not repeat what the parsers already guarantee (issue 12): each such value
    is refused by ingest, so it can never reach a raw table for GX to find."""
    from score_pipeline.ingest.instruments.common import one_of, rating
    from score_pipeline.ingest.instruments.profile import SIZES
    from score_pipeline.ingest.instruments.self_assessment import EFFECTS, INFLUENCE
    from score_pipeline.ingest.instruments.worker_survey import AGE_BANDS, TENURE_BANDS
    from score_pipeline.ingest.normalise import (
        currency_of, parse_choice, parse_practice_score, parse_quantity, parse_satisfaction, parse_sex, within,
    )

    assert one_of(SIZES)("Grande").problem and rating("6").problem
    assert parse_choice("quizas", EFFECTS).problem and parse_choice("poco", INFLUENCE).problem
    assert parse_satisfaction("7").problem and parse_sex("X").problem
    assert one_of(AGE_BANDS)("17-25").problem and one_of(TENURE_BANDS)("1-Mar").problem
    assert parse_practice_score("7") == (None, "invalid")
    assert within(parse_quantity("-5", "money", currency_of("PEN", "pe")), "-5").problem
    assert within(parse_quantity("120", "percent"), "120", 100.0).problem


def test_an_empty_table_fails_the_row_count() -> None:
    empty = pd.DataFrame(columns=list(GOOD_PROFILE))
    assert "expect_table_row_count_to_be_between" in failing(empty, "perfil_empresa", "error")


def test_practice_duplicates_and_an_unknown_evaluator_code() -> None:
    row = {"wave": "w", "ruc": "20100123453", "practice_id": "m1_com_01", "score": 3, "answer_status": "valid",
           "submitted_at": pd.Timestamp("2017-06-01", tz="UTC"), "evaluator": "EV01"}
    frame = pd.DataFrame([row, row, {**row, "practice_id": "m1_com_02", "score": 5, "evaluator": "EV1"}])
    assert failing(frame, "practicas_gestion", "error") == {"expect_compound_columns_to_be_unique(ruc,practice_id)"}
    assert failing(frame, "practicas_gestion", "warn") == {"expect_column_values_to_match_regex(evaluator)"}


def test_a_missing_column_is_reported_not_raised() -> None:
    frame = pd.DataFrame([{k: v for k, v in GOOD_PROFILE.items() if k != "workers"}])
    validation = validate("perfil_empresa", frame)
    broken = [o for o in validation.outcomes if o.column == "workers"]
    assert broken and not broken[0].success and broken[0].error


@pytest.mark.parametrize("actual,problem", [
    ({"ruc": "VARCHAR"}, "column is missing"),
    ({"ruc": "INTEGER", "wave": "VARCHAR"}, "INTEGER, expected VARCHAR"),
])
def test_types_are_checked_against_the_warehouse(actual: dict[str, str], problem: str) -> None:
    declared = {"wave": "VARCHAR", "ruc": "VARCHAR"}
    problems = type_problems(declared, actual)
    assert len(problems) == 1 and problems[0].error == problem
    assert type_problems(INSTRUMENTS_BY_NAME["perfil_empresa"].columns, INSTRUMENTS_BY_NAME["perfil_empresa"].columns) == []


def test_suites_take_the_rules_they_share_with_ingest_from_the_code() -> None:
    """One home: no suite copies a shared value literally (the RUC prefixes once stood in seven places)."""
    shared = shared_values()
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        for expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            for key in ("regex", "value_set"):
                literal = expectation["kwargs"].get(key)
                assert literal is None or isinstance(literal, dict) or literal not in shared.values(), (path.name, literal)


@pytest.mark.parametrize("ruc,matches", [
    ("10100123450", True), ("15100123450", True), ("17100123450", True), ("20100123453", True),  # contract 2's prefixes
    ("11100123450", False), ("2010012345", False), ("201001234533", False),
])
def test_the_derived_ruc_pattern_is_the_contracts(ruc: str, matches: bool) -> None:
    frame = pd.DataFrame([{**GOOD_PROFILE, "ruc": ruc}])
    assert ("expect_column_values_to_match_regex(ruc)" not in failing(frame, "perfil_empresa", "error")) == matches


def test_an_unknown_shared_value_is_named() -> None:
    with pytest.raises(KeyError, match="names an unknown shared value 'sizes_v2'"):
        resolve({"kwargs": {"value_set": {"derived": "sizes_v2"}}}, shared_values(), "perfil_empresa")
