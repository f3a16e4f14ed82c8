"""The evaluation design's statistics (contract 8.3) as pure functions of one country's values: the balance of
the arms at the first wave, the difference in differences, attrition with Fisher's exact test and Lee bounds,
and the worker panel. Beside stats.py (whose Welch p, Holm and tie rule they share), below every stage."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from score_pipeline.stats import NAN, all_equal, holm, paired_change, welch_p

TREATMENT, COMPARISON = "tratamiento", "comparacion"
ARMS = (TREATMENT, COMPARISON)  # the rows' order of `attrition`, the columns' order of the others
CONFIDENCE = 0.95
MIN_PANEL_RESPONDENTS = 5  # 8.3: a worker_panel group with fewer at a wave publishes its counts only

BALANCE_COLUMNS = ["variable", "n_treatment", "n_comparison", "mean_treatment", "mean_comparison", "difference",
                   "normalized_difference", "p_value"]
DID_COLUMNS = ["outcome", "n_treatment", "n_comparison", "change_treatment", "change_comparison", "did", "se", "df",
               "t_stat", "p_value", "p_holm", "ci_low", "ci_high"]
ATTRITION_COLUMNS = ["arm", "n_baseline", "n_endline", "attrition_pct", "p_difference", "lee_lower", "lee_upper"]
WORKER_PANEL_COLUMNS = ["group", "n_enterprises", "n_baseline", "n_endline", "baseline_mean", "endline_mean",
                        "change", "p_value"]
LABEL_COLUMNS = {"variable", "outcome", "arm", "group"}
COUNT_COLUMNS = {"n_treatment", "n_comparison", "n_baseline", "n_endline", "n_enterprises"}


def typed(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """A mart's rows with its columns' types, the same with no row: text labels, counts (nullable), figures."""
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({column: "string" if column in LABEL_COLUMNS else "Int64" if column in COUNT_COLUMNS
                         else "float64" for column in columns})


def mean_or_nan(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else NAN


def lacks_spread(treatment: np.ndarray, comparison: np.ndarray) -> bool:
    """8.3: a statistic that needs two values in each arm, or a non-zero spread, is null without them (both arms
    equal at 9 decimals)."""
    return len(treatment) < 2 or len(comparison) < 2 or (all_equal(treatment) and all_equal(comparison))


def balance_row(treatment: np.ndarray, comparison: np.ndarray) -> dict[str, float]:
    """One variable at the first wave: the arms' means, their difference, the normalized difference
    (difference / sqrt((sd_t^2 + sd_c^2) / 2)) and Welch's p."""
    mean_treatment, mean_comparison = mean_or_nan(treatment), mean_or_nan(comparison)
    difference = mean_treatment - mean_comparison
    normalized = NAN
    if not lacks_spread(treatment, comparison):
        pooled_sd = math.sqrt((treatment.var(ddof=1) + comparison.var(ddof=1)) / 2)
        normalized = difference / pooled_sd
    return {"n_treatment": len(treatment), "n_comparison": len(comparison), "mean_treatment": mean_treatment,
            "mean_comparison": mean_comparison, "difference": difference, "normalized_difference": normalized,
            "p_value": welch_p(treatment, comparison)}


def did_row(treatment: np.ndarray, comparison: np.ndarray) -> dict[str, float]:
    """One outcome from the enterprises' changes (last - first wave) per arm: the difference of the arms' mean
    changes, its Welch standard error, Welch-Satterthwaite df, t, p from t(df) and the 95 % interval."""
    change_treatment, change_comparison = mean_or_nan(treatment), mean_or_nan(comparison)
    did = change_treatment - change_comparison
    row = {"n_treatment": len(treatment), "n_comparison": len(comparison), "change_treatment": change_treatment,
           "change_comparison": change_comparison, "did": did,
           "se": NAN, "df": NAN, "t_stat": NAN, "p_value": NAN, "ci_low": NAN, "ci_high": NAN}
    if lacks_spread(treatment, comparison):
        return row
    share_treatment = treatment.var(ddof=1) / len(treatment)  # s_t^2 / n_t
    share_comparison = comparison.var(ddof=1) / len(comparison)
    se = math.sqrt(share_treatment + share_comparison)
    df = (share_treatment + share_comparison) ** 2 / (
        share_treatment ** 2 / (len(treatment) - 1) + share_comparison ** 2 / (len(comparison) - 1))
    t_stat = did / se
    half_width = float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    row.update(se=se, df=df, t_stat=t_stat, p_value=float(2 * scipy_stats.t.sf(abs(t_stat), df)),
               ci_low=did - half_width, ci_high=did + half_width)
    return row


