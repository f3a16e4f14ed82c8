"""One reader-normaliser per instrument: a wave's file(s) in, a typed frame plus its rejects out.

Pure functions of the files (no warehouse): the Dagster assets are thin shells
around `Instrument.ingest`. Column names are English snake_case; every row
carries the wave key and the row number it came from.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import yaml

from score_pipeline.ingest.normalise import (
    Parsed, as_text, date_order, normalise_ruc, parse_choice, parse_past_date, parse_practice_score, parse_quantity,
    parse_satisfaction, parse_sex, parse_timestamp, parse_yes_no, within,
)
from score_pipeline.ingest.readers import (
    IngestError, Table, count_delimited_records, count_sheet_rows, decode, read_delimited, read_profile_sheet,
    unique_column,
)
from score_pipeline.settings import CODEBOOK_PRACTICES, CODEBOOK_WORKER_ITEMS, SURVEY_TIMEZONE

PERCEIVED_OUTCOMES = (
    "condiciones_trabajo", "accidentes", "ausentismo", "defectos", "desperdicio",
    "costo_unitario", "productividad", "ventas", "utilidades", "satisfaccion_clientes",
)
EFFECTS = frozenset({"positivo", "ninguno", "negativo", "no_sabe"})
INFLUENCE = frozenset({"mucho", "algo", "nada", "no_sabe"})
SIZES = ("Pequeña", "Mediana")
COST_STRUCTURES = ("Mano de obra", "Insumos nacionales", "Insumos importados")

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

    def value(self, parsed: Parsed, number: int, column: str, raw: object, ruc: str | None) -> object:
        """The parsed value; a rejected one is recorded and loaded as null."""
        if parsed.problem:
            self.invalid_value(number, column, raw, parsed.problem, ruc)
        return parsed.value


def valid_ruc(problems: Problems, number: int, row: dict[str, object], column: str) -> str | None:
    parsed = normalise_ruc(row[column])
    if parsed.problem:
        problems.reject_row(number, "|".join(as_text(v) for v in row.values()), parsed.problem)
    return parsed.value


def rows_with_valid_ruc(problems: Problems, table: Table, column: str) -> Iterator[tuple[int, dict[str, object], str]]:
    """The table's rows whose RUC normalises, with it; unreadable rows and invalid RUCs go to the rejects."""
    for number, raw, reason in table.unreadable:
        problems.reject_row(number, raw, reason)
    for number, row in table.rows:
        ruc = valid_ruc(problems, number, row, column)
        if ruc is not None:
            yield number, row, ruc


def frame_of(records: list[dict[str, object]], columns: dict[str, str]) -> pd.DataFrame:
    """Records as a frame with exactly the warehouse columns, in order."""
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    return frame.astype({name: "object" for name in columns})


def by_enterprise(record: dict[str, object]) -> Hashable:
    return record["ruc"]


def keep_latest(records: list[dict[str, object]], problems: Problems,
                key: Callable[[dict[str, object]], Hashable] = by_enterprise) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """One record per key (the enterprise): the latest `_submission_time` wins (then the later row)."""
    latest: dict[Hashable, dict[str, object]] = {}
    for record in records:
        current = latest.get(key(record))
        if current is None or (record["submitted_at"], record["source_row"]) > (current["submitted_at"], current["source_row"]):
            latest[key(record)] = record
    superseded = [
        {"wave": problems.wave, "instrument": problems.instrument, "source_file": problems.source_file,
         "row_number": r["source_row"], "ruc": r["ruc"], "submission_uuid": r.get("submission_uuid"),
         "submitted_at": r.get("submitted_at"), "superseded_by_row": latest[key(r)]["source_row"]}
        for r in records if latest[key(r)] is not r
    ]
    kept_ids = {id(r) for r in latest.values()}
    return [r for r in records if id(r) in kept_ids], superseded


