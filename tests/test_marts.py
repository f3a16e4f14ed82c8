"""Every mart of the published database against the independent reference calculation
(tests/reference.py, pandas and scipy straight from the raw files)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_RAW, PipelineRun, one_country
from reference import KPI_COLUMNS, Reference, holm_by_hand, read_csv, ruc
from scipy import stats

TOL = 1e-9


@pytest.fixture(scope="module")
def marts(pipeline: PipelineRun):
    """Peru's rows of the published marts (the session runs the programme root: Peru and Colombia)."""
    connection = one_country(pipeline.database, "pe")
    yield lambda sql: connection.execute(sql).df()
    connection.close()


def test_the_run_printed_where_the_marts_are_and_the_headline(pipeline: PipelineRun) -> None:
    assert str(pipeline.database) in pipeline.output and "global_score" in pipeline.output


def test_enterprise_scores(marts, reference: Reference) -> None:
    published = marts("select * from marts.enterprise_scores").set_index(["wave", "ruc"])
    for wave in reference.waves:
        expected = wave.scores
        got = published.loc[wave.key].sort_index()
        assert list(got.index) == sorted(expected.index)
        for column, ref_column in [("global_score", "global"), *[(f"score_m{i}", f"m{i}") for i in range(1, 6)],
                                   ("n_practices_scored", "n_practices_scored")]:
            pd.testing.assert_series_equal(got[column].astype(float), expected[ref_column].sort_index().astype(float),
                                           check_names=False, check_index_type=False, atol=TOL)
    assert published.loc["2018-midterm", "global_score"].isna().sum() == 1  # the firm with three modules


def test_category_scores(marts, reference: Reference) -> None:
    published = marts("select ruc, wave, module || '.' || category as code, score from marts.category_scores")
    assert len(published) == 20 * sum(len(w.scores) for w in reference.waves)
    for wave in reference.waves:
        got = published[published["wave"] == wave.key].pivot(index="ruc", columns="code", values="score")
        expected = wave.scores[[c for c in wave.scores.columns if "." in c]]
        pd.testing.assert_frame_equal(got.sort_index().sort_index(axis=1), expected.reindex(columns=sorted(got.columns)).sort_index(),
                                      check_names=False, check_index_type=False, atol=TOL)


def test_wave_summary(marts, reference: Reference) -> None:
    summary = marts("select * from marts.wave_summary").set_index(["wave", "level", "code"])
    for wave in reference.waves:
        for level, code, column in [("global", "global", "global"), ("module", "m3", "m3"), ("category", "m5.epp", "m5.epp")]:
            values = wave.scores[column].dropna()
            row = summary.loc[(wave.key, level, code)]
            assert row["n_enterprises"] == len(values)
            assert row["mean"] == pytest.approx(values.mean()) and row["sd"] == pytest.approx(values.std(ddof=1))
            assert row["median"] == pytest.approx(values.median())
    assert len(summary) == 3 * 26


def test_score_change(marts, reference: Reference) -> None:
    table = marts("select * from marts.score_change").set_index("code")
    assert len(table) == 26 and set(table["level"]) == {"global", "module", "category"}
    for code, column in [("global", "global"), ("m1", "m1"), ("m2.control_calidad", "m2.control_calidad")]:
        pairs = reference.pairs(column)
        d = pairs["change"]
        row = table.loc[code]
        assert row["n_pairs"] == len(pairs)
        assert row["baseline_mean"] == pytest.approx(pairs["baseline"].mean())
        assert row["endline_mean"] == pytest.approx(pairs["endline"].mean())
        assert row["mean_change"] == pytest.approx(d.mean())
        assert row["t_stat"] == pytest.approx(d.mean() / (d.std(ddof=1) / math.sqrt(len(d))))
        assert row["p_value"] == pytest.approx(stats.ttest_rel(pairs["endline"], pairs["baseline"]).pvalue, rel=1e-6)
        ranked = d.round(9)  # contract 4: ranked and tested for zero at 9 decimals
        assert row["p_wilcoxon"] == pytest.approx(stats.wilcoxon(ranked[ranked != 0]).pvalue, rel=1e-6)
        assert row["effect_size_dz"] == pytest.approx(d.mean() / d.std(ddof=1))
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    ordered = table["p_value"].sort_values()
    expected_holm = np.minimum(1, np.maximum.accumulate([(len(ordered) - i) * p for i, p in enumerate(ordered)]))
    assert table.loc[ordered.index, "p_holm"].to_numpy() == pytest.approx(expected_holm)
    assert (table["mean_change"] > 0).all() and (table["t_stat"] > 0).all()


def test_module_spillover(marts, reference: Reference) -> None:
    table = marts("select * from marts.module_spillover").set_index("module")
    m1 = reference.pairs("m1")["change"]
    for module in ("m2", "m3", "m4", "m5"):
        both = pd.concat([m1, reference.pairs(module)["change"]], axis=1).dropna().round(9)
        assert table.loc[module, "n"] == len(both)
        assert table.loc[module, "pearson_r"] == pytest.approx(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1])
        assert table.loc[module, "spearman_rho"] == pytest.approx(both.rank().corr().iloc[0, 1])
        assert table.loc[module, "pearson_r"] > 0 and table.loc[module, "p_value"] < 0.05


