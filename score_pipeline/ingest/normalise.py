"""Pure normalisers for the raw extracts' values, as the contract (section 2) spells them.

Every function takes whatever a reader produced (text, a number from an Excel
cell, None) and returns a :class:`Parsed` (core/cells.py): the normalised value, or None with
``problem`` saying why the raw value was rejected. None with no problem means
"no value" (`ND`, `NS/NR`, an empty cell). They never raise on bad input.
Enterprise identifiers are read by core/identifiers.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple

from score_pipeline.core.cells import Parsed, as_text, memoised

SATISFACTION_LABELS = {"deficiente": 1, "regular": 2, "bueno": 3, "muy bueno": 4, "excelente": 5}
NO_ANSWER_LABELS = {"", "ns/nr"}
SEX_LABELS = {"f": "F", "mujer": "F", "m": "M", "hombre": "M"}
YES_NO_LABELS = {"si": True, "no": False}
NOT_AVAILABLE = {"", "nd", "-"}

PRACTICE_STATUS_BY_CODE = {"NA": "not_applicable", "99": "not_observed", "": "not_asked"}
ANSWER_STATUSES = ("valid", *PRACTICE_STATUS_BY_CODE.values(), "invalid")

_THOUSANDS_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_PERCENT_SUFFIX = re.compile(r"\s*%$")
QUANTITY_KINDS = ("count", "money", "percent")

MONTHS = {"ene": 1, "jan": 1, "feb": 2, "mar": 3, "abr": 4, "apr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8,
          "aug": 8, "sep": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12, "dec": 12}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_NAMED_MONTH_DATE = re.compile(r"^(\d{1,2})[-/ .]([a-z]{3})[a-z]*\.?[-/ .](\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([ap]\.?\s?m\.?)?$")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
EXCEL_EPOCH = date(1899, 12, 30)


def plain(raw: object) -> str:
    """Lower case, inner runs of spaces collapsed, accents kept: how "no value" spellings are matched.
    (Matching them on the folded label would take a cell of bare combining marks for an empty one.)"""
    return " ".join(as_text(raw).lower().split())


@memoised
def fold_label(raw: object) -> str:
    """Lower case, accents removed, inner runs of spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", as_text(raw))
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_accents.lower().split())


@dataclass(frozen=True)
class Currency:
    """A currency as a money cell may mark it (contract 2.2): its ISO 4217 code (any case) or its local symbol,
    CLDR's in the country's first official language, before or after the number. `markers` as written, longest
    first (`S/.` is tried before `S/`)."""

    code: str
    markers: tuple[str, ...]

    def names(self) -> str:
        """`PEN, S/. or S/`: the markers, for a message."""
        return ", ".join(self.markers[:-1]) + f" or {self.markers[-1]}" if len(self.markers) > 1 else self.code


# The contract's own spellings of a currency beside CLDR's symbol: `S/.` for PEN (2.2), `US$` for the training
# records' dollars (2.5: "US$500 per module").
CONTRACT_SPELLINGS = {"PEN": ("S/.",), "USD": ("US$",)}


@lru_cache(maxsize=None)
def currency_of(code: str, territory: str) -> Currency:
    """The markers of `code` in a country (ISO 3166 alpha-2 `territory`): the code, its CLDR symbol in the
    territory's first official language, and the contract's own spellings of it."""
    from babel.core import Locale, UnknownLocaleError
    from babel.languages import get_official_languages
    from babel.numbers import get_currency_symbol

    languages = get_official_languages(territory.upper())
    try:
        symbol = get_currency_symbol(code, locale=Locale.parse(f"{languages[0]}_{territory.upper()}")) if languages else code
    except UnknownLocaleError:
        symbol = get_currency_symbol(code, locale=languages[0])
    markers = {code, symbol, *CONTRACT_SPELLINGS.get(code, ())}
    return Currency(code, tuple(sorted(markers, key=lambda m: (-len(m), m))))


