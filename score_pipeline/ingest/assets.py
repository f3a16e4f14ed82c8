"""One asset per instrument, partitioned by country x wave, writing `raw.<table>` of the warehouse.

Stage, check, then swap: the wave's new rows replace its old ones inside one transaction, the
checks run on what that transaction sees, and it commits only when no blocking check failed. A
refused wave (a blocking check failed, or a file could not be read) keeps the rows it had, and the
step fails with one sentence per refused wave naming the file and why. A run may ingest several
waves in one step (a backfill runs as one run): each wave is loaded, checked and committed on its
own, and reported on its own partition.
"""

from collections.abc import Iterator
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckEvaluation, AssetExecutionContext, AssetMaterialization, AssetsDefinition, AssetSpec, BackfillPolicy,
    Failure, MaterializeResult, MetadataValue, Output, asset,
)

from score_pipeline import settings
from score_pipeline.core.programme import Country, Layout, LayoutError
from score_pipeline.core.waves import (
    DropError, drop_tag, log_path, single_run_backfills, split_partition_key, verified_wave_folder, wave_partitions,
)
from score_pipeline.ingest.corrections import read_log
from score_pipeline.ingest.gate import WaveChecks, check_specs, evaluate_staged
from score_pipeline.ingest.instruments import CORRECTABLE, INSTRUMENTS, CountryRules, Ingested, Instrument, Source
from score_pipeline.ingest.load import create_tables, record_country, stage_wave
from score_pipeline.ingest.readers import IngestError
from score_pipeline.resources import RawRootResource, WarehouseResource

PREVIEW_ROWS = 10


def ingest_metadata(ingested: Ingested) -> dict[str, object]:
    preview = ingested.frame.head(PREVIEW_ROWS).astype(str)
    return {
        "rows_received": ingested.rows_received,
        "rows_loaded": ingested.rows_loaded,
        "rows_rejected": ingested.rows_rejected,
        "duplicates_removed": len(ingested.superseded),
        "values_invalid": ingested.values_invalid,
        "dagster/row_count": len(ingested.frame),
        "preview": MetadataValue.md(preview.to_markdown(index=False) if not preview.empty else "(no rows)"),
    }


