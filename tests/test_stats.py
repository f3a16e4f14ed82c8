"""The statistics against hand calculations and numpy, independently of scipy's wrappers."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from score_pipeline.settings import DBT_PROJECT_DIR
from score_pipeline.stats import (TIE_DECIMALS, evaluator_effects, holm, mean_interval, module_spillover,
                                   paired_change, score_change)


def test_holm_by_hand() -> None:
    # p sorted 0.01, 0.02, 0.03, 0.04 with m = 4: 0.04, 0.06, 0.06 (monotone), 0.06
    p = pd.Series([0.03, 0.01, 0.04, 0.02, np.nan], index=list("abcde"))
    assert holm(p).round(10).to_dict() == pytest.approx({"a": 0.06, "b": 0.04, "c": 0.06, "d": 0.06, "e": np.nan}, nan_ok=True)
    assert holm(pd.Series([0.5, 0.6])).tolist() == [1.0, 1.0]


def test_paired_change_by_hand() -> None:
    baseline = np.array([2.0, 2.5, 1.5, 3.0, 2.0])
    endline = np.array([3.0, 3.0, 2.5, 3.5, 3.5])
    d = endline - baseline  # 1, .5, 1, .5, 1.5 -> mean .9, sd sqrt(.175)
    result = paired_change(baseline, endline)
    sd = math.sqrt(((d - 0.9) ** 2).sum() / 4)
    assert result["mean_change"] == pytest.approx(0.9)
    assert result["t_stat"] == pytest.approx(0.9 / (sd / math.sqrt(5)))
    assert result["effect_size_dz"] == pytest.approx(0.9 / sd)
    half = 2.7764451051977987 * sd / math.sqrt(5)  # t(0.975, 4) from tables
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((0.9 - half, 0.9 + half))
    assert result["baseline_mean"] == pytest.approx(2.2) and result["endline_mean"] == pytest.approx(3.1)
    # exact two-sided signed-rank p: all 5 differences positive -> 2 / 2**5 (ties in ranks use the normal approx.)
    assert 0 < result["p_wilcoxon"] < 0.1


def test_wilcoxon_drops_zero_differences_and_exact_p() -> None:
    baseline = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    endline = baseline + np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])  # one zero dropped, 5 distinct positives
    assert paired_change(baseline, endline)["p_wilcoxon"] == pytest.approx(2 / 2**5)


def test_degenerate_inputs_give_nan_not_errors() -> None:
    assert math.isnan(paired_change(np.array([2.0]), np.array([3.0]))["t_stat"])
    same = paired_change(np.array([2.0, 3.0]), np.array([2.0, 3.0]))
    assert same["mean_change"] == 0 and math.isnan(same["p_wilcoxon"]) and math.isnan(same["p_value"])


def long_scores(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    rows = []
    for code, by_wave in values.items():
        for wave, scores in by_wave.items():
            rows += [{"level": "module", "code": code, "ruc": f"r{i}", "wave": wave, "score": s} for i, s in enumerate(scores)]
    return pd.DataFrame(rows)


def test_score_change_pairs_only_enterprises_with_both_values() -> None:
    scores = long_scores({"m1": {"b": [1, 2, np.nan, 2], "e": [2, 3, 4, np.nan]}})
    row = score_change(scores, "b", "e").iloc[0]
    assert row["n_pairs"] == 2 and row["baseline_mean"] == 1.5 and row["endline_mean"] == 2.5


def test_spillover_against_numpy() -> None:
    rng = np.random.default_rng(1)
    b = {m: rng.uniform(1, 3, 20) for m in ("m1", "m2", "m3", "m4", "m5")}
    e = {m: b[m] + rng.uniform(0, 2, 20) for m in b}
    scores = long_scores({m: {"b": list(b[m]), "e": list(e[m])} for m in b})
    table = module_spillover(scores, "b", "e").set_index("module")
    for m in ("m2", "m3", "m4", "m5"):
        x, y = e["m1"] - b["m1"], e[m] - b[m]
        assert table.loc[m, "pearson_r"] == pytest.approx(np.corrcoef(x, y)[0, 1])
        ranks = lambda v: pd.Series(v).rank().to_numpy()
        assert table.loc[m, "spearman_rho"] == pytest.approx(np.corrcoef(ranks(x), ranks(y))[0, 1])
        assert table.loc[m, "n"] == 20


def scored(wave: str, evaluator: str, *scores: float) -> list[dict]:
    return [{"wave": wave, "ruc": f"{evaluator}{i}", "evaluator": evaluator, "global_score": s} for i, s in enumerate(scores)]


def test_evaluator_effects_leave_undefined_tests_null() -> None:
    """Contract 6: Welch needs 2 enterprises on each side and some variance; Kruskal-Wallis 2 evaluators
    and unequal scores; Holm runs over the non-null p only."""
    frame = pd.DataFrame(
        scored("w1", "A", 2.0, 2.0) + scored("w1", "B", 3.0, 3.0) + scored("w1", "C", 4.0)  # A vs B+C: variance in B+C
        + scored("w2", "A", 2.5)                                                               # alone in its wave
        + scored("w3", "A", 3.0, 3.0) + scored("w3", "B", 3.0, 3.0))                           # every score equal
    table = evaluator_effects(frame).set_index(["wave", "evaluator"])
    assert table.loc[("w1", "A"), "diff_from_others"] == pytest.approx(2.0 - 10 / 3)
    assert not math.isnan(table.loc[("w1", "A"), "p_value"])
    assert math.isnan(table.loc[("w1", "C"), "p_value"])                 # one enterprise
    assert math.isnan(table.loc[("w2", "A"), "diff_from_others"])        # no other evaluator
    assert math.isnan(table.loc[("w2", "A"), "p_value"]) and math.isnan(table.loc[("w2", "A"), "p_kruskal"])
    assert math.isnan(table.loc[("w3", "A"), "p_value"])                 # both groups without variance
    assert math.isnan(table.loc[("w3", "A"), "p_kruskal"])               # every score equal
    assert table.loc[("w1", "A"), "p_kruskal"] == table.loc[("w1", "C"), "p_kruskal"]
    valid = table["p_value"].dropna().sort_values()  # w1's A and B only: m = 2
    assert list(valid.index) in ([("w1", "A"), ("w1", "B")], [("w1", "B"), ("w1", "A")])
    first = min(1.0, 2 * valid.iloc[0])
    assert table["p_holm"].dropna().to_dict() == pytest.approx({valid.index[0]: first,
                                                                valid.index[1]: max(first, min(1.0, valid.iloc[1]))})
    assert table["n_enterprises"].to_dict()[("w1", "C")] == 1


def test_welch_against_its_formula() -> None:
    a, b = np.array([3.0, 3.5, 4.0, 3.2]), np.array([2.0, 2.2, 2.9, 2.4, 2.6])
    va, vb = a.var(ddof=1) / 4, b.var(ddof=1) / 5
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 4)
    frame = pd.DataFrame(scored("w", "A", *a) + scored("w", "B", *b))
    table = evaluator_effects(frame).set_index("evaluator")
    from scipy import stats
    assert table.loc["A", "p_value"] == pytest.approx(2 * stats.t.sf(t, df), rel=1e-9)
    assert table.loc["A", "p_value"] == table.loc["B", "p_value"]


def test_mean_interval_by_hand() -> None:
    values = np.array([2.0, 3.0, 4.0])  # mean 3, sd 1, t(0.975, 2) = 4.302652729911275
    low, high = mean_interval(values)
    assert (low, high) == pytest.approx((3 - 4.302652729911275 / math.sqrt(3), 3 + 4.302652729911275 / math.sqrt(3)))
    assert all(math.isnan(v) for v in mean_interval(np.array([2.0])))


# -- contract 4: equal scores computed along different float paths are ties -----------------------------------------

def category_score(*answers: int) -> tuple[float, Fraction]:
    """A category score as the pipeline computes it (the float mean of integer answers) and its exact value."""
    return float(np.mean(answers)), Fraction(sum(answers), len(answers))


def global_score(*module_scores: Fraction) -> tuple[float, Fraction]:
    """A global score as the pipeline computes it (the float mean of the module scores, in module order) and its
    exact value: equal exact values may come out of different profiles as different floats."""
    return float(np.mean([float(score) for score in module_scores])), sum(module_scores, Fraction(0)) / len(module_scores)


def average_ranks(values: list[Fraction]) -> dict[Fraction, Fraction]:
    """Each value's rank (1-based) among `values`, tied values sharing the mean of their ranks."""
    ordered = sorted(values)
    return {v: Fraction(2 * ordered.index(v) + ordered.count(v) + 1, 2) for v in ordered}