def timed_submissions(problems: Problems, table: Table) -> Iterator[tuple[int, dict[str, object], str, datetime]]:
    """Rows of a form export with a valid `ruc` and `_submission_time` (the others go to the rejects).

    A `_uuid` names one submission: a row repeating an earlier row's `_uuid` with other answers is
    rejected, while a verbatim repeat (an export appended twice) passes and is then set aside as a
    duplicate of its copy by `keep_latest`.
    """
    first_row_of: dict[str, tuple[int, dict[str, object]]] = {}
    order, local = column_order(table, "_submission_time"), ZoneInfo(SURVEY_TIMEZONE)
    for number, row, ruc in rows_with_valid_ruc(problems, table, "ruc"):
        uuid = as_text(row["_uuid"])
        first_number, first_row = first_row_of.setdefault(uuid, (number, row)) if uuid else (number, row)
        if first_row != row:
            problems.reject_row(number, uuid, f"_uuid {uuid} repeats row {first_number} with other answers", ruc)
            continue
        moment = parse_timestamp(row["_submission_time"], local, order)
        if moment.problem:
            problems.reject_row(number, as_text(row["_submission_time"]), moment.problem, ruc)
            continue
        yield number, row, ruc, moment.value


def column_order(table: Table, column: str) -> str | None:
    """The day/month order of a date column of the file (normalise.date_order)."""
    return date_order(row.get(column) for _, row in table.rows)


# -- management practices ------------------------------------------------------------------------

PRACTICES_COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "submission_uuid": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE",
    "form_index": "INTEGER", "evaluator": "VARCHAR", "visit_date": "DATE", "form_wave_label": "VARCHAR",
    "practice_id": "VARCHAR", "score": "INTEGER", "answer_status": "VARCHAR", "source_row": "INTEGER",
}


def practice_ids() -> list[str]:
    with CODEBOOK_PRACTICES.open(encoding="utf-8") as handle:
        return [row["practice_id"] for row in csv.DictReader(handle)]


def ingest_practices(folder: Path, wave: str) -> Ingested:
    path = folder / "practicas_gestion.csv"
    ids = practice_ids()
    table = read_delimited(path, ";", ["_uuid", "_submission_time", "ruc"], form_export=True)
    practice_columns = [name for name in table.header if "/" in name]
    missing = [pid for pid in ids if not any(name.rsplit("/", 1)[-1] == pid for name in practice_columns)]
    if missing:
        raise IngestError(path, f"missing practice column(s): {', '.join(missing)}")
    column_of = {pid: unique_column(path, table.header, [n for n in practice_columns if n.rsplit("/", 1)[-1] == pid],
                                    f"practice {pid}") for pid in ids}
    visit_order = column_order(table, "fecha_visita")
    problems = Problems(wave, "practicas_gestion", path)
    submissions = []
    for number, row, ruc, moment in timed_submissions(problems, table):
        submissions.append({"ruc": ruc, "submitted_at": moment, "source_row": number, "submission_uuid": as_text(row["_uuid"]), "row": row})
    kept, superseded = keep_latest(submissions, problems)
    records = []
    for submission in kept:
        row, number, ruc = submission["row"], submission["source_row"], submission["ruc"]
        index = as_text(row.get("_index"))
        base = {
            "wave": wave, "ruc": ruc, "submission_uuid": submission["submission_uuid"],
            "submitted_at": submission["submitted_at"], "form_index": int(index) if index.isdigit() else None,
            "evaluator": as_text(row.get("evaluador")) or None,
            "visit_date": problems.value(parse_past_date(row.get("fecha_visita"), order=visit_order), number,
                                         "fecha_visita", row.get("fecha_visita"), ruc),
            "form_wave_label": as_text(row.get("onda")) or None, "source_row": number,
        }
        for pid in ids:
            raw = row[column_of[pid]]
            score, status = parse_practice_score(raw)
            if status == "invalid":
                problems.invalid_value(number, column_of[pid], raw, f"{as_text(raw)!r} is not 1..5, NA, 99 or empty", ruc)
            records.append({**base, "practice_id": pid, "score": score, "answer_status": status})
    return Ingested(frame_of(records, PRACTICES_COLUMNS), table.rows_received, problems.rejects, superseded)



# -- company profile -------------------------------------------------------------------------------

