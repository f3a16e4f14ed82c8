"""The data team's field checks of a wave (contract 6): one internal HTML page per wave, written beside
the warehouse and never published (it holds firm-level values).

It lists, by instrument, what was rejected and why and the invalid values (raw.rejects), the
corrections log's lines and their statuses (raw.corrections), the evaluator table, the panel's
enterprises missing an instrument, and the outliers among the profile numbers. The pure functions
here take frames; `write_field_checks` reads them from the warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from score_pipeline.core.identifiers import IdentifierRule
from score_pipeline.core.waves import partition_key
from score_pipeline.ingest.instruments import INSTRUMENTS_BY_NAME
from score_pipeline.ingest.instruments.profile import FIELDS as PROFILE_FIELDS
from score_pipeline.stats import FLAG_LEVEL
from score_pipeline.templates import render

IQR_FACTOR = 3.0  # an outlier lies outside [Q1 - 3 IQR, Q3 + 3 IQR] of the wave's values (contract 6)
RATIO_LIMIT = 10.0  # ... or is over 10 times, or under a tenth of, the enterprise's value in its previous wave
# Every enterprise of the wave's profile is expected in these instruments (training records and case
# studies cover only some enterprises by design: docs/decisions.md).
PANEL_INSTRUMENTS = ("practicas_gestion", "autoevaluacion", "encuesta_trabajadores")
PROFILE_NUMBERS = {field.column: field.header for field in PROFILE_FIELDS if field.kind == "DOUBLE"}


@dataclass(frozen=True)
class FieldChecks:
    country: str
    wave: str
    rejects: pd.DataFrame  # instrument, kind, reason, rows (counts)
    reject_rows: pd.DataFrame  # every reject: instrument, file, row, column, value, reason
    corrections: pd.DataFrame  # the log's lines with their statuses
    evaluators: pd.DataFrame  # the wave's rows of the evaluator table
    missing: pd.DataFrame  # ruc, business_name, missing instruments
    outliers: pd.DataFrame  # ruc, number, value, rule, detail
    confirmed: int  # outlying cells a `confirm` line covers, not listed

    @property
    def partition(self) -> str:
        return partition_key(self.country, self.wave)

    @property
    def counts(self) -> dict[str, int]:
        return {"rejected_rows": int(self.rejects.loc[self.rejects["kind"] == "row", "rows"].sum()),
                "invalid_values": int(self.rejects.loc[self.rejects["kind"] == "value", "rows"].sum()),
                "corrections_not_applied": int((self.corrections["status"] != "applied").sum()),
                "evaluators_flagged": int((self.evaluators["p_holm"] < FLAG_LEVEL).sum()),
                "enterprises_missing_an_instrument": len(self.missing), "outliers": len(self.outliers)}


def confirmed_cells(corrections: pd.DataFrame, identifier: IdentifierRule) -> set[tuple[str, str]]:
    """(ruc, profile column) of the applied `confirm` lines on the profile: their values were checked."""
    column_of = {header: column for column, header in PROFILE_NUMBERS.items()}
    lines = corrections[(corrections["instrument"] == "perfil_empresa") & (corrections["action"] == "confirm")
                        & (corrections["status"] == "applied")]
    return {(identifier(key).value, column_of[header]) for key, header in zip(lines["key"], lines["column_name"])
            if header in column_of and identifier(key).value}


def outliers(current: pd.DataFrame, previous: pd.DataFrame | None, confirmed: set[tuple[str, str]]) -> tuple[pd.DataFrame, int]:
    """Outlying profile numbers of a wave, from long frames (ruc, number, value): outside Q1 - 3 IQR ..
    Q3 + 3 IQR of the wave's values of that number (quartiles interpolated linearly, numpy's default),
    or over 10 times / under a tenth of the enterprise's value in the previous wave (when that value is
    positive). Returns the outliers not covered by a `confirm` line, and how many were."""
    current = current.dropna(subset=["value"])
    found = []
    for number, values in current.groupby("number", sort=True):
        q1, q3 = values["value"].quantile([0.25, 0.75])
        low, high = q1 - IQR_FACTOR * (q3 - q1), q3 + IQR_FACTOR * (q3 - q1)
        for row in values[(values["value"] < low) | (values["value"] > high)].itertuples():
            found.append((row.ruc, number, row.value, "wave range", f"outside {low:,.4g} .. {high:,.4g}"))
    if previous is not None:
        paired = current.merge(previous.dropna(subset=["value"]), on=["ruc", "number"], suffixes=("", "_previous"))
        paired = paired[paired["value_previous"] > 0]
        ratio = paired["value"] / paired["value_previous"]
        for row in paired[(ratio > RATIO_LIMIT) | (ratio < 1 / RATIO_LIMIT)].itertuples():
            found.append((row.ruc, row.number, row.value, "previous wave", f"{row.value_previous:,.6g} in the previous wave"))
    table = pd.DataFrame(found, columns=["ruc", "number", "value", "rule", "detail"])
    covered = pd.Series([(ruc, number) in confirmed for ruc, number in zip(table["ruc"], table["number"])],
                        index=table.index, dtype=bool)
    kept = table[~covered].sort_values(["number", "ruc", "rule"]).reset_index(drop=True)
    return kept.assign(header=kept["number"].map(PROFILE_NUMBERS)), int(covered.sum())


def missing_instruments(panel: pd.DataFrame, present: pd.DataFrame) -> pd.DataFrame:
    """Enterprises of the wave's profile (ruc, business_name) without a row in each panel instrument
    (present: instrument, ruc), with the instruments they lack."""
    have = present.groupby("ruc")["instrument"].agg(set).to_dict()
    rows = [(ruc, name, ", ".join(i for i in PANEL_INSTRUMENTS if i not in have.get(ruc, set())))
            for ruc, name in zip(panel["ruc"], panel["business_name"])]
    return pd.DataFrame([r for r in rows if r[2]], columns=["ruc", "business_name", "missing"])


def profile_long(connection: duckdb.DuckDBPyConnection, country: str, wave: str) -> pd.DataFrame:
    numbers = ", ".join(PROFILE_NUMBERS)
    return connection.execute(f"unpivot (select ruc, {numbers} from raw.company_profile where country = ? and wave = ?) "
                              f"on {numbers} into name number value value", [country, wave]).df()


def previous_wave(connection: duckdb.DuckDBPyConnection, country: str, wave: str) -> str | None:
    """The country's loaded wave before this one in key order (the waves' order, contract 1)."""
    return connection.execute("select max(wave) from raw.company_profile where country = ? and wave < ?",
                              [country, wave]).fetchone()[0]


def read_field_checks(connection: duckdb.DuckDBPyConnection, country: str, wave: str,
                      identifier: IdentifierRule) -> FieldChecks:
    """The country's wave's field checks from the warehouse (raw tables and the wave-level models);
    `identifier` is the country's rule, to match the corrections log's keys."""
    from score_pipeline.stats import evaluator_effects

    read = lambda sql: connection.execute(sql, [country, wave]).df()  # noqa: E731
    rejects = read("select instrument, kind, reason, count(*) as rows from raw.rejects where country = $1 and wave = $2 "
                   "group by all order by instrument, kind, rows desc, reason")
    reject_rows = read("select instrument, source_file as file, row_number as row, coalesce(column_name, '') as column, "
                       "coalesce(raw_value, '') as value, reason from raw.rejects where country = $1 and wave = $2 "
                       "order by all")
    corrections = read("select log_line as line, instrument, key, coalesce(column_name, '') as column_name, action, "
                       "coalesce(old_value, '') as old_value, coalesce(new_value, '') as new_value, author, "
                       "strftime(corrected_on, '%Y-%m-%d') as date, reason, status "
                       "from raw.corrections where country = $1 and wave = $2 order by log_line")
    evaluators = evaluator_effects(read("select wave, ruc, evaluator, global_score "
                                        "from intermediate.int_evaluator_scores_joined where country = $1 and wave = $2"))
    present = read(" union all ".join(f"select distinct '{name}' as instrument, ruc from raw.{INSTRUMENTS_BY_NAME[name].table} "
                                      f"where country = $1 and wave = $2" for name in PANEL_INSTRUMENTS))
    panel = read("select ruc, business_name from raw.company_profile where country = $1 and wave = $2 order by ruc")
    earlier = previous_wave(connection, country, wave)
    found, confirmed = outliers(profile_long(connection, country, wave),
                                profile_long(connection, country, earlier) if earlier else None,
                                confirmed_cells(corrections, identifier))
    return FieldChecks(country, wave, rejects, reject_rows, corrections, evaluators, missing_instruments(panel, present),
                       found, confirmed)


def write_field_checks(checks: FieldChecks, folder: Path) -> Path:
    """`<folder>/<country>/<wave>.html`, replaced atomically."""
    target = folder / f"{checks.partition}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp"
    temporary.write_text(render("field_checks.html.j2", checks=checks, counts=checks.counts, iqr=IQR_FACTOR, flag_level=FLAG_LEVEL,
                                ratio=RATIO_LIMIT, panel_instruments=PANEL_INSTRUMENTS), encoding="utf-8")
    os.replace(temporary, target)
    return target
