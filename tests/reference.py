"""An independent reference calculation of the contract's figures, straight from the raw files.

Written from the contract's definitions with pandas, scipy, openpyxl and PyYAML only; it imports
nothing from `score_pipeline`, so the marts can be checked against it. `ProgrammeReference` computes every
published mart of a programme root, corrections logs applied; where the contract is silent it follows
docs/decisions.md, cited where it does. Choices of its own where both are silent (said in the code):
a module is completed when its training record has an end date; a case study's words are what spaces
separate (markdown marks alone not counted); `kpi_change` has a row for every cost structure, also one
no enterprise counts for; an interval of changes that are all equal is the change itself.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "shared" / "contract"
SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
PRACTICE_CODES = {"1", "2", "3", "4", "5", "NA", "99", ""}  # contract 2.1: scores, NA, 99, empty
LABELS = {"deficiente": 1, "regular": 2, "bueno": 3, "muy bueno": 4, "excelente": 5}
KPI_COLUMNS = {
    "accidents": "Accidentes de trabajo (año)", "absenteeism": "Ausentismo (%)",
    "turnover": "Rotación de personal (%)", "defects": "Productos defectuosos (%)",
    "raw_material_waste": "Desperdicio de materia prima (%)", "unit_cost": "Costo por unidad (S/.)",
}


def codebook(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"codebook_{name}.csv", dtype=str)


def ruc(raw: object) -> str | None:
    """The contract's RUC rule, written again from its text."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, (int, float)):
        text = str(int(raw))
    else:
        text = str(raw).strip()
        if "E" in text.upper():
            try:
                text = str(int(float(text)))
            except ValueError:
                return None
        text = text.replace("-", "").replace(" ", "").replace(".", "")  # separators (contract 2 and 7)
    if len(text) != 11 or not text.isdigit() or text[:2] not in {"10", "15", "17", "20"}:
        return None
    c = 11 - sum(int(d) * w for d, w in zip(text[:10], [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11
    c = 0 if c == 10 else 1 if c == 11 else c
    return text if c == int(text[10]) else None


def nit(raw: object) -> str | None:
    """A Colombian company NIT (nine digits and DIAN's check digit) from its spellings (contract 7)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    text = str(int(raw)) if isinstance(raw, (int, float)) else str(raw).strip()
    if "E" in text.upper():
        text = str(int(float(text)))
    text = text.replace("-", "").replace(" ", "").replace(".", "")
    if len(text) != 10 or not text.isdigit():
        return None
    return text if nit_check_digit(text[:9]) == int(text[9]) else None


def nit_check_digit(body: str) -> int:
    """Colombia's NIT check digit (DIAN): weights 3, 7, 13, 17, 19, 23, ... from the rightmost digit,
    the sum mod 11, kept if 0 or 1, else 11 minus it. Written from DIAN's rule, not python-stdnum's code."""
    weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71]
    remainder = sum(int(d) * w for d, w in zip(reversed(body), weights)) % 11
    return remainder if remainder in (0, 1) else 11 - remainder


def holm_by_hand(p: dict) -> dict:
    """Holm's step-down: the i-th smallest of m times (m - i), made monotone, capped at 1."""
    ordered, adjusted, running = sorted(p, key=p.get), {}, 0.0
    for i, key in enumerate(ordered):
        running = max(running, min(1.0, (len(ordered) - i) * p[key]))
        adjusted[key] = running
    return adjusted


def number(raw: object) -> float:
    if raw is None:
        return np.nan
    if isinstance(raw, (int, float)):
        return float(raw)
    text = str(raw).strip()
    if text in {"", "ND", "-"}:
        return np.nan
    return float(re.sub(r"S/\.?|%|,|\s", "", text))


def fold(text: object) -> str:
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_csv(path: Path, sep: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(read_text(path)), sep=sep, dtype=str, keep_default_na=False)


def latest_submission(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(_t=pd.to_datetime(frame["_submission_time"], utc=True))
    return frame.sort_values("_t").groupby("ruc_n", as_index=False).tail(1)


@dataclass
class Wave:
    key: str
    folder: Path
    known: frozenset[str]
    identifier: Callable[[object], str | None] = ruc  # the country's rule: ruc (Peru) or nit (Colombia)

    @cached_property
    def profile(self) -> pd.DataFrame:
        frame = pd.read_excel(self.folder / "perfil_empresa.xlsx", sheet_name="perfil", header=2, dtype=object)
        frame = frame[frame["RUC"].map(lambda v: str(v).strip() not in {"", "nan", "None"})]
        frame["ruc_n"] = frame["RUC"].map(self.identifier)
        return frame

    @cached_property
    def practices_raw(self) -> pd.DataFrame:
        frame = read_csv(self.folder / "practicas_gestion.csv", ";")
        frame["ruc_n"] = frame["ruc"].map(self.identifier)
        return frame

    @cached_property
    def practices(self) -> pd.DataFrame:
        """Long: ruc, practice_id, score (valid 1..5 only) of the latest submission per enterprise."""
        frame = self.practices_raw
        frame = latest_submission(frame[frame["ruc_n"].isin(self.known)])
        columns = [c for c in frame.columns if c.count("/") == 2]
        long = frame.melt(id_vars=["ruc_n"], value_vars=columns, var_name="column", value_name="raw")
        long["practice_id"] = long["column"].str.rsplit("/", n=1).str[-1]
        long = long[long["raw"].isin(["1", "2", "3", "4", "5"])]
        return long.assign(score=long["raw"].astype(int))[["ruc_n", "practice_id", "score"]]

    @cached_property
    def scores(self) -> pd.DataFrame:
        """Per enterprise: category scores (columns `m1.comunicacion`...), module scores, global."""
        book = codebook("practices")
        sizes = book.groupby(["module", "category"]).size()
        merged = self.practices.merge(book, on="practice_id")
        cat = merged.groupby(["ruc_n", "module", "category"])["score"].agg(["mean", "count"]).reset_index()
        cat["needed"] = cat.apply(lambda r: sizes[(r["module"], r["category"])] / 2, axis=1)
        cat = cat[cat["count"] >= cat["needed"]]
        module = cat.groupby(["ruc_n", "module"])["mean"].mean().unstack()
        n_mod = module.notna().sum(axis=1)
        result = module.copy()
        result["global"] = module.mean(axis=1).where(n_mod >= 4)
        category = cat.assign(code=cat["module"] + "." + cat["category"]).pivot(index="ruc_n", columns="code", values="mean")
        result = result.join(category, how="outer")
        result["n_practices_scored"] = self.practices.groupby("ruc_n").size()
        return result

    @cached_property
    def evaluators(self) -> pd.Series:
        """The evaluator of each enterprise's latest submission, trimmed, upper case (empty ones left out)."""
        frame = self.practices_raw
        latest = latest_submission(frame[frame["ruc_n"].isin(self.known)]).set_index("ruc_n")["evaluador"]
        latest = latest.str.strip().str.upper()
        return latest[latest != ""]

    @cached_property
    def workers_raw(self) -> pd.DataFrame:
        frame = read_csv(self.folder / "encuesta_trabajadores.csv", ";")
        frame["ruc_n"] = frame["RUC"].map(self.identifier)
        return frame

    @cached_property
    def worker_answers(self) -> pd.DataFrame:
        """Respondents of known enterprises, one column per item id, valid answers 1..5 else NaN."""
        frame = self.workers_raw[self.workers_raw["ruc_n"].isin(self.known)]
        items = codebook("worker_items")
        out = pd.DataFrame({"ruc_n": frame["ruc_n"]})
        for _, item in items.iterrows():
            header = next(c for c in frame.columns if c.startswith(item["header_prefix"] + " "))
            out[item["item_id"]] = frame[header].map(lambda v: LABELS.get(fold(v), np.nan)).astype(float)
        return out

    @cached_property
    def worker_enterprise(self) -> pd.DataFrame:
        """Per enterprise: `overall` (mean of scored respondents) and each item's mean; n respondents."""
        answers = self.worker_answers
        scored = [f"w{i:02d}" for i in range(1, 15)]
        valid = answers[scored].notna().sum(axis=1)
        answers = answers.assign(respondent=answers[scored].mean(axis=1).where(valid >= 10))
        grouped = answers.groupby("ruc_n")
        result = grouped[[f"w{i:02d}" for i in range(1, 16)]].mean()
        result["overall"] = grouped["respondent"].mean()
        result["n_scored"] = grouped["respondent"].count()
        return result

    @cached_property
    def self_assessment(self) -> pd.DataFrame:
        frame = read_csv(self.folder / "autoevaluacion.csv", ";")
        frame["ruc_n"] = frame["ruc"].map(self.identifier)
        return latest_submission(frame[frame["ruc_n"].isin(self.known)])

    def profile_number(self, column: str) -> pd.Series:
        return self.profile.set_index("ruc_n")[column].map(number)

    def yes_count(self, column: str) -> tuple[int, int]:
        answers = self.profile[column].map(fold)
        return int((answers == "si").sum()), int(answers.isin(["si", "no"]).sum())


class Reference:
    """The figures of the evaluation computed from a raw root."""

    def __init__(self, raw_root: Path, identifier: Callable[[object], str | None] = ruc,
                 enterprises: frozenset[str] | None = None):
        """`enterprises`: those the figures describe (the treated ones of a country with a sample frame, contract
        8.1); by default every enterprise of the profile sheets."""
        folders = sorted(p for p in raw_root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-[a-z0-9_-]+", p.name))
        profiles = [pd.read_excel(f / "perfil_empresa.xlsx", sheet_name="perfil", header=2, dtype=object) for f in folders]
        known = enterprises if enterprises is not None else frozenset(
            r for frame in profiles for r in frame["RUC"].map(identifier) if isinstance(r, str))
        self.waves = [Wave(f.name, f, known, identifier) for f in folders]
        self.baseline, self.endline = self.waves[0], self.waves[-1]

    def global_mean(self, wave: Wave) -> float:
        return float(wave.scores["global"].mean())

    def pairs(self, column: str) -> pd.DataFrame:
        both = pd.DataFrame({"baseline": self.baseline.scores[column], "endline": self.endline.scores[column]}).dropna()
        return both.assign(change=both["endline"] - both["baseline"])

    def kpi_changes(self, kpi: str) -> pd.DataFrame:
        column = KPI_COLUMNS[kpi]
        frame = pd.DataFrame({
            "baseline": self.baseline.profile_number(column),
            "endline": self.endline.profile_number(column),
            "cost_structure": self.baseline.profile.set_index("ruc_n")["Estructura de costos"],
        }).dropna(subset=["baseline", "endline"])
        frame = frame[frame["baseline"] > 0]
        return frame.assign(pct_change=(frame["endline"] - frame["baseline"]) / frame["baseline"] * 100)

    def business_mean(self, wave: Wave, column: str) -> float:
        return float(wave.profile_number(column).mean())

    def female_share(self, wave: Wave) -> float:
        women = wave.profile_number("N° trabajadoras")
        workers = wave.profile_number("N° trabajadores")
        return float((women / workers * 100).mean())

    def worker_satisfaction(self, wave: Wave, item: str = "overall") -> float:
        return float(wave.worker_enterprise[item].mean())

    def perceived(self, wave: Wave) -> pd.DataFrame:
        """Per outcome: n_responses, pct_positive, pct_influenced."""
        frame = wave.self_assessment
        rows = []
        for column in [c for c in frame.columns if c.startswith("efectos/")]:
            outcome = column.split("/", 1)[1]
            effects = frame[column][frame[column] != ""]
            influence = frame[f"influencia_score/{outcome}"]
            influence = influence[influence != ""]
            rows.append({
                "outcome": outcome, "n_responses": len(effects),
                "pct_positive": (effects == "positivo").mean() * 100,
                "pct_influenced": influence.isin(["mucho", "algo"]).mean() * 100,
                "n_positive": int((effects == "positivo").sum()),
            })
        return pd.DataFrame(rows).set_index("outcome")


def read_sha256sums(folder: Path) -> dict[str, str]:
    entries = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.lstrip("*")] = digest
    return entries


def csv_header(path: Path, encoding: str, sep: str) -> list[str]:
    with path.open(encoding=encoding, newline="") as handle:
        return next(csv.reader(handle, delimiter=sep))


# ---------------------------------------------------------------------------------------------------------------
# Every published mart, from a programme root (contract 4, 6 and 7), with the corrections logs applied (contract 5).
# ---------------------------------------------------------------------------------------------------------------

INSTRUMENTS = ("practicas_gestion", "perfil_empresa", "autoevaluacion", "encuesta_trabajadores",
               "registro_capacitacion", "estudios_caso")
SURVEY_INSTRUMENTS = ("practicas_gestion", "perfil_empresa", "autoevaluacion", "encuesta_trabajadores")
# contract 2.2: the country's ISO 4217 code (any case) or its local CLDR symbol; written by hand, not from Babel
LOCAL_SYMBOLS = {"PEN": ("S/.", "S/"), "COP": ("$",), "BOB": ("Bs",), "GHS": ("GH₵",)}
COUNT_COLUMNS = ("N° trabajadores", "N° trabajadoras", "Accidentes de trabajo (año)")
MONEY_COLUMNS = ("Ventas anuales (S/.)", "Planilla mensual (S/.)", "Costo por unidad (S/.)")
# docs/decisions.md, Ingest: shares above 100 % are invalid, except staff turnover
SHARE_COLUMNS = ("Capacidad instalada utilizada (%)", "Ausentismo (%)", "Productos defectuosos (%)",
                 "Desperdicio de materia prima (%)")
RATE_COLUMNS = ("Rotación de personal (%)",)
YES_NO_COLUMNS = ("Usa indicadores de productividad", "Política de igualdad de género")
SIZES = ("Pequeña", "Mediana")
COST_STRUCTURES = ("Mano de obra", "Insumos nacionales", "Insumos importados")
EFFECTS = ("positivo", "ninguno", "negativo", "no_sabe")
INFLUENCE = ("mucho", "algo", "nada", "no_sabe")
SEXES = ("f", "m", "mujer", "hombre")
ARMS = ("tratamiento", "comparacion")  # contract 8.1's grupo, folded (any case, `comparación` too)
WORKER_CODE = "Código trabajador"  # contract 8.2: optional
NOT_AVAILABLE = ("", "ND", "-")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")  # decisions: a comma only between thousands
KPI_SHORT = {"accidents": "accidents", "absenteeism": "absenteeism", "turnover": "turnover", "defects": "defects",
             "raw_material_waste": "waste"}  # programme_summary's <short>_pct_change
BUSINESS_INDICATORS = {"capacity_use_pct": "capacity_use_pct", "annual_sales": "annual_sales_mean",
                       "workers": "workers_mean", "monthly_payroll": "monthly_payroll_mean",
                       "sales_per_worker": "sales_per_worker",
                       "pct_using_productivity_indicators": "pct_using_productivity_indicators",
                       "female_share_pct": "female_share_pct", "n_gender_policy": "n_gender_policy"}


def present(value: object) -> bool:
    return not (value is None or (isinstance(value, float) and math.isnan(value)))


def compact(raw: object) -> str:
    """Contract 7's cleaning: scientific notation read as a number first, then spaces, dashes and dots removed."""
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, (int, float)):
        return str(int(raw))
    text = str(raw).strip()
    if re.fullmatch(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+", text):
        text = str(int(float(text)))
    return re.sub(r"[\s.\-]", "", text)


def pattern_scheme(pattern: str) -> Callable[[object], str | None]:
    def identifier(raw: object) -> str | None:
        if not present(raw) or str(raw).strip() == "":
            return None
        text = compact(raw)
        return text if re.fullmatch(pattern, text) else None
    return identifier


def tin(raw: object) -> str | None:
    """A Ghanaian TIN (Ghana Revenue Authority) from its spellings: eleven characters, a letter P, C, G, Q or V, then
    `00`, seven digits and a check character: the sum of the 2nd to the 10th characters' digits weighted 1 to 9,
    mod 11, written X for 10. Written from the GRA's rule, not python-stdnum's code."""
    if not present(raw) or str(raw).strip() == "":
        return None
    text = compact(raw).upper()
    if not re.fullmatch(r"[PCGQV]00\d{7}[\dX]", text):
        return None
    check = sum(weight * int(digit) for weight, digit in enumerate(text[1:10], start=1)) % 11
    return text if text[10] == ("X" if check == 10 else str(check)) else None


SCHEMES: dict[str, Callable[[object], str | None]] = {"pe.ruc": ruc, "co.nit": nit, "gh.tin": tin}


def iso_date(raw: object, today: pd.Timestamp) -> tuple[object, bool]:
    """(date or None, invalid): `YYYY-MM-DD` or an Excel date, not after the day of the run (docs/decisions.md)."""
    if not present(raw) or (isinstance(raw, str) and raw.strip() == ""):
        return None, False
    if hasattr(raw, "year"):
        day = pd.Timestamp(raw).normalize()
    else:
        text = str(raw).strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return None, True
        try:
            day = pd.Timestamp(text)
        except ValueError:
            return None, True
    return (None, True) if day > today else (day, False)


def submission_time(raw: str) -> pd.Timestamp | None:
    """ISO 8601; without an offset read in America/Lima (docs/decisions.md); None when unreadable."""
    try:
        stamp = pd.Timestamp(raw.strip())
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp):
        return None
    return (stamp.tz_localize("America/Lima") if stamp.tzinfo is None else stamp).tz_convert("UTC")


def shortest(cell: object) -> str:
    """Contract 5's `old_value` of a cell: trimmed text, a number as its shortest form (`45`, `63.5`)."""
    if not present(cell):
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, (int, float)):
        return str(int(cell)) if float(cell).is_integer() else repr(float(cell))
    return str(cell).strip()


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    currency: str
    identifier: Callable[[object], str | None]
    folder: Path

    @classmethod
    def read(cls, folder: Path) -> "Country":
        import yaml

        described = yaml.safe_load((folder / "country.yaml").read_text(encoding="utf-8"))
        scheme = described["enterprise_id"]
        identifier = pattern_scheme(scheme["pattern"]) if isinstance(scheme, dict) else SCHEMES[scheme]
        return cls(folder.name, described["name"], described["currency"], identifier, folder)

    @property
    def wave_folders(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-[a-z0-9_-]+", p.name))

    def money(self, text: str) -> str | None:
        """The number of a money cell with this country's marker (code any case, or local symbol) removed before
        or after it; None when another marker is left (contract 2.2)."""
        markers = [(self.currency, True)] + [(symbol, False) for symbol in LOCAL_SYMBOLS.get(self.currency, ())]
        for marker, any_case in markers:
            fold_ = str.upper if any_case else (lambda s: s)
            if fold_(text).startswith(fold_(marker)):
                return text[len(marker):].strip()
            if fold_(text).endswith(fold_(marker)):
                return text[:-len(marker)].strip()
        return text


@dataclass
class Row:
    """One data row of an extract as read, its cells by header; `line` its line (row) number in the file."""
    line: int
    cells: dict[str, object]
    fate: str = "loaded"  # loaded, rejected, duplicate
    ruc_n: str | None = None
    time: pd.Timestamp | None = None


@dataclass
class Extract:
    """One instrument's file in one wave: its rows after corrections, with each row's fate, and the log's statuses."""
    instrument: str
    headers: list[str]
    rows: list[Row]
    corrections: list[str]  # status of each log line of this instrument

    def loaded(self) -> list[Row]:
        return [r for r in self.rows if r.fate == "loaded"]


def read_lines(path: Path, sep: str) -> tuple[list[str], list[Row], int]:
    """Header and rows; each physical line parsed on its own (docs/decisions.md, issue 11): a line with
    unbalanced quotes or another number of fields is an unreadable row (returned as rejected)."""
    lines = read_text(path).splitlines()
    header = next(csv.reader([lines[0]], delimiter=sep))
    rows = []
    for number_, line in enumerate(lines[1:], start=2):
        if line.strip() == "":
            continue
        try:
            fields = next(csv.reader([line], delimiter=sep, strict=True))
            balanced = line.count('"') % 2 == 0
        except csv.Error:
            fields, balanced = [], False
        row = Row(number_, dict(zip(header, fields)))
        if not balanced or len(fields) != len(header):
            row.fate = "rejected"
        rows.append(row)
    return header, rows, len(rows)


def read_profile_sheet(path: Path) -> tuple[list[str], list[Row]]:
    """Sheet `perfil`, header in row 3; percent-formatted numbers read as displayed (docs/decisions.md)."""
    import openpyxl

    sheet = openpyxl.load_workbook(path, data_only=True)["perfil"]
    header = [str(c.value).strip() if c.value is not None else "" for c in sheet[3]]
    rows = []
    for index, cells in enumerate(sheet.iter_rows(min_row=4), start=4):
        values = {}
        for name, cell in zip(header, cells):
            value = cell.value
            if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
                value = value * 100
            values[name] = value
        if all(not present(v) or str(v).strip() == "" for v in values.values()):
            continue
        rows.append(Row(index, values))
    return header, rows


@dataclass
class CorrectionLine:
    number: int
    instrument: str
    key: str
    column: str
    action: str
    old_value: str
    new_value: str


def read_corrections(path: Path) -> list[CorrectionLine]:
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [CorrectionLine(i + 2, r["instrument"].strip(), r["key"].strip(), r["column"].strip(), r["action"].strip(),
                           r["old_value"].strip(), r["new_value"]) for i, r in frame.iterrows()]


def apply_corrections(instrument: str, headers: list[str], rows: list[Row], lines: list[CorrectionLine],
                      identifier: Callable[[object], str | None]) -> list[str]:
    """Contract 5: each line of this instrument in file order, on the rows as read; returns each line's status."""
    def matches(row: Row, key: str) -> bool:
        if instrument in ("practicas_gestion", "autoevaluacion"):
            return str(row.cells.get("_uuid", "")).strip() == key
        if instrument == "encuesta_trabajadores":
            return str(row.cells.get("ID encuesta", "")).strip() == key
        if instrument == "perfil_empresa":
            return same_enterprise(row.cells.get("RUC"), key)
        enterprise, _, module = key.rpartition(":")
        return same_enterprise(row.cells.get("ruc"), enterprise) and str(row.cells.get("modulo", "")).strip() == module.strip()

    def same_enterprise(cell: object, key: str) -> bool:
        if shortest(cell) == key:
            return True
        normalised = identifier(cell) if present(cell) else None
        return normalised is not None and normalised == identifier(key)

    def column_of(name: str) -> str | None:
        if name in headers:
            return name
        found = [h for h in headers if h.rsplit("/", 1)[-1] == name]
        return found[0] if len(found) == 1 else None

    statuses = []
    for line in (l for l in lines if l.instrument == instrument):
        candidates = [r for r in rows if r.fate != "dropped" and r.cells and matches(r, line.key)]
        if not candidates:
            statuses.append("no_match")
            continue
        if len(candidates) > 1:
            statuses.append("ambiguous")
            continue
        row = candidates[0]
        if line.action == "drop_row":
            row.fate = "dropped"
            statuses.append("applied")
            continue
        column = column_of(line.column)
        if shortest(row.cells.get(column)) != line.old_value:
            statuses.append("stale")
            continue
        if line.action == "replace":
            row.cells[column] = line.new_value
        statuses.append("applied")
    for row in rows:
        if row.fate == "dropped":
            row.fate = "rejected"  # docs/decisions.md: a dropped row is counted in rows_rejected
    return statuses


def resolve_submissions(rows: list[Row], known: frozenset[str], now: pd.Timestamp) -> None:
    """Section 2.1 and docs/decisions.md for the two form exports: a submission time unreadable or in the future
    rejects its row; a repeated `_uuid` is a duplicate when verbatim, else rejected; an unknown enterprise is
    rejected; of one enterprise's submissions the latest wins, the others are duplicates removed."""
    seen: dict[str, dict[str, object]] = {}
    for row in rows:
        if row.fate != "loaded":
            continue
        row.time = submission_time(str(row.cells.get("_submission_time", "")))
        if row.time is None or row.time > now:
            row.fate = "rejected"
            continue
        uuid = str(row.cells.get("_uuid", "")).strip()
        if uuid in seen:
            row.fate = "duplicate" if seen[uuid] == row.cells else "rejected"
            continue
        seen[uuid] = row.cells
    for row in rows:
        if row.fate == "loaded" and row.ruc_n not in known:
            row.fate = "rejected"
    latest: dict[str, Row] = {}
    for row in rows:
        if row.fate == "loaded":
            if row.ruc_n in latest and latest[row.ruc_n].time > row.time:
                row.fate = "duplicate"
                continue
            if row.ruc_n in latest:
                latest[row.ruc_n].fate = "duplicate"
            latest[row.ruc_n] = row


def profile_cell(column: str, raw: object, country: Country, today: pd.Timestamp) -> tuple[object, bool]:
    """(value or None, invalid) of one profile cell (contract 2.2 and docs/decisions.md, Ingest and issue 11)."""
    if column in COUNT_COLUMNS + MONEY_COLUMNS + SHARE_COLUMNS + RATE_COLUMNS:
        return profile_number(column, raw, country)
    if column in YES_NO_COLUMNS:
        answer = fold(raw)
        return (None, False) if answer == "" else ({"si": "Sí", "no": "No"}.get(answer), answer not in ("si", "no"))
    if column in ("Tamaño", "Estructura de costos"):
        allowed = SIZES if column == "Tamaño" else COST_STRUCTURES
        text = fold(raw)
        if text == "":
            return None, False
        found = [a for a in allowed if fold(a) == text]
        return (found[0], False) if found else (None, True)
    if column == "Fecha de registro":
        return iso_date(raw, today)
    return (str(raw).strip() if present(raw) else None), False


def profile_number(column: str, raw: object, country: Country) -> tuple[float | None, bool]:
    if not present(raw):
        return None, False
    if isinstance(raw, bool):
        return None, True
    percent = currency = False
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if text in NOT_AVAILABLE:
            return None, False
        if text.endswith("%"):
            percent, text = True, text[:-1].strip()
        unmarked = country.money(text) if column in MONEY_COLUMNS else text
        currency, text = unmarked != text, unmarked
        if not PLAIN_NUMBER.fullmatch(text):
            return None, True  # another currency's marker, a decimal comma, words
        value = float(text.replace(",", ""))
    if column in COUNT_COLUMNS and (percent or currency or not value.is_integer()):
        return None, True
    if column in MONEY_COLUMNS and percent:
        return None, True
    if value < 0 or (column in SHARE_COLUMNS and value > 100):
        return None, True
    return value, False


def words(text: str) -> int:
    """A text's words: what spaces separate, markdown marks alone (`#`, `-`, `--`) not counted; `S.A.C.` is one."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def practice_cell(raw: str) -> tuple[int | None, bool]:
    text = raw.strip()
    if text in ("1", "2", "3", "4", "5"):
        return int(text), False
    return None, text not in ("NA", "99", "")


def label_cell(raw: str) -> tuple[int | None, bool]:
    answer = fold(raw)
    if answer in ("", "ns/nr"):
        return None, False
    return LABELS.get(answer), answer not in LABELS


def code_cell(raw: str, allowed: tuple[str, ...]) -> tuple[str | None, bool]:
    text = raw.strip()
    if text == "":
        return None, False
    return (text, False) if text in allowed else (None, True)


def count_cell(raw: str) -> tuple[float | None, bool]:
    text = raw.strip()
    if text == "":
        return None, False
    if not PLAIN_NUMBER.fullmatch(text):
        return None, True
    value = float(text.replace(",", ""))
    return (None, True) if value < 0 else (value, False)


class CountryWave:
    """One country's wave read as the contract says: corrections first, then identifiers, resubmissions,
    the unknown-enterprise rule; each instrument's rows with their fates, loaded values and invalid cells."""

    def __init__(self, country: Country, folder: Path, corrections_root: Path | None, programme: bool):
        self.country, self.folder, self.key = country, folder, folder.name
        log = None
        if corrections_root is not None:
            log = corrections_root / country.code / f"{self.key}.csv" if programme else corrections_root / f"{self.key}.csv"
        self.log = read_corrections(log) if log else []
        self.today = pd.Timestamp.today().normalize()
        self.now = pd.Timestamp.now(tz="UTC")
        self.known: frozenset[str] = frozenset()  # set by the country once every wave's profile is read

    # -- reading, with the corrections applied and identifiers normalised
    def csv_extract(self, instrument: str, sep: str, id_column: str) -> Extract | None:
        path = self.folder / f"{instrument}.csv"
        if not path.exists():
            return None
        headers, rows, _ = read_lines(path, sep)
        statuses = apply_corrections(instrument, headers, rows, self.log, self.country.identifier)
        for row in rows:
            if row.fate == "loaded":
                row.ruc_n = self.country.identifier(row.cells.get(id_column))
                if row.ruc_n is None:
                    row.fate = "rejected"
        return Extract(instrument, headers, rows, statuses)

    @cached_property
    def profile_extract(self) -> Extract:
        headers, rows = read_profile_sheet(self.folder / "perfil_empresa.xlsx")
        statuses = apply_corrections("perfil_empresa", headers, rows, self.log, self.country.identifier)
        last: dict[str, Row] = {}
        for row in rows:
            if row.fate != "loaded":
                continue
            row.ruc_n = self.country.identifier(row.cells.get("RUC"))
            if row.ruc_n is None:
                row.fate = "rejected"
                continue
            if row.ruc_n in last:  # docs/decisions.md: a RUC listed twice keeps its last row
                last[row.ruc_n].fate = "duplicate"
            last[row.ruc_n] = row
        return Extract("perfil_empresa", headers, rows, statuses)

    @cached_property
    def practices_extract(self) -> Extract:
        extract = self.csv_extract("practicas_gestion", ";", "ruc")
        resolve_submissions(extract.rows, self.known, self.now)
        return extract

    @cached_property
    def self_assessment_extract(self) -> Extract:
        extract = self.csv_extract("autoevaluacion", ";", "ruc")
        resolve_submissions(extract.rows, self.known, self.now)
        return extract

    @cached_property
    def workers_extract(self) -> Extract:
        extract = self.csv_extract("encuesta_trabajadores", ";", "RUC")
        for row in extract.loaded():
            if row.ruc_n not in self.known:
                row.fate = "rejected"
        return extract

    @cached_property
    def training_extract(self) -> Extract:
        """docs/decisions.md: a module outside 1..5 or no valid start date rejects the row; a repeated
        (RUC, module) keeps the last row, the earlier ones are duplicates removed."""
        extract = self.csv_extract("registro_capacitacion", ",", "ruc")
        last: dict[tuple[str, str], Row] = {}
        for row in extract.loaded():
            start, invalid = iso_date(row.cells.get("fecha_inicio", ""), self.today)
            module = str(row.cells.get("modulo", "")).strip()
            if module not in ("1", "2", "3", "4", "5") or start is None or row.ruc_n not in self.known:
                row.fate = "rejected"
                continue
            if (row.ruc_n, module) in last:
                last[(row.ruc_n, module)].fate = "duplicate"
            last[(row.ruc_n, module)] = row
        return extract

    @cached_property
    def sample_frame_rows(self) -> list[Row]:
        """Contract 8.1 and 8.3: `muestra.csv` of the country's first wave, when its SHA256SUMS lists it. A row is
        rejected for an invalid identifier, an identifier listed more than once (every row of it), a `grupo`
        other than the two arms (any case and accent), or an identifier in no profile sheet of the country."""
        path = self.folder / "muestra.csv"
        first = self.folder == self.country.wave_folders[0]
        if not first or not path.exists() or "muestra.csv" not in read_sha256sums(self.folder):
            return []
        _, rows, _ = read_lines(path, ";")
        for row in rows:
            if row.fate == "loaded":
                row.ruc_n = self.country.identifier(row.cells.get("ruc"))
                row.fate = "loaded" if row.ruc_n is not None else "rejected"
        listed = [r.ruc_n for r in rows if r.fate == "loaded"]
        for row in rows:
            if row.fate == "loaded" and (listed.count(row.ruc_n) > 1 or row.ruc_n not in self.known
                                         or fold(row.cells.get("grupo")) not in ARMS):
                row.fate = "rejected"
        return rows

    @cached_property
    def case_study_rows(self) -> list[Row]:
        import yaml

        rows = []
        folder = self.folder / "estudios_caso"
        for index, path in enumerate(sorted(folder.glob("*.md")) if folder.is_dir() else [], start=1):
            text = path.read_text(encoding="utf-8")
            match = re.match(r"---\s*\n(.*?)\n---\s*\n?(.*)", text, re.S)
            row = Row(index, {"file": path.name})
            front = yaml.safe_load(match.group(1)) if match else None
            if not isinstance(front, dict):
                row.fate = "rejected"
            else:
                row.cells.update(front, body=match.group(2))
                row.ruc_n = self.country.identifier(front.get("ruc"))
                if row.ruc_n is None or row.ruc_n not in self.known:
                    row.fate = "rejected"
            rows.append(row)
        return rows

    # -- loaded values
    @cached_property
    def profile(self) -> pd.DataFrame:
        """Loaded profile rows by enterprise, each column parsed (None where not available or invalid)."""
        records, invalid = {}, 0
        for row in self.profile_extract.loaded():
            values = {}
            for column in self.profile_extract.headers:
                if column in ("", "RUC"):
                    continue
                values[column], bad = profile_cell(column, row.cells.get(column), self.country, self.today)
                invalid += bad
            women, workers = values.get("N° trabajadoras"), values.get("N° trabajadores")
            if women is not None and workers is not None and women > workers:  # decisions: women above workers
                values["N° trabajadoras"], invalid = None, invalid + 1
            records[row.ruc_n] = values
        self.profile_invalid = invalid
        return pd.DataFrame.from_dict(records, orient="index")

    def number(self, column: str) -> pd.Series:
        return pd.to_numeric(self.profile[column], errors="coerce") if len(self.profile) else pd.Series(dtype=float)

    @cached_property
    def practices(self) -> pd.DataFrame:
        """Loaded (latest) submissions: one row per enterprise, a column per practice id with valid scores."""
        records, invalid = {}, 0
        for row in self.practices_extract.loaded():
            scores = {}
            for column, raw in row.cells.items():
                if column.count("/") == 2:
                    scores[column.rsplit("/", 1)[-1]], bad = practice_cell(str(raw))
                    invalid += bad
            invalid += iso_date(row.cells.get("fecha_visita", ""), self.today)[1]
            scores["evaluador"] = str(row.cells.get("evaluador", "")).strip().upper()
            records[row.ruc_n] = scores
        self.practices_invalid = invalid
        return pd.DataFrame.from_dict(records, orient="index")

    @cached_property
    def self_assessment(self) -> pd.DataFrame:
        records, invalid = {}, 0
        for row in self.self_assessment_extract.loaded():
            values = {}
            for column, raw in row.cells.items():
                if column.startswith("autoeval/"):
                    text = str(raw).strip()
                    values[column], bad = (int(text), False) if text in ("1", "2", "3", "4", "5") else (None, text != "")
                elif column.startswith("efectos/"):
                    values[column], bad = code_cell(str(raw), EFFECTS)
                elif column.startswith("influencia_score/"):
                    values[column], bad = code_cell(str(raw), INFLUENCE)
                else:
                    bad = False
                invalid += bad
            records[row.ruc_n] = values
        self.self_assessment_invalid = invalid
        return pd.DataFrame.from_dict(records, orient="index")

    @cached_property
    def worker_answers(self) -> pd.DataFrame:
        """One row per loaded respondent: its enterprise and items w01..w15 (valid answers, else NaN)."""
        items = codebook("worker_items")
        headers = self.workers_extract.headers
        columns = {item: next(h for h in headers if h.startswith(prefix + " "))
                   for item, prefix in zip(items["item_id"], items["header_prefix"])}
        records, invalid = [], 0
        loaded = self.workers_extract.loaded()
        # contract 8.2: a code trimmed, case-insensitive; used twice in an enterprise, invalid in both rows (8.3)
        code_of = {id(row): str(row.cells.get(WORKER_CODE) or "").strip().upper() for row in loaded}
        uses = Counter((row.ruc_n, code_of[id(row)]) for row in loaded if code_of[id(row)])
        for row in loaded:
            repeated = uses[(row.ruc_n, code_of[id(row)])] > 1
            invalid += repeated
            record = {"ruc_n": row.ruc_n, "code": None if repeated else code_of[id(row)] or None}
            for item, header in columns.items():
                record[item], bad = label_cell(str(row.cells.get(header, "")))
                invalid += bad
            sex = fold(row.cells.get("Sexo", ""))
            invalid += sex != "" and sex not in SEXES
            records.append(record)
        self.workers_invalid = invalid
        frame = pd.DataFrame.from_records(records, columns=["ruc_n", "code", *columns])
        return frame.astype({item: float for item in columns})

    @cached_property
    def training(self) -> pd.DataFrame:
        records, invalid = [], 0
        for row in self.training_extract.loaded():
            finished, bad_end = iso_date(row.cells.get("fecha_fin", ""), self.today)
            invalid += bad_end
            for column in ("sesiones_aula", "visitas_consultoria"):
                value, bad = count_cell(str(row.cells.get(column, "")))
                invalid += bad or (value is not None and not value.is_integer())
            contribution, bad = count_cell(str(row.cells.get("aporte_usd", "")))
            invalid += bad
            records.append({"ruc_n": row.ruc_n, "modulo": int(str(row.cells["modulo"]).strip()),
                            "finished": finished is not None, "aporte_usd": contribution})
        self.training_invalid = invalid
        return pd.DataFrame.from_records(records, columns=["ruc_n", "modulo", "finished", "aporte_usd"])

    @cached_property
    def case_studies(self) -> pd.DataFrame:
        records, invalid = [], 0
        for row in self.case_study_rows:
            if row.fate != "loaded":
                continue
            title = row.cells.get("titulo")
            invalid += not present(title) or str(title).strip() == ""  # decisions: a missing title is invalid
            records.append({"ruc": row.ruc_n, "title": str(title).strip() if present(title) and str(title).strip() else None,
                            "modules": [int(m) for m in row.cells.get("modulos") or []],
                            "themes": [str(t) for t in row.cells.get("temas") or []],
                            "word_count": words(str(row.cells.get("body", ""))), "wave": self.key})
        self.case_studies_invalid = invalid
        return pd.DataFrame.from_records(records, columns=["ruc", "title", "modules", "themes", "word_count", "wave"])


def scores_of(practices: pd.DataFrame) -> pd.DataFrame:
    """Section 2.1's official scoring per enterprise: columns `m1.comunicacion`..., `m1`..`m5`, `global`,
    `n_practices_scored`; a row for every enterprise with a loaded questionnaire."""
    book = codebook("practices")
    result = pd.DataFrame(index=practices.index)
    modules: dict[str, list[str]] = {}
    for (module, category), rows in book.groupby(["module", "category"], sort=True):
        ids = [p for p in rows["practice_id"] if p in practices.columns]
        values = practices[ids].apply(pd.to_numeric) if ids else pd.DataFrame(index=practices.index)
        valid = values.notna().sum(axis=1)
        result[f"{module}.{category}"] = values.mean(axis=1).where(valid >= len(rows) / 2)
        modules.setdefault(module, []).append(f"{module}.{category}")
    for module, categories in modules.items():
        result[module] = result[categories].mean(axis=1)
    module_scores = result[list(modules)]
    result["global"] = module_scores.mean(axis=1).where(module_scores.notna().sum(axis=1) >= 4)
    ids = [p for p in book["practice_id"] if p in practices.columns]
    result["n_practices_scored"] = practices[ids].notna().sum(axis=1)
    return result


def rounded(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float), 9)  # contract 4: ties and zero tests at 9 decimals


def finite(value: object) -> float | None:
    """A figure as a mart holds it: None for a zero or undefined denominator (no inf, no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def holm(p: dict) -> dict:
    present_p = {k: v for k, v in p.items() if v is not None}
    adjusted = holm_by_hand(present_p) if present_p else {}
    return {k: adjusted.get(k) for k in p}


def mean_or_none(values: pd.Series) -> float | None:
    values = pd.Series(values, dtype=float).dropna()
    return finite(values.mean()) if len(values) else None


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return finite(numerator / denominator * scale)


class CountryReference:
    """One country of a programme root: its waves, its enterprises, and every mart's rows for it."""

    def __init__(self, country: Country, corrections_root: Path | None, programme: bool = True):
        self.country = country
        self.waves = [CountryWave(country, folder, corrections_root, programme) for folder in country.wave_folders]
        known = frozenset(r.ruc_n for w in self.waves for r in w.profile_extract.rows if r.fate != "rejected")
        for wave in self.waves:
            wave.known = known
        self.known = known
        self.baseline, self.endline = self.waves[0], self.waves[-1]

    @cached_property
    def scores(self) -> dict[str, pd.DataFrame]:
        return {w.key: scores_of(w.practices.drop(columns="evaluador", errors="ignore")) for w in self.waves}

    def codes(self) -> list[tuple[str, str]]:
        book = codebook("practices")
        categories = sorted({f"{m}.{c}" for m, c in zip(book["module"], book["category"])})
        return [("global", "global")] + [("module", m) for m in sorted(book["module"].unique())] + \
            [("category", c) for c in categories]

    # -- contract 4
    def enterprise_scores(self) -> pd.DataFrame:
        rows = []
        for wave in self.waves:
            for ruc_n, s in self.scores[wave.key].iterrows():
                rows.append({"ruc": ruc_n, "wave": wave.key, "global_score": s["global"],
                             **{f"score_m{i}": s[f"m{i}"] for i in range(1, 6)},
                             "n_practices_scored": int(s["n_practices_scored"]), "arm": self.arms.get(ruc_n)})
        return pd.DataFrame(rows)

    def category_scores(self) -> pd.DataFrame:
        rows = []
        for wave in self.waves:
            frame = self.scores[wave.key]
            for level, code in self.codes():
                if level != "category":
                    continue
                module, category = code.split(".", 1)
                for ruc_n, value in frame[code].items():
                    rows.append({"ruc": ruc_n, "wave": wave.key, "module": module, "category": category,
                                 "score": value, "arm": self.arms.get(ruc_n)})
        return pd.DataFrame(rows)

    def wave_summary(self) -> pd.DataFrame:
        rows = []
        for wave in self.waves:
            for level, code in self.codes():
                values = self.participating(self.scores[wave.key][code]).dropna()
                rows.append({"wave": wave.key, "level": level, "code": code, "n_enterprises": len(values),
                             "mean": mean_or_none(values), "sd": finite(values.std(ddof=1)) if len(values) > 1 else None,
                             "median": finite(values.median()) if len(values) else None})
        return pd.DataFrame(rows)

    def pairs(self, code: str) -> pd.DataFrame:
        both = self.participating(pd.DataFrame({"baseline": self.scores[self.baseline.key][code],
                                                "endline": self.scores[self.endline.key][code]})).dropna()
        return both.assign(change=both["endline"] - both["baseline"])

    def score_change(self) -> pd.DataFrame:
        from scipy import stats

        rows = []
        for level, code in self.codes():
            pairs = self.pairs(code)
            n, change = len(pairs), pairs["change"]
            row = {"level": level, "code": code, "n_pairs": n, "baseline_mean": mean_or_none(pairs["baseline"]),
                   "endline_mean": mean_or_none(pairs["endline"]), "mean_change": mean_or_none(change),
                   "t_stat": None, "p_value": None, "p_wilcoxon": None, "effect_size_dz": None,
                   "ci_low": None, "ci_high": None}
            constant = n > 0 and len(set(rounded(change))) == 1
            if n >= 2 and not constant:
                test = stats.ttest_rel(pairs["endline"], pairs["baseline"])
                sd = change.std(ddof=1)
                half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
                row.update(t_stat=finite(test.statistic), p_value=finite(test.pvalue),
                           effect_size_dz=finite(change.mean() / sd),
                           ci_low=finite(change.mean() - half), ci_high=finite(change.mean() + half))
            elif n >= 2:  # every change equal: no spread, the interval is the change itself
                row.update(ci_low=row["mean_change"], ci_high=row["mean_change"])
            differences = rounded(change)
            if np.count_nonzero(differences) > 0:
                row["p_wilcoxon"] = finite(stats.wilcoxon(differences, zero_method="wilcox").pvalue)
            rows.append(row)
        adjusted = holm({r["code"]: r["p_value"] for r in rows})
        for row in rows:
            row["p_holm"] = adjusted[row["code"]]
        columns = ["level", "code", "n_pairs", "baseline_mean", "endline_mean", "mean_change", "t_stat", "p_value",
                   "p_wilcoxon", "p_holm", "effect_size_dz", "ci_low", "ci_high"]
        return pd.DataFrame(rows)[columns]

    def kpi_changes(self, kpi: str) -> pd.DataFrame:
        column = KPI_COLUMNS[kpi]
        frame = pd.DataFrame({"baseline": self.baseline.number(column), "endline": self.endline.number(column)})
        structure = self.baseline.profile["Estructura de costos"] if len(self.baseline.profile) else pd.Series(dtype=object)
        frame["cost_structure"] = structure
        frame = self.participating(frame).dropna(subset=["baseline", "endline"])
        frame = frame[frame["baseline"] > 0]
        return frame.assign(pct_change=(frame["endline"] - frame["baseline"]) / frame["baseline"] * 100)

    def baseline_cost_structures(self) -> list[str]:
        """Contract 4: `all` or "the value written in the baseline profile sheet" (a valid one)."""
        profile = self.participating(self.baseline.profile)
        written = set(profile["Estructura de costos"].dropna()) if len(profile) else set()
        return [structure for structure in COST_STRUCTURES if structure in written]

    def kpi_change(self) -> pd.DataFrame:
        rows = []
        for kpi in sorted(KPI_COLUMNS):
            changes = self.kpi_changes(kpi)
            for structure in ("all", *self.baseline_cost_structures()):
                chosen = changes if structure == "all" else changes[changes["cost_structure"] == structure]
                rows.append({"kpi": kpi, "cost_structure": structure, "n_enterprises": len(chosen),
                             "mean_pct_change": mean_or_none(chosen["pct_change"]),
                             "median_pct_change": finite(chosen["pct_change"].median()) if len(chosen) else None})
        return pd.DataFrame(rows)

    def business_results(self) -> pd.DataFrame:
        rows = []
        for wave in self.waves:
            profile = self.participating(wave.profile)

            def number(column: str) -> pd.Series:
                return self.participating(wave.number(column))

            sales, workers = mean_or_none(number("Ventas anuales (S/.)")), mean_or_none(number("N° trabajadores"))
            answers = profile["Usa indicadores de productividad"].dropna() if len(profile) else pd.Series(dtype=object)
            policy = profile["Política de igualdad de género"] if len(profile) else pd.Series(dtype=object)
            women, staff = number("N° trabajadoras"), number("N° trabajadores")
            shares = (women / staff.where(staff > 0) * 100)
            rows.append({"wave": wave.key, "n_enterprises": len(profile),
                         "capacity_use_pct": mean_or_none(number("Capacidad instalada utilizada (%)")),
                         "annual_sales_mean": sales, "workers_mean": workers,
                         "monthly_payroll_mean": mean_or_none(number("Planilla mensual (S/.)")),
                         "sales_per_worker": ratio(sales, workers),
                         "pct_using_productivity_indicators": ratio(float((answers == "Sí").sum()), float(len(answers)), 100),
                         "female_share_pct": mean_or_none(shares), "n_gender_policy": int((policy == "Sí").sum())})
        return pd.DataFrame(rows)

    def worker_enterprise(self, wave: CountryWave) -> pd.DataFrame:
        """Per enterprise: each item's mean over valid answers and `overall` (mean of scored respondents'
        scores, a respondent scored with at least 10 valid answers to w01..w14), with respondent counts."""
        answers = wave.worker_answers
        scored_items = [f"w{i:02d}" for i in range(1, 15)]
        answers = answers.assign(respondent=answers[scored_items].mean(axis=1).where(answers[scored_items].notna().sum(axis=1) >= 10))
        grouped = answers.groupby("ruc_n")
        result = grouped[[f"w{i:02d}" for i in range(1, 16)] + ["respondent"]].mean().rename(columns={"respondent": "overall"})
        counts = grouped[[f"w{i:02d}" for i in range(1, 16)] + ["respondent"]].count().rename(columns={"respondent": "overall"})
        return result.join(counts.add_suffix("_n"))

    def worker_satisfaction(self) -> pd.DataFrame:
        rows = []
        for wave in self.waves:
            figures = self.participating(self.worker_enterprise(wave))
            for item in [f"w{i:02d}" for i in range(1, 16)] + ["overall"]:
                chosen = figures[figures[item].notna()]
                rows.append({"wave": wave.key, "item": item, "n_enterprises": len(chosen),
                             "n_respondents": int(chosen[f"{item}_n"].sum()), "mean": mean_or_none(chosen[item])})
        return pd.DataFrame(rows)

    def perceptions(self, wave: CountryWave) -> list[dict]:
        frame = self.participating(wave.self_assessment)
        rows = []
        for column in [c for c in wave.self_assessment_extract.headers if c.startswith("efectos/")]:
            outcome = column.split("/", 1)[1]
            effects = frame[column].dropna() if column in frame else pd.Series(dtype=object)
            influence_column = f"influencia_score/{outcome}"
            influence = frame[influence_column].dropna() if influence_column in frame else pd.Series(dtype=object)
            rows.append({"wave": wave.key, "outcome": outcome, "n_responses": len(effects),
                         "pct_positive": ratio(float((effects == "positivo").sum()), float(len(effects)), 100),
                         "pct_influenced": ratio(float(influence.isin(["mucho", "algo"]).sum()), float(len(influence)), 100),
                         "n_positive": int((effects == "positivo").sum())})
        return rows

    def perceived_effects(self) -> pd.DataFrame:
        rows = [row for wave in self.waves for row in self.perceptions(wave)]
        return pd.DataFrame(rows, columns=["wave", "outcome", "n_responses", "pct_positive", "pct_influenced"])

    def module_spillover(self) -> pd.DataFrame:
        from scipy import stats

        rows = []
        first = self.pairs("m1")["change"]
        for module in ("m2", "m3", "m4", "m5"):
            both = pd.DataFrame({"m1": first, "other": self.pairs(module)["change"]}).dropna()
            row = {"module": module, "n": len(both), "pearson_r": None, "p_value": None, "spearman_rho": None}
            x, y = rounded(both["m1"]), rounded(both["other"])
            if len(both) >= 3 and len(set(x)) > 1 and len(set(y)) > 1:
                pearson = stats.pearsonr(both["m1"], both["other"])
                row.update(pearson_r=finite(pearson.statistic), p_value=finite(pearson.pvalue),
                           spearman_rho=finite(stats.spearmanr(x, y).statistic))
            rows.append(row)
        return pd.DataFrame(rows)

    def positive_share(self, wave: CountryWave) -> tuple[int, int]:
        rows = self.perceptions(wave)
        return sum(r["n_positive"] for r in rows), sum(r["n_responses"] for r in rows)

    def headline_indicators(self) -> pd.DataFrame:
        catalog = pd.read_csv(SEEDS_DIR / "headline_catalog.csv", dtype=str).sort_values("sort_order", key=lambda s: s.astype(int))
        business = self.business_results().set_index("wave")
        worker = self.worker_satisfaction().query("item == 'overall'").set_index("wave")["mean"]
        summary = self.wave_summary().query("level == 'global'").set_index("wave")["mean"]
        positive = pd.Series({w.key: ratio(*map(float, self.positive_share(w)), 100) for w in self.waves}, dtype=float)
        kpis = self.kpi_change().query("cost_structure == 'all'").set_index("kpi")
        rows = []
        for _, entry in catalog.iterrows():
            indicator = entry["indicator"]
            baseline = endline = change = change_pct = None
            if indicator in KPI_COLUMNS:
                changes = self.kpi_changes(indicator)
                baseline, endline = mean_or_none(changes["baseline"]), mean_or_none(changes["endline"])
                change = None if baseline is None else endline - baseline
                change_pct = kpis.loc[indicator, "mean_pct_change"]
            elif indicator == "pct_enterprises_gain_gt1":
                pairs = self.pairs("global")
                endline = ratio(float((pairs["change"] > 1).sum()), float(len(pairs)), 100)
            else:
                series = {"global_score": summary, "worker_satisfaction": worker, "pct_positive_effects": positive}.get(
                    indicator, business[BUSINESS_INDICATORS[indicator]] if indicator in BUSINESS_INDICATORS else None)
                series = pd.to_numeric(series, errors="coerce").dropna()
                if len(series):
                    baseline, endline = float(series.iloc[0]), float(series.iloc[-1])
                    change = endline - baseline
                    change_pct = ratio(change, baseline, 100)
            unit = self.country.currency if entry["unit"] == "currency" else entry["unit"]
            rows.append({"indicator": indicator, "label": entry["label"], "unit": unit, "baseline": finite(baseline),
                         "endline": finite(endline), "change": finite(change), "change_pct": finite(change_pct)})
        return pd.DataFrame(rows)

    def data_quality(self) -> pd.DataFrame:
        rows = []
        for wave in self.waves:
            extracts = {"practicas_gestion": (wave.practices_extract, lambda: wave.practices_invalid, wave.practices),
                        "perfil_empresa": (wave.profile_extract, lambda: wave.profile_invalid, wave.profile),
                        "autoevaluacion": (wave.self_assessment_extract, lambda: wave.self_assessment_invalid, wave.self_assessment),
                        "encuesta_trabajadores": (wave.workers_extract, lambda: wave.workers_invalid, wave.worker_answers),
                        "registro_capacitacion": (wave.training_extract, lambda: wave.training_invalid, wave.training)}
            for instrument in INSTRUMENTS:
                if instrument == "estudios_caso":
                    found, invalid = wave.case_study_rows, (len(wave.case_studies), wave.case_studies_invalid)[1]
                    statuses: list[str] = []
                else:
                    extract, invalid_of, _ = extracts[instrument]
                    found, invalid, statuses = extract.rows, invalid_of(), extract.corrections
                fates = [r.fate for r in found]
                rows.append({"wave": wave.key, "instrument": instrument, "rows_received": len(fates),
                             "rows_loaded": fates.count("loaded"), "duplicates_removed": fates.count("duplicate"),
                             "rows_rejected": fates.count("rejected"), "values_invalid": invalid,
                             "corrections_applied": statuses.count("applied"),
                             "corrections_not_applied": len(statuses) - statuses.count("applied")})
            if wave.sample_frame_rows:  # contract 8.3: no duplicates removed, no invalid values, no corrections
                fates = [r.fate for r in wave.sample_frame_rows]
                rows.append({"wave": wave.key, "instrument": "muestra", "rows_received": len(fates),
                             "rows_loaded": fates.count("loaded"), "duplicates_removed": 0,
                             "rows_rejected": fates.count("rejected"), "values_invalid": 0,
                             "corrections_applied": 0, "corrections_not_applied": 0})
        return pd.DataFrame(rows)

    @cached_property
    def arms(self) -> dict[str, str]:
        """Contract 8.1: each enterprise of the frame's loaded rows -> its arm (`tratamiento`, `comparacion`)."""
        return {row.ruc_n: fold(row.cells.get("grupo")) for row in self.baseline.sample_frame_rows if row.fate == "loaded"}

    def arrived(self, wave: CountryWave) -> dict[str, set[str]]:
        """The instruments of each enterprise that arrived (loaded rows) in a wave."""
        found: dict[str, set[str]] = {}
        sources = {"practicas_gestion": wave.practices_extract.loaded(), "perfil_empresa": wave.profile_extract.loaded(),
                   "autoevaluacion": wave.self_assessment_extract.loaded(),
                   "encuesta_trabajadores": wave.workers_extract.loaded(),
                   "registro_capacitacion": wave.training_extract.loaded(),
                   "estudios_caso": [r for r in wave.case_study_rows if r.fate == "loaded"]}
        for instrument, rows in sources.items():
            for row in rows:
                found.setdefault(row.ruc_n, set()).add(instrument)
        return found

    def panel_coverage(self, wave_names: list[str]) -> pd.DataFrame:
        """docs/decisions.md: a column `wave_<key with _>` per wave name of any country (the list of instruments
        that arrived, empty elsewhere), the business name, and `n_waves_complete` (the four survey instruments)."""
        arrived = {w.key: self.arrived(w) for w in self.waves}
        names = {}
        for wave in self.waves:  # the latest sheet's name
            for ruc_n, values in wave.profile.iterrows():
                names[ruc_n] = values.get("Razón social")
        rows = []
        for ruc_n in sorted(self.known):
            row = {"ruc": ruc_n, "business_name": names.get(ruc_n)}
            for name in wave_names:
                row["wave_" + name.replace("-", "_")] = sorted(arrived.get(name, {}).get(ruc_n, set()))
            row["n_waves_complete"] = sum(set(SURVEY_INSTRUMENTS) <= arrived[w.key].get(ruc_n, set()) for w in self.waves)
            row["arm"] = self.arms.get(ruc_n)
            rows.append(row)
        return pd.DataFrame(rows)

    def participation(self) -> pd.DataFrame:
        """docs/decisions.md: the last wave's cumulative training file; size from the latest profile sheet."""
        sizes: dict[str, object] = {}
        for wave in self.waves:
            for ruc_n, values in wave.profile.iterrows():
                sizes[ruc_n] = values.get("Tamaño")
        records = self.endline.training
        rows = []
        for ruc_n in sorted(self.known):
            mine = records[records["ruc_n"] == ruc_n]
            modules = mine.loc[mine["finished"], "modulo"].nunique()  # completed: the record has its end date
            size = sizes.get(ruc_n)
            per_module = {"Pequeña": 500, "Mediana": 1000}.get(size)
            rows.append({"ruc": ruc_n, "size": size, "modules_completed": modules,
                         "contribution_usd": float(mine["aporte_usd"].sum()),
                         "contribution_by_rule_usd": None if per_module is None else modules * per_module,
                         "arm": self.arms.get(ruc_n)})
        return pd.DataFrame(rows)

    def case_studies(self) -> pd.DataFrame:
        return pd.concat([w.case_studies for w in self.waves], ignore_index=True)

    def evaluator_effects(self) -> pd.DataFrame:
        from scipy import stats

        rows = []
        for wave in self.waves:
            evaluators = wave.practices["evaluador"] if len(wave.practices) else pd.Series(dtype=object)
            frame = pd.DataFrame({"evaluator": evaluators, "score": self.scores[wave.key]["global"]})
            frame = frame[(frame["evaluator"] != "") & frame["score"].notna()]
            groups = {e: g["score"] for e, g in frame.groupby("evaluator")}
            kruskal = None
            if len(groups) >= 2 and len(set(rounded(frame["score"]))) > 1:
                kruskal = finite(stats.kruskal(*[rounded(g) for g in groups.values()]).pvalue)
            for evaluator, mine in sorted(groups.items()):
                others = frame.loc[frame["evaluator"] != evaluator, "score"]
                p = None
                if len(mine) >= 2 and len(others) >= 2 and not (len(set(rounded(mine))) == 1 and len(set(rounded(others))) == 1):
                    p = finite(stats.ttest_ind(mine, others, equal_var=False).pvalue)
                rows.append({"wave": wave.key, "evaluator": evaluator, "n_enterprises": len(mine),
                             "mean_global_score": mean_or_none(mine),
                             "diff_from_others": None if not len(others) else mine.mean() - others.mean(),
                             "p_value": p, "p_kruskal": kruskal})
        adjusted = holm({(r["wave"], r["evaluator"]): r["p_value"] for r in rows})
        for row in rows:
            row["p_holm"] = adjusted[(row["wave"], row["evaluator"])]
        columns = ["wave", "evaluator", "n_enterprises", "mean_global_score", "diff_from_others", "p_value", "p_holm",
                   "p_kruskal"]
        return pd.DataFrame(rows, columns=columns)

    # -- contract 8: the evaluation design
    @cached_property
    def design_arms(self) -> dict[str, str]:
        """8.1: the enterprises of the design marts: listed, and not a comparison enterprise with training records."""
        trained = {ruc_n for wave in self.waves for ruc_n in wave.training["ruc_n"]}
        return {ruc_n: arm for ruc_n, arm in self.arms.items() if not (arm == "comparacion" and ruc_n in trained)}

    @cached_property
    def participants(self) -> frozenset[str]:
        """8.1: the participant marts' enterprises: every one without a frame, the treated ones with a frame."""
        if not self.arms:
            return self.known
        return frozenset(ruc_n for ruc_n, arm in self.arms.items() if arm == "tratamiento")

    def participating(self, frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        """The rows (indexed by identifier) of the participants."""
        return frame[frame.index.isin(self.participants)]

    def design_values(self, wave: CountryWave) -> pd.DataFrame:
        """8.3's variables of each enterprise in the design at a wave, a column each, in the contract's order."""
        scores = self.scores[wave.key]
        workers = wave.number("N° trabajadores")
        columns = {"global_score": scores.get("global"), **{f"score_m{i}": scores.get(f"m{i}") for i in range(1, 6)},
                   "workers": workers,
                   "female_share_pct": wave.number("N° trabajadoras") / workers.where(workers != 0) * 100,
                   "annual_sales": wave.number("Ventas anuales (S/.)"),
                   "monthly_payroll": wave.number("Planilla mensual (S/.)"),
                   "capacity_use_pct": wave.number("Capacidad instalada utilizada (%)"),
                   **{kpi: wave.number(KPI_COLUMNS[kpi]) for kpi in DESIGN_KPIS},
                   "worker_satisfaction": self.worker_enterprise(wave)["overall"]}
        frame = pd.DataFrame(index=sorted(self.design_arms))
        for name, values in columns.items():
            frame[name] = pd.to_numeric(values, errors="coerce") if values is not None else np.nan
        return frame

    def arm_values(self, values: pd.Series, arm: str) -> np.ndarray:
        return values[[self.design_arms[r] == arm for r in values.index]].dropna().to_numpy(dtype=float)

    def balance(self) -> pd.DataFrame:
        values = self.design_values(self.baseline)
        rows = []
        for variable in values.columns if self.design_arms else []:
            t, c = (self.arm_values(values[variable], arm) for arm in ARMS)
            welch = welch_by_formula(t, c)
            mean_t, mean_c = mean_or_none(t), mean_or_none(c)
            difference = None if mean_t is None or mean_c is None else mean_t - mean_c
            normalized = None
            if welch is not None:
                normalized = finite(difference / math.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2))
            rows.append({"variable": variable, "n_treatment": len(t), "n_comparison": len(c), "mean_treatment": mean_t,
                         "mean_comparison": mean_c, "difference": difference, "normalized_difference": normalized,
                         "p_value": None if welch is None else welch["p"]})
        return pd.DataFrame(rows, columns=BALANCE_COLUMNS)

    def did(self) -> pd.DataFrame:
        first, last = self.design_values(self.baseline), self.design_values(self.endline)
        rows = []
        for outcome in first.columns if self.design_arms else []:
            t, c = (self.arm_values(last[outcome] - first[outcome], arm) for arm in ARMS)
            change_t, change_c = mean_or_none(t), mean_or_none(c)
            row = {"outcome": outcome, "n_treatment": len(t), "n_comparison": len(c), "change_treatment": change_t,
                   "change_comparison": change_c,
                   "did": None if change_t is None or change_c is None else change_t - change_c,
                   "se": None, "df": None, "t_stat": None, "p_value": None, "ci_low": None, "ci_high": None}
            welch = welch_by_formula(t, c)
            if welch is not None:
                from scipy import stats

                half = stats.t.ppf(0.975, welch["df"]) * welch["se"]
                row.update(se=welch["se"], df=welch["df"], t_stat=welch["t"], p_value=welch["p"],
                           ci_low=row["did"] - half, ci_high=row["did"] + half)
            rows.append(row)
        adjusted = holm({r["outcome"]: r["p_value"] for r in rows})
        for row in rows:
            row["p_holm"] = adjusted[row["outcome"]]
        return pd.DataFrame(rows, columns=DID_COLUMNS)

    def attrition(self) -> pd.DataFrame:
        if not self.design_arms:
            return pd.DataFrame(columns=ATTRITION_COLUMNS)
        first, last = self.scores[self.baseline.key]["global"], self.scores[self.endline.key]["global"]
        at_first = {arm: [r for r, a in self.design_arms.items() if a == arm and pd.notna(first.get(r))]
                    for arm in ARMS}
        observed = {arm: [float(last[r]) for r in at_first[arm] if pd.notna(last.get(r))] for arm in ARMS}
        n = {arm: len(at_first[arm]) for arm in ARMS}
        p_difference = None
        if all(n.values()):
            p_difference = float(fisher_by_enumeration(
                [[len(observed[arm]), n[arm] - len(observed[arm])] for arm in ARMS]))
        lower, upper = lee_by_brute_force(observed, n)
        return pd.DataFrame([{"arm": arm, "n_baseline": n[arm], "n_endline": len(observed[arm]),
                              "attrition_pct": ratio(float(n[arm] - len(observed[arm])), float(n[arm]), 100),
                              "p_difference": p_difference, "lee_lower": lower, "lee_upper": upper}
                             for arm in ARMS], columns=ATTRITION_COLUMNS)

    def panel_respondents(self, wave: CountryWave) -> pd.DataFrame:
        """The scored respondents (2.4) of the panel's enterprises (the design's, every one without a frame)."""
        answers = wave.worker_answers
        items = [f"w{i:02d}" for i in range(1, 15)]
        frame = pd.DataFrame({"ruc": answers["ruc_n"], "code": answers["code"],
                              "score": answers[items].mean(axis=1).where(answers[items].notna().sum(axis=1) >= 10)})
        enterprises = self.design_arms if self.arms else self.known
        return frame[frame["score"].notna() & frame["ruc"].isin(list(enterprises))]

    def worker_panel(self) -> pd.DataFrame:
        first, last = self.panel_respondents(self.baseline), self.panel_respondents(self.endline)
        if first["code"].isna().all() and last["code"].isna().all():
            return pd.DataFrame(columns=WORKER_PANEL_COLUMNS)
        keyed = {name: frame.dropna(subset=["code"]).set_index(["ruc", "code"])["score"]
                 for name, frame in (("first", first), ("last", last))}
        both = sorted(set(keyed["first"].index) & set(keyed["last"].index))
        gone = sorted(set(keyed["first"].index) - set(keyed["last"].index))
        came = sorted(set(keyed["last"].index) - set(keyed["first"].index))

        def figure(values: pd.Series) -> float | None:
            return mean_or_none(values) if len(values) >= 5 else None

        rows = []
        b, e = figure(first["score"]), figure(last["score"])
        welch = welch_by_formula(last["score"].to_numpy(float), first["score"].to_numpy(float))
        rows.append({"group": "all", "n_enterprises": len(set(first["ruc"]) | set(last["ruc"])),
                     "n_baseline": len(first), "n_endline": len(last), "baseline_mean": b, "endline_mean": e,
                     "change": None if b is None or e is None else e - b,
                     "p_value": None if b is None or e is None or welch is None else welch["p"]})
        before, after = keyed["first"].loc[both], keyed["last"].loc[both]
        b, e = figure(before), figure(after)
        rows.append({"group": "stayers", "n_enterprises": len({r for r, _ in both}), "n_baseline": len(both),
                     "n_endline": len(both), "baseline_mean": b, "endline_mean": e,
                     "change": None if b is None else float(np.mean(after.to_numpy() - before.to_numpy())),
                     "p_value": None if b is None else paired_by_formula(before.to_numpy(), after.to_numpy())})
        rows.append({"group": "leavers", "n_enterprises": len({r for r, _ in gone}), "n_baseline": len(gone),
                     "n_endline": None, "baseline_mean": figure(keyed["first"].loc[gone]), "endline_mean": None,
                     "change": None, "p_value": None})
        rows.append({"group": "joiners", "n_enterprises": len({r for r, _ in came}), "n_baseline": None,
                     "n_endline": len(came), "baseline_mean": None, "endline_mean": figure(keyed["last"].loc[came]),
                     "change": None, "p_value": None})
        return pd.DataFrame(rows, columns=WORKER_PANEL_COLUMNS)

    # -- contract 7: programme_summary's inputs for a set of countries
    def summary_inputs(self) -> dict[str, object]:
        worker = {at: self.participating(self.worker_enterprise(getattr(self, at))["overall"]).dropna()
                  for at in ("baseline", "endline")}
        return {"pairs": self.pairs("global"), "kpis": {k: self.kpi_changes(k)["pct_change"] for k in KPI_SHORT},
                "worker": worker, "positive": self.positive_share(self.endline)}


def programme_summary_row(inputs: list[dict[str, object]]) -> dict[str, object]:
    from scipy import stats

    pairs = pd.concat([i["pairs"] for i in inputs])
    n = len(pairs)
    p_value = None
    if n >= 2 and len(set(rounded(pairs["change"]))) > 1:
        p_value = finite(stats.ttest_rel(pairs["endline"], pairs["baseline"]).pvalue)
    worker = {at: pd.concat([i["worker"][at] for i in inputs]) for at in ("baseline", "endline")}
    worker_b, worker_e = mean_or_none(worker["baseline"]), mean_or_none(worker["endline"])
    positive = [sum(i["positive"][k] for i in inputs) for k in (0, 1)]
    return {"n_pairs": n, "global_baseline": mean_or_none(pairs["baseline"]),
            "global_endline": mean_or_none(pairs["endline"]), "global_change": mean_or_none(pairs["change"]),
            "p_value": p_value, "pct_gain_gt1": ratio(float((pairs["change"] > 1).sum()), float(n), 100),
            **{f"{short}_pct_change": mean_or_none(pd.concat([i["kpis"][k] for i in inputs]))
               for k, short in KPI_SHORT.items()},
            "worker_satisfaction_change": None if worker_b is None or worker_e is None else worker_e - worker_b,
            "pct_positive_effects": ratio(float(positive[0]), float(positive[1]), 100)}


DESIGN_KPIS = ("accidents", "absenteeism", "turnover", "defects", "raw_material_waste", "unit_cost")
BALANCE_COLUMNS = ["variable", "n_treatment", "n_comparison", "mean_treatment", "mean_comparison", "difference",
                   "normalized_difference", "p_value"]
DID_COLUMNS = ["outcome", "n_treatment", "n_comparison", "change_treatment", "change_comparison", "did", "se", "df",
               "t_stat", "p_value", "p_holm", "ci_low", "ci_high"]
ATTRITION_COLUMNS = ["arm", "n_baseline", "n_endline", "attrition_pct", "p_difference", "lee_lower", "lee_upper"]
WORKER_PANEL_COLUMNS = ["group", "n_enterprises", "n_baseline", "n_endline", "baseline_mean", "endline_mean",
                        "change", "p_value"]


def welch_by_formula(a: np.ndarray, b: np.ndarray) -> dict[str, float] | None:
    """Welch's t of mean(a) - mean(b) from its formula: se, Welch-Satterthwaite df, t, two-sided p from t(df);
    None with fewer than 2 values on a side or no spread on either (at 9 decimals)."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2 or (len(set(rounded(a))) == 1 and len(set(rounded(b))) == 1):
        return None
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    t = (a.mean() - b.mean()) / se
    return {"se": se, "df": df, "t": t, "p": float(2 * stats.t.sf(abs(t), df))}


def paired_by_formula(before: np.ndarray, after: np.ndarray) -> float | None:
    """The paired t-test's two-sided p from t = mean change / (sd / sqrt n) with n - 1 df."""
    from scipy import stats

    changes = after - before
    if len(changes) < 2 or len(set(rounded(changes))) == 1:
        return None
    t = changes.mean() / (changes.std(ddof=1) / math.sqrt(len(changes)))
    return float(2 * stats.t.sf(abs(t), len(changes) - 1))


def fisher_by_enumeration(table: list[list[int]]) -> Fraction:
    """Fisher's two-sided p: the hypergeometric probabilities (exact fractions) of every table with the observed
    margins that is no more likely than the observed one."""
    (a, b), (c, d) = table
    row, column, n = a + b, a + c, a + b + c + d

    def probability(x: int) -> Fraction:
        return Fraction(math.comb(row, x) * math.comb(n - row, column - x), math.comb(n, column))

    observed = probability(a)
    return sum((probability(x) for x in range(max(0, column - (n - row)), min(row, column) + 1)
                if probability(x) <= observed), Fraction(0))


def lee_by_brute_force(observed: dict[str, list[float]], n: dict[str, int]) -> tuple[float | None, float | None]:
    """8.3's Lee bounds: the arm observed in the larger share loses k = floor(q m + 1/2) of its m sorted scores
    (q in exact fractions); every run of m - k consecutive sorted scores is tried, the smallest and largest
    treatment - comparison difference of means kept."""
    if not observed["tratamiento"] or not observed["comparacion"]:
        return None, None
    share = {arm: Fraction(len(observed[arm]), n[arm]) for arm in ARMS}
    trimmed = "tratamiento" if share["tratamiento"] >= share["comparacion"] else "comparacion"
    other = "comparacion" if trimmed == "tratamiento" else "tratamiento"
    scores = sorted(observed[trimmed])
    m = len(scores)
    k = math.floor((share[trimmed] - share[other]) / share[trimmed] * m + Fraction(1, 2))
    if k >= m:
        return None, None
    kept_means = [float(np.mean(scores[start:start + m - k])) for start in range(k + 1)]
    other_mean = float(np.mean(observed[other]))
    differences = [mean - other_mean if trimmed == "tratamiento" else other_mean - mean for mean in kept_means]
    return min(differences), max(differences)


DESIGN_MARTS = ("balance", "did", "attrition", "worker_panel")
PER_COUNTRY_MARTS = ("enterprise_scores", "category_scores", "wave_summary", "score_change", "kpi_change",
                     "business_results", "worker_satisfaction", "perceived_effects", "module_spillover",
                     "headline_indicators", "data_quality", "participation", "case_studies", "evaluator_effects",
                     *DESIGN_MARTS)
MART_KEYS = {
    "enterprise_scores": ["country", "ruc", "wave"], "category_scores": ["country", "ruc", "wave", "module", "category"],
    "wave_summary": ["country", "wave", "level", "code"], "score_change": ["country", "level", "code"],
    "kpi_change": ["country", "kpi", "cost_structure"], "business_results": ["country", "wave"],
    "worker_satisfaction": ["country", "wave", "item"], "perceived_effects": ["country", "wave", "outcome"],
    "module_spillover": ["country", "module"], "headline_indicators": ["country", "indicator"],
    "data_quality": ["country", "wave", "instrument"], "panel_coverage": ["country", "ruc"],
    "participation": ["country", "ruc"], "case_studies": ["country", "ruc"], "evaluator_effects": ["country", "wave", "evaluator"],
    "programme_summary": ["country"], "balance": ["country", "variable"], "did": ["country", "outcome"],
    "attrition": ["country", "arm"], "worker_panel": ["country", "group"],
}


class ProgrammeReference:
    """Every published mart of a programme root (`<root>/<cc>/country.yaml` and wave folders), as DataFrames
    with `country` first, computed independently from the raw files and the corrections logs."""

    def __init__(self, raw_root: Path, corrections_root: Path | None):
        folders = sorted(p for p in raw_root.iterdir() if p.is_dir() and (p / "country.yaml").exists())
        self.countries = [CountryReference(Country.read(folder), corrections_root) for folder in folders]

    @cached_property
    def marts(self) -> dict[str, pd.DataFrame]:
        marts = {}
        for mart in PER_COUNTRY_MARTS:
            frames = [getattr(c, mart)().assign(country=c.country.code) for c in self.countries]
            marts[mart] = self.country_first(pd.concat(frames, ignore_index=True))
        wave_names = sorted({w.key for c in self.countries for w in c.waves})
        frames = [c.panel_coverage(wave_names).assign(country=c.country.code) for c in self.countries]
        marts["panel_coverage"] = self.country_first(pd.concat(frames, ignore_index=True))
        marts["programme_summary"] = self.programme_summary()
        return marts

    @staticmethod
    def country_first(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[["country", *[c for c in frame.columns if c != "country"]]]

    def programme_summary(self) -> pd.DataFrame:
        rows = []
        for c in self.countries:
            rows.append({"country": c.country.code, "name": c.country.name, "n_enterprises": len(c.participants),
                         "baseline_wave": c.baseline.key, "endline_wave": c.endline.key,
                         **programme_summary_row([c.summary_inputs()])})
        rows.append({"country": "all", "name": "Programme", "n_enterprises": sum(len(c.participants) for c in self.countries),
                     "baseline_wave": None, "endline_wave": None,
                     **programme_summary_row([c.summary_inputs() for c in self.countries])})
        return pd.DataFrame(rows)


if __name__ == "__main__":  # `python tests/reference.py RAW_ROOT [CORRECTIONS_ROOT]`: every mart, for make bench's comparison
    import sys

    computed = ProgrammeReference(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None).marts
    print(", ".join(f"{name} {len(frame)}" for name, frame in sorted(computed.items())))