PROFILE_NUMBERS = {  # header as written -> (warehouse column, kind of quantity: normalise.QUANTITY_KINDS)
    "N° trabajadores": ("workers", "count"), "N° trabajadoras": ("female_workers", "count"),
    "Ventas anuales (S/.)": ("annual_sales", "money"), "Planilla mensual (S/.)": ("monthly_payroll", "money"),
    "Capacidad instalada utilizada (%)": ("capacity_use_pct", "percent"),
    "Accidentes de trabajo (año)": ("work_accidents", "count"), "Ausentismo (%)": ("absenteeism_pct", "percent"),
    "Rotación de personal (%)": ("staff_turnover_pct", "percent"),
    "Productos defectuosos (%)": ("defective_products_pct", "percent"),
    "Desperdicio de materia prima (%)": ("raw_material_waste_pct", "percent"),
    "Costo por unidad (S/.)": ("unit_cost", "money"),
}
# Shares of a whole, at most 100 % (staff turnover can exceed it: more leavers than the average headcount).
PROFILE_SHARES = {"capacity_use_pct", "absenteeism_pct", "defective_products_pct", "raw_material_waste_pct"}
PROFILE_COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "business_name": "VARCHAR", "region": "VARCHAR", "sector": "VARCHAR",
    "size": "VARCHAR", "cost_structure": "VARCHAR", **{name: "DOUBLE" for name, _ in PROFILE_NUMBERS.values()},
    "uses_productivity_indicators": "BOOLEAN", "gender_equality_policy": "BOOLEAN", "registered_on": "DATE",
    "source_row": "INTEGER",
}
PROFILE_REQUIRED = [
    "RUC", "Razón social", "Región", "Sector", "Tamaño", "Estructura de costos", *PROFILE_NUMBERS,
    "Usa indicadores de productividad", "Política de igualdad de género", "Fecha de registro",
]


def ingest_profile(folder: Path, wave: str) -> Ingested:
    path = folder / "perfil_empresa.xlsx"
    table = read_profile_sheet(path, PROFILE_REQUIRED)
    problems = Problems(wave, "perfil_empresa", path)
    registered_order = column_order(table, "Fecha de registro")
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "RUC"):
        record: dict[str, object] = {
            "wave": wave, "ruc": ruc, "business_name": as_text(row["Razón social"]) or None,
            "region": as_text(row["Región"]) or None, "sector": as_text(row["Sector"]) or None,
            "size": problems.value(_one_of(row["Tamaño"], SIZES), number, "Tamaño", row["Tamaño"], ruc),
            "cost_structure": problems.value(_one_of(row["Estructura de costos"], COST_STRUCTURES), number,
                                             "Estructura de costos", row["Estructura de costos"], ruc),
            "uses_productivity_indicators": problems.value(parse_yes_no(row["Usa indicadores de productividad"]), number,
                                                           "Usa indicadores de productividad", row["Usa indicadores de productividad"], ruc),
            "gender_equality_policy": problems.value(parse_yes_no(row["Política de igualdad de género"]), number,
                                                     "Política de igualdad de género", row["Política de igualdad de género"], ruc),
            "registered_on": problems.value(parse_past_date(row["Fecha de registro"], order=registered_order), number,
                                            "Fecha de registro", row["Fecha de registro"], ruc),
            "source_row": number,
        }
        for header, (column, kind) in PROFILE_NUMBERS.items():
            parsed = within(parse_quantity(row[header], kind), row[header], 100.0 if column in PROFILE_SHARES else None)
            record[column] = problems.value(parsed, number, header, row[header], ruc)
        if None not in (record["workers"], record["female_workers"]) and record["female_workers"] > record["workers"]:
            problems.invalid_value(number, "N° trabajadoras", row["N° trabajadoras"],
                                   f"{record['female_workers']:g} women exceed {record['workers']:g} workers", ruc)
            record["female_workers"] = None
        records.append(record)
    kept, superseded = _last_row_per_ruc(records, problems)
    return Ingested(frame_of(kept, PROFILE_COLUMNS), table.rows_received, problems.rejects, superseded)


def _one_of(raw: object, allowed: tuple[str, ...]) -> Parsed[str]:
    text = " ".join(as_text(raw).split())
    if not text:
        return Parsed(None)
    match = next((a for a in allowed if a.lower() == text.lower()), None)
    return Parsed(match) if match else Parsed(None, f"{text!r} is not one of {', '.join(allowed)}")