_MARKED_NUMBER = re.compile(r"^(?P<before>[^\d.,+-]*?)\s*(?P<number>[+-]?[\d.,]*\d[\d.,]*)\s*(?P<after>\D*?)$")


def _strip_marker(text: str, currency: Currency | None) -> tuple[str, bool]:
    """The text without the currency's marker before or after the number, and whether it had one."""
    if currency is None:
        return text, False
    lowered = text.lower()
    for marker in (m.lower() for m in currency.markers):
        if lowered.startswith(marker) and not lowered[len(marker):len(marker) + 1].isalpha():
            return text[len(marker):].strip(), True
        if lowered.endswith(marker) and not lowered[-len(marker) - 1:-len(marker)].isalpha():
            return text[:-len(marker)].strip(), True
    return text, False


def _other_marker(body: str) -> str | None:
    """The marker written beside a number that is not the expected one (`US$` in `US$ 500`), if the text is a
    number with words or symbols around it."""
    match = _MARKED_NUMBER.match(body)
    if not match:
        return None
    marker = " ".join(part for part in (match["before"].strip(), match["after"].strip()) if part)
    return marker or None


def looks_like_money(marker: str) -> bool:
    """A currency symbol (`$`, `€`, `₵`), an ISO 4217 code, or a symbol with a slash (`S/`)."""
    from babel.numbers import list_currencies

    return (any(unicodedata.category(ch) == "Sc" for ch in marker) or "/" in marker
            or marker.strip(".").upper() in list_currencies())


class NumberParts(NamedTuple):
    value: float | None
    problem: str | None = None
    currency_marker: str | None = None  # written beside the number: the expected currency's, or another's
    marked_as_expected: bool = False
    percent: bool = False


def _number_parts(raw: object, currency: Currency | None) -> NumberParts:
    """A cell's number and what is written beside it."""
    if isinstance(raw, bool):
        return NumberParts(None, f"{raw!r} is not a number")
    if isinstance(raw, (int, float)):
        return NumberParts(None if raw != raw else float(raw))
    text = as_text(raw)
    if text.lower() in NOT_AVAILABLE:
        return NumberParts(None)
    percent = _PERCENT_SUFFIX.search(text) is not None
    body, marked = _strip_marker(_PERCENT_SUFFIX.sub("", text).strip(), currency)
    if _THOUSANDS_NUMBER.match(body):
        body = body.replace(",", "")
    if _PLAIN_NUMBER.match(body):
        return NumberParts(float(body), None, currency.code if marked else None, marked, percent)
    other = _other_marker(body)
    if other is not None and looks_like_money(other):
        return NumberParts(None, f"{text!r} is not a number", other, False, percent)
    return NumberParts(None, f"{text!r} is not a number", None, marked, percent)


@memoised
def parse_quantity(raw: object, kind: str, currency: Currency | None = None) -> Parsed[float]:
    """A number of a known kind: a `count` (whole, no unit), `money` in `currency` (its marker allowed before or
    after the number, any other currency's marker invalid: contract 2.2) or a `percent` (a `%` allowed). A
    unit of another kind (`12%` in a count, `S/ 63` in a share) is a typing or formatting error, rejected
    rather than read as a plain number."""
    if kind not in QUANTITY_KINDS:
        raise ValueError(f"unknown quantity kind {kind!r}")
    if kind == "money" and currency is None:
        raise ValueError("an amount of money is read in a currency")
    parts = _number_parts(raw, currency)
    text = as_text(raw)
    if parts.percent and kind != "percent":
        return Parsed(None, f"{text!r} is a percentage, not {'a count' if kind == 'count' else 'an amount'}")
    if parts.currency_marker and kind != "money":
        return Parsed(None, f"{text!r} is an amount of money, not {'a count' if kind == 'count' else 'a percentage'}")
    if parts.currency_marker and not parts.marked_as_expected:
        return Parsed(None, f"{text!r} is not an amount in {currency.code}: {parts.currency_marker!r} is not its marker "
                            f"({currency.names()}); an amount is never converted")
    if parts.problem or parts.value is None:
        return Parsed(None, parts.problem)
    if kind == "count" and not parts.value.is_integer():
        return Parsed(None, f"{text!r} is not a whole count")
    return Parsed(parts.value)


