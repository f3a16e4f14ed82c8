"""What every instrument's reader shares: the result of one wave's ingest, the record of what was set
aside, the declaration of a file's fields, and the rules for resubmissions."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from score_pipeline.core.cells import Parsed, as_text
from score_pipeline.core.identifiers import IdentifierRule, normalise_ruc
from score_pipeline.ingest.corrections import KeyMatcher, Log, apply
from score_pipeline.ingest.normalise import (
    Currency, currency_of, date_order, is_contract_timestamp, parse_choice, parse_past_date, parse_quantity,
    parse_timestamp, within,
)
from score_pipeline.ingest.readers import Table, UnsavedFormula
from score_pipeline.settings import SURVEY_TIMEZONE

REJECT_COLUMNS = {
    "wave": "VARCHAR", "instrument": "VARCHAR", "source_file": "VARCHAR", "row_number": "INTEGER",
    "column_name": "VARCHAR", "raw_value": "VARCHAR", "reason": "VARCHAR", "kind": "VARCHAR", "ruc": "VARCHAR",
}
SUPERSEDED_COLUMNS = {
    "wave": "VARCHAR", "instrument": "VARCHAR", "source_file": "VARCHAR", "row_number": "INTEGER",
    "ruc": "VARCHAR", "submission_uuid": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE", "superseded_by_row": "INTEGER",
}


@dataclass
class Ingested:
    """What one instrument of one wave yields: the rows to load and what was set aside."""

    frame: pd.DataFrame
    rows_received: int
    rejects: list[dict[str, object]] = field(default_factory=list)
    superseded: list[dict[str, object]] = field(default_factory=list)
    corrections: list[dict[str, object]] = field(default_factory=list)  # the log's lines, with their status
    sent: bool = True  # False: the wave has no such file to read (a sample frame outside the first wave): no log row

    @property
    def rows_rejected(self) -> int:
        return sum(1 for r in self.rejects if r["kind"] == "row")

    @property
    def rows_loaded(self) -> int:
        """Contract 4: received - rejected - superseded (a practices row is one submission)."""
        return self.rows_received - self.rows_rejected - len(self.superseded)

    @property
    def values_invalid(self) -> int:
        return sum(1 for r in self.rejects if r["kind"] == "value")


class Problems:
    """Collects rejected rows and invalid cells of one file, with the reason for each."""

    def __init__(self, wave: str, instrument: str, path: Path):
        self.wave, self.instrument, self.source_file = wave, instrument, f"{wave}/{path.name}"
        self.rejects: list[dict[str, object]] = []

    def reject_row(self, row_number: int | None, raw: str, reason: str, ruc: str | None = None) -> None:
        self._add(row_number, None, raw, reason, "row", ruc)

    def invalid_value(self, row_number: int, column: str, raw: object, reason: str, ruc: str | None) -> None:
        self._add(row_number, column, as_text(raw), reason, "value", ruc)

    def _add(self, row_number: int | None, column: str | None, raw: str, reason: str, kind: str, ruc: str | None) -> None:
        self.rejects.append({
            "wave": self.wave, "instrument": self.instrument, "source_file": self.source_file,
            "row_number": row_number, "column_name": column, "raw_value": raw[:500], "reason": reason,
            "kind": kind, "ruc": ruc,
        })

    def missing_column(self, header: str) -> None:
        """An informational column (contract 3: `_index`, `onda`) the file lacks: said, the wave runs."""
        self._add(None, header, "", f"column {header!r} is missing (informational: read as empty, the wave runs)",
                  "note", None)

    def value(self, parsed: Parsed, number: int, column: str, raw: object, ruc: str | None) -> object:
        """The parsed value; a rejected one is recorded and loaded as null."""
        if parsed.problem:
            self.invalid_value(number, column, raw, parsed.problem, ruc)
        return parsed.value


# -- what reading a wave needs beyond its files ------------------------------------------------------

@dataclass(frozen=True)
class CountryRules:
    """How a country's extracts are read (contract 7): its enterprise identifiers' scheme, and its currency
    (`territory` is its ISO 3166 code: a foreign currency's markers are those of that country's language)."""

    identifier: IdentifierRule
    currency: Currency
    territory: str

    @classmethod
    def of(cls, identifier: IdentifierRule, currency: str, territory: str) -> CountryRules:
        return cls(identifier, currency_of(currency, territory), territory)

    @classmethod
    def v1(cls) -> CountryRules:
        """A v1 root's country (contract 7): Peru, soles, RUCs."""
        return cls.of(normalise_ruc, "PEN", "pe")


