"""The partition -> --vars helper, the translator, and the asset graph's lineage."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey

from score_pipeline.transform.project import dbt_build_args, dbt_vars_for_wave


def test_vars_for_a_wave() -> None:
    assert json.loads(dbt_vars_for_wave("2021-followup")) == {"wave": "2021-followup"}
    assert dbt_build_args("2017-baseline") == [
        "build", "--exclude-resource-type", "unit_test", "--vars", '{"wave": "2017-baseline"}']
    assert dbt_build_args(None) == ["build", "--exclude-resource-type", "unit_test"]


@pytest.mark.parametrize("bad", ["", "x' or '1'='1"])
def test_vars_refuse_what_is_not_a_wave_key(bad: str) -> None:
    with pytest.raises(ValueError):
        dbt_vars_for_wave(bad)


def test_lineage_runs_from_a_raw_instrument_to_the_headline_and_the_publication() -> None:
    from score_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    path = [
        ["raw", "management_practices"], ["staging", "stg_raw__management_practices"],
        ["intermediate", "int_category_scores_averaged"], ["intermediate", "int_module_scores_averaged"],
        ["marts", "enterprise_scores"], ["marts", "wave_summary"], ["marts", "headline_indicators"],
        ["published", "score_marts"],
    ]
    for upstream, downstream in zip(path, path[1:]):
        assert AssetKey(upstream) in graph.get(AssetKey(downstream)).parent_keys, (upstream, downstream)
    assert graph.get(AssetKey(["marts", "enterprise_scores"])).partitions_def is not None
    assert graph.get(AssetKey(["marts", "headline_indicators"])).partitions_def is None
    assert graph.get(AssetKey(["marts", "headline_indicators"])).group_name == "marts"
