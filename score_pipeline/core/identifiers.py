"""Enterprise identifiers as a cell spells them (contract 2 and 7): the identifier cleaned of its spellings, and
Peru's RUC validated with the contract's own reasons. A country's scheme (core/programme.IdentifierScheme)
chooses the rule its cells are read under."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.pe import ruc as pe_ruc

from score_pipeline.core.cells import Parsed, as_text, memoised

RUC_PREFIXES = ("10", "15", "17", "20")  # the contract's; python-stdnum's pe.ruc checks the same


def ruc_check_digit(first_ten: str) -> int:
    """SUNAT's check digit for the first ten digits of a RUC (python-stdnum's `pe.ruc`)."""
    return int(pe_ruc.calc_check_digit(first_ten))


def compact_identifier(raw: object) -> str | None:
    """An enterprise identifier cleaned of its spellings (contract 2 and 7): a number in scientific notation
    (a numeric spreadsheet cell) read as a number first, then spaces, dashes and dots used as separators
    removed. None when it cannot be an identifier (a fraction, an empty cell)."""
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
    compact = re.sub(r"[\s.-]", "", text)
    return compact or None


def _ruc_digits(raw: object) -> str | None:
    compact = compact_identifier(raw)
    return compact if compact is not None and compact.isdigit() else None


IdentifierRule = Callable[[object], "Parsed[str]"]  # a cell -> the enterprise identifier under a country's scheme


@memoised
def normalise_ruc(raw: object) -> Parsed[str]:
    """An 11-digit RUC with a valid prefix and check digit, from any of its spellings."""
    if as_text(raw) == "":
        return Parsed(None, "RUC is empty")
    digits = _ruc_digits(raw)
    if digits is None:
        return Parsed(None, f"RUC {as_text(raw)!r} is not 11 digits")
    try:  # our parsing reads the spellings (dashes, spaces, scientific notation); stdnum validates the number
        return Parsed(pe_ruc.validate(digits))
    except (InvalidLength, InvalidFormat):
        return Parsed(None, f"RUC {as_text(raw)!r} is not 11 digits")
    except InvalidComponent:
        return Parsed(None, f"RUC {digits} has prefix {digits[:2]}, not one of {', '.join(RUC_PREFIXES)}")
    except InvalidChecksum:
        return Parsed(None, f"RUC {digits} fails its check digit")
