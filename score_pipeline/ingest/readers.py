"""Readers for the raw files: bytes to header + numbered rows, or a clear IngestError.

A file that can't be parsed at all, or lacks a required column, stops the
wave's ingest (contract 3); a single row that can't be read is handed back as a
row problem for the rejects table.
"""

from __future__ import annotations

import csv
import io
from zipfile import BadZipFile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from score_pipeline.ingest.normalise import as_text

PROFILE_SHEET = "perfil"
PROFILE_HEADER_ROW = 3


class IngestError(Exception):
    """A file that stops the wave's ingest; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path.parent.name}/{path.name}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class Table:
    """A file's header and its non-blank data rows, each with its 1-based row number in the file."""

    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, raw text, reason)

    @property
    def rows_received(self) -> int:
        return len(self.rows) + len(self.unreadable)


def decode(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8 (BOM or not), else Windows-1252.

    Windows-1252 decodes almost any bytes, so a UTF-16 export (NUL bytes) is caught first: read
    as 1252 it would only fail later as "missing columns", which names the wrong problem.
    """
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise IngestError(path, "is UTF-16 or binary (NUL bytes), not UTF-8 or Windows-1252 text: "
                                "save it again as CSV UTF-8")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise IngestError(path, f"is neither UTF-8 nor Windows-1252 (byte {error.start})") from error


def read_delimited(path: Path, delimiter: str, required: list[str], *, may_be_empty: bool = False) -> Table:
    """Header and rows of a delimited file; a header without data rows stops the wave unless
    `may_be_empty` (a file that can legitimately list nothing yet)."""
    if not path.is_file():
        raise IngestError(path, "required file is missing")
    text, _ = decode(path)
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise IngestError(path, "is empty: no header row")
    header = [cell.strip() for cell in lines[0]]
    if len(header) == 1 and any(sep in header[0] for sep in ";,\t" if sep != delimiter):
        raise IngestError(path, f"header has one column; expected the separator {delimiter!r}")
    _require_columns(path, header, required)
    table = Table(path, header)
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raw = delimiter.join(cells)
            table.unreadable.append((number, raw, f"row has {len(cells)} fields, the header has {len(header)}"))
            continue
        table.rows.append((number, dict(zip(header, cells))))
    if not table.rows_received and not may_be_empty:
        raise IngestError(path, "has a header but no data rows")
    return table


def _require_columns(path: Path, header: list[str], required: list[str]) -> None:
    missing = [column for column in required if column not in header]
    if missing:
        raise IngestError(path, f"missing required column(s): {', '.join(missing)}")


def read_profile_sheet(path: Path, required: list[str]) -> Table:
    """The `perfil` sheet: title and note on rows 1-2, header on row 3, enterprises below."""
    if not path.is_file():
        raise IngestError(path, "required file is missing")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
        raise IngestError(path, f"is not a readable xlsx workbook ({error})") from error
    try:
        if PROFILE_SHEET not in workbook.sheetnames:
            raise IngestError(path, f"has no sheet {PROFILE_SHEET!r} (sheets: {', '.join(workbook.sheetnames)})")
        rows = list(workbook[PROFILE_SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    if len(rows) < PROFILE_HEADER_ROW:
        raise IngestError(path, f"sheet {PROFILE_SHEET!r} has no header on row {PROFILE_HEADER_ROW}")
    header = [as_text(cell) for cell in rows[PROFILE_HEADER_ROW - 1]]
    if "RUC" not in header:
        found = next((n for n, row in enumerate(rows, start=1) if "RUC" in [as_text(c) for c in row]), None)
        where = f"; a header was found on row {found}" if found else ""
        raise IngestError(path, f"sheet {PROFILE_SHEET!r} row {PROFILE_HEADER_ROW} is not the header{where}")
    _require_columns(path, header, required)
    table = Table(path, header)
    for number, cells in enumerate(rows[PROFILE_HEADER_ROW:], start=PROFILE_HEADER_ROW + 1):
        if not any(as_text(cell) for cell in cells):
            continue
        table.rows.append((number, {name: value for name, value in zip(header, cells) if name}))
    if not table.rows:
        raise IngestError(path, f"sheet {PROFILE_SHEET!r} has a header but no enterprise rows")
    return table
