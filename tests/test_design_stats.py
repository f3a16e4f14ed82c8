"""The design statistics (contract 8.3) against hand calculations: Welch's formula written out, Fisher's test by
enumerating the hypergeometric distribution in exact fractions, Lee bounds by brute force over the kept scores."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from score_pipeline.design_stats import (COMPARISON, TREATMENT, attrition, balance, balance_row, did, did_row,
                                         lee_bounds, trimmed_count, worker_panel)

T_VALUES = np.array([1.0, 2.0, 3.0, 4.0])  # mean 2.5, variance 5/3
C_VALUES = np.array([2.0, 4.0])  # mean 3, variance 2


def welch_by_hand() -> tuple[float, float, float]:
    """se, df and t of T_VALUES - C_VALUES, from the formulas with these variances written as fractions."""
    share_t, share_c = Fraction(5, 3) / 4, Fraction(2) / 2
    se = math.sqrt(share_t + share_c)  # sqrt(17/12)
    df = (share_t + share_c) ** 2 / (share_t ** 2 / 3 + share_c ** 2 / 1)  # 867/457
    assert df == Fraction(867, 457)
    return se, float(df), -0.5 / se


def test_balance_row_by_hand() -> None:
    se, df, t = welch_by_hand()
    row = balance_row(T_VALUES, C_VALUES)
    assert (row["n_treatment"], row["n_comparison"]) == (4, 2)
    assert (row["mean_treatment"], row["mean_comparison"], row["difference"]) == pytest.approx((2.5, 3.0, -0.5))
    assert row["normalized_difference"] == pytest.approx(-0.5 / math.sqrt((5 / 3 + 2) / 2))
    assert row["p_value"] == pytest.approx(2 * scipy_stats.t.cdf(t, df))


def test_did_row_by_hand() -> None:
    se, df, t = welch_by_hand()
    row = did_row(T_VALUES, C_VALUES)
    assert (row["change_treatment"], row["change_comparison"], row["did"]) == pytest.approx((2.5, 3.0, -0.5))
    assert (row["se"], row["df"], row["t_stat"]) == pytest.approx((se, df, t))
    assert row["p_value"] == pytest.approx(2 * scipy_stats.t.cdf(t, df))
    half = scipy_stats.t.ppf(0.975, df) * se
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((-0.5 - half, -0.5 + half))


def test_did_interval_with_a_whole_df_from_tables() -> None:
    # equal n and variances: df = 2 (n - 1) = 4; t(0.975, 4) = 2.776445105 from printed tables
    treatment, comparison = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0])
    row = did_row(treatment, comparison)
    se = math.sqrt(1 / 3 + 1 / 3)
    assert (row["did"], row["se"], row["df"]) == pytest.approx((1.0, se, 4.0))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((1 - 2.776445105 * se, 1 + 2.776445105 * se))


@pytest.mark.parametrize(("treatment", "comparison"), [
    ([1.0], [1.0, 2.0]),  # an arm with fewer than 2 values
    ([2.0, 2.0 + 1e-12, 2.0], [3.0, 3.0]),  # both arms without spread at 9 decimals
])
def test_welch_figures_are_null_without_two_values_or_spread(treatment: list[float], comparison: list[float]) -> None:
    balanced, changed = balance_row(np.array(treatment), np.array(comparison)), did_row(np.array(treatment), np.array(comparison))
    assert math.isnan(balanced["p_value"]) and math.isnan(balanced["normalized_difference"])
    assert all(math.isnan(changed[c]) for c in ("se", "df", "t_stat", "p_value", "ci_low", "ci_high"))
    assert changed["did"] == pytest.approx(np.mean(treatment) - np.mean(comparison))


def test_one_arm_without_spread_still_has_a_p() -> None:
    row = did_row(np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0]))
    assert row["df"] == pytest.approx(2.0) and not math.isnan(row["p_value"])  # all of se from the comparison arm


def test_an_arm_without_values_has_null_means() -> None:
    row = balance_row(np.array([1.0, 2.0]), np.array([]))
    assert row["mean_treatment"] == 1.5 and math.isnan(row["mean_comparison"]) and math.isnan(row["difference"])
    assert row["n_comparison"] == 0


def long_values(name: str, values: dict[str, dict[str, list[float | None]]]) -> pd.DataFrame:
    return pd.DataFrame([{name: variable, "arm": arm, "value": value} for variable, arms in values.items()
                         for arm, listed in arms.items() for value in listed])


def test_balance_keeps_the_variables_order_and_drops_nulls() -> None:
    values = long_values("variable", {"score_m1": {TREATMENT: [1.0, None, 3.0], COMPARISON: [2.0, 2.5]},
                                      "global_score": {TREATMENT: [None], COMPARISON: [1.0]}})
    table = balance(values)
    assert table["variable"].tolist() == ["score_m1", "global_score"]
    assert table["n_treatment"].tolist() == [2, 0] and table["mean_treatment"].iloc[0] == 2.0


def test_did_holm_over_the_non_null_p_values() -> None:
    changes = long_values("outcome", {"a": {TREATMENT: [1.0, 2.0, 3.0], COMPARISON: [0.0, 1.0, 2.0]},
                                      "b": {TREATMENT: [5.0, 6.0, 9.0], COMPARISON: [0.0, 1.0, 1.5]},
                                      "c": {TREATMENT: [1.0], COMPARISON: [0.0, 1.0]}})
    table = did(changes).set_index("outcome")
    p = table["p_value"]
    smaller, larger = sorted([p["a"], p["b"]])
    expected = {"a": None, "b": None}
    expected_smaller, expected_larger = 2 * smaller, max(2 * smaller, larger)
    for outcome in ("a", "b"):
        expected[outcome] = min(1.0, expected_smaller if p[outcome] == smaller else expected_larger)
    assert table.loc[["a", "b"], "p_holm"].tolist() == pytest.approx([expected["a"], expected["b"]])
    assert math.isnan(table.loc["c", "p_holm"])


def fisher_by_enumeration(table: list[list[int]]) -> Fraction:
    """Two-sided p: the hypergeometric probabilities, in fractions, of every table with the same margins that
    is no more likely than the observed one."""
    (a, b), (c, d) = table
    row_one, column_one, n = a + b, a + c, a + b + c + d

    def probability(x: int) -> Fraction:
        return Fraction(math.comb(row_one, x) * math.comb(n - row_one, column_one - x), math.comb(n, column_one))

    possible = range(max(0, column_one - (n - row_one)), min(row_one, column_one) + 1)
    observed = probability(a)
    return sum((probability(x) for x in possible if probability(x) <= observed), Fraction(0))


def scores_frame(arms: dict[str, tuple[int, list[float]]]) -> pd.DataFrame:
    """Per arm: (enterprises with a baseline score, the endline scores of those observed at the endline); plus
    one enterprise without a baseline score, which must not count."""
    rows = []
    for arm, (n_baseline, endline) in arms.items():
        rows += [{"arm": arm, "baseline_score": 3.0, "endline_score": endline[i] if i < len(endline) else None}
                 for i in range(n_baseline)]
        rows.append({"arm": arm, "baseline_score": None, "endline_score": 4.0})
    return pd.DataFrame(rows)


def lee_by_brute_force(trimmed: list[float], other: list[float], k: int, sign: int) -> tuple[float, float]:
    """Every way of dropping k scores from the trimmed arm; the extreme differences are its lower and upper
    bound (the top and the bottom trimming among them)."""
    differences = [sign * (np.mean(kept) - np.mean(other)) for kept in itertools.combinations(trimmed, len(trimmed) - k)]
    return min(differences), max(differences)


def test_attrition_by_hand() -> None:
    treatment = [3.1, 2.2, 4.5, 3.3, 2.9, 3.8, 4.1, 2.5]  # 8 of 10 observed: p = 0.8
    comparison = [2.0, 3.5, 2.6, 3.0, 2.4]  # 5 of 8: p = 0.625
    table = attrition(scores_frame({TREATMENT: (10, treatment), COMPARISON: (8, comparison)})).set_index("arm")
    assert table.loc[TREATMENT, ["n_baseline", "n_endline"]].tolist() == [10, 8]
    assert table.loc[COMPARISON, ["n_baseline", "n_endline"]].tolist() == [8, 5]
    assert table["attrition_pct"].tolist() == pytest.approx([20.0, 37.5])
    assert table["p_difference"].tolist() == pytest.approx([float(fisher_by_enumeration([[8, 2], [5, 3]]))] * 2)
    # q = (0.8 - 0.625) / 0.8 = 7/32; k = floor(7/32 * 8 + 1/2) = floor(2.25) = 2
    lower, upper = lee_by_brute_force(treatment, comparison, 2, 1)
    assert table["lee_lower"].tolist() == pytest.approx([lower] * 2)
    assert table["lee_upper"].tolist() == pytest.approx([upper] * 2)


def test_lee_trims_the_comparison_arm_when_it_is_observed_more() -> None:
    treatment, comparison = [3.0, 4.0, 2.0], [1.0, 2.0, 5.0, 3.0]  # 3 of 6 against 4 of 4: q = 1/2, k = 2
    lower, upper = lee_bounds({TREATMENT: np.array(treatment), COMPARISON: np.array(comparison)},
                              {TREATMENT: 6, COMPARISON: 4})
    assert (lower, upper) == pytest.approx(lee_by_brute_force(comparison, treatment, 2, -1))
    assert (lower, upper) == pytest.approx((3.0 - 4.0, 3.0 - 1.5))  # keeps {5, 3} or {1, 2}


def test_trimmed_count_rounds_half_up_in_exact_arithmetic() -> None:
    # p 2/3 against 1/2: q = 1/4, q * 2 + 1/2 = 1 exactly; in floats 0.9999999999999999 floors to 0
    assert math.floor(((2 / 3) - (1 / 2)) / (2 / 3) * 2 + 0.5) == 0
    assert trimmed_count(Fraction(2, 3), Fraction(1, 2), 2) == 1
    assert trimmed_count(Fraction(1), Fraction(3, 4), 10) == 3  # 2.5 + 0.5


def test_lee_and_fisher_null_rules() -> None:
    nobody_observed = attrition(scores_frame({TREATMENT: (4, [3.0, 4.0]), COMPARISON: (3, [])}))
    assert nobody_observed["lee_lower"].isna().all() and nobody_observed["lee_upper"].isna().all()
    assert nobody_observed["p_difference"].notna().all()
    all_trimmed = attrition(scores_frame({TREATMENT: (2, [3.0, 4.0]), COMPARISON: (10, [2.0])}))
    assert all_trimmed["lee_lower"].isna().all()  # q = 0.9, k = floor(1.8 + 0.5) = 2 of 2
    no_comparison = attrition(scores_frame({TREATMENT: (3, [3.0, 4.0])})).set_index("arm")
    assert no_comparison["p_difference"].isna().all()
    assert no_comparison.loc[COMPARISON, "n_baseline"] == 0 and math.isnan(no_comparison.loc[COMPARISON, "attrition_pct"])
    assert no_comparison.loc[TREATMENT, "attrition_pct"] == pytest.approx(100 / 3)


def respondents(rows: list[tuple[str, bool, str | None, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ruc", "is_endline", "worker_code", "score"])


def test_worker_panel_by_hand() -> None:
    stayers = [("A", code, before, after) for code, before, after in
               [("T-1", 2.0, 3.0), ("T-2", 3.0, 3.5), ("T-3", 2.5, 2.5), ("T-4", 4.0, 4.5)]] + \
              [("B", "T-1", 1.5, 3.0), ("B", "T-5", 3.0, 3.2)]  # T-1 in B is another worker than T-1 in A
    rows = [(ruc, False, code, before) for ruc, code, before, _ in stayers] + \
           [(ruc, True, code, after) for ruc, code, _, after in stayers]
    rows += [("A", False, "T-9", 1.0), ("B", False, "T-8", 2.0)]  # leavers: 2, figures null
    rows += [("C", True, f"N-{i}", 4.0 + i / 10) for i in range(5)]  # joiners: 5, all in C
    rows += [("A", False, None, 3.0), ("D", True, None, 2.0)]  # anonymous: in `all` only
    table = worker_panel(respondents(rows)).set_index("group")
    assert table.index.tolist() == ["all", "stayers", "leavers", "joiners"]

    baseline = [2.0, 3.0, 2.5, 4.0, 1.5, 3.0, 1.0, 2.0, 3.0]
    endline = [3.0, 3.5, 2.5, 4.5, 3.0, 3.2, 4.0, 4.1, 4.2, 4.3, 4.4, 2.0]
    every = table.loc["all"]
    assert (every["n_enterprises"], every["n_baseline"], every["n_endline"]) == (4, 9, 12)
    assert (every["baseline_mean"], every["endline_mean"]) == pytest.approx((np.mean(baseline), np.mean(endline)))
    assert every["change"] == pytest.approx(np.mean(endline) - np.mean(baseline))
    assert every["p_value"] == pytest.approx(scipy_stats.ttest_ind(endline, baseline, equal_var=False).pvalue)

    changes = np.array([1.0, 0.5, 0.0, 0.5, 1.5, 0.2])
    same = table.loc["stayers"]
    assert (same["n_enterprises"], same["n_baseline"], same["n_endline"]) == (2, 6, 6)
    assert same["change"] == pytest.approx(changes.mean())
    t = changes.mean() / (changes.std(ddof=1) / math.sqrt(6))
    assert same["p_value"] == pytest.approx(2 * scipy_stats.t.sf(t, 5))

    leaving = table.loc["leavers"]
    assert (leaving["n_enterprises"], leaving["n_baseline"]) == (2, 2) and pd.isna(leaving["n_endline"])
    assert leaving[["baseline_mean", "endline_mean", "change", "p_value"]].isna().all()  # 2 < 5 respondents
    joining = table.loc["joiners"]
    assert (joining["n_enterprises"], joining["n_endline"]) == (1, 5) and pd.isna(joining["n_baseline"])
    assert joining["endline_mean"] == pytest.approx(4.2)
    assert joining[["baseline_mean", "change", "p_value"]].isna().all()


def test_worker_panel_under_five_at_one_wave_and_without_codes() -> None:
    rows = [("A", False, f"T-{i}", 3.0) for i in range(4)] + [("A", True, f"T-{i}", 4.0) for i in range(6)]
    every = worker_panel(respondents(rows)).set_index("group").loc["all"]
    assert (every["n_baseline"], every["n_endline"]) == (4, 6)
    assert pd.isna(every["baseline_mean"]) and every["endline_mean"] == 4.0
    assert pd.isna(every["change"]) and pd.isna(every["p_value"])
    anonymous = respondents([("A", at, None, 3.0) for at in (False, True) for _ in range(6)])
    assert worker_panel(anonymous).empty


@pytest.mark.parametrize(("compute", "columns"), [
    (balance, ["arm", "variable", "value"]), (did, ["arm", "outcome", "value"]),
    (attrition, ["arm", "baseline_score", "endline_score"]),
    (worker_panel, ["ruc", "is_endline", "worker_code", "score"]),
])
def test_a_country_without_a_design_has_no_rows_and_typed_columns(compute, columns: list[str]) -> None:
    """8.3: the marts are published empty where no country has a frame: their columns keep text, count and
    figure types (a column of no value would otherwise have no type in DuckDB or Parquet)."""
    table = compute(pd.DataFrame(columns=columns))
    assert table.empty
    kinds = {str(dtype) for dtype in table.dtypes}
    assert kinds == {"string", "Int64", "float64"}
