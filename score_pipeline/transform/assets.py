"""dbt models as Dagster assets: wave-level models per wave partition, cross-wave models after them."""

import os
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from score_pipeline import settings
from score_pipeline.resources import WarehouseResource
from score_pipeline.transform.project import WAVE_SELECTION, dbt_build_args, dbt_project
from score_pipeline.transform.translator import ScoreDbtTranslator
from score_pipeline.waves import wave_partitions

SHARED_OPTIONS = {
    "manifest": dbt_project.manifest_path,
    "project": dbt_project,
    "dagster_dbt_translator": ScoreDbtTranslator(),
    "pool": settings.WAREHOUSE_POOL,
}


def _stream_build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, wave: str | None) -> Iterator[Any]:
    # profiles.yml reads the variable the warehouse resource resolves; absolute, for dbt's working directory.
    os.environ[settings.WAREHOUSE_ENV] = str(warehouse.database.resolve())
    yield from dbt.cli(dbt_build_args(wave), context=context).stream()


@dbt_assets(select=WAVE_SELECTION, partitions_def=wave_partitions, name="dbt_wave_models", **SHARED_OPTIONS)
def dbt_wave_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Staging views and the wave-level scoring models, rebuilt for one wave."""
    yield from _stream_build(context, dbt, warehouse, context.partition_key)


@dbt_assets(exclude=WAVE_SELECTION, name="dbt_evaluation_models", **SHARED_OPTIONS)
def dbt_evaluation_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Cross-wave models: summaries, changes, indicators, data quality."""
    yield from _stream_build(context, dbt, warehouse, None)