def within(parsed: Parsed[float], raw: object, high: float | None = None) -> Parsed[float]:
    """A parsed amount, count or share kept only from 0 to `high`: a negative amount or a share
    above 100 % is a typing error, rejected rather than averaged into a figure."""
    if parsed.value is None:
        return parsed
    if parsed.value < 0:
        return Parsed(None, f"{as_text(raw)!r} is negative")
    if high is not None and parsed.value > high:
        return Parsed(None, f"{as_text(raw)!r} is above {high:g}")
    return parsed


@memoised
def parse_yes_no(raw: object) -> Parsed[bool]:
    if plain(raw) in NOT_AVAILABLE:
        return Parsed(None)
    label = fold_label(raw)
    if label in YES_NO_LABELS:
        return Parsed(YES_NO_LABELS[label])
    return Parsed(None, f"{as_text(raw)!r} is not Sí or No")


@memoised
def parse_satisfaction(raw: object) -> Parsed[int]:
    """A worker's hand-typed answer (`Muy bueno`, ` muy  BUENO `) as 1..5; `NS/NR` or empty: no answer."""
    if plain(raw) in NO_ANSWER_LABELS:
        return Parsed(None)
    label = fold_label(raw)
    if label in SATISFACTION_LABELS:
        return Parsed(SATISFACTION_LABELS[label])
    return Parsed(None, f"{as_text(raw)!r} is not a satisfaction label")


@memoised
def parse_sex(raw: object) -> Parsed[str]:
    if plain(raw) == "":
        return Parsed(None)
    label = fold_label(raw)
    if label in SEX_LABELS:
        return Parsed(SEX_LABELS[label])
    return Parsed(None, f"{as_text(raw)!r} is not F, M, Mujer or Hombre")


@memoised
def parse_practice_score(raw: object) -> tuple[int | None, str]:
    """A practice cell as (score, status): status is `valid`, `not_applicable` (NA),
    `not_observed` (99), `not_asked` (empty) or `invalid` (anything else)."""
    text = as_text(raw)
    if text in PRACTICE_STATUS_BY_CODE:
        return None, PRACTICE_STATUS_BY_CODE[text]
    if text in {"1", "2", "3", "4", "5"}:
        return int(text), ANSWER_STATUSES[0]
    return None, ANSWER_STATUSES[-1]


@memoised
def parse_choice(raw: object, allowed: frozenset[str]) -> Parsed[str]:
    """A coded answer (`positivo`, `mucho`, ...) folded to lower case; empty is no answer."""
    if plain(raw) == "":
        return Parsed(None)
    label = fold_label(raw).replace(" ", "_")
    if label in allowed:
        return Parsed(label)
    return Parsed(None, f"{as_text(raw)!r} is not one of {', '.join(sorted(allowed))}")


def date_order(values: Iterable[object]) -> str | None:
    """How a column writes its numeric dates: `dmy` or `mdy`, decided by the values whose first or second
    number is above 12 (`25/06/2017` is day first); None when no value decides it, or values disagree."""
    evidence = set()
    for raw in values:
        match = _NUMERIC_DATE.match(as_text(raw).split(" ")[0])
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                evidence.add("dmy")
            elif second > 12 >= first:
                evidence.add("mdy")
    return evidence.pop() if len(evidence) == 1 else None


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def parse_date_text(text: str, order: str | None = None) -> Parsed[date]:
    """A date as spreadsheets write it: `2017-06-14`, `14/06/2017` (or `6/14/2017` in a column whose
    `order` is `mdy`), `14-jun-2017`, or an Excel serial day number; a day/month order that the
    column does not settle (`05/06/2017` with no value past 12) is rejected as ambiguous."""
    iso = _ISO_DATE.match(text)
    numeric = _NUMERIC_DATE.match(text)
    named = _NAMED_MONTH_DATE.match(text.lower())
    try:
        if iso:
            return Parsed(date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))))
        if named and named.group(2) in MONTHS:
            return Parsed(date(_year(named.group(3)), MONTHS[named.group(2)], int(named.group(1))))
        if numeric:
            first, second, year = int(numeric.group(1)), int(numeric.group(2)), _year(numeric.group(3))
            if first > 12 or second > 12 or first == second:
                day, month = (first, second) if first > 12 or first == second else (second, first)
            elif order in ("dmy", "mdy"):
                day, month = (first, second) if order == "dmy" else (second, first)
            else:
                return Parsed(None, f"{text!r} is ambiguous: day/month or month/day (no date of its column "
                                    "has a number above 12 to tell)")
            return Parsed(date(year, month, day))
        if re.fullmatch(r"\d{5}(\.\d+)?", text):
            return Parsed(EXCEL_EPOCH + timedelta(days=int(float(text))))
    except ValueError:
        return Parsed(None, f"{text!r} is not a valid date")
    return Parsed(None, f"{text!r} is not a date (YYYY-MM-DD, DD/MM/YYYY)")


