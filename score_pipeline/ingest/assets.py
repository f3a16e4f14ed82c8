"""One asset per instrument, partitioned by wave, writing `raw.<table>` of the warehouse."""

from dagster import AssetExecutionContext, AssetsDefinition, AssetSpec, MaterializeResult, MetadataValue, asset

from score_pipeline import settings
from score_pipeline.ingest.instruments import INSTRUMENTS, Ingested, Instrument
from score_pipeline.resources import WarehouseResource, replace_wave
from score_pipeline.waves import verified_wave_folder, wave_partitions

PREVIEW_ROWS = 10


def ingest_metadata(ingested: Ingested) -> dict[str, object]:
    preview = ingested.frame.head(PREVIEW_ROWS).astype(str)
    return {
        "rows_received": ingested.rows_received,
        "rows_loaded": ingested.rows_loaded,
        "rows_rejected": ingested.rows_rejected,
        "duplicates_removed": len(ingested.superseded),
        "values_invalid": ingested.values_invalid,
        "table_rows": len(ingested.frame),
        "preview": MetadataValue.md(preview.to_markdown(index=False) if not preview.empty else "(no rows)"),
    }


def build_ingest_asset(instrument: Instrument) -> AssetsDefinition:
    @asset(
        name=instrument.table,
        key_prefix="raw",
        partitions_def=wave_partitions,
        pool=settings.WAREHOUSE_POOL,
        group_name="ingest",
        kinds={"python", "duckdb"},
        owners=["team:data-engineering"],
        description=f"{instrument.label}: `{instrument.name}` of a wave folder, normalised into raw.{instrument.table} "
                    f"(rejected rows and invalid cells in raw.rejects, resubmissions in raw.superseded).",
        metadata={"source_file": instrument.name, "table": f"raw.{instrument.table}"},
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        wave = context.partition_key
        folder = verified_wave_folder(settings.raw_dir(), wave)
        ingested = instrument.ingest(folder, wave)
        with warehouse.connect() as connection:
            replace_wave(connection, instrument, wave, ingested)
        context.log.info(f"{wave} {instrument.name}: {ingested.rows_loaded} of {ingested.rows_received} rows loaded")
        return MaterializeResult(metadata=ingest_metadata(ingested))

    return _ingest


ingest_assets = [build_ingest_asset(instrument) for instrument in INSTRUMENTS]


# Tables every ingest asset writes its wave's rows of: declared so that the UI shows them in the ingest
# group, downstream of the ingest assets, instead of as unowned stubs in `default`.
BOOKKEEPING_TABLES = {
    "ingest_log": "One row per wave x instrument ingested, with the counts of that load.",
    "rejects": "Rows set aside and invalid cells: file, row, column, raw value and reason.",
    "superseded": "Submissions replaced by a later one of the same enterprise in the same wave.",
}
bookkeeping_specs = [
    AssetSpec(key=["raw", table], description=f"{text} Written by every ingest asset, per wave.",
              deps=[ingest.key for ingest in ingest_assets], group_name="ingest", kinds={"duckdb"},
              owners=["team:data-engineering"], metadata={"table": f"raw.{table}"})
    for table, text in BOOKKEEPING_TABLES.items()
]
