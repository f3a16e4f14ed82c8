"""dbt models as Dagster assets: wave-level models per wave partition, cross-wave models after them."""

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, Output
from dagster_dbt import DbtCliResource, dbt_assets

from score_pipeline import settings
from score_pipeline.resources import WarehouseResource
from score_pipeline.transform.metadata import relation_metadata, relations_from_manifest
from score_pipeline.transform.project import WAVE_SELECTION, dbt_build_args, dbt_project
from score_pipeline.transform.translator import ScoreDbtTranslator
from score_pipeline.waves import wave_partitions

SHARED_OPTIONS = {
    "manifest": dbt_project.manifest_path,
    "project": dbt_project,
    "dagster_dbt_translator": ScoreDbtTranslator(),
    "pool": settings.WAREHOUSE_POOL,
}


def _stream_build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
                  wave: str | None) -> Iterator[Any]:
    """`dbt build`, its events reported once dbt has exited, each model's with its row count and column types.

    dagster-dbt echoes every dbt event to stdout, thousands of lines in the console of `make ui`;
    dbt writes the same events to the invocation's dbt.log, whose path goes to the run log instead.
    """
    # profiles.yml reads the variable the warehouse resource resolves; absolute, for dbt's working directory.
    os.environ[settings.WAREHOUSE_ENV] = str(warehouse.database.resolve())
    invocation = dbt.cli(dbt_build_args(wave), context=context)
    context.log.info(f"dbt build for {wave or 'every wave'}: its log is {invocation.target_path / 'dbt.log'}")
    events = []
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            events.extend(invocation.stream())
    except Exception:
        yield from events  # what dbt built before it failed is still reported
        raise
    built = [(event, model_id(event)) for event in events]
    with warehouse.connect(read_only=True) as connection:
        metadata = relation_metadata(connection, relations_from_manifest(invocation.manifest, [i for _, i in built if i]),
                                     wave)
    for event, unique_id in built:
        yield event.with_metadata({**event.metadata, **metadata[unique_id]}) if unique_id in metadata else event


def model_id(event: Any) -> str | None:
    """The dbt unique_id of a model's Output event (None for tests and other events)."""
    if isinstance(event, Output) and "unique_id" in event.metadata:
        return event.metadata["unique_id"].value
    return None


@dbt_assets(select=WAVE_SELECTION, partitions_def=wave_partitions, name="dbt_wave_models", **SHARED_OPTIONS)
def dbt_wave_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Staging views and the wave-level scoring models, rebuilt for one wave."""
    yield from _stream_build(context, dbt, warehouse, context.partition_key)


@dbt_assets(exclude=WAVE_SELECTION, name="dbt_evaluation_models", **SHARED_OPTIONS)
def dbt_evaluation_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Cross-wave models: summaries, changes, indicators, data quality."""
    yield from _stream_build(context, dbt, warehouse, None)
