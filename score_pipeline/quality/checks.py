"""Asset checks on each ingest asset, per wave partition: `structure` (ERROR, blocking) and
`content` (WARN), from the instrument's GX suite."""

import warnings
from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetChecksDefinition, AssetCheckSpec, AssetKey,
    MetadataValue, multi_asset_check,
)

from score_pipeline import settings
from score_pipeline.ingest.instruments import INSTRUMENTS, Instrument
from score_pipeline.quality.validation import Outcome, Validation, type_problems, validate, write_report
from score_pipeline.resources import WarehouseResource
from score_pipeline.waves import wave_partitions


def _result(check_name: str, key: AssetKey, validation: Validation, severity: str, extra: list[Outcome], report: str) -> AssetCheckResult:
    failures = extra + validation.failures(severity)
    table = "\n".join(
        f"| {o.label} | {'' if o.unexpected_count is None else o.unexpected_count} | {', '.join(o.sample) or (o.error or '')} |"
        for o in failures
    )
    return AssetCheckResult(
        check_name=check_name,
        asset_key=key,
        passed=not failures,
        severity=AssetCheckSeverity.ERROR if severity == "error" else AssetCheckSeverity.WARN,
        metadata={
            "rows": validation.rows,
            "expectations_evaluated": validation.evaluated(severity) + len(extra),
            "expectations_failed": len(failures),
            "failing_expectations": MetadataValue.md(
                "| expectation | unexpected | sample / error |\n|---|---|---|\n" + table if failures else "none"),
            "validation_report": MetadataValue.path(report),
        },
    )


def build_checks(instrument: Instrument) -> AssetChecksDefinition:
    key = AssetKey(["raw", instrument.table])
    with warnings.catch_warnings():  # partitioned check specs are a preview in Dagster 1.13, used deliberately
        warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")
        specs = [
            AssetCheckSpec("structure", asset=key, blocking=True, partitions_def=wave_partitions,
                           description=f"Columns, types, keys, RUC format and uniqueness of {instrument.name} "
                                       f"(GX suite expectations/{instrument.name}.json, severity error). Failing blocks downstream."),
            AssetCheckSpec("content", asset=key, partitions_def=wave_partitions,
                           description=f"Value sets and ranges of {instrument.name} (GX suite, severity warn): reported, not blocking."),
        ]

    @multi_asset_check(specs=specs, name=f"validate_{instrument.table}", pool=settings.WAREHOUSE_POOL,
                       compute_kind="great_expectations")
    def _checks(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        wave = context.partition_key
        validation = validate(instrument.name, warehouse.read_wave(instrument.table, wave))
        types = type_problems(instrument.columns, warehouse.describe(instrument.table))
        report = str(write_report(validation, wave, settings.validation_docs_dir()))
        yield _result("structure", key, validation, "error", types, report)
        yield _result("content", key, validation, "warn", [], report)

    return _checks


ingest_checks = [build_checks(instrument) for instrument in INSTRUMENTS]