def _last_row_per_ruc(records: list[dict[str, object]], problems: Problems) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """A sheet has no submission time: a RUC listed twice keeps its last row (a correction below)."""
    stamped = [{**r, "submitted_at": None} for r in records]
    by_row = {r["source_row"]: r for r in records}
    kept, superseded = keep_latest(stamped, problems)
    return [by_row[r["source_row"]] for r in kept], superseded


# -- self-assessment -------------------------------------------------------------------------------

SELF_ASSESSMENT_COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "submission_uuid": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE",
    "respondent_role": "VARCHAR", **{f"self_rating_m{m}": "INTEGER" for m in range(1, 6)},
    **{f"effect_{o}": "VARCHAR" for o in PERCEIVED_OUTCOMES}, **{f"influence_{o}": "VARCHAR" for o in PERCEIVED_OUTCOMES},
    "source_row": "INTEGER",
}


def ingest_self_assessment(folder: Path, wave: str) -> Ingested:
    path = folder / "autoevaluacion.csv"
    table = read_delimited(path, ";", ["_uuid", "_submission_time", "ruc", *[f"autoeval/m{m}" for m in range(1, 6)]],
                           form_export=True)
    problems = Problems(wave, "autoevaluacion", path)
    records = []
    for number, row, ruc, moment in timed_submissions(problems, table):
        record: dict[str, object] = {
            "wave": wave, "ruc": ruc, "submission_uuid": as_text(row["_uuid"]), "submitted_at": moment,
            "respondent_role": as_text(row.get("cargo_informante")) or None, "source_row": number,
        }
        for m in range(1, 6):
            column = f"autoeval/m{m}"
            record[f"self_rating_m{m}"] = problems.value(_rating(row[column]), number, column, row[column], ruc)
        for outcome in PERCEIVED_OUTCOMES:
            for prefix, target, allowed in (("efectos", "effect", EFFECTS), ("influencia_score", "influence", INFLUENCE)):
                column = f"{prefix}/{outcome}"
                raw = row.get(column, "")
                record[f"{target}_{outcome}"] = problems.value(parse_choice(raw, allowed), number, column, raw, ruc)
        records.append(record)
    kept, superseded = keep_latest(records, problems)
    return Ingested(frame_of(kept, SELF_ASSESSMENT_COLUMNS), table.rows_received, problems.rejects, superseded)


def _rating(raw: object) -> Parsed[int]:
    text = as_text(raw)
    if text == "":
        return Parsed(None)
    return Parsed(int(text)) if text in {"1", "2", "3", "4", "5"} else Parsed(None, f"{text!r} is not a rating 1..5")


# -- worker survey ---------------------------------------------------------------------------------

def worker_item_prefixes() -> dict[str, str]:
    with CODEBOOK_WORKER_ITEMS.open(encoding="utf-8") as handle:
        return {row["item_id"]: row["header_prefix"] for row in csv.DictReader(handle)}


WORKER_ITEMS = tuple(f"w{i:02d}" for i in range(1, 16))
WORKER_COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "response_id": "VARCHAR", "sex": "VARCHAR", "age_band": "VARCHAR",
    "tenure_band": "VARCHAR", "work_area": "VARCHAR", **{item: "INTEGER" for item in WORKER_ITEMS},
    "n_no_answer": "INTEGER", "source_row": "INTEGER",
}


def ingest_worker_survey(folder: Path, wave: str) -> Ingested:
    path = folder / "encuesta_trabajadores.csv"
    table = read_delimited(path, ";", ["ID encuesta", "RUC", "Sexo", "Edad", "Antigüedad", "Área"])
    item_column = {
        item: unique_column(path, table.header, [h for h in table.header if h == prefix or h.startswith(prefix + " ")],
                            f"item {item} (header starting {prefix!r})")
        for item, prefix in worker_item_prefixes().items()
    }
    problems = Problems(wave, "encuesta_trabajadores", path)
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "RUC"):
        record: dict[str, object] = {
            "wave": wave, "ruc": ruc, "response_id": as_text(row["ID encuesta"]) or None,
            "sex": problems.value(parse_sex(row["Sexo"]), number, "Sexo", row["Sexo"], ruc),
            "age_band": as_text(row["Edad"]) or None, "tenure_band": as_text(row["Antigüedad"]) or None,
            "work_area": as_text(row["Área"]) or None, "source_row": number,
        }
        no_answer = 0
        for item, column in item_column.items():
            parsed = parse_satisfaction(row[column])
            no_answer += parsed.value is None and parsed.problem is None
            record[item] = problems.value(parsed, number, column, row[column], ruc)
        record["n_no_answer"] = no_answer
        records.append(record)
    return Ingested(frame_of(records, WORKER_COLUMNS), table.rows_received, problems.rejects)