def arm_values(rows: pd.DataFrame, arm: str, column: str) -> np.ndarray:
    """The non-null values of `column` in the arm's rows."""
    return rows.loc[rows["arm"] == arm, column].dropna().to_numpy(dtype=float)


def by_variable(values: pd.DataFrame, name: str,
                compute_row: Callable[[np.ndarray, np.ndarray], dict[str, float]]) -> list[dict[str, object]]:
    """One row per `name` (variable or outcome), in the order of its first appearance in `values` (arm,
    `name`, value); a value of null does not count."""
    return [{name: variable, **compute_row(arm_values(rows, TREATMENT, "value"), arm_values(rows, COMPARISON, "value"))}
            for variable, rows in values.groupby(name, sort=False)]


def balance(values: pd.DataFrame) -> pd.DataFrame:
    """`balance` of one country from its first wave's values (arm, variable, value), variables in their order."""
    return typed(by_variable(values, "variable", balance_row), BALANCE_COLUMNS)


def did(changes: pd.DataFrame) -> pd.DataFrame:
    """`did` of one country from its enterprises' changes (arm, outcome, value), Holm over its non-null p's."""
    table = typed(by_variable(changes, "outcome", did_row), DID_COLUMNS)
    table["p_holm"] = holm(table["p_value"])
    return table


def fisher_p(observed: dict[str, int], not_observed: dict[str, int]) -> float:
    """Two-sided Fisher's exact test of observed / not observed at the last wave by arm; NaN when an arm has no
    enterprise at the first wave."""
    if any(observed[arm] + not_observed[arm] == 0 for arm in ARMS):
        return NAN
    table = [[observed[arm], not_observed[arm]] for arm in ARMS]
    return float(scipy_stats.fisher_exact(table, alternative="two-sided").pvalue)


def trimmed_count(observed_share_larger: Fraction, observed_share_smaller: Fraction, m: int) -> int:
    """Lee's k = floor(q * m + 1/2), q = (p_larger - p_smaller) / p_larger, in exact arithmetic (no float
    rounding at .5)."""
    q = (observed_share_larger - observed_share_smaller) / observed_share_larger
    return math.floor(q * m + Fraction(1, 2))


def lee_bounds(observed: dict[str, np.ndarray], n_baseline: dict[str, int]) -> tuple[float, float]:
    """Lee bounds of the treatment - comparison difference of the observed scores: the arm observed in the larger
    share is trimmed by k of its m scores from its top or from its bottom; the smallest and the largest difference
    of means. NaN when an arm has no observed score or every observed score of the trimmed arm would go."""
    if any(len(observed[arm]) == 0 for arm in ARMS):
        return NAN, NAN
    share = {arm: Fraction(len(observed[arm]), n_baseline[arm]) for arm in ARMS}
    trimmed = TREATMENT if share[TREATMENT] >= share[COMPARISON] else COMPARISON
    other = COMPARISON if trimmed == TREATMENT else TREATMENT
    scores = np.sort(observed[trimmed])
    k = trimmed_count(share[trimmed], share[other], len(scores))
    if k >= len(scores):
        return NAN, NAN
    sign = 1 if trimmed == TREATMENT else -1  # the difference is treatment - comparison
    other_mean = float(observed[other].mean())
    differences = [sign * (float(kept.mean()) - other_mean) for kept in (scores[:len(scores) - k], scores[k:])]
    return min(differences), max(differences)