def parse_past_date(raw: object, today: date | None = None, order: str | None = None) -> Parsed[date]:
    """A date from an Excel date cell or text as typed or re-saved (`parse_date_text`; a time after it
    is ignored).

    Empty is no value; anything else that is not a date, or a date after `today` (a typing or
    device-clock error), is rejected. Not memoised: the answer depends on the day.
    """
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        day = EXCEL_EPOCH + timedelta(days=int(raw))
    else:
        text = as_text(raw)
        if text == "":
            return Parsed(None)
        first = text[:10] if _ISO_DATE.match(text[:10]) else re.split(r"[ T]", text, maxsplit=1)[0]
        parsed = parse_date_text(first, order)
        if parsed.value is None:
            return parsed
        day = parsed.value
    if day > (today or date.today()):
        return Parsed(None, f"date {day.isoformat()} is in the future")
    return Parsed(day)


def parse_timestamp(raw: object, local: tzinfo, order: str | None = None, now: datetime | None = None) -> Parsed[datetime]:
    """A submission time: ISO 8601 as exported (`2017-06-14T15:22:03.000-05:00`) or as a spreadsheet
    re-saves it (`2017-06-14 15:22:03`, `14/06/2017 15:22`, `6/14/2017 3:22 PM`). A time without an
    offset is taken in `local`, the survey's time zone. A time in the future is rejected."""
    text = as_text(raw)
    if text == "":
        return Parsed(None, "_submission_time is empty")
    moment = _iso_timestamp(text) or _spreadsheet_timestamp(text, order)
    if isinstance(moment, Parsed):
        return moment
    if moment is None:
        return Parsed(None, f"_submission_time {text!r} is not a date and time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local)
    if moment > (now or datetime.now(timezone.utc)):
        return Parsed(None, f"_submission_time {text!r} is in the future")
    return Parsed(moment)


_CONTRACT_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def is_contract_timestamp(raw: object) -> bool:
    """Written as the contract writes a submission time: ISO 8601 with its UTC offset (`...T15:22:03.000-05:00`)."""
    return _CONTRACT_TIMESTAMP.match(as_text(raw)) is not None


def _iso_timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _spreadsheet_timestamp(text: str, order: str | None) -> datetime | Parsed[datetime] | None:
    if _OFFSET.search(text) and not _ISO_DATE.match(text[:10]):
        return None
    day_text, _, time_text = text.partition(" ")
    day = parse_date_text(day_text, order)
    if day.value is None:
        return Parsed(None, f"_submission_time: {day.problem}") if day.problem and "ambiguous" in day.problem else None
    clock = _TIME.match(time_text.strip().lower()) if time_text.strip() else None
    if time_text.strip() and not clock:
        return None
    hour, minute, second = (int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)) if clock else (0, 0, 0)
    if clock and clock.group(5):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock.group(5).startswith("p") else 0)
    try:
        return datetime.combine(day.value, time(hour, minute, second))
    except ValueError:
        return None