# -- training records ------------------------------------------------------------------------------

TRAINING_COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "module": "INTEGER", "started_on": "DATE", "finished_on": "DATE",
    "classroom_sessions": "INTEGER", "consulting_visits": "INTEGER", "contribution_usd": "DOUBLE", "source_row": "INTEGER",
}
TRAINING_REQUIRED = ["ruc", "modulo", "fecha_inicio", "fecha_fin", "sesiones_aula", "visitas_consultoria", "aporte_usd"]


def ingest_training_records(folder: Path, wave: str) -> Ingested:
    path = folder / "registro_capacitacion.csv"
    table = read_delimited(path, ",", TRAINING_REQUIRED, may_be_empty=True)  # before any module has finished
    problems = Problems(wave, "registro_capacitacion", path)
    start_order, end_order = column_order(table, "fecha_inicio"), column_order(table, "fecha_fin")
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "ruc"):
        module = as_text(row["modulo"])
        if module not in {"1", "2", "3", "4", "5"}:
            problems.reject_row(number, module, f"modulo {module!r} is not 1..5", ruc)
            continue
        started = parse_past_date(row["fecha_inicio"], order=start_order)
        if started.value is None:
            problems.reject_row(number, as_text(row["fecha_inicio"]), f"fecha_inicio: {started.problem or 'empty'}", ruc)
            continue
        records.append({
            "wave": wave, "ruc": ruc, "module": int(module), "started_on": started.value,
            "finished_on": problems.value(parse_past_date(row["fecha_fin"], order=end_order), number, "fecha_fin",
                                          row["fecha_fin"], ruc),
            "classroom_sessions": _count(problems, number, row, "sesiones_aula", ruc),
            "consulting_visits": _count(problems, number, row, "visitas_consultoria", ruc),
            "contribution_usd": problems.value(within(parse_quantity(row["aporte_usd"], "money"), row["aporte_usd"]),
                                               number, "aporte_usd", row["aporte_usd"], ruc),
            "source_row": number, "submitted_at": None,
        })
    # A record listed twice (the same enterprise and module) keeps its last row, as a sheet's correction below.
    kept, superseded = keep_latest(records, problems, key=lambda record: (record["ruc"], record["module"]))
    return Ingested(frame_of(kept, TRAINING_COLUMNS), table.rows_received, problems.rejects, superseded)


def _count(problems: Problems, number: int, row: dict[str, object], column: str, ruc: str) -> int | None:
    value = problems.value(within(parse_quantity(row[column], "count"), row[column]), number, column, row[column], ruc)
    return int(value) if value is not None else None


# -- case studies ----------------------------------------------------------------------------------

CASE_STUDY_COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "title": "VARCHAR", "modules": "INTEGER[]", "themes": "VARCHAR[]",
    "word_count": "INTEGER", "source_file": "VARCHAR",
}
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)


def ingest_case_studies(folder: Path, wave: str) -> Ingested:
    """Optional: a wave without `estudios_caso/` simply has none."""
    directory = folder / "estudios_caso"
    files = sorted(directory.glob("*.md")) if directory.is_dir() else []
    problems = Problems(wave, "estudios_caso", directory)
    records = []
    for path in files:
        problems.source_file = f"{wave}/estudios_caso/{path.name}"
        record = _case_study(path, wave, problems)
        if record:
            records.append(record)
    return Ingested(frame_of(records, CASE_STUDY_COLUMNS), len(files), problems.rejects)


