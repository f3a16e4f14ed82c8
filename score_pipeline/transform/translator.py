"""All dbt customisation for Dagster in one translator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

GROUP_BY_FOLDER = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class ScoreDbtTranslator(DagsterDbtTranslator):
    """Models are keyed `<schema>/<name>` (`marts/headline_indicators`), grouped by layer;
    sources keep the ingest asset keys set in their `meta.dagster.asset_key`."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=False))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folder = dbt_resource_props.get("fqn", ["", ""])[1]
        return GROUP_BY_FOLDER.get(folder, "marts")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return ["team:evaluation"] if self.get_group_name(dbt_resource_props) == "marts" else ["team:data-engineering"]
