"""Field corrections (contract 5): a wave's log of corrections decided after its drop, applied to the
rows as read, before anything else, line by line in file order, each line checked against the value
the lines before it left. Raw drops are never edited.

A log that cannot be read stops the wave's ingest (IngestError naming the line); a line that does not
apply (`no_match`, `ambiguous`, `stale`) never stops it: it is recorded with its status.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from score_pipeline.core.cells import as_text
from score_pipeline.core.identifiers import IdentifierRule
from score_pipeline.ingest.readers import IngestError, Table, decode

LOG_COLUMNS = ("instrument", "key", "column", "action", "old_value", "new_value", "author", "date", "reason")
ACTIONS = ("replace", "drop_row", "confirm")
STATUSES = ("applied", "no_match", "ambiguous", "stale")
REQUIRED_TEXT = ("author", "date", "reason")
ISO_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
CORRECTION_COLUMNS = {
    "wave": "VARCHAR", "instrument": "VARCHAR", "log_line": "INTEGER", "key": "VARCHAR", "column_name": "VARCHAR",
    "action": "VARCHAR", "old_value": "VARCHAR", "new_value": "VARCHAR", "author": "VARCHAR", "corrected_on": "DATE",
    "reason": "VARCHAR", "status": "VARCHAR", "log_sha256": "VARCHAR",
}


@dataclass(frozen=True)
class Correction:
    line: int  # the line of the log (the header is line 1)
    instrument: str
    key: str
    column: str
    action: str
    old_value: str
    new_value: str
    author: str
    date: str
    reason: str
    status: str = ""

    def record(self, wave: str, log_sha256: str) -> dict[str, object]:
        return {"wave": wave, "instrument": self.instrument, "log_line": self.line, "key": self.key,
                "column_name": self.column or None, "action": self.action, "old_value": self.old_value,
                "new_value": self.new_value, "author": self.author, "corrected_on": self.date, "reason": self.reason,
                "status": self.status, "log_sha256": log_sha256}


@dataclass(frozen=True)
class Log:
    path: Path
    sha256: str  # the version a run used
    corrections: tuple[Correction, ...]

    def of(self, instrument: str) -> list[Correction]:
        return [c for c in self.corrections if c.instrument == instrument]


def read_log(path: Path, instruments: Sequence[str]) -> Log:
    """The wave's corrections log (an absent file: none); IngestError naming the line of any line that
    cannot be read."""
    if not path.is_file():
        return Log(path, "", ())
    text = decode(path)[0]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return Log(path, hashlib.sha256(path.read_bytes()).hexdigest(), ())
    header = [cell.strip() for cell in rows[0]]
    missing = [column for column in LOG_COLUMNS if column not in header]
    if missing:
        raise IngestError(path, f"missing column(s): {', '.join(missing)}")
    corrections = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise IngestError(path, f"line {number} has {len(cells)} fields, the header has {len(header)}")
        values = {name: cells[header.index(name)].strip() for name in LOG_COLUMNS}
        corrections.append(checked(path, number, Correction(number, **values), instruments))
    return Log(path, hashlib.sha256(path.read_bytes()).hexdigest(), tuple(corrections))


def checked(path: Path, number: int, correction: Correction, instruments: Sequence[str]) -> Correction:
    def refuse(problem: str) -> IngestError:
        return IngestError(path, f"line {number}: {problem}")

    if correction.instrument not in instruments:
        raise refuse(f"unknown instrument {correction.instrument!r} (one of {', '.join(instruments)})")
    if correction.action not in ACTIONS:
        raise refuse(f"unknown action {correction.action!r} (one of {', '.join(ACTIONS)})")
    for name in REQUIRED_TEXT:
        if not getattr(correction, name):
            raise refuse(f"{name} is empty")
    if not ISO_DATE.match(correction.date):
        raise refuse(f"date {correction.date!r} is not YYYY-MM-DD")
    if not correction.key:
        raise refuse("key is empty")
    if correction.action == "drop_row" and (correction.column or correction.old_value or correction.new_value):
        raise refuse("a drop_row leaves column, old_value and new_value empty")
    if correction.action != "drop_row" and not correction.column:
        raise refuse(f"a {correction.action} names the column it corrects")
    if correction.action == "confirm" and correction.new_value:
        raise refuse("a confirm leaves new_value empty")
    return correction


# -- matching a line to the rows as read -----------------------------------------------------------

KeyMatcher = Callable[[str, dict[str, object]], bool]


def cell_text(value: object) -> str:
    """A cell as a log writes it: trimmed text; a numeric sheet cell as its shortest number (45, 63.5)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return as_text(value)


def same_ruc(written: str, cell: object, identifier: IdentifierRule) -> bool:
    """The identifier cell, trimmed, equals the key, or both normalise to the same identifier (contract 5)."""
    if as_text(cell) == written:
        return True
    key, found = identifier(written), identifier(cell)
    return key.value is not None and key.value == found.value


def by_column(column: str) -> KeyMatcher:
    return lambda key, row: as_text(row.get(column)) == key


def by_ruc(column: str, identifier: IdentifierRule) -> KeyMatcher:
    return lambda key, row: same_ruc(key, row.get(column), identifier)


def by_ruc_and_module(ruc_column: str, module_column: str, identifier: IdentifierRule) -> KeyMatcher:
    """`<ruc>:<modulo>`, split at the last `:`."""
    def matches(key: str, row: dict[str, object]) -> bool:
        ruc, _, module = key.rpartition(":")
        return same_ruc(ruc, row.get(ruc_column), identifier) and as_text(row.get(module_column)) == module.strip()
    return matches


def header_of(column: str, header: Sequence[str], by_last_segment: bool) -> str | None:
    """The file's header a line names: as written, or (practices) the part after the last `/`."""
    if column in header:
        return column
    if by_last_segment:
        found = [h for h in header if h.rsplit("/", 1)[-1] == column]
        return found[0] if len(found) == 1 else None
    return None


def apply(log: Log, instrument: str, table: Table, matches: KeyMatcher, *, by_last_segment: bool = False) -> list[Correction]:
    """Apply the instrument's lines of the log to the rows as read (in place), in file order; returns
    each line with its status. A dropped row becomes an unreadable one, so it counts as rejected."""
    done = []
    for correction in log.of(instrument):
        column = header_of(correction.column, table.header, by_last_segment) if correction.column else None
        if correction.column and column is None:
            raise IngestError(log.path, f"line {correction.line}: {table.path.name} has no column {correction.column!r}")
        found = [index for index, (_, row) in enumerate(table.rows) if matches(correction.key, row)]
        done.append(replace(correction, status=outcome(correction, table, found, column)))
    return done


def outcome(correction: Correction, table: Table, found: list[int], column: str | None) -> str:
    if not found:
        return "no_match"
    if len(found) > 1:
        return "ambiguous"
    number, row = table.rows[found[0]]
    if correction.action == "drop_row":
        del table.rows[found[0]]
        raw = "|".join(as_text(value) for value in row.values())
        table.unreadable.append((number, raw, f"set aside by corrections line {correction.line}: {correction.reason}"))
        return "applied"
    if cell_text(row.get(column)) != correction.old_value:
        return "stale"
    if correction.action == "replace":
        table.rows[found[0]] = (number, {**row, column: correction.new_value})
    return "applied"
