"""The statistics against hand calculations and numpy, independently of scipy's wrappers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from score_pipeline.analysis.stats import evaluator_effects, holm, mean_interval, module_spillover, paired_change, score_change


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