def _case_study(path: Path, wave: str, problems: Problems) -> dict[str, object] | None:
    try:
        text = decode(path)[0].replace("\r\n", "\n").replace("\r", "\n")
    except IngestError as error:
        problems.reject_row(None, path.name, error.problem)
        return None
    match = FRONT_MATTER.match(text)
    try:
        meta = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError as error:
        meta, reason = None, f"front matter is not YAML ({error.__class__.__name__})"
    else:
        reason = "no YAML front matter between --- lines"
    if not isinstance(meta, dict):
        problems.reject_row(None, path.name, reason)
        return None
    ruc = normalise_ruc(meta.get("ruc"))
    if ruc.problem:
        problems.reject_row(None, path.name, ruc.problem)
        return None
    modules = meta.get("modulos") or []
    if not isinstance(modules, list) or any(m not in (1, 2, 3, 4, 5) for m in modules):
        problems.invalid_value(1, "modulos", modules, "modulos is not a list of 1..5", ruc.value)
        modules = [m for m in modules if m in (1, 2, 3, 4, 5)] if isinstance(modules, list) else []
    themes = meta.get("temas") or []
    title = as_text(meta.get("titulo")) or None
    if title is None:
        problems.invalid_value(1, "titulo", "", "titulo is missing or empty", ruc.value)
    return {
        "wave": wave, "ruc": ruc.value, "title": title, "modules": sorted(set(modules)),
        "themes": [str(t) for t in themes] if isinstance(themes, list) else [str(themes)],
        "word_count": len(re.findall(r"\w+", match.group(2))), "source_file": problems.source_file,
    }


# -- the registry ----------------------------------------------------------------------------------

def count_case_studies(folder: Path) -> int:
    directory = folder / "estudios_caso"
    return len(list(directory.glob("*.md"))) if directory.is_dir() else 0


@dataclass(frozen=True)
class Instrument:
    name: str  # the contract's instrument: the file name without extension
    source: str  # the file (or folder) of a wave it is read from
    table: str  # the raw table in the warehouse
    label: str
    columns: dict[str, str]  # warehouse column -> DuckDB type
    ingest: Callable[[Path, str], Ingested]
    # The data rows of a wave's file, counted without the reader (readers.count_*): the reconciliation check.
    count_received: Callable[[Path], int]
    key: tuple[str, ...] = ("ruc",)  # unique within a wave after resubmissions are resolved
    row_id: str = "source_row"  # the column naming the source row a loaded row came from


def delimited_count(file: str, delimiter: str) -> Callable[[Path], int]:
    return lambda folder: count_delimited_records(folder / file, delimiter)


INSTRUMENTS = (
    Instrument("practicas_gestion", "practicas_gestion.csv", "management_practices",
               "Management practices questionnaire (evaluator)", PRACTICES_COLUMNS, ingest_practices,
               delimited_count("practicas_gestion.csv", ";"), ("ruc", "practice_id")),
    Instrument("perfil_empresa", "perfil_empresa.xlsx", "company_profile", "Company profile sheet", PROFILE_COLUMNS,
               ingest_profile, lambda folder: count_sheet_rows(folder / "perfil_empresa.xlsx")),
    Instrument("autoevaluacion", "autoevaluacion.csv", "self_assessment", "Enterprise self-assessment survey",
               SELF_ASSESSMENT_COLUMNS, ingest_self_assessment, delimited_count("autoevaluacion.csv", ";")),
    Instrument("encuesta_trabajadores", "encuesta_trabajadores.csv", "worker_survey",
               "Worker satisfaction survey (one row per worker)", WORKER_COLUMNS, ingest_worker_survey,
               delimited_count("encuesta_trabajadores.csv", ";"), ()),
    Instrument("registro_capacitacion", "registro_capacitacion.csv", "training_records",
               "Training and cost records (cumulative)", TRAINING_COLUMNS, ingest_training_records,
               delimited_count("registro_capacitacion.csv", ","), ("ruc", "module")),
    Instrument("estudios_caso", "estudios_caso/", "case_studies", "Case studies (markdown with front matter)",
               CASE_STUDY_COLUMNS, ingest_case_studies, count_case_studies, ("ruc",), row_id="source_file"),
)
INSTRUMENTS_BY_NAME = {instrument.name: instrument for instrument in INSTRUMENTS}
# Every file a wave folder may hold that an instrument reads (others are reported, never read).
READ_FILES = re.compile(r"^(" + "|".join(re.escape(i.source) for i in INSTRUMENTS if not i.source.endswith("/"))
                        + r"|estudios_caso/[^/]+\.md)$")