@dataclass(frozen=True)
class Source:
    """One instrument's input in one wave: the wave folder, the country's rules, the wave's corrections log, and
    whether the wave is the country's first (the self-assessment's perceptions block starts at the second)."""

    folder: Path
    wave: str
    rules: CountryRules = field(default_factory=CountryRules.v1)
    log: Log | None = None
    first_wave: bool = True


# -- fields: a file's columns declared once --------------------------------------------------------

Parser = Callable[[object], Parsed]
ParserFor = Callable[[Source, Table], Parser]  # a column's parser in one file: its date order, its country's money


@dataclass(frozen=True)
class Field:
    """One column of an extract: the header it is read from, the warehouse column and type it is loaded into,
    and how a cell is parsed (None: the text as written, empty as null). A column is required (contract 3)
    unless it is `informational` (a missing one is said, and its values are null) or `optional` (contract 8: a
    missing one is read as null without a word)."""

    header: str
    column: str
    kind: str
    parser: ParserFor | None = None
    informational: bool = False
    optional: bool = False

    @property
    def required(self) -> bool:
        return not (self.informational or self.optional)


def fixed(parse: Parser) -> ParserFor:
    """A parser that is the same in every file and country."""
    return lambda source, table: parse


def text(header: str, column: str, informational: bool = False) -> Field:
    return Field(header, column, "VARCHAR", informational=informational)


def coded(header: str, column: str, allowed: tuple[str, ...], informational: bool = False) -> Field:
    """A text column of a closed list (contract: `Edad`, `Antigüedad`, `onda`): a value outside it is invalid."""
    return Field(header, column, "VARCHAR", fixed(one_of(allowed)), informational)


def past_date(header: str, column: str) -> Field:
    def parser_for(source: Source, table: Table) -> Parser:
        order = column_order(table, header)
        return lambda raw: parse_past_date(raw, order=order)
    return Field(header, column, "DATE", parser_for)


def quantity(kind: str, high: float | None = None, currency: str | None = None) -> ParserFor:
    """A non-negative amount, count or share (normalise.QUANTITY_KINDS), at most `high`. Money is in the
    country's currency, or in `currency` (the training records' US dollars)."""
    def parser_for(source: Source, table: Table) -> Parser:
        rules = source.rules
        money = rules.currency if currency is None else currency_of(currency, rules.territory)
        return lambda raw: within(parse_quantity(raw, kind, money), raw, high)
    return parser_for


def whole_count(raw: object) -> Parsed[int]:
    parsed = within(parse_quantity(raw, "count"), raw)
    return Parsed(int(parsed.value), parsed.problem) if parsed.value is not None else parsed


def one_of(allowed: tuple[str, ...]) -> Parser:
    """A label of a closed list, matched without regard to case and spacing."""
    def parse(raw: object) -> Parsed[str]:
        label = " ".join(as_text(raw).split())
        if not label:
            return Parsed(None)
        match = next((a for a in allowed if a.lower() == label.lower()), None)
        return Parsed(match) if match else Parsed(None, f"{label!r} is not one of {', '.join(allowed)}")
    return parse


def choice(allowed: frozenset[str]) -> ParserFor:
    """A coded answer of a closed set (normalise.parse_choice)."""
    return fixed(lambda raw: parse_choice(raw, allowed))


def rating(raw: object) -> Parsed[int]:
    label = as_text(raw)
    if label == "":
        return Parsed(None)
    return Parsed(int(label)) if label in {"1", "2", "3", "4", "5"} else Parsed(None, f"{label!r} is not a rating 1..5")


