"""The bad-input corpus: damaged copies of a shipped sample wave, each with the outcome it is owed.

Every case is generated from `data/raw/` by the code below, never edited by hand. To look at them:

    .venv/bin/python tests/bad_inputs.py --out /tmp/corpus      # one folder per case
    .venv/bin/python tests/bad_inputs.py --markdown             # the table of docs/reliability.md

`tests/test_bad_inputs.py` builds each case afresh and runs the real ingest asset and its checks on it.
Outcomes, as the contract (section 3) puts them:
- `Loaded`: the wave loads; the rows or cells set aside are counted (deltas against the clean wave);
- `Refused`: the wave's ingest stops with an error naming the file and the problem, and what was
  loaded and published before stays as it was.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
from reference import LABELS, PRACTICE_CODES, codebook, fold, number, ruc

from score_pipeline.sample_data.extracts import write_sha256sums
from score_pipeline.settings import PROJECT_ROOT

SAMPLE_RAW = PROJECT_ROOT / "data" / "raw" / "pe"  # Peru's waves of the shipped programme root

BASELINE, MIDTERM, ENDLINE = "2017-baseline", "2018-midterm", "2019-endline"


@dataclass(frozen=True)
class Loaded:
    """The wave loads. Counts are the clean wave's times `scale`, plus these deltas."""

    reason: str | None = None  # a reject (row or cell) with this text must be recorded
    rows_received: int = 0
    rows_rejected: int = 0
    duplicates_removed: int = 0
    values_invalid: int = 0
    scale: int = 1
    unknown_enterprises: int = 0  # rows counted as rejected by dbt (int_unknown_enterprise_rows)
    enterprises_lost: int = 0  # of those, rows that were a known enterprise's before (its row moved away)
    # A re-save that changes nothing must load the very same values: the instrument's raw rows are compared
    # with the clean wave's, but for these columns (None: not compared).
    same_values_but: tuple[str, ...] | None = None
    corrections: tuple[str, ...] = ()  # the statuses of the case's corrections log lines, in order

    def describe(self) -> str:
        deltas = [f"{name.replace('_', ' ')} {value:+d}" for name, value in (
            ("rows_received", self.rows_received), ("rows_rejected", self.rows_rejected),
            ("duplicates_removed", self.duplicates_removed), ("values_invalid", self.values_invalid),
            ("unknown enterprises", self.unknown_enterprises)) if value]
        scaled = [f"every count x{self.scale}"] if self.scale != 1 else []
        why = [f"reason: {self.reason}"] if self.reason else []
        same = ["values as the clean wave"] if self.same_values_but is not None else []
        statuses = [f"corrections {', '.join(self.corrections)}"] if self.corrections else []
        return "loaded; " + ("; ".join(scaled + deltas + statuses + why + same) or "counts as the clean wave")


@dataclass(frozen=True)
class Accepted:
    """A drop whose damage is not the instruments' business: it verifies, every instrument loads as the
    clean wave, and `note` (when given) is among the files it reports as read by no instrument."""

    note: str | None = None

    def describe(self) -> str:
        return f"loaded; reported as read by no instrument: `{self.note}`" if self.note else "loaded as the clean wave"


@dataclass(frozen=True)
class Refused:
    """The wave's ingest stops; the error contains `message` (the file and the problem)."""

    message: str

    def describe(self) -> str:
        return f"refused: `{self.message}`"


@dataclass(frozen=True)
class Unapplied:
    """A corrections log that no wave folder is named after: `make run` and the drop sensor name it
    (`note`); the wave loads as it would without it."""

    note: str

    def describe(self) -> str:
        return f"the wave loads as without it; reported: `{self.note}`"


@dataclass(frozen=True)
class Case:
    name: str
    instrument: str  # the contract's instrument (file name without extension), or "drop"
    damage: str  # what was done to the sample, for the docs table
    make: Callable[[Path], Path]  # damages the wave folder in place; returns the folder to run
    expected: Loaded | Refused | Accepted | Unapplied
    wave: str = MIDTERM
    reseal: bool = True  # rewrite SHA256SUMS after the damage (a drop that verifies)
    log: Callable[[Path], str] | None = None  # the wave's corrections log (contract 5), written from the wave folder
    log_wave: str | None = None  # the wave the log is named after, when not the case's


# -- editing helpers: the files are rewritten the way their producers write them ------------------

@dataclass(frozen=True)
class Delimited:
    file: str
    encoding: str  # as the sample writes it
    delimiter: str


PRACTICES = Delimited("practicas_gestion.csv", "utf-8-sig", ";")
SELF_ASSESSMENT = Delimited("autoevaluacion.csv", "utf-8", ";")
WORKERS = Delimited("encuesta_trabajadores.csv", "utf-8", ";")  # UTF-8 in the midterm
TRAINING = Delimited("registro_capacitacion.csv", "utf-8", ",")


def read_rows(folder: Path, spec: Delimited) -> list[list[str]]:
    text = (folder / spec.file).read_text(encoding=spec.encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter))


def write_rows(folder: Path, spec: Delimited, rows: list[list[str]], *, encoding: str | None = None,
               delimiter: str | None = None) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter or spec.delimiter, lineterminator="\r\n").writerows(rows)
    (folder / spec.file).write_bytes(buffer.getvalue().encode(encoding or spec.encoding))


def edit_rows(spec: Delimited, edit: Callable[[list[list[str]]], list[list[str]] | None], **write: str) -> Callable[[Path], Path]:
    """A case maker that rewrites one delimited file through `edit` (which may change the rows in place)."""
    def make(folder: Path) -> Path:
        rows = read_rows(folder, spec)
        write_rows(folder, spec, edit(rows) or rows, **write)
        return folder
    return make


def single_submission_rows(rows: list[list[str]], ruc_column: str) -> list[int]:
    """Indexes of data rows whose RUC appears once: damaging them changes no resubmission pair."""
    column = rows[0].index(ruc_column)
    counts = Counter(row[column].strip().replace("-", "") for row in rows[1:])
    return [i for i, row in enumerate(rows) if i and counts[row[column].strip().replace("-", "")] == 1]


def set_cells(spec: Delimited, ruc_column: str, values: dict[str, str]) -> Callable[[Path], Path]:
    """Overwrite cells (column -> value) of the first row whose enterprise submitted once."""
    def edit(rows: list[list[str]]) -> None:
        target = rows[single_submission_rows(rows, ruc_column)[0]]
        for column, value in values.items():
            target[rows[0].index(column)] = value
    return edit_rows(spec, edit)


def practice_cells_with_valid_scores(rows: list[list[str]], index: int, count: int) -> list[str]:
    header = rows[0]
    return [header[c] for c in range(len(header)) if header[c].count("/") == 2 and rows[index][c] in set("12345")][:count]


def bad_check_digit(ruc: str) -> str:
    digits = ruc.strip().replace("-", "")
    return digits[:10] + str((int(digits[10]) + 1) % 10)