def attrition(scores: pd.DataFrame) -> pd.DataFrame:
    """`attrition` of one country from its enterprises' global scores (arm, baseline_score, endline_score: at the
    first and the last wave): one row per arm; no rows without enterprises (no frame)."""
    if scores.empty:
        return typed([], ATTRITION_COLUMNS)
    at_baseline = scores[scores["baseline_score"].notna()]
    n_baseline = {arm: int((at_baseline["arm"] == arm).sum()) for arm in ARMS}
    observed = {arm: arm_values(at_baseline, arm, "endline_score") for arm in ARMS}
    not_observed = {arm: n_baseline[arm] - len(observed[arm]) for arm in ARMS}
    p_difference = fisher_p({arm: len(observed[arm]) for arm in ARMS}, not_observed)
    lee_lower, lee_upper = lee_bounds(observed, n_baseline)
    rows = [{"arm": arm, "n_baseline": n_baseline[arm], "n_endline": len(observed[arm]),
             "attrition_pct": (1 - len(observed[arm]) / n_baseline[arm]) * 100 if n_baseline[arm] else NAN,
             "p_difference": p_difference, "lee_lower": lee_lower, "lee_upper": lee_upper} for arm in ARMS]
    return typed(rows, ATTRITION_COLUMNS)


def published_mean(values: np.ndarray) -> float:
    """A worker_panel group's mean at a wave: NaN with fewer than MIN_PANEL_RESPONDENTS respondents."""
    return float(values.mean()) if len(values) >= MIN_PANEL_RESPONDENTS else NAN


def panel_group(group: str, baseline: pd.DataFrame, endline: pd.DataFrame) -> dict[str, object]:
    """The counts and the means of a group's respondents at the first and the last wave (rows: ruc, score)."""
    enterprises = pd.concat([baseline["ruc"], endline["ruc"]]).nunique()
    return {"group": group, "n_enterprises": enterprises, "n_baseline": len(baseline), "n_endline": len(endline),
            "baseline_mean": published_mean(baseline["score"].to_numpy(float)),
            "endline_mean": published_mean(endline["score"].to_numpy(float)), "change": NAN, "p_value": NAN}


def worker_panel(respondents: pd.DataFrame) -> pd.DataFrame:
    """`worker_panel` of one country from its scored respondents of the first and the last wave (ruc, is_endline,
    worker_code: null for an anonymous one, score): the groups all, stayers, leavers, joiners; no rows when no
    respondent has a code."""
    if respondents["worker_code"].isna().all():
        return typed([], WORKER_PANEL_COLUMNS)
    baseline, endline = (respondents[respondents["is_endline"] == at] for at in (False, True))
    coded = {"baseline": baseline.dropna(subset=["worker_code"]).set_index(["ruc", "worker_code"]),
             "endline": endline.dropna(subset=["worker_code"]).set_index(["ruc", "worker_code"])}
    staying = coded["baseline"].index.intersection(coded["endline"].index)
    stayers = (coded["baseline"].loc[staying].reset_index(), coded["endline"].loc[staying].reset_index())
    leavers = coded["baseline"].drop(staying).reset_index()
    joiners = coded["endline"].drop(staying).reset_index()

    every = panel_group("all", baseline, endline)
    if not math.isnan(every["baseline_mean"]) and not math.isnan(every["endline_mean"]):
        every.update(change=every["endline_mean"] - every["baseline_mean"],
                     p_value=welch_p(endline["score"].to_numpy(float), baseline["score"].to_numpy(float)))
    same_workers = panel_group("stayers", *stayers)
    if not math.isnan(same_workers["baseline_mean"]):
        before, after = (part["score"].to_numpy(float) for part in stayers)
        same_workers.update(change=float((after - before).mean()), p_value=paired_change(before, after)["p_value"])
    leaving = {**panel_group("leavers", leavers, leavers.iloc[0:0]), "n_endline": None}
    joining = {**panel_group("joiners", joiners.iloc[0:0], joiners), "n_baseline": None}
    return typed([every, same_workers, leaving, joining], WORKER_PANEL_COLUMNS)

