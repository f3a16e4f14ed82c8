"""The checks of each ingest asset, per wave partition, evaluated on the staged rows before they
replace the wave's loaded ones (ingest/assets.py). They are reported as evaluations of the wave's
partition, so a run that ingests several waves still shows each wave's own results:

- `structure` (ERROR, blocking): columns, types, keys, RUC format, uniqueness (the GX suite's errors);
- `reconciliation` (ERROR, blocking): the file's data rows, counted without the reader, equal
  `rows_received`, and received = loaded + rejected + duplicates in the staged tables, so no parser
  can lose rows silently;
- `content` (WARN): value sets and ranges (the GX suite's warnings);
- `corrections` (WARN, instruments that take corrections): every line of the wave's corrections log
  for the instrument applied; the others are named with their status (contract 5);
- `volume` (WARN, the instruments a wave always sends): the file holds at least VOLUME_FLOOR of the rows
  the same file held in the country's previous wave (a file cut short, a filtered export).

A failing WARN check's description says what failed in one sentence: `make run` prints it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import duckdb
from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from score_pipeline import settings
from score_pipeline.core.programme import Country
from score_pipeline.core.waves import partition_key, wave_partitions
from score_pipeline.ingest.instruments import Instrument
from score_pipeline.ingest.load import COUNTRY_COLUMN, raw_columns
from score_pipeline.ingest.validation import Outcome, Validation, type_problems, validate, write_validation_page

BLOCKING = ("structure", "reconciliation")
VOLUME_FLOOR = 0.5  # a file with fewer than half the rows of the previous wave's is reported


def check_specs(instrument: Instrument) -> list[AssetCheckSpec]:
    key = AssetKey(["raw", instrument.table])
    with warnings.catch_warnings():  # partitioned check specs are a preview in Dagster 1.13, used deliberately
        warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")
        return [
            AssetCheckSpec("structure", asset=key, blocking=True, partitions_def=wave_partitions,
                           description=f"Columns, types, keys, RUC format and uniqueness of {instrument.source} "
                                       f"(GX suite expectations/{instrument.name}.json, severity error). A failure "
                                       "keeps the wave's previous rows and blocks downstream."),
            AssetCheckSpec("reconciliation", asset=key, blocking=True, partitions_def=wave_partitions,
                           description=f"Data rows of {instrument.source} counted without the reader = rows received "
                                       "= loaded + rejected + duplicates. A failure keeps the wave's previous rows."),
            AssetCheckSpec("content", asset=key, partitions_def=wave_partitions,
                           description=f"Value sets and ranges of {instrument.source} (GX suite, severity warn): "
                                       "reported, not blocking."),
            *([AssetCheckSpec("corrections", asset=key, partitions_def=wave_partitions,
                              description="Every line of the wave's corrections log for this instrument applied; "
                                          "lines not applied (no_match, ambiguous, stale) are named: reported, "
                                          "not blocking.")] if instrument.correctable else []),
            *([AssetCheckSpec("volume", asset=key, partitions_def=wave_partitions,
                              description=f"{instrument.source} holds at least {VOLUME_FLOOR:.0%} of the rows it held "
                                          "in the country's previous wave (a file cut short or filtered): reported, "
                                          "not blocking.")] if instrument.every_wave else []),
        ]


@dataclass(frozen=True)
class Reconciliation:
    in_file: int  # counted on the raw file, without the reader
    received: int
    loaded: int
    rejected: int
    duplicates: int

    @property
    def problems(self) -> list[str]:
        problems = []
        if self.in_file != self.received:
            problems.append(f"the file has {self.in_file} data rows but {self.received} were received")
        if self.received != self.loaded + self.rejected + self.duplicates:
            problems.append(f"{self.received} rows received but {self.loaded} loaded + {self.rejected} rejected + "
                            f"{self.duplicates} duplicates = {self.loaded + self.rejected + self.duplicates}")
        return problems


def reconcile(connection: duckdb.DuckDBPyConnection, instrument: Instrument, country: str, wave: str,
              in_file: int) -> Reconciliation:
    """The staged wave's counts, from the tables themselves (not from the reader's own arithmetic)."""
    one = lambda sql: connection.execute(sql, [country, wave, instrument.name]).fetchone()[0]  # noqa: E731
    received = one("select coalesce(sum(rows_received), 0) from raw.ingest_log where country = ? and wave = ? "
                   "and instrument = ?")
    loaded = connection.execute(f"select count(distinct {instrument.row_id}) from raw.{instrument.table} "
                                "where country = ? and wave = ?", [country, wave]).fetchone()[0]
    rejected = one("select count(distinct row_number) + count(*) filter (where row_number is null) from raw.rejects "
                   "where country = ? and wave = ? and instrument = ? and kind = 'row'")
    duplicates = one("select count(*) from raw.superseded where country = ? and wave = ? and instrument = ?")
    return Reconciliation(in_file, received, loaded, rejected, duplicates)


@dataclass
class WaveChecks:
    results: list[AssetCheckEvaluation]
    refusals: list[str]  # one phrase per blocking failure, for the sentence that refuses the wave

    @property
    def blocking_failed(self) -> bool:
        return bool(self.refusals)


def evaluate_staged(connection: duckdb.DuckDBPyConnection, instrument: Instrument, country: Country, wave: str,
                    in_file: int) -> WaveChecks:
    """Every check of the instrument on the country's wave's staged rows (the open transaction's view)."""
    key = AssetKey(["raw", instrument.table])
    frame = connection.execute(f"select * exclude ({COUNTRY_COLUMN}) from raw.{instrument.table} "
                               f"where {COUNTRY_COLUMN} = ? and wave = ?", [country.code, wave]).df()
    columns = dict(connection.execute(
        "select column_name, data_type from information_schema.columns where table_schema = 'raw' and table_name = ? "
        "order by ordinal_position", [instrument.table]).fetchall())
    validation = validate(instrument.name, frame, country.enterprise_id.shape)
    partition = country.partition_key(wave)
    report = str(write_validation_page(validation, partition, settings.validation_docs_dir()))
    structure_failures = type_problems(raw_columns(instrument.columns), columns) + validation.failures("error")
    reconciliation = reconcile(connection, instrument, country.code, wave, in_file)
    results = [
        gx_result("structure", key, partition, validation, structure_failures, validation.evaluated("error"), report),
        evaluation("reconciliation", key, partition, not reconciliation.problems, {
            "rows_in_file": reconciliation.in_file, "rows_received": reconciliation.received,
            "rows_loaded": reconciliation.loaded, "rows_rejected": reconciliation.rejected,
            "duplicates_removed": reconciliation.duplicates,
            "problems": MetadataValue.md("; ".join(reconciliation.problems) or "none")}),
        gx_result("content", key, partition, validation, validation.failures("warn"), validation.evaluated("warn"), report),
        *([corrections_result(connection, instrument, country.code, wave)] if instrument.correctable else []),
        *([volume_result(connection, instrument, country.code, wave)] if instrument.every_wave else []),
    ]
    refusals = [f"structure check: {describe(o)}" for o in structure_failures]
    refusals += [f"reconciliation check: {problem}" for problem in reconciliation.problems]
    return WaveChecks(results, refusals)


def corrections_result(connection: duckdb.DuckDBPyConnection, instrument: Instrument, country: str,
                       wave: str) -> AssetCheckEvaluation:
    lines = connection.execute(
        "select log_line, status, key, column_name, action from raw.corrections where country = ? and wave = ? "
        "and instrument = ? order by log_line", [country, wave, instrument.name]).fetchall()
    not_applied = [line for line in lines if line[1] != "applied"]
    table = "\n".join(f"| {line} | {status} | {key} | {column or ''} | {action} |"
                      for line, status, key, column, action in not_applied)
    summary = "corrections log line(s) not applied: " + ", ".join(f"{line} {status}" for line, status, *_ in not_applied)
    return evaluation("corrections", AssetKey(["raw", instrument.table]), partition_key(country, wave), not not_applied, {
        "lines": len(lines), "applied": len(lines) - len(not_applied), "not_applied": len(not_applied),
        "log_sha256": connection.execute("select any_value(log_sha256) from raw.corrections where country = ? "
                                         "and wave = ?", [country, wave]).fetchone()[0] or "no log",
        "lines_not_applied": MetadataValue.md(
            "| log line | status | key | column | action |\n|---|---|---|---|---|\n" + table if not_applied else "none"),
    }, summary)


def volume_result(connection: duckdb.DuckDBPyConnection, instrument: Instrument, country: str,
                  wave: str) -> AssetCheckEvaluation:
    """The staged file's rows against the same file's in the country's latest earlier wave (raw.ingest_log)."""
    counts = connection.execute(
        "select wave, rows_received from raw.ingest_log where country = ? and instrument = ? and wave <= ? "
        "order by wave desc limit 2", [country, instrument.name, wave]).fetchall()
    received = counts[0][1] if counts and counts[0][0] == wave else 0
    previous_wave, previous = counts[-1] if len(counts) == 2 else (None, None)
    passed = previous is None or received >= VOLUME_FLOOR * previous
    summary = (f"{instrument.source} holds {received} rows, {previous} in {previous_wave}: fewer than "
               f"{VOLUME_FLOOR:.0%} (cut short or filtered?)")
    return evaluation("volume", AssetKey(["raw", instrument.table]), partition_key(country, wave), passed, {
        "rows_received": received, "previous_wave": previous_wave or "none", "previous_rows_received": previous or 0,
    }, summary)


def describe(outcome: Outcome) -> str:
    """`expect_column_values_to_match_regex(ruc) failed for 3 rows (e.g. 2010012345)`."""
    if outcome.error:
        return f"{outcome.label}: {outcome.error}"
    count = f" for {outcome.unexpected_count} rows" if outcome.unexpected_count else ""
    sample = f" (e.g. {', '.join(outcome.sample[:3])})" if outcome.sample else ""
    return f"{outcome.label} failed{count}{sample}"


def evaluation(check_name: str, key: AssetKey, partition: str, passed: bool, metadata: dict[str, object],
               summary: str | None = None) -> AssetCheckEvaluation:
    """A check's result for one country x wave partition (an AssetCheckResult would take the run's partition,
    and a run that ingests several waves has none of its own); a failure is described by `summary`."""
    blocking = check_name in BLOCKING
    return AssetCheckEvaluation(asset_key=key, check_name=check_name, passed=passed, metadata=metadata,
                                severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
                                blocking=blocking, partition=partition, description=None if passed else summary)


def gx_result(check_name: str, key: AssetKey, partition: str, validation: Validation, failures: list[Outcome],
              evaluated: int, report: str) -> AssetCheckEvaluation:
    """A GX severity's result; a failure is described by its failing expectations."""
    table = "\n".join(
        f"| {o.label} | {'' if o.unexpected_count is None else o.unexpected_count} | {', '.join(o.sample) or (o.error or '')} |"
        for o in failures
    )
    return evaluation(check_name, key, partition, not failures, {
        "rows": validation.rows,
        "expectations_evaluated": evaluated,
        "expectations_failed": len(failures),
        "failing_expectations": MetadataValue.md(
            "| expectation | unexpected | sample / error |\n|---|---|---|\n" + table if failures else "none"),
        "validation_report": MetadataValue.path(report),
    }, "; ".join(describe(o) for o in failures))
