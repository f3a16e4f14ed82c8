"""An independent reference calculation of the contract's figures, straight from the raw files.

Written from the contract's definitions with pandas and scipy only; it imports
nothing from `score_pipeline`, so the marts can be checked against it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
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

    def __init__(self, raw_root: Path, identifier: Callable[[object], str | None] = ruc):
        folders = sorted(p for p in raw_root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-[a-z0-9_-]+", p.name))
        profiles = [pd.read_excel(f / "perfil_empresa.xlsx", sheet_name="perfil", header=2, dtype=object) for f in folders]
        known = frozenset(r for frame in profiles for r in frame["RUC"].map(identifier) if isinstance(r, str))
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
