"""The statistics SQL does badly, as pure functions of score tables (scipy): shared by the analysis marts
(analysis/assets.py, analysis/pooled.py), the field checks page (quality/) and the report (publish/), and so
below every stage (tests/test_layering.py)."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy import stats

SCORE_CHANGE_COLUMNS = [
    "level", "code", "n_pairs", "baseline_mean", "endline_mean", "mean_change", "t_stat", "p_value",
    "p_wilcoxon", "p_holm", "effect_size_dz", "ci_low", "ci_high",
]
SPILLOVER_COLUMNS = ["module", "n", "pearson_r", "p_value", "spearman_rho"]
NAN = float("nan")
FLAG_LEVEL = 0.05  # a Holm-adjusted p below it is flagged (charts, pages, metadata); the marts keep every p
# Contract 4: every rank statistic and every zero test compares values rounded to 9 decimals. The dbt models'
# twin of this rule is the macro `comparable` (dbt_project/macros/comparable.sql).
TIE_DECIMALS = 9
Values = TypeVar("Values", np.ndarray, pd.Series)


def comparable(values: Values) -> Values:
    """Values as rank statistics and zero tests compare them (contract 4). Scores are means of integers, so two
    equal scores computed along different float paths may differ in their last bits: rounded, they are ties."""
    return values.round(TIE_DECIMALS)


def all_equal(values: np.ndarray | pd.Series) -> bool:
    """No spread at all: every value the same once comparable (true of no value or one)."""
    return len(np.unique(comparable(values))) <= 1


def holm(p_values: pd.Series) -> pd.Series:
    """Holm's step-down adjustment; NaN p-values stay NaN and do not count."""
    valid = p_values.dropna().sort_values()
    m = len(valid)
    adjusted = np.minimum(1.0, np.maximum.accumulate([(m - i) * p for i, p in enumerate(valid)])) if m else []
    return pd.Series(adjusted, index=valid.index, dtype=float).reindex(p_values.index)


def paired_change(baseline: np.ndarray, endline: np.ndarray) -> dict[str, float]:
    """Paired comparison of endline against baseline (contract 4, score_change)."""
    n = len(baseline)
    differences = endline - baseline
    result = {"n_pairs": n, "baseline_mean": NAN, "endline_mean": NAN, "mean_change": NAN, "t_stat": NAN,
              "p_value": NAN, "p_wilcoxon": NAN, "effect_size_dz": NAN, "ci_low": NAN, "ci_high": NAN}
    if n == 0:
        return result
    mean_change = float(differences.mean())
    result.update(baseline_mean=float(baseline.mean()), endline_mean=float(endline.mean()), mean_change=mean_change)
    if n < 2:
        return result
    if not all_equal(differences):
        test = stats.ttest_rel(endline, baseline)
        ci_low, ci_high = mean_interval(differences)
        result.update(t_stat=float(test.statistic), p_value=float(test.pvalue),
                      effect_size_dz=mean_change / float(differences.std(ddof=1)), ci_low=ci_low, ci_high=ci_high)
    ranked = comparable(differences)  # a difference that rounds to 0 is a zero difference, dropped
    if np.any(ranked != 0):
        result["p_wilcoxon"] = float(stats.wilcoxon(ranked, zero_method="wilcox", alternative="two-sided").pvalue)
    return result


def score_change(scores: pd.DataFrame, baseline_wave: str, endline_wave: str) -> pd.DataFrame:
    """One row per level x code from long scores (level, code, ruc, wave, score), Holm over all rows."""
    rows = []
    for (level, code), group in scores.groupby(["level", "code"], sort=True):
        wide = group.pivot_table(index="ruc", columns="wave", values="score", aggfunc="first")
        if baseline_wave not in wide or endline_wave not in wide:
            continue
        pairs = wide[[baseline_wave, endline_wave]].dropna()
        rows.append({"level": level, "code": code,
                     **paired_change(pairs[baseline_wave].to_numpy(float), pairs[endline_wave].to_numpy(float))})
    table = pd.DataFrame(rows, columns=[c for c in SCORE_CHANGE_COLUMNS if c != "p_holm"])
    table["p_holm"] = holm(table["p_value"])
    order = {"global": 0, "module": 1, "category": 2}
    return table.sort_values(["level", "code"], key=lambda s: s.map(order) if s.name == "level" else s)[SCORE_CHANGE_COLUMNS].reset_index(drop=True)