def test_kpi_change(marts, reference: Reference) -> None:
    table = marts("select * from marts.kpi_change").set_index(["kpi", "cost_structure"])
    for kpi in KPI_COLUMNS:
        changes = reference.kpi_changes(kpi)
        assert table.loc[(kpi, "all"), "n_enterprises"] == len(changes)
        assert table.loc[(kpi, "all"), "mean_pct_change"] == pytest.approx(changes["pct_change"].mean())
        assert table.loc[(kpi, "all"), "median_pct_change"] == pytest.approx(changes["pct_change"].median())
        for structure, group in changes.groupby("cost_structure"):
            assert table.loc[(kpi, structure), "mean_pct_change"] == pytest.approx(group["pct_change"].mean())


def test_business_results(marts, reference: Reference) -> None:
    table = marts("select * from marts.business_results").set_index("wave")
    for wave in reference.waves:
        row = table.loc[wave.key]
        sales, workers = reference.business_mean(wave, "Ventas anuales (S/.)"), reference.business_mean(wave, "N° trabajadores")
        assert row["n_enterprises"] == len(wave.profile)
        assert row["annual_sales_mean"] == pytest.approx(sales) and row["workers_mean"] == pytest.approx(workers)
        assert row["sales_per_worker"] == pytest.approx(sales / workers)
        assert row["capacity_use_pct"] == pytest.approx(reference.business_mean(wave, "Capacidad instalada utilizada (%)"))
        assert row["monthly_payroll_mean"] == pytest.approx(reference.business_mean(wave, "Planilla mensual (S/.)"))
        assert row["female_share_pct"] == pytest.approx(reference.female_share(wave))
        yes, answered = wave.yes_count("Usa indicadores de productividad")
        assert row["pct_using_productivity_indicators"] == pytest.approx(yes / answered * 100)
        assert row["n_gender_policy"] == wave.yes_count("Política de igualdad de género")[0]


def test_worker_satisfaction(marts, reference: Reference) -> None:
    table = marts("select * from marts.worker_satisfaction").set_index(["wave", "item"])
    for wave in reference.waves:
        enterprise = wave.worker_enterprise
        assert table.loc[(wave.key, "overall"), "mean"] == pytest.approx(enterprise["overall"].mean())
        assert table.loc[(wave.key, "overall"), "n_enterprises"] == enterprise["overall"].notna().sum()
        assert table.loc[(wave.key, "overall"), "n_respondents"] == enterprise["n_scored"].sum()
        for item in ("w01", "w09", "w15"):
            assert table.loc[(wave.key, item), "mean"] == pytest.approx(enterprise[item].mean())
            assert table.loc[(wave.key, item), "n_respondents"] == wave.worker_answers[item].notna().sum()


def test_perceived_effects(marts, reference: Reference) -> None:
    table = marts("select * from marts.perceived_effects").set_index(["wave", "outcome"])
    assert set(table.index.get_level_values("wave")) == {"2018-midterm", "2019-endline"}
    for wave in reference.waves[1:]:
        expected = reference.perceived(wave)
        for outcome, row in expected.iterrows():
            got = table.loc[(wave.key, outcome)]
            assert got["n_responses"] == row["n_responses"]
            assert got["pct_positive"] == pytest.approx(row["pct_positive"])
            assert got["pct_influenced"] == pytest.approx(row["pct_influenced"])


def test_data_quality(marts, reference: Reference) -> None:
    table = marts("select * from marts.data_quality").set_index(["wave", "instrument"])
    assert (table["rows_loaded"] == table["rows_received"] - table["rows_rejected"] - table["duplicates_removed"]).all()
    for wave in reference.waves:
        workers = wave.workers_raw
        row = table.loc[(wave.key, "encuesta_trabajadores")]
        assert row["rows_received"] == len(workers)
        assert row["rows_rejected"] == (~workers["ruc_n"].isin(wave.known)).sum() == 1  # a bad or an unknown RUC
        practices = wave.practices_raw
        row = table.loc[(wave.key, "practicas_gestion")]
        assert row["rows_rejected"] == practices["ruc_n"].isna().sum()
        assert row["rows_loaded"] == practices["ruc_n"].dropna().nunique()
        assert row["duplicates_removed"] == practices["ruc_n"].notna().sum() - practices["ruc_n"].dropna().nunique()


