"""Readers for the raw files: bytes to header + numbered rows, or a clear IngestError.

A file that can't be parsed at all, or lacks a required column, stops the
wave's ingest (contract 3); a single row that can't be read is handed back as a
row problem for the rejects table.

What re-saving in a spreadsheet does to a file is read as the spreadsheet showed it: an xlsx
number cell formatted as a percentage (Excel stores 68 % as 0.68) is read as `68%`, and a
delimited file's record is one physical line, so an unbalanced quote costs its own line and never
swallows the lines after it. `count_delimited_records` and `count_sheet_rows` count a file's data
rows without these parsers, for the reconciliation check.
"""

from __future__ import annotations

import csv
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree


from score_pipeline.core.cells import as_text

PROFILE_SHEET = "perfil"
PROFILE_HEADER_ROW = 3
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")
# Well-formed UTF-8 multi-byte sequences: a file holding some of them and some invalid bytes mixes encodings.
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line number of a byte offset."""
    return len(LINE_BREAK_BYTES.findall(data[:offset])) + 1


def decode(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8 (BOM or not), else Windows-1252.

    Windows-1252 decodes almost any bytes, so two cases are refused first, naming the problem:
    a UTF-16 export (NUL bytes), and a file that mixes encodings (valid UTF-8 accents, then bytes
    that are not UTF-8: two exports pasted together), whose first offending line is named.
    """
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise IngestError(path, "is UTF-16 or binary (NUL bytes), not UTF-8 or Windows-1252 text: "
                                "save it again as CSV UTF-8")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        first_bad = error.start
    if UTF8_MULTIBYTE.search(data):
        raise IngestError(path, f"mixes encodings: line {line_of(data, first_bad)} has bytes that are not UTF-8 "
                                f"(byte {data[first_bad]:#04x}) while other lines are UTF-8: save the whole file "
                                "again as CSV UTF-8")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise IngestError(path, f"line {line_of(data, error.start)} is neither UTF-8 nor Windows-1252 "
                                f"(byte {data[error.start]:#04x})") from error


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def split_record(line: str, delimiter: str) -> list[str]:
    """One physical line as one record; csv.Error for unbalanced or misplaced quotes. Each cell is interned: a
    wave's file repeats a few dozen spellings (`Satisfecho`, `3`) hundreds of thousands of times, and one copy
    of each is 155 MB less at the peak of a 5,200-enterprise worker survey (docs/benchmarks.md)."""
    return [sys.intern(cell) for cell in next(csv.reader([line], delimiter=delimiter, strict=True), [])]


def read_delimited(path: Path, delimiter: str, required: list[str], *, may_be_empty: bool = False,
                   form_export: bool = False) -> Table:
    """Header and rows of a delimited file; a header without data rows stops the wave unless
    `may_be_empty` (a file that can legitimately list nothing yet). A `form_export` (KoboToolbox,
    SurveyCTO) may have been exported with `.` as its group separator: read as `/`."""
    if not path.is_file():
        raise IngestError(path, "required file is missing")
    text, _ = decode(path)
    lines = LINE_BREAK.split(text)
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # one field may be a whole line
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise IngestError(path, "is empty: no header row")
    try:
        header = [cell.strip() for cell in split_record(lines[header_index], delimiter)]
    except csv.Error as error:
        raise IngestError(path, f"the header (line {header_index + 1}) has unbalanced quotes ({error})") from error
    if len(header) == 1 and any(sep in header[0] for sep in ";,\t" if sep != delimiter):
        raise IngestError(path, f"header has one column; expected the separator {delimiter!r}")
    if form_export and not any("/" in name for name in header):
        header = [name.replace(".", "/") for name in header]
    check_header(path, header, required)
    table = Table(path, header)
    for number, line in enumerate(lines[header_index + 1:], start=header_index + 2):
        try:
            cells = split_record(line, delimiter)
        except csv.Error as error:
            table.unreadable.append((number, line, quote_problem(error)))
            continue
        if is_blank(cells):
            continue
        if len(cells) != len(header):
            table.unreadable.append((number, line, f"row has {len(cells)} fields, the header has {len(header)}"))
            continue
        table.rows.append((number, dict(zip(header, cells))))
    if not table.rows_received and not may_be_empty:
        raise IngestError(path, "has a header but no data rows")
    return table


def quote_problem(error: csv.Error) -> str:
    if "unexpected end of data" in str(error):
        return "unbalanced quotes: a quoted field opened on this line does not close on it (the lines after it are read on their own)"
    return f"quotes out of place on this line ({error})"


def check_header(path: Path, header: list[str], required: list[str]) -> None:
    """Every required column once: a column named twice would be merged or shadowed without a word."""
    named_twice = sorted(name for name, count in Counter(h for h in header if h).items() if count > 1)
    if named_twice:
        where = "; ".join(f"{name!r} in columns {and_list([str(i + 1) for i, h in enumerate(header) if h == name])}"
                          for name in named_twice)
        raise IngestError(path, f"the header names a column more than once: {where}")
    missing = [column for column in required if column not in header]
    if missing:
        raise IngestError(path, f"missing required column(s): {', '.join(missing)}")


