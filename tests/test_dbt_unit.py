"""The dbt unit tests of the scoring edge cases, run here rather than on every wave build."""

from __future__ import annotations

from pathlib import Path

from conftest import PipelineRun, run_dbt

UNIT_TESTS = {  # unit test -> its model; each name says the edge case it pins down (dbt_project/models/**.yml)
    "category_with_fewer_than_half_of_its_practices_valid_is_null": "int_category_scores_averaged",
    "respondent_with_nine_valid_answers_has_no_score": "int_worker_respondents_scored",
    "enterprise_with_four_respondents_is_not_publishable": "int_worker_enterprises_summarised",
    "kpi_with_baseline_zero_is_not_counted": "int_kpi_pairs_compared",
    "global_score_needs_four_modules": "enterprise_scores",
    "evaluator_is_trimmed_upper_cased_and_empty_ones_are_left_out": "int_evaluator_scores_joined",
    "only_enterprises_scored_at_both_ends_pair_and_a_gain_of_exactly_one_is_not_over_one": "int_global_scores_paired",
    "a_gain_of_one_with_float_noise_is_not_over_one": "int_global_scores_paired",
    "change_pct_of_a_zero_baseline_is_null": "headline_indicators",
    "sales_per_worker_without_workers_is_null": "business_results",
    "an_influence_answered_beside_an_empty_effect_is_kept": "stg_raw__perceived_effects",
    "a_trained_comparison_enterprise_is_contaminated_and_an_unlisted_one_has_no_arm": "int_enterprise_arms",
    "design_variables_at_the_first_and_last_wave_and_a_share_of_zero_workers_is_null": "int_design_variables_compared",
    "the_panel_keeps_scored_respondents_of_the_design_at_the_first_and_last_wave": "int_worker_panel_respondents",
}


def test_every_dbt_unit_test_passes(pipeline: PipelineRun, tmp_path: Path) -> None:
    completed, results = run_dbt(["test", "--select", "test_type:unit"], pipeline.warehouse, tmp_path)
    outcomes = {tuple(r["unique_id"].split(".")[-2:]): r["status"] for r in results}
    assert outcomes == {(model, name): "pass" for name, model in UNIT_TESTS.items()}, completed.stdout[-3000:]
    assert completed.returncode == 0
