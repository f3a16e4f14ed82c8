"""The contract's spellings, one by one, and properties of the normalisers over any input."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from score_pipeline.core.cells import Parsed
from score_pipeline.core.identifiers import normalise_ruc, ruc_check_digit
from score_pipeline.ingest.instruments.self_assessment import EFFECTS
from score_pipeline.ingest.normalise import (
    QUANTITY_KINDS, currency_of, date_order, is_contract_timestamp, parse_choice, parse_past_date, parse_practice_score,
    parse_quantity, parse_satisfaction, parse_sex, parse_timestamp, parse_yes_no, within,
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
    20100123453, 20100123453.0, "20.100.123.453",  # dots as separators: contract 7
])
def test_every_ruc_spelling_of_the_contract_normalises(spelling: object) -> None:
    assert normalise_ruc(spelling).value == VALID

PEN = currency_of("PEN", "pe")


@pytest.mark.parametrize("spelling,problem", [
    ("20100123454", "check digit"), ("2010012345", "not 11 digits"), ("30100123453", "prefix"),
    ("", "empty"), ("abc", "not 11 digits"), ("2.01E10", "check digit"), (None, "empty"),
])
def test_invalid_rucs_are_rejected_with_a_reason(spelling: object, problem: str) -> None:
    parsed = normalise_ruc(spelling)
    assert parsed.value is None and problem in parsed.problem


@pytest.mark.parametrize("raw,kind,value", [
    ("7,050,000", "money", 7050000.0), ("S/ 56,069.50", "money", 56069.5), ("S/. 56,069.50", "money", 56069.5),
    ("63%", "percent", 63.0), ("63.5 %", "percent", 63.5), (63, "percent", 63.0),
    (4.5, "money", 4.5), ("12", "count", 12.0), ("-5", "count", -5.0), (33.0, "count", 33.0),
])
def test_numbers_typed_as_text(raw: object, kind: str, value: float) -> None:
    assert parse_quantity(raw, kind, PEN) == (value, None)


# Contract 2.2, written out: the ISO code (any case) or the local symbol (`S/`, also `S/.`; `$` for COP; `Bs` for BOB).
@pytest.mark.parametrize("code,territory,markers", [
    ("PEN", "pe", {"PEN", "S/", "S/."}), ("COP", "co", {"COP", "$"}), ("BOB", "bo", {"BOB", "Bs"}),
])
def test_a_currency_is_marked_by_its_code_or_its_local_symbol(code: str, territory: str, markers: set[str]) -> None:
    assert set(currency_of(code, territory).markers) == markers


@pytest.mark.parametrize("raw,code,territory,value", [
    ("COP 38,282,683.00", "COP", "co", 38282683.0), ("$ 13,693.79", "COP", "co", 13693.79),
    ("38,282,683.00 cop", "COP", "co", 38282683.0), ("13,693.79$", "COP", "co", 13693.79),
    ("S/ 56,069.50", "PEN", "pe", 56069.5), ("56,069.50 S/.", "PEN", "pe", 56069.5), ("pen 7,050,000", "PEN", "pe", 7050000.0),
    ("Bs 1,200", "BOB", "bo", 1200.0), ("1,200 BOB", "BOB", "bo", 1200.0),
])
def test_money_marked_with_the_country_s_currency_is_read(raw: str, code: str, territory: str, value: float) -> None:
    assert parse_quantity(raw, "money", currency_of(code, territory)) == (value, None)


@pytest.mark.parametrize("raw,code,territory,marker", [
    ("US$ 13,693.79", "PEN", "pe", "US$"), ("USD 500", "PEN", "pe", "USD"), ("$ 500", "PEN", "pe", "$"),
    ("500 €", "PEN", "pe", "€"), ("COP 5,000", "PEN", "pe", "COP"), ("S/ 5,000", "COP", "co", "S/"),
    ("US$ 500", "COP", "co", "US$"), ("PEN 500", "COP", "co", "PEN"), ("$ 500", "BOB", "bo", "$"),
])
def test_another_currency_s_marker_makes_the_cell_invalid(raw: str, code: str, territory: str, marker: str) -> None:
    parsed = parse_quantity(raw, "money", currency_of(code, territory))
    assert parsed.value is None and f"is not an amount in {code}: {marker!r}" in parsed.problem


@pytest.mark.parametrize("raw", ["ND", "nd", "-", "", "  ", None])
@pytest.mark.parametrize("kind", QUANTITY_KINDS)
def test_not_available_is_null_without_a_problem(raw: object, kind: str) -> None:
    assert parse_quantity(raw, kind, PEN) == (None, None)


@pytest.mark.parametrize("raw", ["1,5", "abc", "7.050.000", "S/", "12 34", "--5"])
def test_numbers_that_are_not_numbers_are_rejected(raw: str) -> None:
    parsed = parse_quantity(raw, "money", PEN)
    assert parsed.value is None and parsed.problem


@pytest.mark.parametrize("raw,kind,problem", [
    ("12%", "count", "'12%' is a percentage, not a count"), ("12 %", "money", "'12 %' is a percentage, not an amount"),
    ("S/ 12", "count", "'S/ 12' is an amount of money, not a count"),
    ("S/ 63", "percent", "'S/ 63' is an amount of money, not a percentage"),
    ("12.5", "count", "'12.5' is not a whole count"), (12.5, "count", "'12.5' is not a whole count"),
    ("US$ 12", "count", "'US$ 12' is an amount of money, not a count"),
])
def test_a_unit_of_another_kind_is_rejected(raw: object, kind: str, problem: str) -> None:
    assert parse_quantity(raw, kind, PEN) == (None, problem)


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


def parse_money(raw: object) -> Parsed[float]:
    return parse_quantity(raw, "money", PEN)


@given(st.text(), st.sampled_from([None, "dmy", "mdy"]))
def test_dates_and_times_never_raise(raw: str, order: str | None) -> None:
    for parsed in (parse_past_date(raw, today=TODAY, order=order), parse_timestamp(raw, LIMA, order, now=NOW)):
        assert (parsed.value is None) != (parsed.problem is None) or parsed == (None, None)


@given(anything)
def test_number_and_label_normalisers_never_raise(raw: object) -> None:
    for parse in (parse_money, parse_satisfaction, parse_sex, parse_yes_no):
        parsed = parse(raw)
        assert parsed.value is None or parsed.problem is None


NO_VALUE_SPELLINGS = {  # the contract's ways of saying "no value"; anything else is a value or a rejection
    parse_money: {"", "nd", "-"}, parse_satisfaction: {"", "ns/nr"}, parse_sex: {""}, parse_yes_no: {"", "nd", "-"},
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
        assert parse_quantity(spelling, "money", PEN).value == pytest.approx(value)


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("raw,expected", [
    ("2019-05-14", Parsed(date(2019, 5, 14))), ("2019-05-14 00:00:00", Parsed(date(2019, 5, 14))),
    (datetime(2018, 3, 2, 9, 30), Parsed(date(2018, 3, 2))), (date(2017, 1, 31), Parsed(date(2017, 1, 31))),
    ("", Parsed(None)), (None, Parsed(None)), ("2026-11-25", Parsed(TODAY)),
    ("2026-11-26", Parsed(None, "date 2026-11-26 is in the future")),
    ("14/05/2019", Parsed(date(2019, 5, 14))), ("14-may-2019", Parsed(date(2019, 5, 14))),
    ("14-Ago-19", Parsed(date(2019, 8, 14))), ("43599", Parsed(date(2019, 5, 14))), (43599, Parsed(date(2019, 5, 14))),
    ("05/06/2019", Parsed(None, "'05/06/2019' is ambiguous: day/month or month/day (no date of its column has a "
                                "number above 12 to tell)")),
    ("06/06/2019", Parsed(date(2019, 6, 6))),
    ("2019-02-30", Parsed(None, "'2019-02-30' is not a valid date")), ("31/02/2019", Parsed(None, "'31/02/2019' is not a valid date")),
    ("mayo 2019", Parsed(None, "'mayo' is not a date (YYYY-MM-DD, DD/MM/YYYY)")),
])
def test_dates_and_dates_in_the_future(raw: object, expected: Parsed) -> None:
    assert parse_past_date(raw, today=TODAY) == expected


def test_a_columns_dates_settle_the_day_month_order() -> None:
    assert date_order(["14/06/2017", "05/06/2017", ""]) == "dmy"
    assert date_order(["6/14/2017 3:22 PM", "6/5/2017 9:00 AM"]) == "mdy"
    assert date_order(["05/06/2017", "2017-06-14"]) is None  # nothing past 12
    assert date_order(["14/06/2017", "06/14/2017"]) is None  # the column contradicts itself
    assert parse_past_date("05/06/2017", today=TODAY, order="dmy") == Parsed(date(2017, 6, 5))
    assert parse_past_date("05/06/2017", today=TODAY, order="mdy") == Parsed(date(2017, 5, 6))


LIMA = ZoneInfo("America/Lima")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw,order,expected", [
    ("2017-06-14T15:22:03.000-05:00", None, datetime(2017, 6, 14, 20, 22, 3, tzinfo=timezone.utc)),
    ("2017-06-14 15:22:03", None, datetime(2017, 6, 14, 20, 22, 3, tzinfo=timezone.utc)),  # Lima is UTC-5
    ("14/06/2017 15:22", None, datetime(2017, 6, 14, 20, 22, tzinfo=timezone.utc)),
    ("6/14/2017 3:22 PM", None, datetime(2017, 6, 14, 20, 22, tzinfo=timezone.utc)),
    ("6/5/2017 12:05 AM", "mdy", datetime(2017, 6, 5, 5, 5, tzinfo=timezone.utc)),
    ("2017-06-14T15:22:03Z", None, datetime(2017, 6, 14, 15, 22, 3, tzinfo=timezone.utc)),
])
def test_submission_times_as_exported_or_resaved(raw: str, order: str | None, expected: datetime) -> None:
    assert parse_timestamp(raw, LIMA, order, now=NOW) == Parsed(expected)


@pytest.mark.parametrize("raw,problem", [
    ("", "_submission_time is empty"), ("ayer", "_submission_time 'ayer' is not a date and time"),
    ("14/06/2017 25:61", "_submission_time '14/06/2017 25:61' is not a date and time"),
    ("2099-01-01T00:00:00-05:00", "_submission_time '2099-01-01T00:00:00-05:00' is in the future"),
    ("05/06/2017 10:00", "_submission_time: '05/06/2017' is ambiguous"),
])
def test_submission_times_that_cannot_be_read(raw: str, problem: str) -> None:
    parsed = parse_timestamp(raw, LIMA, None, now=NOW)
    assert parsed.value is None and parsed.problem.startswith(problem)


@pytest.mark.parametrize("raw,high,expected", [
    ("7,050,000", None, Parsed(7050000.0)), ("-7,050,000", None, Parsed(None, "'-7,050,000' is negative")),
    ("163%", 100.0, Parsed(None, "'163%' is above 100")), ("100 %", 100.0, Parsed(100.0)), ("0", 100.0, Parsed(0.0)),
    ("ND", 100.0, Parsed(None)), ("abc", None, Parsed(None, "'abc' is not a number")),
])
def test_amounts_and_shares_are_bounded(raw: str, high: float | None, expected: Parsed) -> None:
    assert within(parse_quantity(raw, "percent" if high else "money", PEN), raw, high) == expected


def test_the_cache_keeps_true_one_and_one_point_zero_apart() -> None:
    assert parse_quantity(1, "count") == (1.0, None) and parse_quantity(1.0, "count") == (1.0, None)
    assert parse_quantity(True, "count").problem and parse_quantity(1, "count") == (1.0, None)
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
