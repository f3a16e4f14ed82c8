"""dbt models as Dagster assets: wave-level models per country x wave partition, cross-wave models after them.

A run may build several partitions (a backfill runs as one run, BackfillPolicy.single_run): dbt builds
them in one invocation, and each partition gets its own row counts.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Output
from dagster_dbt import dbt_assets

from score_pipeline import settings
from score_pipeline.core.waves import wave_partitions
from score_pipeline.lineage.trace import relation_key
from score_pipeline.resources import WarehouseResource
from score_pipeline.transform.metadata import relation_facts, relations_from_manifest
from score_pipeline.transform.partial_parse import invocation_target
from score_pipeline.transform.project import WAVE_SELECTION, dbt_build_args, dbt_project
from score_pipeline.transform.resource import InProcessDbtResource
from score_pipeline.transform.translator import ScoreDbtTranslator

SHARED_OPTIONS = {
    "manifest": dbt_project.manifest_path,
    "project": dbt_project,
    "dagster_dbt_translator": ScoreDbtTranslator(),
    "pool": settings.WAREHOUSE_POOL,
}


def _stream_build(context: AssetExecutionContext, dbt: InProcessDbtResource, warehouse: WarehouseResource,
                  partition_keys: Sequence[str] = ()) -> Iterator[Any]:
    """`dbt build`, its events reported once dbt is done, each model's with its row counts and column types.

    `partition_keys` are the run's country x wave partitions, always passed to dbt: a run rebuilds exactly
    them, never a wave the run does not cover (whose rows, rebuilt in another order, could differ in the last
    bit of a float sum). dbt's own log goes to the invocation's dbt.log, whose path goes to the run log.
    """
    target = invocation_target(context.run.run_id)
    context.log.info(f"dbt build for {', '.join(partition_keys) if partition_keys else 'the cross-wave models'}: "
                     f"its log is {target / 'dbt.log'}")
    invocation = dbt.build(context, dbt_build_args(partition_keys), target)
    if invocation.failure is not None:
        yield from invocation.stream()  # what dbt built before it failed is still reported, then the failure
    built = [(event, model_id(event)) for event in invocation.events]
    relations = relations_from_manifest(invocation.manifest, [i for _, i in built if i], target)
    with warehouse.connect(read_only=True) as connection:
        facts = relation_facts(connection, relations, partition_keys, asset_keys_by_relation(invocation.manifest))
    for event, unique_id in built:
        found = facts.get(unique_id) if unique_id else None
        if found is None:
            yield event
            continue
        key = context.asset_key_for_output(event.output_name) if found.rows_by_partition else None
        for partition, rows in found.rows_by_partition.items():
            context.add_asset_metadata({"dagster/row_count": rows}, asset_key=key, partition_key=partition)
        metadata = {k: v for k, v in found.metadata.items() if not (found.rows_by_partition and k == "dagster/row_count")}
        yield event.with_metadata({**event.metadata, **metadata})


def asset_keys_by_relation(manifest: Mapping[str, Any]) -> dict[str, AssetKey]:
    """"schema.table" of each model, seed and source -> its asset key (the translator's): a column lineage's parents."""
    translator = SHARED_OPTIONS["dagster_dbt_translator"]
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    return {relation_key(node): translator.get_asset_key(node) for node in nodes
            if node["resource_type"] in ("model", "seed", "source")}


def model_id(event: Any) -> str | None:
    """The dbt unique_id of a model's Output event (None for tests and other events)."""
    if isinstance(event, Output) and "unique_id" in event.metadata:
        return event.metadata["unique_id"].value
    return None


@dbt_assets(select=WAVE_SELECTION, partitions_def=wave_partitions, backfill_policy=BackfillPolicy.single_run(),
            name="dbt_wave_models", **SHARED_OPTIONS)
def dbt_wave_models(context: AssetExecutionContext, dbt: InProcessDbtResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Staging views and the wave-level scoring models, rebuilt for the run's wave partitions."""
    yield from _stream_build(context, dbt, warehouse, context.partition_keys)


@dbt_assets(exclude=WAVE_SELECTION, name="dbt_evaluation_models", **SHARED_OPTIONS)
def dbt_evaluation_models(context: AssetExecutionContext, dbt: InProcessDbtResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Cross-wave models: summaries, changes, indicators, data quality."""
    yield from _stream_build(context, dbt, warehouse)