def tie_term(values: list[Fraction]) -> int:
    """The sum of t^3 - t over the groups of t tied values."""
    return sum(values.count(v) ** 3 - values.count(v) for v in set(values))


def signed_rank_p_by_hand(differences: list[Fraction]) -> float:
    """Two-sided Wilcoxon signed-rank p from exact differences: zeros dropped, tied |d| share their mean rank, normal
    approximation with the tie-corrected variance and no continuity correction (what scipy does by default for
    more than 13 differences with ties)."""
    nonzero = [d for d in differences if d != 0]
    n = len(nonzero)
    ranks = average_ranks([abs(d) for d in nonzero])
    r_plus = sum(ranks[abs(d)] for d in nonzero if d > 0)
    variance = (n * (n + 1) * (2 * n + 1) - Fraction(tie_term([abs(d) for d in nonzero]), 2)) / 24
    z = float(abs(r_plus - Fraction(n * (n + 1), 4))) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def kruskal_p_by_hand(groups: list[list[Fraction]]) -> float:
    """Kruskal-Wallis p of three groups from exact values: H with the tie correction, chi-square with 2 degrees
    of freedom, whose survival function is exp(-H / 2)."""
    values = [v for group in groups for v in group]
    n = len(values)
    ranks = average_ranks(values)
    h = Fraction(12, n * (n + 1)) * sum(sum(ranks[v] for v in group) ** 2 / len(group) for group in groups) - 3 * (n + 1)
    h /= 1 - Fraction(tie_term(values), n ** 3 - n)
    return math.exp(-float(h) / 2)