def module_spillover(module_scores: pd.DataFrame, baseline_wave: str, endline_wave: str) -> pd.DataFrame:
    """Module 1 change vs each other module's change (enterprise-level endline - baseline)."""
    wide = module_scores.pivot_table(index="ruc", columns=["code", "wave"], values="score", aggfunc="first")
    changes = {code: wide[(code, endline_wave)] - wide[(code, baseline_wave)]
               for code in ("m1", "m2", "m3", "m4", "m5") if (code, baseline_wave) in wide and (code, endline_wave) in wide}
    rows = []
    for code in ("m2", "m3", "m4", "m5"):
        if "m1" not in changes or code not in changes:
            continue
        both = pd.concat([changes["m1"], changes[code]], axis=1).dropna()
        n = len(both)
        row = {"module": code, "n": n, "pearson_r": NAN, "p_value": NAN, "spearman_rho": NAN}
        if n >= 3 and not all_equal(both.iloc[:, 0]) and not all_equal(both.iloc[:, 1]):
            pearson = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1])  # on the changes as they are
            ranked = both.apply(comparable)  # contract 4: a rank statistic compares values at 9 decimals
            row.update(pearson_r=float(pearson.statistic), p_value=float(pearson.pvalue),
                       spearman_rho=float(stats.spearmanr(ranked.iloc[:, 0], ranked.iloc[:, 1]).statistic))
        rows.append(row)
    return pd.DataFrame(rows, columns=SPILLOVER_COLUMNS)


EVALUATOR_EFFECT_COLUMNS = [
    "wave", "evaluator", "n_enterprises", "mean_global_score", "diff_from_others", "p_value", "p_holm", "p_kruskal",
]


def welch_p(own: np.ndarray, others: np.ndarray) -> float:
    """Two-sided Welch t-test; NaN when a group has fewer than 2 values or both have zero variance."""
    if len(own) < 2 or len(others) < 2 or (all_equal(own) and all_equal(others)):
        return NAN
    return float(stats.ttest_ind(own, others, equal_var=False).pvalue)


def kruskal_p(groups: list[np.ndarray]) -> float:
    """Kruskal-Wallis across groups of at least one value; NaN with fewer than 2 groups or all values equal."""
    groups = [g for g in groups if len(g) >= 1]
    if len(groups) < 2 or all_equal(np.concatenate(groups)):
        return NAN
    return float(stats.kruskal(*(comparable(group) for group in groups)).pvalue)


def evaluator_effects(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per wave x evaluator (contract 6) from the scored enterprises (wave, ruc, evaluator,
    global_score): each evaluator against the wave's other evaluators, Holm over every row."""
    rows = []
    for wave, in_wave in scores.groupby("wave", sort=True):
        groups = {evaluator: group["global_score"].to_numpy(float)
                  for evaluator, group in in_wave.groupby("evaluator", sort=True)}
        p_kruskal = kruskal_p(list(groups.values()))
        for evaluator, own in groups.items():
            others = np.concatenate([v for e, v in groups.items() if e != evaluator] or [np.empty(0)])
            rows.append({"wave": wave, "evaluator": evaluator, "n_enterprises": len(own),
                         "mean_global_score": float(own.mean()),
                         "diff_from_others": float(own.mean() - others.mean()) if len(others) else NAN,
                         "p_value": welch_p(own, others), "p_kruskal": p_kruskal})
    table = pd.DataFrame(rows, columns=[c for c in EVALUATOR_EFFECT_COLUMNS if c != "p_holm"])
    table["p_holm"] = holm(table["p_value"])
    return table[EVALUATOR_EFFECT_COLUMNS].astype({"n_enterprises": "int64"})


def mean_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The t-based confidence interval of a mean; NaN with fewer than 2 values."""
    n = len(values)
    if n < 2:
        return NAN, NAN
    half_width = stats.t.ppf(0.5 + level / 2, n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)
    mean = float(np.mean(values))
    return mean - half_width, mean + half_width
