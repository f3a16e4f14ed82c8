"""The data team's field checks of each wave, built in the wave's run after its models (contract 6)."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, MetadataValue, asset

from score_pipeline import settings
from score_pipeline.core.waves import single_run_backfills, split_partition_key, wave_partitions
from score_pipeline.ingest.instruments import INSTRUMENTS
from score_pipeline.resources import RawRootResource, WarehouseResource
from score_pipeline.transform.project import EVALUATOR_SCORES

FIELD_CHECK_DEPS = [*(AssetKey(["raw", instrument.table]) for instrument in INSTRUMENTS),
                    AssetKey(["raw", "rejects"]), AssetKey(["raw", "corrections"]),
                    EVALUATOR_SCORES]

with single_run_backfills():

    @asset(key=["quality", "field_checks"], deps=FIELD_CHECK_DEPS, partitions_def=wave_partitions,
           backfill_policy=BackfillPolicy.single_run(), pool=settings.WAREHOUSE_POOL, group_name="quality",
           kinds={"python", "html"}, owners=["team:data-management"],
           description="The data team's field checks of the wave (contract 6): rejects and invalid values by reason, "
                       "the corrections log with each line's status, the evaluator table, panel enterprises missing "
                       "an instrument, outliers in the profile numbers. An HTML page beside the warehouse "
                       "(firm-level values: never published).")
    def field_checks(context: AssetExecutionContext, warehouse: WarehouseResource, raw: RawRootResource) -> MaterializeResult:
        from score_pipeline.quality.field_checks import read_field_checks, write_field_checks

        layout = raw.layout()
        for key in context.partition_keys:
            code, wave = split_partition_key(key)
            with warehouse.connect(read_only=True) as connection:
                checks = read_field_checks(connection, code, wave, layout.country(code).enterprise_id.normalise)
            page = write_field_checks(checks, settings.field_checks_dir())
            context.log.info(f"{key} field checks: {page}")
            context.add_asset_metadata({"field_checks": MetadataValue.path(str(page)), **checks.counts},
                                       partition_key=key)
        return MaterializeResult()

quality_assets = [field_checks]
