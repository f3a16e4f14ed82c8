"""The contract's spellings, one by one, and properties of the normalisers over any input."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from score_pipeline.ingest.instruments import EFFECTS
from score_pipeline.ingest.normalise import (
    Parsed, normalise_ruc, parse_choice, parse_number, parse_past_date, parse_practice_score,
    parse_satisfaction, parse_sex, parse_yes_no, ruc_check_digit, within,
)

# 20100123453: weights 5,4,3,2,7,6,5,4,3,2 over 2010012345 -> 10+0+3+0+0+6+10+12+12+10 = 63,
# 63 mod 11 = 8, 11 - 8 = 3 -> check digit 3 (worked by hand from the contract).
VALID = "20100123453"


def test_check_digit_worked_by_hand() -> None:
    assert ruc_check_digit("2010012345") == 3
    # 2000000001: 2*5 + 1*2 = 12, 12 mod 11 = 1, 11 - 1 = 10 -> 0
    assert ruc_check_digit("2000000001") == 0
    # 1000000003: 1*5 + 3*2 = 11, 11 mod 11 = 0, 11 - 0 = 11 -> 1
    assert ruc_check_digit("1000000003") == 1
    # 1000000000: 5, 11 - 5 = 6
    assert ruc_check_digit("1000000000") == 6


@pytest.mark.parametrize("spelling", [
    "20100123453", "20-10012345-3", " 20100123453 ", "2.0100123453E10", "2.0100123453e+10",
    20100123453, 20100123453.0,
])
def test_every_ruc_spelling_of_the_contract_normalises(spelling: object) -> None:
    assert normalise_ruc(spelling).value == VALID


@pytest.mark.parametrize("spelling,problem", [
    ("20100123454", "check digit"), ("2010012345", "not 11 digits"), ("30100123453", "prefix"),
    ("", "empty"), ("abc", "not 11 digits"), ("2.01E10", "check digit"), (None, "empty"),
])
def test_invalid_rucs_are_rejected_with_a_reason(spelling: object, problem: str) -> None:
    parsed = normalise_ruc(spelling)
    assert parsed.value is None and problem in parsed.problem


@pytest.mark.parametrize("raw,value", [
    ("7,050,000", 7050000.0), ("S/ 56,069.50", 56069.5), ("S/. 56,069.50", 56069.5), ("63%", 63.0),
    ("63.5 %", 63.5), (63, 63.0), (4.5, 4.5), ("12", 12.0), ("-5", -5.0),
])
def test_numbers_typed_as_text(raw: object, value: float) -> None:
    assert parse_number(raw) == (value, None)


@pytest.mark.parametrize("raw", ["ND", "nd", "-", "", "  ", None])
def test_not_available_is_null_without_a_problem(raw: object) -> None:
    assert parse_number(raw) == (None, None)


@pytest.mark.parametrize("raw", ["1,5", "abc", "7.050.000", "S/", "12 34", "--5"])
def test_numbers_that_are_not_numbers_are_rejected(raw: str) -> None:
    parsed = parse_number(raw)
    assert parsed.value is None and parsed.problem


@pytest.mark.parametrize("raw,value", [
    ("Deficiente", 1), ("regular", 2), ("BUENO", 3), (" Muy  bueno ", 4), ("Muy buéno", 4), ("Éxcelente", 5),
])
def test_satisfaction_labels_in_any_case_spacing_and_accents(raw: str, value: int) -> None:
    assert parse_satisfaction(raw) == (value, None)


@pytest.mark.parametrize("raw", ["NS/NR", "ns/nr", "", None])
def test_no_answer(raw: object) -> None:
    assert parse_satisfaction(raw) == (None, None)


@pytest.mark.parametrize("raw", ["Bueo", "4", "Muy bien", "Exelente"])
def test_other_labels_are_invalid(raw: str) -> None:
    assert parse_satisfaction(raw).problem


@pytest.mark.parametrize("raw,value", [("F", "F"), ("m", "M"), ("Mujer", "F"), ("HOMBRE", "M")])
def test_sex_spellings(raw: str, value: str) -> None:
    assert parse_sex(raw) == (value, None)


@pytest.mark.parametrize("raw,expected", [
    ("3", (3, "valid")), ("NA", (None, "not_applicable")), ("99", (None, "not_observed")),
    ("", (None, "not_asked")), ("0", (None, "invalid")), ("6", (None, "invalid")),
    ("3.5", (None, "invalid")), ("bueno", (None, "invalid")),
])
def test_practice_codes(raw: str, expected: tuple) -> None:
    assert parse_practice_score(raw) == expected


@pytest.mark.parametrize("raw,value", [("Sí", True), ("Si", True), ("SI", True), ("No", False), ("no", False)])
def test_yes_no(raw: str, value: bool) -> None:
    assert parse_yes_no(raw) == (value, None)


anything = st.one_of(st.text(), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans())


@given(anything)
def test_ruc_normaliser_never_raises(raw: object) -> None:
    parsed = normalise_ruc(raw)
    assert (parsed.value is None) != (parsed.problem is None)
    if parsed.value is not None:
        assert len(parsed.value) == 11 and ruc_check_digit(parsed.value[:10]) == int(parsed.value[10])


@given(st.sampled_from(["10", "15", "17", "20"]), st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_every_valid_ruc_round_trips_through_its_spellings(prefix: str, body: str) -> None:
    ruc = prefix + body + str(ruc_check_digit(prefix + body))
    for spelling in (ruc, f"{ruc[:2]}-{ruc[2:10]}-{ruc[10]}", f" {ruc} ", f"{ruc[0]}.{ruc[1:]}E10", int(ruc)):
        assert normalise_ruc(spelling).value == ruc


@given(anything)
def test_number_and_label_normalisers_never_raise(raw: object) -> None:
    for parse in (parse_number, parse_satisfaction, parse_sex, parse_yes_no):
        parsed = parse(raw)
        assert parsed.value is None or parsed.problem is None


NO_VALUE_SPELLINGS = {  # the contract's ways of saying "no value"; anything else is a value or a rejection
    parse_number: {"", "nd", "-"}, parse_satisfaction: {"", "ns/nr"}, parse_sex: {""}, parse_yes_no: {"", "nd", "-"},
}


@given(st.text())
def test_any_text_is_a_value_a_stated_rejection_or_a_no_value_spelling(raw: str) -> None:
    for parse, no_value in NO_VALUE_SPELLINGS.items():
        parsed = parse(raw)
        if parsed == (None, None):
            assert " ".join(raw.split()).lower() in no_value, (parse.__name__, raw)
        else:
            assert (parsed.value is None) == bool(parsed.problem) and (parsed.problem is None or repr(raw.strip()) in parsed.problem)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda x: round(x, 2)))
def test_money_round_trips(value: float) -> None:
    for spelling in (f"{value:,.2f}", f"S/ {value:,.2f}", f"{value}"):
        assert parse_number(spelling).value == pytest.approx(value)


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("raw,expected", [
    ("2019-05-14", Parsed(date(2019, 5, 14))), ("2019-05-14 00:00:00", Parsed(date(2019, 5, 14))),
    (datetime(2018, 3, 2, 9, 30), Parsed(date(2018, 3, 2))), (date(2017, 1, 31), Parsed(date(2017, 1, 31))),
    ("", Parsed(None)), (None, Parsed(None)), ("2026-11-25", Parsed(TODAY)),
    ("2026-11-26", Parsed(None, "date 2026-11-26 is in the future")),
    ("14/05/2019", Parsed(None, "'14/05/2019' is not a YYYY-MM-DD date")),
    ("2019-02-30", Parsed(None, "'2019-02-30' is not a YYYY-MM-DD date")),
])
def test_dates_and_dates_in_the_future(raw: object, expected: Parsed) -> None:
    assert parse_past_date(raw, today=TODAY) == expected


@pytest.mark.parametrize("raw,high,expected", [
    ("7,050,000", None, Parsed(7050000.0)), ("-7,050,000", None, Parsed(None, "'-7,050,000' is negative")),
    ("163%", 100.0, Parsed(None, "'163%' is above 100")), ("100 %", 100.0, Parsed(100.0)), ("0", 100.0, Parsed(0.0)),
    ("ND", 100.0, Parsed(None)), ("abc", None, Parsed(None, "'abc' is not a number")),
])
def test_amounts_and_shares_are_bounded(raw: str, high: float | None, expected: Parsed) -> None:
    assert within(parse_number(raw), raw, high) == expected


def test_the_cache_keeps_true_one_and_one_point_zero_apart() -> None:
    assert parse_number(1) == (1.0, None) and parse_number(1.0) == (1.0, None)
    assert parse_number(True).problem and parse_number(1) == (1.0, None)
    assert normalise_ruc(["20100123453"]).problem  # unhashable (a YAML list): parsed, not cached, not raised


@given(st.text())
def test_choice_practice_and_date_parsers_never_raise(raw: str) -> None:
    parsed = parse_choice(raw, EFFECTS)
    assert parsed.value is None or parsed.value in EFFECTS
    score, status = parse_practice_score(raw)
    assert (score is not None) == (status == "valid")
    day = parse_past_date(raw)
    assert (day.value is None) or (day.problem is None and day.value <= date.today())


@given(st.sampled_from(["Deficiente", "Regular", "Bueno", "Muy bueno", "Excelente"]),
       st.sampled_from([str.lower, str.upper, str.title, lambda t: f"  {t} ", lambda t: t.replace(" ", "   "),
                        lambda t: t.replace("e", "é", 1)]))
def test_satisfaction_labels_round_trip_through_any_case_spacing_or_accent(label: str, spell) -> None:
    expected = ["Deficiente", "Regular", "Bueno", "Muy bueno", "Excelente"].index(label) + 1
    assert parse_satisfaction(spell(label)) == (expected, None)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 1, 1)))
def test_past_dates_round_trip(day: date) -> None:
    assert parse_past_date(day.isoformat()) == (day, None)
    assert parse_past_date(datetime.combine(day, datetime.min.time())) == (day, None)