# Sixteen enterprises' category scores at the baseline and the endline: the changes are 1 (seven times, along
# five float paths: 2.2 - 1.2 is 1.0000000000000002, 3 - 2 is 1.0), 1/2, -1/2, 1/3 and -1/3 (each pair of
# paths giving different floats), 3/5, 4/5.
CHANGES = [
    ((1, 1, 1, 1, 2), (2, 2, 2, 2, 3)), ((2, 2, 2), (3, 3, 3)), ((1, 1, 2), (2, 2, 3)), ((1, 2, 2, 2, 2), (2, 3, 3, 3, 3)),
    ((1, 1, 1, 2), (2, 2, 2, 3)), ((1, 1, 2, 2, 2, 2), (2, 2, 2, 2, 2, 3)), ((3, 3), (3, 4)),
    ((1, 1, 1, 1, 2), (1, 2, 2, 2, 2)), ((2, 2, 3), (2, 3, 3)), ((1, 2, 2), (2, 2, 2)), ((3, 3, 4), (3, 3, 3)),
    ((2, 3), (2, 2)), ((3, 3, 3, 4, 4, 4), (3, 3, 3, 3, 3, 4)), ((1, 1, 1, 1, 1), (2, 2, 2, 2, 2)),
    ((2, 2, 2, 2, 3), (3, 3, 3, 3, 4)), ((1, 1, 2, 2, 2), (2, 2, 2, 3, 3)),
]


def test_wilcoxon_ranks_equal_changes_as_ties() -> None:
    baseline, endline = ([category_score(*answers[end]) for answers in CHANGES] for end in (0, 1))
    floats = np.array([e[0] for e in endline]) - np.array([b[0] for b in baseline])
    exact = [e[1] - b[1] for b, e in zip(baseline, endline)]
    assert len(set(floats.tolist())) > len(set(exact))  # the float paths do break ties
    result = paired_change(np.array([b[0] for b in baseline]), np.array([e[0] for e in endline]))
    assert result["p_wilcoxon"] == pytest.approx(signed_rank_p_by_hand(exact), rel=1e-9)  # 0.00286; untied 0.00474


def test_a_zero_change_along_another_float_path_is_dropped() -> None:
    """The first enterprise's global score is 2 at both ends, from other module profiles (2.0, then
    2.0000000000000004): a zero difference, dropped. Five positive changes remain: exact p = 2 / 2**5."""
    unchanged = [global_score(*map(Fraction, modules)) for modules in (("5/3", "5/3", "5/2", "5/2", "5/3"),
                                                                       ("5/3", "5/2", "5/3", "7/3", "11/6"))]
    assert unchanged[0][1] == unchanged[1][1] and unchanged[1][0] - unchanged[0][0] > 0
    baseline = np.array([unchanged[0][0], 1.0, 2.0, 3.0, 4.0, 5.0])
    endline = np.array([unchanged[1][0], 2.0, 4.0, 6.0, 8.0, 10.0])
    assert paired_change(baseline, endline)["p_wilcoxon"] == pytest.approx(2 / 2**5)