def load_wave(instrument: Instrument, country: Country, wave: str, connection: duckdb.DuckDBPyConnection,
              corrections: Path, planned: str | None = None) -> tuple[dict[str, object], WaveChecks]:
    """Read, stage and check one wave of the country's instrument (its drop still the `planned` one, when the
    run names it) on the step's warehouse connection; commit only when no blocking check failed. Returns the
    load's metadata (its counts and a preview) and the checks."""
    folder = verified_wave_folder(country.folder, country.code, wave, planned)
    connection.execute("begin transaction")
    try:
        metadata = read_and_stage(instrument, country, wave, folder, connection, corrections)
        in_file = instrument.count_received(folder)  # after the reader, which names a file it cannot read
        record_country(connection, country.code, country.name, country.currency, country.enterprise_id.label)
        checks = evaluate_staged(connection, instrument, country, wave, in_file)
        connection.execute("rollback" if checks.blocking_failed else "commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return metadata, checks


def read_and_stage(instrument: Instrument, country: Country, wave: str, folder: Path,
                   connection: duckdb.DuckDBPyConnection, corrections: Path) -> dict[str, object]:
    """The wave's file read into rows and staged in the open transaction; the rows as read are let go when it
    returns, before the checks read the staged table back (one copy of a large wave at a time, not two)."""
    log = read_log(log_path(country.corrections_dir(corrections), wave), CORRECTABLE)
    rules = CountryRules.of(country.enterprise_id.normalise, country.currency, country.code)
    ingested = instrument.ingest(Source(folder, wave, rules, log, first_wave=wave == country.first_wave()))
    stage_wave(connection, instrument, country.code, wave, ingested)
    return ingest_metadata(ingested)


# The wave's corrections log (contract 5): written by the data managers, not by Dagster, so an external
# asset. The ingest of every instrument it can correct reads it: the lineage shows it as their input.
corrections_log = AssetSpec(
    key="corrections_log", partitions_def=wave_partitions, group_name="ingest", kinds={"csv"},
    owners=["team:data-management"],
    description="A wave's field corrections log, `<corrections root>/<country>/<wave>.csv` in a programme, "
                "`<corrections root>/<wave>.csv` for a single-country root (SCORE_CORRECTIONS_DIR, default "
                "data/corrections): applied to the rows as read by the ingest of every instrument it names. A changed "
                "log re-runs its wave; the run's tag `score-pipeline/corrections/<country>/<wave>` holds the version "
                "it used.",
)


def build_ingest_asset(instrument: Instrument) -> AssetsDefinition:
    with single_run_backfills():
        return ingest_asset(instrument)


def ingest_asset(instrument: Instrument) -> AssetsDefinition:
    @asset(
        name=instrument.table,
        key_prefix="raw",
        partitions_def=wave_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        check_specs=check_specs(instrument),
        pool=settings.WAREHOUSE_POOL,
        group_name="ingest",
        kinds={"python", "duckdb", "great_expectations"},
        owners=["team:data-engineering"],
        description=f"{instrument.label}: `{instrument.source}` of a wave folder, normalised into raw.{instrument.table} "
                    f"(rejected rows and invalid cells in raw.rejects, resubmissions in raw.superseded), "
                    f"checked before it replaces the wave's rows.",
        metadata={"source_file": instrument.source, "table": f"raw.{instrument.table}"},
        deps=[corrections_log] if instrument.correctable else [],
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource, raw: RawRootResource) -> Iterator[
            MaterializeResult | AssetMaterialization | AssetCheckEvaluation | Output]:
        try:
            layout = raw.layout()
        except LayoutError as error:  # the raw root itself: every wave of the run is refused
            raise Failure(description=str(error)) from None
        loaded: dict[str, dict[str, object]] = {}
        refusals = []
        with warehouse.connect() as connection:  # one connection for the step's waves, each in its own transaction
            create_tables(connection, instrument, split_partition_key(context.partition_keys[0])[0])
            for key in context.partition_keys:
                try:
                    metadata, checks = load_wave(instrument, *country_and_wave(layout, key), connection, raw.corrections,
                                                 context.run.tags.get(drop_tag(key)))
                except (IngestError, DropError, LayoutError) as error:  # refuses its wave, not the others
                    refusals.append(str(error))
                    continue
                yield from checks.results
                if checks.blocking_failed:
                    refusals.append(f"{key}/{instrument.source}: refused, the wave's loaded rows are unchanged: "
                                    + "; ".join(checks.refusals))
                    continue
                context.log.info(f"{key} {instrument.source}: {metadata['rows_loaded']} of {metadata['rows_received']} "
                                 "rows loaded")
                loaded[key] = metadata
        yield from check_outputs(context)
        if refusals:
            for wave, metadata in loaded.items():  # the waves that were swapped in are materialized all the same
                yield AssetMaterialization(asset_key=context.asset_key, partition=wave, metadata=metadata)
            raise Failure(description=" | ".join(refusals))
        for wave, metadata in loaded.items():
            context.add_asset_metadata(metadata, partition_key=wave)
        yield MaterializeResult()

    return _ingest


def country_and_wave(layout: Layout, key: str) -> tuple[Country, str]:
    """The country and wave of a partition key; LayoutError when the country's folder is refused or gone."""
    code, wave = split_partition_key(key)
    try:
        return layout.country(code), wave
    except LayoutError as error:
        raise LayoutError(f"{key}: {error}") from None


def check_outputs(context: AssetExecutionContext) -> Iterator[Output]:
    """The step's output for each selected check: its evaluations, one per wave, were reported already."""
    for key in context.selected_asset_check_keys:
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))


ingest_assets = [build_ingest_asset(instrument) for instrument in INSTRUMENTS]

# Tables every ingest asset writes its wave's rows of: declared so that the UI shows them in the ingest
# group, downstream of the ingest assets, instead of as unowned stubs in `default`.
BOOKKEEPING_TABLES = {
    "ingest_log": "One row per wave x instrument ingested, with the counts of that load.",
    "rejects": "Rows set aside and invalid cells: file, row, column, raw value and reason.",
    "superseded": "Submissions replaced by a later one of the same enterprise in the same wave.",
    "countries": "One row per country loaded: its name, currency and identifier scheme, as its country.yaml says.",
    "corrections": "The wave's field corrections log, line by line, with each line's status and the log's hash "
                   "(contract 5); never published.",
}
bookkeeping_specs = [corrections_log] + [
    AssetSpec(key=["raw", table], description=f"{text} Written by every ingest asset, per wave.",
              deps=[ingest.key for ingest in ingest_assets], group_name="ingest", kinds={"duckdb"},
              owners=["team:data-engineering"], metadata={"table": f"raw.{table}"})
    for table, text in BOOKKEEPING_TABLES.items()
]
