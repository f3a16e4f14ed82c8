"""The dbt unit tests of the scoring edge cases, run here rather than on every wave build."""

from __future__ import annotations

from pathlib import Path

from conftest import PipelineRun, run_dbt

UNIT_TESTS = {  # model -> the edge case its unit test pins down (dbt_project/models/**.yml)
    "int_category_scores_averaged": "category_with_fewer_than_half_of_its_practices_valid_is_null",
    "int_worker_respondents_scored": "respondent_with_nine_valid_answers_has_no_score",
    "int_worker_enterprises_summarised": "enterprise_with_four_respondents_is_not_publishable",
    "int_kpi_pairs_compared": "kpi_with_baseline_zero_is_not_counted",
    "enterprise_scores": "global_score_needs_four_modules",
    "int_evaluator_scores_joined": "evaluator_is_trimmed_upper_cased_and_empty_ones_are_left_out",
    "int_global_scores_paired": "only_enterprises_scored_at_both_ends_pair_and_a_gain_of_exactly_one_is_not_over_one",
    "stg_raw__perceived_effects": "an_influence_answered_beside_an_empty_effect_is_kept",
}


def test_every_dbt_unit_test_passes(pipeline: PipelineRun, tmp_path: Path) -> None:
    completed, results = run_dbt(["test", "--select", "test_type:unit"], pipeline.warehouse, tmp_path)
    outcomes = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in results}
    assert outcomes == {name: "pass" for name in UNIT_TESTS.values()}, completed.stdout[-3000:]
    assert completed.returncode == 0
