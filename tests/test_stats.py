"""The statistics against hand calculations and numpy, independently of scipy's wrappers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from score_pipeline.analysis.stats import holm, module_spillover, paired_change, score_change


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
