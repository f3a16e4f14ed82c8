"""Pure normalisers for the raw extracts' values, as the contract (section 2) spells them.

Every function takes whatever a reader produced (text, a number from an Excel
cell, None) and returns a :class:`Parsed`: the normalised value, or None with
``problem`` saying why the raw value was rejected. None with no problem means
"no value" (`ND`, `NS/NR`, an empty cell). They never raise on bad input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache, wraps
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")

RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
RUC_PREFIXES = ("10", "15", "17", "20")

SATISFACTION_LABELS = {"deficiente": 1, "regular": 2, "bueno": 3, "muy bueno": 4, "excelente": 5}
NO_ANSWER_LABELS = {"", "ns/nr"}
SEX_LABELS = {"f": "F", "mujer": "F", "m": "M", "hombre": "M"}
YES_NO_LABELS = {"si": True, "no": False}
NOT_AVAILABLE = {"", "nd", "-"}

PRACTICE_STATUS_BY_CODE = {"NA": "not_applicable", "99": "not_observed", "": "not_asked"}

_THOUSANDS_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CURRENCY_PREFIX = re.compile(r"^s/\.?\s*", re.IGNORECASE)


class Parsed(NamedTuple, Generic[T]):
    value: T | None
    problem: str | None = None


def memoised(function: Callable[..., T]) -> Callable[..., T]:
    """Cache a pure normaliser: a wave's extracts repeat a few dozen spellings millions of times.

    `typed=True` keeps `True`, `1` and `1.0` apart; an unhashable value (a list from YAML) is
    parsed without the cache.
    """
    cached = lru_cache(maxsize=1 << 16, typed=True)(function)

    @wraps(function)
    def parse(*args: object) -> T:
        try:
            return cached(*args)
        except TypeError:
            return function(*args)

    return parse


def as_text(raw: object) -> str:
    """A reader's cell as text, trimmed; None and NaN become ''."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    return str(raw).strip()


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


def ruc_check_digit(first_ten: str) -> int:
    """SUNAT's check digit for the first ten digits of a RUC."""
    remainder = 11 - sum(int(d) * w for d, w in zip(first_ten, RUC_WEIGHTS)) % 11
    return {10: 0, 11: 1}.get(remainder, remainder)


def _ruc_digits(raw: object) -> str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else None
    text = as_text(raw)
    if re.fullmatch(r"[0-9.]+[eE][+]?\d+", text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return str(int(number)) if number == number.to_integral_value() else None
    compact = re.sub(r"[\s-]", "", text)
    return compact if compact.isdigit() else None


@memoised
def normalise_ruc(raw: object) -> Parsed[str]:
    """An 11-digit RUC with a valid prefix and check digit, from any of its spellings."""
    if as_text(raw) == "":
        return Parsed(None, "RUC is empty")
    digits = _ruc_digits(raw)
    if digits is None or len(digits) != 11:
        return Parsed(None, f"RUC {as_text(raw)!r} is not 11 digits")
    if digits[:2] not in RUC_PREFIXES:
        return Parsed(None, f"RUC {digits} has prefix {digits[:2]}, not one of {', '.join(RUC_PREFIXES)}")
    if ruc_check_digit(digits[:10]) != int(digits[10]):
        return Parsed(None, f"RUC {digits} fails its check digit")
    return Parsed(digits)


@memoised
def parse_number(raw: object) -> Parsed[float]:
    """A number from a numeric cell or from text as typed (`S/ 56,069.50`, `7,050,000`, `63.5 %`).

    `ND`, `-` and empty mean not available. A comma is a thousands separator
    only between groups of three digits; any other text is rejected.
    """
    if isinstance(raw, bool):
        return Parsed(None, f"{raw!r} is not a number")
    if isinstance(raw, (int, float)):
        return Parsed(None) if raw != raw else Parsed(float(raw))
    text = as_text(raw)
    if text.lower() in NOT_AVAILABLE:
        return Parsed(None)
    body = _CURRENCY_PREFIX.sub("", text)
    body = re.sub(r"\s*%$", "", body).strip()
    if _THOUSANDS_NUMBER.match(body):
        body = body.replace(",", "")
    if not _PLAIN_NUMBER.match(body):
        return Parsed(None, f"{text!r} is not a number")
    return Parsed(float(body))


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
        return int(text), "valid"
    return None, "invalid"


@memoised
def parse_choice(raw: object, allowed: frozenset[str]) -> Parsed[str]:
    """A coded answer (`positivo`, `mucho`, ...) folded to lower case; empty is no answer."""
    if plain(raw) == "":
        return Parsed(None)
    label = fold_label(raw).replace(" ", "_")
    if label in allowed:
        return Parsed(label)
    return Parsed(None, f"{as_text(raw)!r} is not one of {', '.join(sorted(allowed))}")


def parse_past_date(raw: object, today: date | None = None) -> Parsed[date]:
    """A date from an Excel date cell or `YYYY-MM-DD` text (a time after it is ignored).

    Empty is no value; anything else that is not a date, or a date after `today` (a typing or
    device-clock error), is rejected. Not memoised: the answer depends on the day.
    """
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = as_text(raw)
        if text == "":
            return Parsed(None)
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return Parsed(None, f"{text!r} is not a YYYY-MM-DD date")
    if day > (today or date.today()):
        return Parsed(None, f"date {day.isoformat()} is in the future")
    return Parsed(day)
