"""Numbers as the evaluation report prints them: thousands separated, money with its currency, percentages
with their sign, p-values below the smallest printed one as `< 0.001`. Which rule a column gets follows from
its name (the marts' naming: `p_*`, `*_pct`, the money columns below), so each rule is declared once here."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

P_FLOOR = 0.001  # the smallest p-value printed as a number
# The marts' money columns, in the country's currency (business_results) or in US dollars (participation).
MONEY_COLUMNS = {"annual_sales_mean": None, "monthly_payroll_mean": None, "sales_per_worker": None,
                 "contribution_usd": "USD"}
Formatter = Callable[[object], str]


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def p_value(value: object) -> str:
    if missing(value):
        return ""
    return f"< {P_FLOOR:g}" if float(value) < P_FLOOR else f"{float(value):.3f}"


def amount(value: object, digits: int = 2) -> str:
    """A count or a measure: whole numbers and amounts of a thousand or more without decimals, thousands separated."""
    if missing(value):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = float(value)
    if number.is_integer() or abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:,.{digits}f}"


def percent(value: object) -> str:
    return "" if missing(value) else f"{float(value):,.1f} %"


def points(value: object) -> str:
    """A change between two percentages: percentage points."""
    return "" if missing(value) else f"{float(value):,.1f} pp"


def money(currency: str) -> Formatter:
    return lambda value: "" if missing(value) else f"{currency} {amount(value)}"


def is_percent(column: str) -> bool:
    return column.endswith("_pct") or column.startswith("pct_") or column.endswith("_pct_change") or column == "change_pct"


def column_formatter(column: str, currency: str, digits: int = 2) -> Formatter:
    """The rule of a mart column, by its name."""
    if column.startswith("p_"):
        return p_value
    if column in MONEY_COLUMNS:
        return money(MONEY_COLUMNS[column] or currency)
    if is_percent(column):
        return percent
    return lambda value: amount(value, digits)


def for_report(frame: pd.DataFrame, currency: str, digits: int = 2) -> pd.DataFrame:
    """Every cell of a mart's frame as the report prints it."""
    return pd.DataFrame({column: frame[column].map(column_formatter(column, currency, digits)) for column in frame.columns})


def headline_row(unit: str, currency: str) -> tuple[Formatter, Formatter]:
    """A headline indicator's formatters for its baseline and endline, and for its change, by the row's unit."""
    if unit == currency:
        return money(currency), money(currency)
    if unit == "percent":
        return percent, points
    return amount, amount