def test_changes_equal_at_9_decimals_have_no_spread() -> None:
    """Every change is 1 (1.2 -> 2.2, 2 -> 3, 4/3 -> 7/3): no spread, so no t-test, effect size or interval; the
    signed-rank test of three tied positive changes: 2 * P(all three signs +) = 2 / 8."""
    scores = [category_score(*answers) for answers in ((1, 1, 1, 1, 2), (2, 2, 2, 2, 3), (2, 2), (3, 3), (1, 1, 2), (2, 2, 3))]
    baseline, endline = np.array([s[0] for s in scores[0::2]]), np.array([s[0] for s in scores[1::2]])
    assert np.std(endline - baseline) > 0  # the floats differ
    result = paired_change(baseline, endline)
    assert result["mean_change"] == pytest.approx(1.0)
    assert all(math.isnan(result[name]) for name in ("t_stat", "p_value", "effect_size_dz", "ci_low", "ci_high"))
    assert result["p_wilcoxon"] == pytest.approx(0.25)


def test_kruskal_ranks_equal_global_scores_as_ties() -> None:
    """Three evaluators; 2, 11/6 and 26/15 are each reached by several module profiles, as different floats."""
    profiles = {
        "EV01": [("5/3", "5/3", "5/2", "5/2", "5/3"), ("5/3", "5/3", "5/2", "5/3", "5/3"), ("3", "3", "5/2", "3", "5/2"),
                 ("5/3", "5/3", "5/3", "2", "5/3")],
        "EV02": [("5/2", "11/6", "7/3", "5/3", "5/3"), ("5/3", "5/3", "5/3", "5/2", "5/3"), ("5/3", "5/3", "5/3", "5/3", "2"),
                 ("3", "3", "3", "3", "3")],
        "EV03": [("5/3", "5/2", "5/3", "7/3", "11/6"), ("5/3", "5/3", "5/3", "13/5", "5/3"), ("5/2", "5/2", "5/2", "5/2", "5/2"),
                 ("3", "3", "5/2", "3", "3")],
    }
    scores = {evaluator: [global_score(*map(Fraction, modules)) for modules in rows] for evaluator, rows in profiles.items()}
    frame = pd.DataFrame([row for evaluator, values in scores.items() for row in scored("w", evaluator, *(f for f, _ in values))])
    floats = frame["global_score"].tolist()
    exact = [e for values in scores.values() for _, e in values]
    assert len(set(floats)) > len(set(exact))
    table = evaluator_effects(frame)
    expected = kruskal_p_by_hand([[e for _, e in values] for values in scores.values()])
    assert table["p_kruskal"].tolist() == pytest.approx([expected] * 3, rel=1e-9)  # 0.577; untied 0.491


def test_spearman_ranks_equal_changes_as_ties() -> None:
    """Module 1's changes 1/3 (twice, as two floats), 1 (twice) and 1/2 against m2's 1, 2, 3, 4, 5: rho is
    Pearson's r of the average ranks (1.5, 1.5, 4.5, 4.5, 3) and (1..5)."""
    pairs = [((1, 2, 2), (2, 2, 2)), ((2, 2, 3), (2, 3, 3)), ((1, 1, 1, 1, 2), (2, 2, 2, 2, 3)), ((2, 2), (3, 3)), ((3, 3), (3, 4))]
    m1 = {end: [category_score(*answers[end])[0] for answers in pairs] for end in (0, 1)}
    m2 = {0: [1.0] * 5, 1: [2.0, 3.0, 4.0, 5.0, 6.0]}
    assert len(set(np.subtract(m1[1], m1[0]).tolist())) == 5  # three values, five floats
    scores = long_scores({"m1": {"b": m1[0], "e": m1[1]}, "m2": {"b": m2[0], "e": m2[1]}})
    rho = module_spillover(scores, "b", "e").set_index("module").loc["m2", "spearman_rho"]
    assert rho == pytest.approx(np.corrcoef([1.5, 1.5, 4.5, 4.5, 3], [1, 2, 3, 4, 5])[0, 1])


def test_the_dbt_models_compare_at_the_same_decimals() -> None:
    """One rule in two languages: the dbt macro rounds to the decimals the Python statistics round to."""
    macro = (DBT_PROJECT_DIR / "macros" / "comparable.sql").read_text(encoding="utf-8")
    assert f"round({{{{ expression }}}}, {TIE_DECIMALS})" in macro