def required_headers(fields: Iterable[Field]) -> list[str]:
    """The headers a file must have (contract 3): every declared field's but the informational ones."""
    return [f.header for f in fields if f.required]


def columns_of(fields: Iterable[Field]) -> dict[str, str]:
    return {f.column: f.kind for f in fields}


def headers_of(fields: Iterable[Field]) -> dict[str, str]:
    """Warehouse column -> the header it is read from (a figure's trace ends there)."""
    return {f.column: f"column {f.header!r}" for f in fields}


# Where the columns of every raw table come from that no header of the file holds.
FOLDER_COLUMNS = {
    "country": "the country folder (its code, contract 7)",
    "wave": "the wave folder's name",
    "source_row": "the row's number in the file",
}


def field_reader(fields: Iterable[Field], source: Source, table: Table,
                 problems: Problems) -> Callable[[int, dict[str, object], str], dict[str, object]]:
    """A function reading the fields of one row into a record, with this file's parsers. A missing
    informational column is said once (a note in the rejects) and read as null; a missing optional one is null."""
    bound = []
    for f in fields:
        if f.header not in table.header:  # not a required one: read_* refused the file for a required one
            if f.informational:
                problems.missing_column(f.header)
            continue
        bound.append((f, f.parser(source, table) if f.parser else None))
    absent = {f.column: None for f in fields if f.header not in table.header}

    def read(number: int, row: dict[str, object], ruc: str) -> dict[str, object]:
        record: dict[str, object] = dict(absent)
        for f, parse in bound:
            raw = row[f.header]
            record[f.column] = problems.value(cell(raw, parse or as_written), number, f.header, raw, ruc)
        return record
    return read


def as_written(raw: object) -> Parsed[str]:
    """A free-text cell: its text, trimmed; empty is null."""
    return Parsed(as_text(raw) or None)


def cell(raw: object, parse: Parser) -> Parsed:
    """A cell parsed; a formula the file holds without its value is no value to parse (readers.UnsavedFormula)."""
    return Parsed(None, UnsavedFormula.problem) if isinstance(raw, UnsavedFormula) else parse(raw)


def corrected(source: Source, instrument: str, table: Table, matches: KeyMatcher,
              by_last_segment: bool = False) -> list[dict[str, object]]:
    """Apply the wave's corrections log to the rows as read, first of all (contract 5); its lines for
    this instrument, each with its status."""
    if source.log is None:
        return []
    return [c.record(source.wave, source.log.sha256)
            for c in apply(source.log, instrument, table, matches, by_last_segment=by_last_segment)]


# -- rows, keys and resubmissions ------------------------------------------------------------------

def valid_ruc(problems: Problems, number: int, row: dict[str, object], column: str,
              identifier: IdentifierRule) -> str | None:
    parsed = cell(row[column], identifier)
    if parsed.problem:
        problems.reject_row(number, "|".join(as_text(v) for v in row.values()), parsed.problem)
    return parsed.value


def rows_with_valid_ruc(problems: Problems, table: Table, column: str,
                        identifier: IdentifierRule) -> Iterator[tuple[int, dict[str, object], str]]:
    """The table's rows whose identifier is valid under the country's rule, with it; unreadable rows and
    invalid identifiers go to the rejects."""
    for number, raw, reason in table.unreadable:
        problems.reject_row(number, raw, reason)
    for number, row in table.rows:
        ruc = valid_ruc(problems, number, row, column, identifier)
        if ruc is not None:
            yield number, row, ruc


def frame_of(records: list[dict[str, object]], columns: dict[str, str]) -> pd.DataFrame:
    """Records as a frame with exactly the warehouse columns, in order, each holding the parsed Python
    values as they are (DuckDB casts them on insert). Built column by column: letting pandas infer
    types first (timestamps, then back to objects) cost seconds per wave at 5,200 enterprises."""
    return pd.DataFrame({name: pd.Series([record.get(name) for record in records], dtype=object)
                         for name in columns}, columns=list(columns))


def by_enterprise(record: dict[str, object]) -> Hashable:
    return record["ruc"]


