"""The data team's field checks of a wave (contract 6): one internal HTML page per wave, written beside
the warehouse and never published (it holds firm-level values).

It lists, by instrument, what was rejected and why and the invalid values (raw.rejects), the
corrections log's lines and their statuses (raw.corrections), the evaluator table, the panel's
enterprises missing an instrument, and the outliers among the profile numbers. For a country with a sample
frame (contract 8), its design so far: the enterprises without an arm, the contaminated comparison
enterprises, and attrition by arm from the first wave to this one; and, for worker codes, how many respondents
of each enterprise used a code twice (never the codes). The pure functions here take frames;
`write_field_checks` reads them from the warehouse.
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
from score_pipeline.ingest.instruments.sample_frame import ARMS, COMPARISON
from score_pipeline.ingest.instruments.worker_survey import WORKER_CODE
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
    design: DesignChecks

    @property
    def partition(self) -> str:
        return partition_key(self.country, self.wave)

    @property
    def counts(self) -> dict[str, int]:
        return {"rejected_rows": int(self.rejects.loc[self.rejects["kind"] == "row", "rows"].sum()),
                "invalid_values": int(self.rejects.loc[self.rejects["kind"] == "value", "rows"].sum()),
                "corrections_not_applied": int((self.corrections["status"] != "applied").sum()),
                "evaluators_flagged": int((self.evaluators["p_holm"] < FLAG_LEVEL).sum()),
                "enterprises_missing_an_instrument": len(self.missing), "outliers": len(self.outliers),
                **self.design.counts}


@dataclass(frozen=True)
class DesignChecks:
    """Contract 8 on a wave's page. Without a frame (`has_frame` False) the country has no arms: only the
    repeated worker codes are checked."""

    has_frame: bool
    without_arm: pd.DataFrame  # ruc, business_name: the wave's profile enterprises the frame does not list
    contaminated: pd.DataFrame  # ruc, business_name, modules: comparison enterprises with training records so far
    attrition: pd.DataFrame  # arm, n_first_wave, n_this_wave, attrition_pct
    repeated_codes: pd.DataFrame  # ruc, respondents: rows of the wave whose code the enterprise used more than once

    @property
    def counts(self) -> dict[str, int]:
        frame = {"enterprises_without_an_arm": len(self.without_arm),
                 "contaminated_enterprises": len(self.contaminated)} if self.has_frame else {}
        return {**frame, "respondents_with_a_repeated_worker_code": int(self.repeated_codes["respondents"].sum())}


def without_arm(panel: pd.DataFrame, arms: pd.DataFrame) -> pd.DataFrame:
    """The panel's enterprises (ruc, business_name) that no accepted frame row lists (arms: ruc, arm)."""
    return panel[~panel["ruc"].isin(arms["ruc"])].reset_index(drop=True)[["ruc", "business_name"]]


def contaminated(panel: pd.DataFrame, arms: pd.DataFrame, training: pd.DataFrame) -> pd.DataFrame:
    """Comparison enterprises with training records (training: ruc, module), with their business name where the
    wave's profile has it and the modules they have records of (contract 8.1: they keep their arm)."""
    trained = training[training["ruc"].isin(arms.loc[arms["arm"] == COMPARISON, "ruc"])]
    rows = [(ruc, ", ".join(str(m) for m in sorted(set(modules)))) for ruc, modules in trained.groupby("ruc")["module"]]
    found = pd.DataFrame(rows, columns=["ruc", "modules"]).merge(panel, on="ruc", how="left")
    names = found["business_name"].astype(object)
    found["business_name"] = names.where(names.notna(), None)  # not in this wave's sheet: no name
    return found.sort_values("ruc").reset_index(drop=True)[["ruc", "business_name", "modules"]]


def attrition_so_far(arms: pd.DataFrame, excluded: set[str], scored_first: set[str], scored_now: set[str]) -> pd.DataFrame:
    """Per arm, as contract 8.3's attrition with this wave as the last: the arm's enterprises (but the `excluded`,
    contaminated ones) with a global score at the first wave, those of them with one at this wave, and the share
    lost, in percent (null for an arm with none at the first wave)."""
    rows = []
    for arm in ARMS:
        first = (set(arms.loc[arms["arm"] == arm, "ruc"]) - excluded) & scored_first
        now = first & scored_now
        rows.append((arm, len(first), len(now), (1 - len(now) / len(first)) * 100 if first else None))
    return pd.DataFrame(rows, columns=["arm", "n_first_wave", "n_this_wave", "attrition_pct"])


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
                       found, confirmed, read_design_checks(connection, country, wave, panel))


def read_design_checks(connection: duckdb.DuckDBPyConnection, country: str, wave: str,
                       panel: pd.DataFrame) -> DesignChecks:
    """The country's design as of this wave (contract 8): its frame's arms (the accepted rows of enterprises in a
    profile sheet), this wave's cumulative training records, the global scores of the frame's wave and this one."""
    read = lambda sql: connection.execute(sql, [country, wave]).df()  # noqa: E731
    repeated = read("select ruc, count(*) as respondents from raw.rejects where country = $1 and wave = $2 "
                    f"and instrument = 'encuesta_trabajadores' and column_name = '{WORKER_CODE.header}' "
                    "group by ruc order by ruc")
    has_frame = connection.execute("select count(*) > 0 from raw.ingest_log where country = ? and instrument = 'muestra'",
                                   [country]).fetchone()[0]
    arms = connection.execute("select ruc, arm, wave from raw.sample_frame where country = ? and (country, ruc) in "
                              "(select country, ruc from raw.company_profile)", [country]).df()
    training = read("select ruc, module from raw.training_records where country = $1 and wave = $2")
    tainted = contaminated(panel, arms, training)
    scored = connection.execute("select distinct wave, ruc from intermediate.int_evaluator_scores_joined "
                                "where country = ?", [country]).df()
    first_wave = arms["wave"].min() if not arms.empty else None
    attrition = attrition_so_far(arms, set(tainted["ruc"]), set(scored.loc[scored["wave"] == first_wave, "ruc"]),
                                 set(scored.loc[scored["wave"] == wave, "ruc"]))
    return DesignChecks(bool(has_frame), without_arm(panel, arms) if has_frame else panel.iloc[0:0], tainted,
                        attrition, repeated)


def write_field_checks(checks: FieldChecks, folder: Path) -> Path:
    """`<folder>/<country>/<wave>.html`, replaced atomically."""
    target = folder / f"{checks.partition}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp"
    temporary.write_text(render("field_checks.html.j2", checks=checks, counts=checks.counts, iqr=IQR_FACTOR, flag_level=FLAG_LEVEL,
                                ratio=RATIO_LIMIT, panel_instruments=PANEL_INSTRUMENTS), encoding="utf-8")
    os.replace(temporary, target)
    return target