def truncate_last_row(spec: Delimited) -> Callable[[Path], Path]:
    """The file cut off in the middle of its last line, as an interrupted copy leaves it."""
    def make(folder: Path) -> Path:
        path = folder / spec.file
        data = path.read_bytes().rstrip(b"\r\n")
        last_line_start = data.rfind(b"\n") + 1
        path.write_bytes(data[: last_line_start + (len(data) - last_line_start) // 3])
        return folder
    return make


def replace_file(spec_file: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / spec_file).write_bytes(content)
        return folder
    return make


def header_only(spec: Delimited) -> Callable[[Path], Path]:
    return edit_rows(spec, lambda rows: rows[:1])


def rename_column(spec: Delimited, old: str, new: str) -> Callable[[Path], Path]:
    def edit(rows: list[list[str]]) -> None:
        rows[0][rows[0].index(old)] = new
    return edit_rows(spec, edit)


def drop_column(spec: Delimited, predicate: Callable[[str], bool]) -> Callable[[Path], Path]:
    def edit(rows: list[list[str]]) -> list[list[str]]:
        keep = [c for c, name in enumerate(rows[0]) if not predicate(name)]
        return [[row[c] for c in keep] for row in rows]
    return edit_rows(spec, edit)


# practices

def duplicate_uuid_same_answers(rows: list[list[str]]) -> list[list[str]]:
    return [*rows, list(rows[single_submission_rows(rows, "ruc")[0]])]


def duplicate_uuid_other_answers(rows: list[list[str]]) -> None:
    first, second = single_submission_rows(rows, "ruc")[:2]
    rows[second][0] = rows[first][0]


def scores_out_of_range(rows: list[list[str]]) -> None:
    index = single_submission_rows(rows, "ruc")[0]
    for column, value in zip(practice_cells_with_valid_scores(rows, index, 3), ("0", "6", "3.5")):
        rows[index][rows[0].index(column)] = value


def practices_bad_ruc(rows: list[list[str]]) -> None:
    index = single_submission_rows(rows, "ruc")[0]
    rows[index][3] = bad_check_digit(rows[index][3])


# company profile (xlsx): edited with openpyxl, the header on row 3

def edit_profile(edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "perfil_empresa.xlsx"
        workbook = openpyxl.load_workbook(path)
        edit(workbook["perfil"])
        workbook.save(path)
        return folder
    return make


def profile_column(sheet: openpyxl.worksheet.worksheet.Worksheet, header: str) -> int:
    return next(cell.column for cell in sheet[3] if cell.value == header)


def set_profile_cell(header: str, value: Callable[[object], object]) -> Callable[[Path], Path]:
    """Overwrite one enterprise's cell (the first one listed) with `value(old value)`."""
    def edit(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
        cell = sheet.cell(4, profile_column(sheet, header))
        cell.value = value(cell.value)
    return edit_profile(edit)


def more_women_than_workers(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    workers = int(str(sheet.cell(4, profile_column(sheet, "N° trabajadores")).value))
    sheet.cell(4, profile_column(sheet, "N° trabajadoras")).value = workers + 5


def rename_sheet(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.title = "Hoja1"


def delete_title_rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.delete_rows(1, 2)


def delete_sales_column(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.delete_cols(profile_column(sheet, "Ventas anuales (S/.)"))


def delete_enterprise_rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.delete_rows(4, sheet.max_row)


# self-assessment

def add_free_text_columns(rows: list[list[str]]) -> list[list[str]]:
    extra = [["comentario", "gps_lat"]] + [["todo bien; gracias", "-12.05"] for _ in rows[1:]]
    return [row + more for row, more in zip(rows, extra)]


# worker survey

def unknown_enterprise_respondent(rows: list[list[str]]) -> list[list[str]]:
    stranger = rows[1][:]
    stranger[0], stranger[1] = "2018-99999", "20100123453"  # a valid RUC (check digit 3) of no enterprise
    return [*rows, stranger]


def misspelt_answers(rows: list[list[str]]) -> None:
    row = rows[1]
    for column, value in zip((6, 7, 8), ("Exelentísimo", "bien", "5 estrellas")):
        row[column] = value


def rename_item_seven(rows: list[list[str]]) -> None:
    column = next(c for c, name in enumerate(rows[0]) if name.startswith("P7. "))
    rows[0][column] = "Pregunta siete"


def hundredfold(rows: list[list[str]]) -> list[list[str]]:
    return rows[:1] + rows[1:] * 100


def reencode(spec: Delimited, encoding: str) -> Callable[[Path], Path]:
    return edit_rows(spec, lambda rows: None, encoding=encoding)


# training records

def training_set(column: str, value: Callable[[str], str]) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index(column)] = value(rows[1][rows[0].index(column)])
    return edit


# case studies (endline)

def edit_case_study(edit: Callable[[str], str]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = sorted((folder / "estudios_caso").glob("*.md"))[0]
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        return folder
    return make


# the drop

def append_to(file: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        with (folder / file).open("ab") as handle:
            handle.write(b"2018-99998;20100123453;F;18-25;<1;Calidad\r\n")
        return folder
    return make


def remove(file: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / file).unlink()
        return folder
    return make


def rename_folder(new_name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        return folder.rename(folder.with_name(new_name))
    return make


# -- re-saved by spreadsheets and survey tools (issue 11): helpers ----------------------------------

def map_column(spec: Delimited, column: str, change: Callable[[str], str]) -> Callable[[Path], Path]:
    """Every data row's cell of `column` rewritten, as a spreadsheet reformats a whole column."""
    def edit(rows: list[list[str]]) -> None:
        index = rows[0].index(column)
        for row in rows[1:]:
            if len(row) > index and row[index].strip():
                row[index] = change(row[index])
    return edit_rows(spec, edit)


def map_header(spec: Delimited, change: Callable[[str], str]) -> Callable[[Path], Path]:
    def edit(rows: list[list[str]]) -> None:
        rows[0] = [change(name) for name in rows[0]]
    return edit_rows(spec, edit)


def day_first(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).strftime("%d/%m/%Y %H:%M:%S")


def month_first_12h(timestamp: str) -> str:
    moment = datetime.fromisoformat(timestamp)
    return f"{moment.month}/{moment.day}/{moment.year} {moment.strftime('%I:%M:%S %p').lstrip('0')}"


def without_offset(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def iso_day_first(day: str) -> str:
    return datetime.strptime(day.strip()[:10], "%Y-%m-%d").strftime("%d/%m/%Y")


def resave_bytes(spec: Delimited, change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / spec.file
        path.write_bytes(change(path.read_bytes()))
        return folder
    return make


def quote_all(spec: Delimited) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        rows = read_rows(folder, spec)
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=spec.delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
        (folder / spec.file).write_bytes(buffer.getvalue().encode(spec.encoding))
        return folder
    return make


def blank_rows_every(spec: Delimited, every: int) -> Callable[[Path], Path]:
    """Rows of bare separators inserted, as a spreadsheet exports the empty rows of its range."""
    def edit(rows: list[list[str]]) -> list[list[str]]:
        blank = [""] * len(rows[0])
        out = rows[:1]
        for number, row in enumerate(rows[1:], start=1):
            out.append(row)
            if number % every == 0:
                out.append(blank)
        return out
    return edit_rows(spec, edit)


def sentinel_then_bytes(spec: Delimited, pick: Callable[[list[list[str]]], int], column: str, raw: bytes) -> Callable[[Path], Path]:
    """One cell replaced by raw bytes no CSV writer would produce (an unclosed quote typed by hand)."""
    def make(folder: Path) -> Path:
        rows = read_rows(folder, spec)
        rows[pick(rows)][rows[0].index(column)] = "@@SENTINEL@@"
        write_rows(folder, spec, rows)
        path = folder / spec.file
        path.write_bytes(path.read_bytes().replace(b"@@SENTINEL@@", raw))
        return folder
    return make


def clean_practices_row(rows: list[list[str]]) -> int:
    """A single submission with no invalid cell: rejecting it changes only the rejected count."""
    header = rows[0]
    cells = [c for c, name in enumerate(header) if name.count("/") == 2]
    return next(i for i in single_submission_rows(rows, "ruc")
                if all(rows[i][c] in PRACTICE_CODES for c in cells) and rows[i][header.index("fecha_visita")][:2] == "20")


def clean_worker_row(rows: list[list[str]]) -> int:
    """A respondent of a valid RUC whose every answer and sex are valid (the contract's labels)."""
    header = rows[0]
    items = [c for c, name in enumerate(header) if name.startswith("P")]
    valid = set(LABELS) | {"", "ns/nr"}
    return next(i for i, row in enumerate(rows) if i and ruc(row[1]) and fold(row[2]) in {"f", "m", "mujer", "hombre"}
                and all(fold(row[c]) in valid for c in items))


def mixed_encodings(from_row: int) -> Callable[[Path], Path]:
    """UTF-8 up to a row, Windows-1252 from it on (two exports pasted together); that row has an accent."""
    def make(folder: Path) -> Path:
        rows = read_rows(folder, WORKERS)
        rows[from_row][rows[0].index("Área")] = "Producción"
        head, tail = io.StringIO(newline=""), io.StringIO(newline="")
        csv.writer(head, delimiter=";", lineterminator="\r\n").writerows(rows[:from_row])
        csv.writer(tail, delimiter=";", lineterminator="\r\n").writerows(rows[from_row:])
        (folder / WORKERS.file).write_bytes(head.getvalue().encode("utf-8") + tail.getvalue().encode("cp1252"))
        return folder
    return make


def kobo_labels_as_headers(rows: list[list[str]]) -> None:
    """Exported with "labels" instead of "XML values and headers": practice columns headed by their question."""
    labels = dict(zip(codebook("practices")["practice_id"], codebook("practices")["label_es"]))
    rows[0] = [labels.get(name.rsplit("/", 1)[-1], name) for name in rows[0]]


def profile_percent_formatted(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    """Capacity typed as numbers in a cell formatted as a percentage: Excel stores 66 % as 0.66."""
    column = profile_column(sheet, "Capacidad instalada utilizada (%)")
    for (cell,) in sheet.iter_rows(min_row=4, min_col=column, max_col=column):
        value = number(cell.value)
        if value == value:  # not NaN
            cell.value = float(Decimal(repr(value)) / 100)
            cell.number_format = "0.0%"


def profile_dates_as_day_first_text(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    column = profile_column(sheet, "Fecha de registro")
    for (cell,) in sheet.iter_rows(min_row=4, min_col=column, max_col=column):
        if isinstance(cell.value, datetime):
            cell.value = cell.value.strftime("%d/%m/%Y")


def profile_numbers_as_text(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    column = profile_column(sheet, "N° trabajadoras")
    for (cell,) in sheet.iter_rows(min_row=4, min_col=column, max_col=column):
        if isinstance(cell.value, int | float):
            cell.value = f"{cell.value:,.0f}"


def profile_duplicate_column(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    source = profile_column(sheet, "Ventas anuales (S/.)")
    target = sheet.max_column + 1
    for row in range(3, sheet.max_row + 1):
        sheet.cell(row, target).value = sheet.cell(row, source).value


def profile_blank_rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    for row in (30, 20, 10):
        sheet.insert_rows(row)


def profile_header_spaces(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    for cell in sheet[3]:
        cell.value = f" {cell.value}  "


def profile_instructions_sheet_first(folder: Path) -> Path:
    path = folder / "perfil_empresa.xlsx"
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Instrucciones", 0)["A1"] = "Llene una fila por empresa."
    workbook.save(path)
    return folder


def damage_sheet_xml(folder: Path) -> Path:
    """The sheet's XML cut in half inside an otherwise valid archive (a sync client's partial write)."""
    path = folder / "perfil_empresa.xlsx"
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = next(name for name in members if name.startswith("xl/worksheets/sheet"))
    members[sheet] = members[sheet][: len(members[sheet]) // 2]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return folder


def duplicate_training_record(rows: list[list[str]]) -> list[list[str]]:
    return [*rows, list(rows[1])]


def conflicting_training_record(rows: list[list[str]]) -> list[list[str]]:
    again = list(rows[1])
    again[rows[0].index("sesiones_aula")] = str(int(again[rows[0].index("sesiones_aula")]) + 1)
    return [*rows, again]


def edit_case_study_bytes(change: Callable[[bytes], bytes], which: int = 0) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = sorted((folder / "estudios_caso").glob("*.md"))[which]
        path.write_bytes(change(path.read_bytes()))
        return folder
    return make


def sums_with_crlf(folder: Path) -> Path:
    path = folder / "SHA256SUMS"
    write_sha256sums(folder)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return folder


def sums_in_binary_mode_upper_case(folder: Path) -> Path:
    path = folder / "SHA256SUMS"
    write_sha256sums(folder)
    lines = [line.split("  ", 1) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(f"{digest.upper()} *{name}\n" for digest, name in lines), encoding="utf-8")
    return folder


CASES: tuple[Case, ...] = (
    # practicas_gestion.csv
    Case("practices_truncated", "practicas_gestion",
         "file cut off a third of the way into its last line (a submission with one invalid cell)",
         truncate_last_row(PRACTICES), Loaded(rows_rejected=1, values_invalid=-1, reason="fields, the header has")),
    Case("practices_comma_separated", "practicas_gestion", "saved with `,` instead of `;`",
         edit_rows(PRACTICES, lambda rows: None, delimiter=","),
         Refused("practicas_gestion.csv: header has one column; expected the separator ';'")),
    Case("practices_missing_practice_column", "practicas_gestion", "the column of practice m1_com_01 removed",
         drop_column(PRACTICES, lambda name: name.endswith("/m1_com_01")),
         Refused("practicas_gestion.csv: missing practice column(s): m1_com_01")),
    Case("practices_renamed_ruc_column", "practicas_gestion", "`ruc` renamed `RUC empresa`",
         rename_column(PRACTICES, "ruc", "RUC empresa"), Refused("practicas_gestion.csv: missing required column(s): ruc")),
    Case("practices_header_only", "practicas_gestion", "the header and no data row",
         header_only(PRACTICES), Refused("practicas_gestion.csv: has a header but no data rows")),
    Case("practices_duplicate_uuid_same_answers", "practicas_gestion", "a submission appended twice (same `_uuid`, same answers)",
         edit_rows(PRACTICES, duplicate_uuid_same_answers), Loaded(rows_received=1, duplicates_removed=1)),
    Case("practices_duplicate_uuid_other_answers", "practicas_gestion", "a second enterprise's row given the first one's `_uuid`",
         edit_rows(PRACTICES, duplicate_uuid_other_answers), Loaded(rows_rejected=1, reason="with other answers")),
    Case("practices_scores_out_of_range", "practicas_gestion", "three valid scores typed as `0`, `6` and `3.5`",
         edit_rows(PRACTICES, scores_out_of_range), Loaded(values_invalid=3, reason="is not 1..5, NA, 99 or empty")),
    Case("practices_visit_in_the_future", "practicas_gestion", "`fecha_visita` 2099-06-01",
         set_cells(PRACTICES, "ruc", {"fecha_visita": "2099-06-01"}), Loaded(values_invalid=1, reason="is in the future")),
    Case("practices_submitted_in_the_future", "practicas_gestion", "`_submission_time` 2099-06-01T10:00:00.000-05:00",
         set_cells(PRACTICES, "ruc", {"_submission_time": "2099-06-01T10:00:00.000-05:00"}),
         Loaded(rows_rejected=1, reason="is in the future")),
    Case("practices_bad_check_digit", "practicas_gestion", "a RUC's check digit changed",
         edit_rows(PRACTICES, practices_bad_ruc), Loaded(rows_rejected=1, reason="fails its check digit")),
    # perfil_empresa.xlsx
    Case("profile_without_perfil_sheet", "perfil_empresa", "sheet `perfil` renamed `Hoja1`",
         edit_profile(rename_sheet), Refused("perfil_empresa.xlsx: has no sheet 'perfil' (sheets: Hoja1)")),
    Case("profile_header_on_row_1", "perfil_empresa", "title and note rows deleted: the header moves to row 1",
         edit_profile(delete_title_rows),
         Refused("perfil_empresa.xlsx: sheet 'perfil' row 3 is not the header; a header was found on row 1")),
    Case("profile_not_a_workbook", "perfil_empresa", "a CSV saved under the .xlsx name",
         replace_file("perfil_empresa.xlsx", "RUC;Razón social\n20100123453;X\n".encode()),
         Refused("perfil_empresa.xlsx: is not a readable xlsx workbook")),
    Case("profile_missing_sales_column", "perfil_empresa", "column `Ventas anuales (S/.)` deleted",
         edit_profile(delete_sales_column), Refused("perfil_empresa.xlsx: missing required column(s): Ventas anuales (S/.)")),
    Case("profile_header_only", "perfil_empresa", "every enterprise row deleted",
         edit_profile(delete_enterprise_rows), Refused("perfil_empresa.xlsx: sheet 'perfil' has a header but no enterprise rows")),
    Case("profile_negative_sales", "perfil_empresa", "annual sales typed `-7,050,000`",
         set_profile_cell("Ventas anuales (S/.)", lambda old: "-7,050,000"), Loaded(values_invalid=1, reason="is negative")),
    Case("profile_more_women_than_workers", "perfil_empresa", "`N° trabajadoras` = `N° trabajadores` + 5",
         edit_profile(more_women_than_workers), Loaded(values_invalid=1, reason="women exceed")),
    Case("profile_share_above_100", "perfil_empresa", "capacity in use typed `163%`",
         set_profile_cell("Capacidad instalada utilizada (%)", lambda old: "163%"), Loaded(values_invalid=1, reason="is above 100")),
    Case("profile_registered_in_the_future", "perfil_empresa", "`Fecha de registro` 2099-01-31",
         set_profile_cell("Fecha de registro", lambda old: "2099-01-31"), Loaded(values_invalid=1, reason="is in the future")),
    # autoevaluacion.csv
    Case("self_assessment_extra_columns", "autoevaluacion", "two free-text columns added (`comentario`, `gps_lat`)",
         edit_rows(SELF_ASSESSMENT, add_free_text_columns), Loaded()),
    Case("self_assessment_misspelt_labels", "autoevaluacion", "`posiitvo` and `bastante` in the perceptions block",
         set_cells(SELF_ASSESSMENT, "ruc", {"efectos/ventas": "posiitvo", "influencia_score/ventas": "bastante"}),
         Loaded(values_invalid=2, reason="is not one of")),
    Case("self_assessment_rating_out_of_range", "autoevaluacion", "`autoeval/m3` = 7",
         set_cells(SELF_ASSESSMENT, "ruc", {"autoeval/m3": "7"}), Loaded(values_invalid=1, reason="is not a rating 1..5")),
    Case("self_assessment_empty_file", "autoevaluacion", "a file of 0 bytes",
         replace_file("autoevaluacion.csv", b""), Refused("autoevaluacion.csv: is empty: no header row")),
    Case("self_assessment_tab_separated", "autoevaluacion", "saved with tabs instead of `;`",
         edit_rows(SELF_ASSESSMENT, lambda rows: None, delimiter="\t"),
         Refused("autoevaluacion.csv: header has one column; expected the separator ';'")),
    # encuesta_trabajadores.csv
    Case("workers_utf16", "encuesta_trabajadores", "saved as UTF-16 (\"Unicode text\" in Excel)",
         reencode(WORKERS, "utf-16"), Refused("encuesta_trabajadores.csv: is UTF-16 or binary (NUL bytes)")),
    Case("workers_windows_1252", "encuesta_trabajadores", "the UTF-8 midterm file saved as Windows-1252 (accents in the header)",
         reencode(WORKERS, "cp1252"), Loaded()),
    Case("workers_unknown_enterprise", "encuesta_trabajadores", "a respondent of a valid RUC that no profile sheet lists",
         edit_rows(WORKERS, unknown_enterprise_respondent), Loaded(rows_received=1, unknown_enterprises=1)),
    Case("workers_misspelt_beyond_recognition", "encuesta_trabajadores", "`Exelentísimo`, `bien`, `5 estrellas` as answers",
         edit_rows(WORKERS, misspelt_answers), Loaded(values_invalid=3, reason="is not a satisfaction label")),
    Case("workers_renamed_item_column", "encuesta_trabajadores", "header `P7. Capacitación recibida` renamed `Pregunta siete`",
         edit_rows(WORKERS, rename_item_seven), Refused("encuesta_trabajadores.csv: missing the column of item w07")),
    Case("workers_hundredfold", "encuesta_trabajadores", "every respondent row repeated 100 times (a very large file)",
         edit_rows(WORKERS, hundredfold), Loaded(scale=100)),
    # registro_capacitacion.csv
    Case("training_bad_check_digit", "registro_capacitacion", "a RUC's check digit changed",
         edit_rows(TRAINING, training_set("ruc", bad_check_digit)), Loaded(rows_rejected=1, reason="fails its check digit")),
    Case("training_start_in_the_future", "registro_capacitacion", "`fecha_inicio` 2099-03-01",
         edit_rows(TRAINING, training_set("fecha_inicio", lambda old: "2099-03-01")),
         Loaded(rows_rejected=1, reason="fecha_inicio: date 2099-03-01 is in the future")),
    Case("training_negative_contribution", "registro_capacitacion", "`aporte_usd` -500",
         edit_rows(TRAINING, training_set("aporte_usd", lambda old: "-500")), Loaded(values_invalid=1, reason="is negative")),
    Case("training_module_out_of_range", "registro_capacitacion", "`modulo` 7",
         edit_rows(TRAINING, training_set("modulo", lambda old: "7")), Loaded(rows_rejected=1, reason="modulo '7' is not 1..5")),
    Case("training_header_only", "registro_capacitacion", "the header and no record (no module finished yet)",
         header_only(TRAINING), Loaded(scale=0)),
    Case("training_truncated", "registro_capacitacion", "file cut off a third of the way into its last line",
         truncate_last_row(TRAINING), Loaded(rows_rejected=1, reason="fields, the header has")),
    # estudios_caso/*.md
    Case("case_study_without_front_matter", "estudios_caso", "the `---` front matter lines removed",
         edit_case_study(lambda text: text.replace("---\n", "", 2)), Loaded(rows_rejected=1, reason="no YAML front matter"),
         wave=ENDLINE),
    Case("case_study_broken_yaml", "estudios_caso", "front matter `modulos: [1, 2` (unclosed list)",
         edit_case_study(lambda text: text.replace("modulos: [", "modulos: [[", 1)),
         Loaded(rows_rejected=1, reason="front matter is not YAML"), wave=ENDLINE),
    # the drop
    Case("drop_checksum_mismatch", "drop", "a row appended to the worker survey after SHA256SUMS was written",
         append_to("encuesta_trabajadores.csv"), Refused("encuesta_trabajadores.csv: checksum mismatch"), reseal=False),
    Case("drop_without_sha256sums", "drop", "SHA256SUMS not (yet) written",
         remove("SHA256SUMS"), Refused("SHA256SUMS is missing: the drop is not complete"), reseal=False),
    Case("drop_missing_required_file", "autoevaluacion", "autoevaluacion.csv left out of the drop (and of SHA256SUMS)",
         remove("autoevaluacion.csv"), Refused("autoevaluacion.csv: required file is missing")),
    Case("drop_bad_folder_name", "drop", "the wave folder named `2018-Midterm`",
         rename_folder("2018-Midterm"), Refused("folder name '2018-Midterm' is not a wave key YYYY-name in lower case")),
)
SAME = ()  # Loaded(same_values_but=SAME): every column equal to the clean wave's
REFUSED_BY_CHECKS = "refused, the wave's loaded rows are unchanged"
UNCERTAIN_TIME = "not ISO 8601 with a UTC offset"


def valid_ruc_rows(spec: Delimited, ruc_column: str, wave: str = MIDTERM) -> int:
    """The clean wave's rows of a file with a valid RUC (tests/reference.py's rule): those whose cells are read."""
    rows = read_rows(SAMPLE_RAW / wave, spec)
    column = rows[0].index(ruc_column)
    return sum(1 for row in rows[1:] if any(cell.strip() for cell in row) and ruc(row[column]))


def cells_among(spec: Delimited, ruc_column: str, column: str, values: set[str], wave: str = MIDTERM) -> int:
    """The clean wave's cells of `column` holding one of `values`, in rows with a valid RUC."""
    rows = read_rows(SAMPLE_RAW / wave, spec)
    index, ruc_index = rows[0].index(column), rows[0].index(ruc_column)
    return sum(1 for row in rows[1:] if len(row) > index and ruc(row[ruc_index]) and row[index].strip() in values)


# A submission time not as the contract writes it (ISO 8601 with offset): every read row's time is an invalid
# value, loaded as null; the same submissions win (the times still order them).
UNCERTAIN_PRACTICE_TIMES = Loaded(values_invalid=valid_ruc_rows(PRACTICES, "ruc"), reason=UNCERTAIN_TIME,
                                  same_values_but=("submitted_at",))

# Issue 11: what re-saving in Excel, LibreOffice or Google Sheets, typing on Windows or Mac, or exporting
# from KoboToolbox / SurveyCTO with other options does to the extracts.
RESAVED_CASES: tuple[Case, ...] = (
    # practicas_gestion.csv
    Case("practices_times_resaved_day_first", "practicas_gestion", "`_submission_time` re-saved by a Spanish Excel: `02/05/2018 10:05:33`, no offset",
         map_column(PRACTICES, "_submission_time", day_first), UNCERTAIN_PRACTICE_TIMES),
    Case("practices_times_resaved_month_first_12h", "practicas_gestion", "`_submission_time` re-saved by a US Excel: `5/2/2018 10:05:33 AM`",
         map_column(PRACTICES, "_submission_time", month_first_12h), UNCERTAIN_PRACTICE_TIMES),
    Case("practices_times_without_offset", "practicas_gestion", "`_submission_time` re-saved by LibreOffice: `2018-05-02 10:05:33`",
         map_column(PRACTICES, "_submission_time", without_offset), UNCERTAIN_PRACTICE_TIMES),
    Case("practices_visit_dates_day_first", "practicas_gestion", "`fecha_visita` reformatted `02/05/2018`",
         map_column(PRACTICES, "fecha_visita", iso_day_first), Loaded(same_values_but=SAME)),
    Case("practices_unclosed_quote", "practicas_gestion", "an evaluator typed as `\"EV03` (a quote that never closes) in a clean submission",
         sentinel_then_bytes(PRACTICES, clean_practices_row, "evaluador", b'"EV03'),
         Loaded(rows_rejected=1, reason="unbalanced quotes")),
    Case("practices_quote_inside_a_field", "practicas_gestion", "an evaluator typed as `EV03 \"b\"x` (quotes out of place) in a clean submission",
         sentinel_then_bytes(PRACTICES, clean_practices_row, "evaluador", b'"EV03 "b"x'),
         Loaded(rows_rejected=1, reason="quotes out of place")),
    Case("practices_quoted_separator", "practicas_gestion", "an evaluator `EV03; revisado` quoted because of its `;`",
         set_cells(PRACTICES, "ruc", {"evaluador": "EV03; revisado"}), Loaded()),
    Case("practices_column_twice", "practicas_gestion", "the column of m1_com_01 pasted a second time at the end",
         edit_rows(PRACTICES, lambda rows: [row + [row[7]] for row in rows]),
         Refused("practicas_gestion.csv: the header names a column more than once: 'm1_cooperacion/comunicacion/m1_com_01' in columns 8 and")),
    Case("practices_ambiguous_practice_column", "practicas_gestion", "a second column ending in `/m1_com_01` (a renamed group)",
         edit_rows(PRACTICES, lambda rows: [row + [row[7] if i else "m1_cooperacion/comunicacion_v2/m1_com_01"] for i, row in enumerate(rows)]),
         Refused("practicas_gestion.csv: the columns 'm1_cooperacion/comunicacion/m1_com_01', 'm1_cooperacion/comunicacion_v2/m1_com_01' all look like practice m1_com_01")),
    Case("practices_lf_line_endings", "practicas_gestion", "line endings converted to LF (saved on Linux or macOS)",
         resave_bytes(PRACTICES, lambda data: data.replace(b"\r\n", b"\n")), Loaded(same_values_but=SAME)),
    Case("practices_cr_line_endings", "practicas_gestion", "line endings converted to CR only (classic Mac Excel)",
         resave_bytes(PRACTICES, lambda data: data.replace(b"\r\n", b"\r")), Loaded(same_values_but=SAME)),
    Case("practices_every_field_quoted", "practicas_gestion", "every field quoted (LibreOffice \"quote all text cells\")",
         quote_all(PRACTICES), Loaded(same_values_but=SAME)),
    Case("practices_blank_separator_rows", "practicas_gestion", "a row of bare `;` after every 10th row (the sheet's empty rows)",
         blank_rows_every(PRACTICES, 10), Loaded(same_values_but=("source_row",))),
    Case("practices_without_bom", "practicas_gestion", "saved as UTF-8 without the BOM",
         resave_bytes(PRACTICES, lambda data: data.removeprefix(b"\xef\xbb\xbf")), Loaded(same_values_but=SAME)),
    Case("practices_kobo_dot_group_separator", "practicas_gestion", "KoboToolbox export with `.` as the group separator",
         map_header(PRACTICES, lambda name: name.replace("/", ".")), Loaded(same_values_but=SAME)),
    Case("practices_kobo_extra_columns", "practicas_gestion", "KoboToolbox metadata columns added (`_validation_status`, `_notes`, `_tags`)",
         edit_rows(PRACTICES, lambda rows: [row + (["", "[]", "[]"] if i else ["_validation_status", "_notes", "_tags"])
                                             for i, row in enumerate(rows)]), Loaded(same_values_but=SAME)),
    Case("practices_kobo_labels_as_headers", "practicas_gestion", "KoboToolbox export with labels instead of XML names as headers",
         edit_rows(PRACTICES, kobo_labels_as_headers), Refused("practicas_gestion.csv: missing practice column(s): m1_com_01")),
    Case("practices_ruc_column_emptied", "practicas_gestion", "every RUC cell emptied (a filter-and-delete gone wrong): no row can load",
         edit_rows(PRACTICES, lambda rows: [row[:3] + ([""] if i else ["ruc"]) + row[4:] for i, row in enumerate(rows)]),
         Refused(f"practicas_gestion.csv: {REFUSED_BY_CHECKS}: structure check: expect_table_row_count_to_be_between")),
    Case("practices_ruc_spelled_with_dashes", "practicas_gestion", "every RUC written `20-10012345-3` with spaces around",
         map_column(PRACTICES, "ruc", lambda raw: f" {ruc(raw)[:2]}-{ruc(raw)[2:10]}-{ruc(raw)[10]} " if ruc(raw) else raw),
         Loaded(same_values_but=SAME)),
    # perfil_empresa.xlsx
    Case("profile_percent_formatted_cells", "perfil_empresa", "capacity typed in cells formatted as a percentage (Excel stores 66 % as 0.66)",
         edit_profile(profile_percent_formatted), Loaded(same_values_but=SAME)),
    Case("profile_percent_in_a_count", "perfil_empresa", "`N° trabajadores` typed `35%`",
         set_profile_cell("N° trabajadores", lambda old: "35%"), Loaded(values_invalid=1, reason="is a percentage, not a count")),
    Case("profile_money_in_a_count", "perfil_empresa", "`Accidentes de trabajo (año)` typed `S/ 3`",
         set_profile_cell("Accidentes de trabajo (año)", lambda old: "S/ 3"),
         Loaded(values_invalid=1, reason="is an amount of money, not a count")),
    Case("profile_fraction_in_a_count", "perfil_empresa", "`Accidentes de trabajo (año)` typed `2.5`",
         set_profile_cell("Accidentes de trabajo (año)", lambda old: "2.5"), Loaded(values_invalid=1, reason="is not a whole count")),
    Case("profile_money_in_a_share", "perfil_empresa", "`Ausentismo (%)` typed `S/ 5`",
         set_profile_cell("Ausentismo (%)", lambda old: "S/ 5"), Loaded(values_invalid=1, reason="is an amount of money, not a percentage")),
    Case("profile_column_twice", "perfil_empresa", "column `Ventas anuales (S/.)` copied to the end of the sheet",
         edit_profile(profile_duplicate_column),
         Refused("perfil_empresa.xlsx: the header names a column more than once: 'Ventas anuales (S/.)' in columns 9 and 21")),
    Case("profile_dates_as_day_first_text", "perfil_empresa", "`Fecha de registro` date cells turned into text `18/05/2017`",
         edit_profile(profile_dates_as_day_first_text), Loaded(same_values_but=SAME)),
    Case("profile_counts_as_text", "perfil_empresa", "`N° trabajadoras` number cells turned into text",
         edit_profile(profile_numbers_as_text), Loaded(same_values_but=SAME)),
    Case("profile_blank_rows_between", "perfil_empresa", "three empty rows inserted between enterprises",
         edit_profile(profile_blank_rows), Loaded(same_values_but=("source_row",))),
    Case("profile_header_with_spaces", "perfil_empresa", "every header cell with spaces around it",
         edit_profile(profile_header_spaces), Loaded(same_values_but=SAME)),
    Case("profile_instructions_sheet_first", "perfil_empresa", "an `Instrucciones` sheet added before `perfil`",
         profile_instructions_sheet_first, Loaded(same_values_but=SAME)),
    Case("profile_damaged_sheet_xml", "perfil_empresa", "the sheet's XML cut in half inside the archive",
         damage_sheet_xml, Refused("perfil_empresa.xlsx: sheet 'perfil' cannot be read (its XML is damaged")),
    # autoevaluacion.csv
    Case("self_assessment_times_resaved_day_first", "autoevaluacion", "`_submission_time` re-saved `02/05/2018 10:05:33`",
         map_column(SELF_ASSESSMENT, "_submission_time", day_first),
         Loaded(values_invalid=valid_ruc_rows(SELF_ASSESSMENT, "ruc"), reason=UNCERTAIN_TIME, same_values_but=("submitted_at",))),
    Case("self_assessment_kobo_dot_group_separator", "autoevaluacion", "KoboToolbox export with `.` as the group separator",
         map_header(SELF_ASSESSMENT, lambda name: name.replace("/", ".")), Loaded(same_values_but=SAME)),
    Case("self_assessment_labels_in_capitals", "autoevaluacion", "every perception answer in capitals (`POSITIVO`, `MUCHO`)",
         edit_rows(SELF_ASSESSMENT, lambda rows: [rows[0]] + [[cell.upper() if c > 8 else cell for c, cell in enumerate(row)]
                                                               for row in rows[1:]]), Loaded(same_values_but=SAME)),
    Case("self_assessment_bom_and_lf", "autoevaluacion", "saved by Excel as \"CSV UTF-8\" on a Mac: BOM, LF endings",
         resave_bytes(SELF_ASSESSMENT, lambda data: b"\xef\xbb\xbf" + data.replace(b"\r\n", b"\n")), Loaded(same_values_but=SAME)),
    Case("self_assessment_semicolon_locale_trailing", "autoevaluacion", "a `;` at the end of every line, header included",
         resave_bytes(SELF_ASSESSMENT, lambda data: data.replace(b"\r\n", b";\r\n")), Loaded(same_values_but=SAME)),
    # encuesta_trabajadores.csv
    Case("workers_mixed_encodings", "encuesta_trabajadores", "UTF-8 up to row 600, Windows-1252 after (two exports pasted together)",
         mixed_encodings(600), Refused("encuesta_trabajadores.csv: mixes encodings: line 601 has bytes that are not UTF-8 (byte 0xf3)")),
    Case("workers_with_bom", "encuesta_trabajadores", "saved by Excel as \"CSV UTF-8\" (a BOM before the header)",
         resave_bytes(WORKERS, lambda data: b"\xef\xbb\xbf" + data), Loaded(same_values_but=SAME)),
    Case("workers_cr_line_endings", "encuesta_trabajadores", "line endings converted to CR only (classic Mac Excel)",
         resave_bytes(WORKERS, lambda data: data.replace(b"\r\n", b"\r")), Loaded(same_values_but=SAME)),
    Case("workers_item_column_twice", "encuesta_trabajadores", "a second column `P7. Capacitación recibida (copia)`",
         edit_rows(WORKERS, lambda rows: [row + [row[12] if i else "P7. Capacitación recibida (copia)"] for i, row in enumerate(rows)]),
         Refused("encuesta_trabajadores.csv: the columns 'P7. Capacitación recibida', 'P7. Capacitación recibida (copia)' all look like item w07")),
    Case("workers_unclosed_quote", "encuesta_trabajadores", "an area typed `\"Producción` (a quote that never closes) for a clean respondent",
         sentinel_then_bytes(WORKERS, clean_worker_row, "Área", '"Producción'.encode()),
         Loaded(rows_rejected=1, reason="unbalanced quotes")),
    Case("workers_header_with_spaces", "encuesta_trabajadores", "`  RUC  ` and `Sexo ` in the header",
         map_header(WORKERS, lambda name: f"  {name}  " if name in ("RUC", "Sexo") else name), Loaded(same_values_but=SAME)),
    Case("workers_quoted_separator", "encuesta_trabajadores", "an area `Ventas; Almacén` quoted because of its `;`",
         edit_rows(WORKERS, lambda rows: rows[1].__setitem__(5, "Ventas; Almacén")), Loaded()),
    # registro_capacitacion.csv
    Case("training_record_twice", "registro_capacitacion", "the first record pasted again at the end",
         edit_rows(TRAINING, duplicate_training_record), Loaded(rows_received=1, duplicates_removed=1)),
    Case("training_record_corrected_below", "registro_capacitacion", "the first record again at the end with one more session",
         edit_rows(TRAINING, conflicting_training_record), Loaded(rows_received=1, duplicates_removed=1)),
    Case("training_dates_day_first", "registro_capacitacion", "`fecha_inicio` and `fecha_fin` reformatted `15/02/2017`",
         lambda folder: map_column(TRAINING, "fecha_fin", iso_day_first)(map_column(TRAINING, "fecha_inicio", iso_day_first)(folder)),
         Loaded(same_values_but=SAME)),
    Case("training_amounts_in_dollars", "registro_capacitacion", "`aporte_usd` written `US$ 500`",
         map_column(TRAINING, "aporte_usd", lambda amount: f"US$ {amount}"), Loaded(same_values_but=SAME)),
    Case("training_semicolon_separated", "registro_capacitacion", "saved by a Spanish-locale Excel with `;`",
         edit_rows(TRAINING, lambda rows: None, delimiter=";"),
         Refused("registro_capacitacion.csv: header has one column; expected the separator ','")),
    Case("training_bom_and_crlf", "registro_capacitacion", "saved by Excel as \"CSV UTF-8\": BOM and CRLF",
         resave_bytes(TRAINING, lambda data: b"\xef\xbb\xbf" + data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")),
         Loaded(same_values_but=SAME)),
    # estudios_caso/*.md (endline)
    Case("case_study_with_bom", "estudios_caso", "saved by Notepad as UTF-8 with BOM",
         edit_case_study_bytes(lambda data: b"\xef\xbb\xbf" + data), Loaded(same_values_but=SAME), wave=ENDLINE),
    Case("case_study_windows_1252", "estudios_caso", "saved as Windows-1252 (ANSI)",
         edit_case_study_bytes(lambda data: data.decode("utf-8").encode("cp1252")), Loaded(same_values_but=SAME), wave=ENDLINE),
    Case("case_study_crlf", "estudios_caso", "CRLF line endings",
         edit_case_study_bytes(lambda data: data.replace(b"\n", b"\r\n")), Loaded(same_values_but=SAME), wave=ENDLINE),
    Case("case_study_without_title", "estudios_caso", "the `titulo:` line removed from the front matter",
         edit_case_study(lambda text: "\n".join(l for l in text.split("\n") if not l.startswith("titulo:"))),
         Loaded(values_invalid=1, reason="titulo is missing"), wave=ENDLINE),
    Case("case_study_utf16", "estudios_caso", "saved as UTF-16 (\"Unicode\" in Notepad)",
         edit_case_study_bytes(lambda data: data.decode("utf-8").encode("utf-16")),
         Loaded(rows_rejected=1, reason="is UTF-16 or binary"), wave=ENDLINE),
    # the drop
    Case("drop_unread_file_listed", "drop", "`notas_campo.txt` added to the folder and to SHA256SUMS",
         replace_file("notas_campo.txt", "Visitas reprogramadas.\n".encode()), Accepted("notas_campo.txt")),
    Case("drop_extract_copy_listed", "drop", "`practicas_gestion (1).csv`, a second download, added and listed",
         replace_file("practicas_gestion (1).csv", b"_uuid;ruc\n"), Accepted("practicas_gestion (1).csv")),
    Case("drop_sums_with_crlf", "drop", "SHA256SUMS written with CRLF line endings (Windows)",
         sums_with_crlf, Accepted(), reseal=False),
    Case("drop_sums_binary_mode_upper_case", "drop", "SHA256SUMS in binary mode (`*file`) with upper-case digests",
         sums_in_binary_mode_upper_case, Accepted(), reseal=False),
)
CASES = CASES + RESAVED_CASES


# Issue 26: what contract v2.1 settles (required columns, currency markers) and what spreadsheets, scripts and
# survey tools do that used to be read silently as "not available" or guessed.
def kobo_utc_without_offset(timestamp: str) -> str:
    """KoboToolbox's own `_submission_time`: UTC, written without its offset."""
    return datetime.fromisoformat(timestamp).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def without_group_paths(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def formula_without_value(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    """What openpyxl (or R's openxlsx) writes for a computed cell: the formula, no saved result."""
    sheet.cell(4, profile_column(sheet, "Ventas anuales (S/.)")).value = "=12*590000"


def with_baseline(make: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """The case's damage, with the country's baseline folder beside the wave (the wave is not the first)."""
    def make_after_baseline(folder: Path) -> Path:
        shutil.copytree(SAMPLE_RAW / BASELINE, folder.parent / BASELINE)
        return make(folder)
    return make_after_baseline


def tenure_as_excel_dates(band: str) -> str:
    """Excel turns a typed `1-3` or `3-5` into a date, shown `1-mar`, `3-may` in a Spanish locale."""
    return {"1-3": "1-mar", "3-5": "3-may"}.get(band.strip(), band)


ISSUE_26_CASES: tuple[Case, ...] = (
    # required and informational columns (contract 3)
    Case("practices_without_evaluator_column", "practicas_gestion", "the `evaluador` column left out of the export",
         drop_column(PRACTICES, lambda name: name == "evaluador"),
         Refused("practicas_gestion.csv: missing required column(s): evaluador")),
    Case("practices_without_visit_date_column", "practicas_gestion", "the `fecha_visita` column left out of the export",
         drop_column(PRACTICES, lambda name: name == "fecha_visita"),
         Refused("practicas_gestion.csv: missing required column(s): fecha_visita")),
    Case("practices_without_wave_label_column", "practicas_gestion", "the informational `onda` column left out",
         drop_column(PRACTICES, lambda name: name == "onda"),
         Loaded(reason="column 'onda' is missing (informational", same_values_but=("form_wave_label",))),
    Case("practices_without_index_column", "practicas_gestion", "the informational `_index` column left out",
         drop_column(PRACTICES, lambda name: name == "_index"),
         Loaded(reason="column '_index' is missing (informational", same_values_but=("form_index",))),
    Case("practices_without_group_paths", "practicas_gestion", "exported without group names: `m1_com_01` for `m1_cooperacion/comunicacion/m1_com_01`",
         map_header(PRACTICES, without_group_paths), Loaded(same_values_but=SAME)),
    Case("practices_kobo_utc_times", "practicas_gestion", "KoboToolbox's `_submission_time`: UTC without offset `2018-05-02T15:05:33`",
         map_column(PRACTICES, "_submission_time", kobo_utc_without_offset), UNCERTAIN_PRACTICE_TIMES),
    Case("self_assessment_without_role_column", "autoevaluacion", "the `cargo_informante` column left out",
         drop_column(SELF_ASSESSMENT, lambda name: name == "cargo_informante"),
         Refused("autoevaluacion.csv: missing required column(s): cargo_informante")),
    Case("self_assessment_without_perceptions", "autoevaluacion", "the midterm exported without its perceptions block",
         with_baseline(drop_column(SELF_ASSESSMENT, lambda name: name.startswith(("efectos/", "influencia_score/")))),
         Refused("the perceptions block is required from the country's second wave on")),
    Case("self_assessment_one_perception_column_lost", "autoevaluacion", "`influencia_score/ventas` left out",
         drop_column(SELF_ASSESSMENT, lambda name: name == "influencia_score/ventas"),
         Refused("autoevaluacion.csv: missing required column(s): influencia_score/ventas")),
    Case("workers_without_area_column", "encuesta_trabajadores", "the `Área` column left out",
         drop_column(WORKERS, lambda name: name == "Área"), Refused("encuesta_trabajadores.csv: missing required column(s): Área")),
    # values outside a column's set, where no mart uses the column
    Case("workers_tenure_turned_into_dates", "encuesta_trabajadores", "Excel turned `Antigüedad` `1-3` and `3-5` into dates (`1-mar`, `3-may`)",
         map_column(WORKERS, "Antigüedad", tenure_as_excel_dates),
         Loaded(values_invalid=cells_among(WORKERS, "RUC", "Antigüedad", {"1-3", "3-5"}),
                reason="'1-mar' is not one of <1, 1-3, 3-5, >5", same_values_but=("tenure_band",))),
    Case("workers_age_outside_its_bands", "encuesta_trabajadores", "an `Edad` typed `17`",
         edit_rows(WORKERS, lambda rows: rows[clean_worker_row(rows)].__setitem__(rows[0].index("Edad"), "17")),
         Loaded(values_invalid=1, reason="'17' is not one of 18-25, 26-35, 36-45, 46+")),
    Case("case_study_without_themes", "estudios_caso", "the `temas:` line removed from the front matter",
         edit_case_study(lambda text: "\n".join(l for l in text.split("\n") if not l.startswith("temas:"))),
         Loaded(values_invalid=1, reason="temas is missing from the front matter"), wave=ENDLINE),
    # formulas a script saved without their values
    Case("profile_formula_without_value", "perfil_empresa", "`Ventas anuales` written by openpyxl as `=12*590000` (no saved value)",
         edit_profile(formula_without_value), Loaded(values_invalid=1, reason="a formula without a saved value")),
    # money and its currency (contract 2.2)
    Case("profile_sales_in_dollars", "perfil_empresa", "`Ventas anuales` typed `US$ 2,000,000` in a Peruvian sheet",
         set_profile_cell("Ventas anuales (S/.)", lambda old: "US$ 2,000,000"),
         Loaded(values_invalid=1, reason="is not an amount in PEN: 'US$' is not its marker")),
    Case("profile_payroll_with_a_bare_dollar", "perfil_empresa", "`Planilla mensual` typed `$ 56,000` in a Peruvian sheet (`$` is COP's or USD's)",
         set_profile_cell("Planilla mensual (S/.)", lambda old: "$ 56,000"),
         Loaded(values_invalid=1, reason="is not an amount in PEN: '$' is not its marker")),
    Case("profile_sales_with_the_code_after", "perfil_empresa", "`Ventas anuales` typed with the ISO code after the number (`23316453 PEN`)",
         set_profile_cell("Ventas anuales (S/.)", lambda old: f"{number(old):,.2f} pen"), Loaded(same_values_but=SAME)),
)


# -- corrections logs (contract 5): on the endline, which ships without one -----------------------

LOG_COLUMNS = ("instrument", "key", "column", "action", "old_value", "new_value", "author", "date", "reason")
UNKNOWN_VALID_RUC = "20100123453"  # a valid check digit, no enterprise of the sample


def correction(**values: str) -> dict[str, str]:
    return {"instrument": "perfil_empresa", "key": "", "column": "", "action": "replace", "old_value": "",
            "new_value": "", "author": "Ana Quispe", "date": "2020-01-15", "reason": "call to the firm", **values}


def log_text(lines: list[dict[str, str]], columns: tuple[str, ...] = LOG_COLUMNS) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)
    return buffer.getvalue()


def first_profile_workers(folder: Path) -> tuple[str, str]:
    """The first enterprise's RUC cell and its `N° trabajadores` cell, as a log writes them."""
    sheet = openpyxl.load_workbook(folder / "perfil_empresa.xlsx", read_only=True)["perfil"]
    header, first = [row for _, row in zip(range(4), sheet.iter_rows(values_only=True))][2:4]
    workers = first[header.index("N° trabajadores")]
    return str(first[0]).strip(), str(int(workers)) if isinstance(workers, (int, float)) else str(workers).strip()


def profile_log(*changes: dict[str, str], columns: tuple[str, ...] = LOG_COLUMNS) -> Callable[[Path], str]:
    """A log of lines on the first enterprise's `N° trabajadores`, each line `changes` over the right key
    and old value."""
    def make(folder: Path) -> str:
        ruc, workers = first_profile_workers(folder)
        base = correction(key=ruc, column="N° trabajadores", old_value=workers, new_value=str(int(workers) + 2))
        return log_text([{**base, **change} for change in changes], columns)
    return make


def practices_ruc_into_unknown(folder: Path) -> str:
    rows = read_rows(folder, PRACTICES)
    row = rows[single_submission_rows(rows, "ruc")[0]]
    return log_text([correction(instrument="practicas_gestion", key=row[0], column="ruc", old_value=row[3].strip(),
                                new_value=UNKNOWN_VALID_RUC, reason="RUC read again from the paper form")])


def unchanged(folder: Path) -> Path:
    return folder


CORRECTION_CASES: tuple[Case, ...] = tuple(Case(name, instrument, damage, unchanged, expected, wave=ENDLINE, log=log, log_wave=log_wave)
                                          for name, instrument, damage, log, expected, log_wave in (
    ("log_missing_column", "perfil_empresa", "the log has no `reason` column",
     profile_log({}, columns=tuple(c for c in LOG_COLUMNS if c != "reason")),
     Refused(f"{ENDLINE}.csv: missing column(s): reason"), None),
    ("log_unknown_instrument", "perfil_empresa", "a line names the instrument `perfil`",
     profile_log({"instrument": "perfil"}), Refused("line 2: unknown instrument 'perfil'"), None),
    ("log_unknown_column", "perfil_empresa", "a line names the column `Trabajadores`, not in the file",
     profile_log({"column": "Trabajadores"}), Refused("line 2: perfil_empresa.xlsx has no column 'Trabajadores'"), None),
    ("log_unknown_action", "perfil_empresa", "a line's action is `fix`",
     profile_log({"action": "fix"}), Refused("line 2: unknown action 'fix'"), None),
    ("log_empty_reason", "perfil_empresa", "a line's reason is blank",
     profile_log({"reason": "  "}), Refused("line 2: reason is empty"), None),
    ("log_empty_author", "perfil_empresa", "a line has no author",
     profile_log({"author": ""}), Refused("line 2: author is empty"), None),
    ("log_bad_date", "perfil_empresa", "a line's date is `15/01/2020`",
     profile_log({"date": "15/01/2020"}), Refused("line 2: date '15/01/2020' is not YYYY-MM-DD"), None),
    ("log_drop_row_with_a_value", "perfil_empresa", "a `drop_row` line also gives a column and values",
     profile_log({"action": "drop_row"}), Refused("line 2: a drop_row leaves column, old_value and new_value empty"), None),
    ("log_replace_with_invalid_value", "perfil_empresa", "a `replace` sets `N° trabajadores` to `muchos`",
     profile_log({"new_value": "muchos"}), Loaded(values_invalid=1, corrections=("applied",), reason="muchos"), None),
    ("log_ruc_into_unknown_enterprise", "practicas_gestion",
     "a `replace` corrects a submission's RUC into a valid RUC of no enterprise of the evaluation",
     practices_ruc_into_unknown, Loaded(unknown_enterprises=1, enterprises_lost=1, corrections=("applied",)), None),
    ("log_two_lines_on_one_cell", "perfil_empresa", "two `replace` lines on the same cell, both from its old value",
     profile_log({}, {"new_value": "99"}), Loaded(corrections=("applied", "stale")), None),
    ("log_for_a_wave_that_does_not_exist", "perfil_empresa", "the log is saved as `2019-endine.csv` (a typo)",
     profile_log({}), Unapplied("2019-endine.csv: no wave folder '2019-endine'"), "2019-endine"),
))


# Issue 29 (contract v3, section 8): the sample frame `muestra.csv` of a country's first wave, and worker codes.
FRAME = Delimited("muestra.csv", "utf-8-sig", ";")
PROFILE_ENTERPRISES = 52  # the rows of Peru's profile sheets, each an enterprise of the frame written below


def frame_of_the_profile(folder: Path) -> list[list[str]]:
    """A clean frame of the wave's profile enterprises: alternately treated and comparison, in two strata."""
    sheet = openpyxl.load_workbook(folder / "perfil_empresa.xlsx", read_only=True)["perfil"]
    identifiers = [ruc(row[0]) for row in sheet.iter_rows(min_row=4, values_only=True) if ruc(row[0])]
    return [["ruc", "grupo", "estrato"]] + [[identifier, ("tratamiento", "comparacion")[i % 2], "Lima" if i < 20 else "Provincias"]
                                            for i, identifier in enumerate(identifiers)]


def with_frame(edit: Callable[[list[list[str]]], list[list[str]] | None] = lambda rows: None) -> Callable[[Path], Path]:
    """The wave given a frame of its profile enterprises, changed by `edit`, listed in SHA256SUMS (the reseal)."""
    def make(folder: Path) -> Path:
        rows = frame_of_the_profile(folder)
        write_rows(folder, FRAME, edit(rows) or rows)
        return folder
    return make


def comparison_in_every_spelling(rows: list[list[str]]) -> None:
    spellings = ("Comparación", "COMPARACIÓN", "comparación", "Comparacion", " comparacion ", "COMPARACION")
    for n, row in enumerate(r for r in rows[1:] if r[1] == "comparacion"):
        row[1] = spellings[n % len(spellings)]
    rows[1][1] = "Tratamiento"


def frame_bad_check_digit(rows: list[list[str]]) -> None:
    rows[3][0] = bad_check_digit(rows[3][0])


def frame_another_group(rows: list[list[str]]) -> None:
    rows[4][1] = "control"


def frame_listed_twice(rows: list[list[str]]) -> list[list[str]]:
    """The fifth enterprise listed again (dashed), in the other arm."""
    again = [f"{rows[5][0][:2]}-{rows[5][0][2:10]}-{rows[5][0][10]}", "comparacion" if rows[5][1] == "tratamiento" else "tratamiento", ""]
    return [*rows, again]


def frame_unknown_enterprise(rows: list[list[str]]) -> list[list[str]]:
    return [*rows, [UNKNOWN_VALID_RUC, "tratamiento", "Lima"]]


def frame_outside_the_first_wave(folder: Path) -> Path:
    return with_baseline(with_frame())(folder)


def frame_not_listed(folder: Path) -> Path:
    """The frame copied into the folder after its SHA256SUMS was written."""
    return with_frame()(folder)


def with_worker_codes(rows: list[list[str]]) -> list[list[str]]:
    """A `Código trabajador` column: each respondent its own code, but the 2nd respondent of the first row's
    enterprise typed with the 1st one's code (in lower case, with spaces: the same code, contract 8.2)."""
    header = rows[0]
    column = header.index("Área") + 1
    first = rows[1][1].strip()
    same_enterprise = next(i for i, row in enumerate(rows) if i > 1 and row[1].strip() == first)
    codes = [f"T-{n:04d}" for n in range(len(rows))]
    codes[same_enterprise] = f"  {codes[1].lower()} "
    return [row[:column] + [("Código trabajador" if i == 0 else codes[i])] + row[column:] for i, row in enumerate(rows)]


ISSUE_29_CASES: tuple[Case, ...] = (
    Case("frame_comparison_in_any_case_and_accent", "muestra",
         "a frame whose `grupo` writes `Comparación`, `COMPARACIÓN`, ` comparacion `, `Tratamiento`...",
         with_frame(comparison_in_every_spelling), Loaded(rows_received=PROFILE_ENTERPRISES), wave=BASELINE),
    Case("frame_bad_check_digit", "muestra", "a frame row's RUC with its check digit changed",
         with_frame(frame_bad_check_digit),
         Loaded(rows_received=PROFILE_ENTERPRISES, rows_rejected=1, reason="fails its check digit"), wave=BASELINE),
    Case("frame_unknown_group", "muestra", "a frame row's `grupo` is `control`",
         with_frame(frame_another_group),
         Loaded(rows_received=PROFILE_ENTERPRISES, rows_rejected=1, reason="grupo 'control' is not tratamiento or comparacion"),
         wave=BASELINE),
    Case("frame_enterprise_listed_twice", "muestra", "an enterprise listed again (RUC with dashes), in the other arm",
         with_frame(frame_listed_twice),
         Loaded(rows_received=PROFILE_ENTERPRISES + 1, rows_rejected=2, reason="is listed 2 times"), wave=BASELINE),
    Case("frame_unknown_enterprise", "muestra", "a frame row with a valid RUC of no enterprise of the profile sheets",
         with_frame(frame_unknown_enterprise), Loaded(rows_received=PROFILE_ENTERPRISES + 1, unknown_enterprises=1),
         wave=BASELINE),
    Case("frame_outside_the_first_wave", "drop", "a frame (listed in SHA256SUMS) in the midterm, not the first wave",
         frame_outside_the_first_wave, Accepted("muestra.csv (not the first wave 2017-baseline")),
    Case("frame_not_in_sha256sums", "drop", "a frame in the first wave that SHA256SUMS does not list",
         frame_not_listed, Accepted("muestra.csv (not in SHA256SUMS)"), wave=BASELINE, reseal=False),
    Case("workers_code_used_twice", "encuesta_trabajadores",
         "a `Código trabajador` column, one code typed for two respondents of one enterprise (`T-0001`, `  t-0001 `)",
         edit_rows(WORKERS, with_worker_codes), Loaded(values_invalid=2, reason="worker code used 2 times")),
)
CASES = CASES + CORRECTION_CASES + ISSUE_26_CASES + ISSUE_29_CASES
CASES_BY_NAME = {case.name: case for case in CASES}


def build(case: Case, raw_root: Path, corrections_root: Path | None = None) -> Path:
    """Copy the case's sample wave under `raw_root`, damage it, reseal it, write its corrections log
    under `corrections_root`; returns the wave folder."""
    folder = shutil.copytree(SAMPLE_RAW / case.wave, raw_root / case.wave)
    folder = case.make(folder)
    if case.reseal and (folder / "SHA256SUMS").exists():
        (folder / "SHA256SUMS").unlink()
        write_sha256sums(folder)
    if case.log is not None and corrections_root is not None:
        corrections_root.mkdir(parents=True, exist_ok=True)
        (corrections_root / f"{case.log_wave or case.wave}.csv").write_text(case.log(folder), encoding="utf-8")
    return folder


def markdown_table() -> str:
    lines = ["| # | case | instrument | damage | outcome |", "|---|---|---|---|---|"]
    for number, case in enumerate(CASES, start=1):
        lines.append(f"| {number} | `{case.name}` | {case.instrument} | {case.damage} | {case.expected.describe()} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every case as <out>/<case>/raw/<wave folder> (and corrections/)")
    parser.add_argument("--markdown", action="store_true", help="print the cases as a markdown table")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table())
    if args.out:
        for case in CASES:
            target = args.out / case.name
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            print(build(case, target / "raw", target / "corrections"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