def and_list(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def unique_column(path: Path, header: list[str], matches: list[str], what: str) -> str:
    """The one header cell that `matches` lists for `what`; IngestError when none or several do."""
    if not matches:
        raise IngestError(path, f"missing the column of {what}")
    if len(matches) > 1:
        raise IngestError(path, f"the columns {', '.join(repr(m) for m in matches)} all look like {what}: "
                                "keep one")
    return matches[0]


class UnsavedFormula(str):
    """A sheet cell holding a formula without a saved result (a script wrote the file: openpyxl and openxlsx
    save none; a spreadsheet computes and saves one). Its text is the formula; it is never a value."""

    problem = "a formula without a saved value (the file was written by a script): open the file in a spreadsheet and save it"


def as_displayed(cell: object) -> object:
    """A sheet cell's value as the spreadsheet shows it: a number formatted as a percentage (stored as a
    fraction: 68 % is 0.68) becomes the text `68%`; other values are returned as they are."""
    value = getattr(cell, "value", cell)
    number_format = getattr(cell, "number_format", "") or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        return f"{Decimal(repr(value)) * 100:f}".rstrip("0").rstrip(".") + "%"
    return value


def read_profile_sheet(path: Path, required: list[str]) -> Table:
    """The `perfil` sheet: title and note on rows 1-2, header on row 3, enterprises below."""
    import openpyxl  # imported by the step that reads a sheet, not by the code location

    if not path.is_file():
        raise IngestError(path, "required file is missing")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file; the message says it plainly
        raise IngestError(path, f"is not a readable xlsx workbook ({workbook_problem(error)})") from error
    try:
        if PROFILE_SHEET not in workbook.sheetnames:
            raise IngestError(path, f"has no sheet {PROFILE_SHEET!r} (sheets: {', '.join(workbook.sheetnames)})")
        try:
            unsaved = unsaved_formulas(path, PROFILE_SHEET)
            rows = [[UnsavedFormula(unsaved[(r, c)]) if (r, c) in unsaved else as_displayed(cell)
                     for c, cell in enumerate(row, start=1)]
                    for r, row in enumerate(workbook[PROFILE_SHEET].iter_rows(), start=1)]
        except Exception as error:
            raise IngestError(path, f"sheet {PROFILE_SHEET!r} cannot be read ({workbook_problem(error)})") from error
    finally:
        workbook.close()
    if len(rows) < PROFILE_HEADER_ROW:
        raise IngestError(path, f"sheet {PROFILE_SHEET!r} has no header on row {PROFILE_HEADER_ROW}")
    header = [as_text(cell) for cell in rows[PROFILE_HEADER_ROW - 1]]
    if "RUC" not in header:
        found = next((n for n, row in enumerate(rows, start=1) if "RUC" in [as_text(c) for c in row]), None)
        where = f"; a header was found on row {found}" if found else ""
        raise IngestError(path, f"sheet {PROFILE_SHEET!r} row {PROFILE_HEADER_ROW} is not the header{where}")
    check_header(path, header, required)
    table = Table(path, header)
    for number, cells in enumerate(rows[PROFILE_HEADER_ROW:], start=PROFILE_HEADER_ROW + 1):
        if not any(as_text(cell) for cell in cells):
            continue
        table.rows.append((number, {name: value for name, value in zip(header, cells) if name}))
    if not table.rows:
        raise IngestError(path, f"sheet {PROFILE_SHEET!r} has a header but no enterprise rows")
    return table


def workbook_problem(error: Exception) -> str:
    if isinstance(error, zipfile.BadZipFile):
        return "not a zip archive: an xlsx file is one"
    if isinstance(error, ElementTree.ParseError):
        return f"its XML is damaged: {error}"
    return f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__


# -- independent counts, for the reconciliation check ------------------------------------------------

def count_delimited_records(path: Path, delimiter: str) -> int:
    """Non-blank physical lines after the first non-blank one (the header), counted on the bytes: a
    line is blank when it holds only spaces, tabs, quotes and the delimiter."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    filler = b" \t\"" + delimiter.encode()
    non_blank = [line for line in LINE_BREAK_BYTES.split(data) if line.strip(filler)]
    return max(len(non_blank) - 1, 0)


SPREADSHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def sheet_xml(path: Path, sheet: str) -> tuple[ElementTree.Element, list[str]]:
    """A sheet's XML and the workbook's shared strings, read from the archive itself (not openpyxl)."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relation = next(s.get(f"{RELATIONSHIP_NS}id") for s in workbook.iter(f"{SPREADSHEET_NS}sheet")
                        if s.get("name") == sheet)
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in relations if r.get("Id") == relation)
        sheet_path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        return ElementTree.fromstring(archive.read(sheet_path)), shared_strings(archive)


def count_sheet_rows(path: Path, sheet: str = PROFILE_SHEET, header_row: int = PROFILE_HEADER_ROW) -> int:
    """Rows below `header_row` of a sheet with a non-blank cell, read from the workbook's XML (not openpyxl)."""
    root, shared = sheet_xml(path, sheet)
    count = 0
    for number, row in enumerate(root.iter(f"{SPREADSHEET_NS}row"), start=1):
        if int(row.get("r", number)) > header_row and any(cell_text(c, shared).strip() for c in row):
            count += 1
    return count


def unsaved_formulas(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column) -> `=formula` of the sheet's formula cells with no saved value (`<f>` without a `<v>`)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    root, _ = sheet_xml(path, sheet)
    return {coordinate_to_tuple(cell.get("r")): "=" + (cell.findtext(f"{SPREADSHEET_NS}f") or "")
            for cell in root.iter(f"{SPREADSHEET_NS}c")
            if cell.find(f"{SPREADSHEET_NS}f") is not None and not (cell.findtext(f"{SPREADSHEET_NS}v") or "")}


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in item.iter(f"{SPREADSHEET_NS}t")) for item in root.iter(f"{SPREADSHEET_NS}si")]


def cell_text(cell: ElementTree.Element, shared: list[str]) -> str:
    if cell.get("t") == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{SPREADSHEET_NS}t"))
    value = cell.find(f"{SPREADSHEET_NS}v")
    if value is None or value.text is None:
        return ""
    return shared[int(value.text)] if cell.get("t") == "s" else value.text
