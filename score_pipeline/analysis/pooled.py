"""`marts.programme_summary` (contract 7): one row per country and the pooled row `all`.

Every row is the same figures over a set of enterprises: one country's, or every country's for `all`,
each enterprise with its own country's baseline and endline. So the pooled row is the per-country
computation over the union, not an average of the countries' rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import duckdb
import numpy as np
import pandas as pd

from score_pipeline.stats import paired_change

POOLED_CODE, POOLED_NAME = "all", "Programme"
# kpi_change's KPI -> its programme_summary column (contract 7)
KPI_COLUMNS = {"accidents": "accidents_pct_change", "absenteeism": "absenteeism_pct_change",
               "turnover": "turnover_pct_change", "defects": "defects_pct_change",
               "raw_material_waste": "waste_pct_change"}
COLUMNS = ("country", "name", "n_enterprises", "baseline_wave", "endline_wave", "n_pairs", "global_baseline",
           "global_endline", "global_change", "p_value", "pct_gain_gt1", *KPI_COLUMNS.values(),
           "worker_satisfaction_change", "pct_positive_effects")

# What the figures are made of, each a frame with `country` first, read from the models that define them,
# sorted: a float mean's last bit depends on the order it adds in, and a re-run may leave rows elsewhere.
# Contract 8.1: over the participants (every enterprise of a country without a frame, the treated ones of a
# country with one); the pairs, KPIs and perceptions models keep only them already.
INPUT_QUERIES = {
    "enterprises": "select country, ruc from intermediate.int_enterprise_arms where is_participant order by all",
    "pairs": "select country, ruc, baseline_score, endline_score, gained_over_one "
             "from intermediate.int_global_scores_paired order by country, ruc",
    "kpis": "select country, ruc, kpi, pct_change from intermediate.int_kpi_pairs_compared "
            f"where kpi in ({', '.join(repr(kpi) for kpi in KPI_COLUMNS)}) order by all",
    "worker": "select figures.country, figures.ruc, waves.is_endline, figures.mean as overall "
              "from intermediate.int_worker_enterprises_summarised as figures "
              "inner join intermediate.int_waves_ordered as waves "
              "on waves.country = figures.country and waves.wave = figures.wave "
              "inner join intermediate.int_enterprise_arms as arms "
              "on arms.country = figures.country and arms.ruc = figures.ruc and arms.is_participant "
              "where figures.item = 'overall' and figures.mean is not null and (waves.is_baseline or waves.is_endline) "
              "order by all",
    "effects": "select effects.country, effects.n_responses, effects.pct_positive from marts.perceived_effects as effects "
               "inner join intermediate.int_waves_ordered as waves "
               "on waves.country = effects.country and waves.wave = effects.wave and waves.is_endline order by all",
}


COUNTRIES_QUERY = """
    select countries.country, countries.name, any_value(waves.wave) filter (where waves.is_baseline) as baseline_wave,
           any_value(waves.wave) filter (where waves.is_endline) as endline_wave
    from staging.stg_raw__countries as countries
    inner join intermediate.int_waves_ordered as waves on waves.country = countries.country
    group by all order by countries.country
"""


@dataclass(frozen=True)
class Enterprises:
    """The frames of INPUT_QUERIES for a set of enterprises."""

    enterprises: pd.DataFrame  # country, ruc: in any of its country's profile sheets
    pairs: pd.DataFrame  # country, ruc, baseline_score, endline_score, gained_over_one
    kpis: pd.DataFrame  # country, ruc, kpi, pct_change: the enterprises that count for a KPI
    worker: pd.DataFrame  # country, ruc, is_endline, overall: enterprise figures at the baseline and endline
    effects: pd.DataFrame  # country, n_responses, pct_positive: endline perception answers per outcome

    @classmethod
    def read(cls, connection: duckdb.DuckDBPyConnection) -> Enterprises:
        return cls(**{field.name: connection.execute(INPUT_QUERIES[field.name]).df() for field in fields(cls)})

    def of(self, country: str) -> Enterprises:
        return Enterprises(**{field.name: (frame := getattr(self, field.name))[frame["country"] == country]
                              for field in fields(self)})


def mean_or_none(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values.dropna()) else None


def figures(enterprises: Enterprises) -> dict[str, object]:
    """Every figure of a programme_summary row but its names and waves (contract 7)."""
    pairs = enterprises.pairs
    test = paired_change(pairs["baseline_score"].to_numpy(dtype=float), pairs["endline_score"].to_numpy(dtype=float))
    worker = enterprises.worker
    endline_worker, baseline_worker = (mean_or_none(worker.loc[worker["is_endline"] == at, "overall"])
                                       for at in (True, False))
    effects = enterprises.effects
    answers = effects["n_responses"].sum()
    return {
        "n_enterprises": len(enterprises.enterprises),
        "n_pairs": len(pairs),
        "global_baseline": mean_or_none(pairs["baseline_score"]),
        "global_endline": mean_or_none(pairs["endline_score"]),
        "global_change": mean_or_none(pairs["endline_score"] - pairs["baseline_score"]),
        "p_value": None if np.isnan(test["p_value"]) else test["p_value"],
        "pct_gain_gt1": float(pairs["gained_over_one"].mean() * 100) if len(pairs) else None,
        **{column: mean_or_none(enterprises.kpis.loc[enterprises.kpis["kpi"] == kpi, "pct_change"])
           for kpi, column in KPI_COLUMNS.items()},
        "worker_satisfaction_change": (endline_worker - baseline_worker
                                       if endline_worker is not None and baseline_worker is not None else None),
        "pct_positive_effects": float((effects["pct_positive"] * effects["n_responses"]).sum() / answers) if answers else None,
    }


def programme_summary(enterprises: Enterprises, countries: pd.DataFrame) -> pd.DataFrame:
    """One row per country of `countries` (country, name, baseline_wave, endline_wave), then the pooled row."""
    rows = [{**country, **figures(enterprises.of(country["country"]))} for country in countries.to_dict("records")]
    rows.append({"country": POOLED_CODE, "name": POOLED_NAME, "baseline_wave": None, "endline_wave": None,
                 **figures(enterprises)})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.astype({"n_enterprises": "int64", "n_pairs": "int64"})