def keep_latest(records: list[dict[str, object]], problems: Problems,
                key: Callable[[dict[str, object]], Hashable] = by_enterprise) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """One record per key (the enterprise): the latest `_submission_time` (`ordered_at`) wins, then the later row."""
    latest: dict[Hashable, dict[str, object]] = {}
    for record in records:
        current = latest.get(key(record))
        if current is None or (record["ordered_at"], record["source_row"]) > (current["ordered_at"], current["source_row"]):
            latest[key(record)] = record
    superseded = [
        {"wave": problems.wave, "instrument": problems.instrument, "source_file": problems.source_file,
         "row_number": r["source_row"], "ruc": r["ruc"], "submission_uuid": r.get("submission_uuid"),
         "submitted_at": r.get("submitted_at"), "superseded_by_row": latest[key(r)]["source_row"]}
        for r in records if latest[key(r)] is not r
    ]
    kept_ids = {id(r) for r in latest.values()}
    return [r for r in records if id(r) in kept_ids], superseded


def last_row_per_key(records: list[dict[str, object]], problems: Problems,
                     key: Callable[[dict[str, object]], Hashable] = by_enterprise) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """A sheet has no submission time: a key listed twice keeps its last row (a correction below)."""
    stamped = [{**r, "ordered_at": None} for r in records]
    by_row = {r["source_row"]: r for r in records}
    kept, superseded = keep_latest(stamped, problems, key)
    return [by_row[r["source_row"]] for r in kept], superseded


@dataclass(frozen=True)
class Submission:
    """A row of a form export with a valid identifier and a readable `_submission_time`. `submitted_at` is
    the time when the file writes it as the contract does (ISO 8601 with its UTC offset), else None: the
    zone (and a re-saved display form's day/month order) would be assumed. `ordered_at` is the time as
    read, which orders the enterprise's resubmissions (a time without offset taken in the survey's zone)."""

    number: int
    row: dict[str, object]
    ruc: str
    submitted_at: datetime | None
    ordered_at: datetime

    def stamp(self) -> dict[str, object]:
        return {"ruc": self.ruc, "submission_uuid": as_text(self.row["_uuid"]), "submitted_at": self.submitted_at,
                "ordered_at": self.ordered_at, "source_row": self.number}


def timed_submissions(problems: Problems, table: Table, identifier: IdentifierRule) -> Iterator[Submission]:
    """Rows of a form export with a valid `ruc` and `_submission_time` (the others go to the rejects).

    A `_uuid` names one submission: a row repeating an earlier row's `_uuid` with other answers is
    rejected, while a verbatim repeat (an export appended twice) passes and is then set aside as a
    duplicate of its copy by `keep_latest`. A time not written as the contract writes it is an invalid
    value (counted, said): its row is kept, its time only orders that enterprise's submissions.
    """
    first_row_of: dict[str, tuple[int, dict[str, object]]] = {}
    order, local = column_order(table, "_submission_time"), ZoneInfo(SURVEY_TIMEZONE)
    for number, row, ruc in rows_with_valid_ruc(problems, table, "ruc", identifier):
        uuid = as_text(row["_uuid"])
        first_number, first_row = first_row_of.setdefault(uuid, (number, row)) if uuid else (number, row)
        if first_row != row:
            problems.reject_row(number, uuid, f"_uuid {uuid} repeats row {first_number} with other answers", ruc)
            continue
        raw = row["_submission_time"]
        moment = parse_timestamp(raw, local, order)
        if moment.problem:
            problems.reject_row(number, as_text(raw), moment.problem, ruc)
            continue
        certain = is_contract_timestamp(raw)
        if not certain:
            problems.invalid_value(number, "_submission_time", raw, UNCERTAIN_TIME, ruc)
        yield Submission(number, row, ruc, moment.value if certain else None, moment.value)


UNCERTAIN_TIME = (f"not ISO 8601 with a UTC offset (contract 2.1): its time zone is not known; loaded as null, "
                  f"read in {SURVEY_TIMEZONE} only to order this enterprise's resubmissions")


def column_order(table: Table, column: str) -> str | None:
    """The day/month order of a date column of the file (normalise.date_order)."""
    return date_order(row.get(column) for _, row in table.rows)