def welch_by_hand(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Welch t-test from its formula (Welch-Satterthwaite degrees of freedom)."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return 2 * stats.t.sf(abs(t), df)


def test_evaluator_effects(marts, reference: Reference) -> None:
    """Contract 6, from the raw files: the evaluator of each enterprise's latest submission, its global score."""
    table = marts("select * from marts.evaluator_effects").set_index(["wave", "evaluator"])
    expected_p = {}
    for wave in reference.waves:
        scored = wave.scores["global"].dropna().to_frame("score").join(wave.evaluators.rename("evaluator"), how="inner")
        # contract 4: scores ranked at 9 decimals
        kruskal = stats.kruskal(*[g["score"].round(9).to_numpy() for _, g in scored.groupby("evaluator")]).pvalue
        for evaluator, group in scored.groupby("evaluator"):
            own, others = group["score"].to_numpy(), scored.loc[scored["evaluator"] != evaluator, "score"].to_numpy()
            row = table.loc[(wave.key, evaluator)]
            assert row["n_enterprises"] == len(own)
            assert row["mean_global_score"] == pytest.approx(own.mean(), abs=TOL)
            assert row["diff_from_others"] == pytest.approx(own.mean() - others.mean(), abs=TOL)
            assert row["p_value"] == pytest.approx(welch_by_hand(own, others), rel=1e-6)
            assert row["p_kruskal"] == pytest.approx(kruskal, rel=1e-9)
            expected_p[(wave.key, evaluator)] = welch_by_hand(own, others)
    assert len(table) == len(expected_p)
    for key, adjusted in holm_by_hand(expected_p).items():
        assert table.loc[key, "p_holm"] == pytest.approx(adjusted, rel=1e-6)
    # The sample's calibration (sample_data/extracts.py): EV03 in the midterm is flagged, no one else.
    assert table.index[table["p_holm"] < 0.05].tolist() == [("2018-midterm", "EV03")]


def test_panel_coverage(marts, reference: Reference) -> None:
    table = marts("select * from marts.panel_coverage").set_index("ruc")
    assert len(table) == 52 and {"wave_2017_baseline", "wave_2018_midterm", "wave_2019_endline"} <= set(table.columns)
    missing = reference.waves[1].known - set(reference.waves[1].worker_answers["ruc_n"])
    assert set(table.index[table["n_waves_complete"] == 2]) == missing
    assert "encuesta_trabajadores" not in table.loc[next(iter(missing)), "wave_2018_midterm"]


def test_participation(marts) -> None:
    records = read_csv(SAMPLE_RAW / "2019-endline" / "registro_capacitacion.csv", ",")
    records["ruc_n"] = records["ruc"].map(ruc)
    expected = records.groupby("ruc_n").agg(modules=("modulo", "nunique"), usd=("aporte_usd", lambda s: s.astype(float).sum()))
    table = marts("select * from marts.participation").set_index("ruc")
    assert table["modules_completed"].sort_index().tolist() == expected["modules"].sort_index().tolist()
    assert table["contribution_usd"].sort_index().tolist() == expected["usd"].sort_index().tolist()
    per_module = table["contribution_usd"] / table["modules_completed"]
    assert (per_module[table["size"] == "Pequeña"] == 500).all() and (per_module[table["size"] == "Mediana"] == 1000).all()


def test_case_studies(marts) -> None:
    table = marts("select * from marts.case_studies")
    files = sorted((SAMPLE_RAW / "2019-endline" / "estudios_caso").glob("*.md"))
    assert sorted(table["ruc"]) == [f.stem for f in files]
    assert (table["word_count"] > 50).all() and table["title"].str.len().min() > 5
    assert all(1 <= m <= 5 for modules in table["modules"] for m in modules)


SUMMARY = {  # the evaluation summary's figures and the foundation issue's tolerances
    "global_score": (2.04, 3.06, "abs", 0.02), "worker_satisfaction": (3.64, 3.79, "abs", 0.02),
    "capacity_use_pct": (63, 72, "rel", 0.02), "annual_sales": (7.05e6, 8.85e6, "rel", 0.02),
    "workers": (33.7, 42.5, "rel", 0.02), "monthly_payroll": (56069, 71000, "rel", 0.02),
    "female_share_pct": (32, 35, "abs", 0.5),
}
KPI_SUMMARY = {"accidents": -42, "absenteeism": -34, "turnover": -12, "defects": -22, "raw_material_waste": -33}


def test_headline_reproduces_the_evaluation_summary(marts) -> None:
    headline = marts("select * from marts.headline_indicators").set_index("indicator")
    assert len(headline) == 18
    for indicator, (baseline, endline, kind, tolerance) in SUMMARY.items():
        approx = (lambda v: pytest.approx(v, abs=tolerance)) if kind == "abs" else (lambda v: pytest.approx(v, rel=tolerance))
        assert headline.loc[indicator, "baseline"] == approx(baseline), indicator
        assert headline.loc[indicator, "endline"] == approx(endline), indicator
    for kpi, change in KPI_SUMMARY.items():
        assert headline.loc[kpi, "change_pct"] == pytest.approx(change, abs=2), kpi
    assert abs(headline.loc["unit_cost", "change_pct"]) < 3
    assert 40 <= headline.loc["pct_enterprises_gain_gt1", "endline"] <= 60
    assert headline.loc["sales_per_worker", "change_pct"] == pytest.approx(0, abs=2)
    assert headline.loc["pct_using_productivity_indicators", "endline"] < 20
    assert headline.loc["n_gender_policy", "endline"] == 18
    assert headline.loc["pct_positive_effects", "endline"] > 80
    assert headline.loc["worker_satisfaction", "change_pct"] == pytest.approx(4, abs=1)
