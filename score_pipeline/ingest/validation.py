"""Great Expectations 1.x, run by hand: suites from `expectations/<instrument>.json`, an
ephemeral context, a pandas datasource on the frame read from DuckDB.

GX's own type expectations misjudge pandas-3 `str` columns, so column types are
checked against the warehouse's information schema instead (`type_problems`).
Expectation errors do not raise in GX: each result's `exception_info` is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from score_pipeline.settings import EXPECTATIONS_DIR
from score_pipeline.templates import render

SEVERITIES = ("error", "warn")


@dataclass(frozen=True)
class Outcome:
    """One expectation's result, reduced to what a person reading the check needs."""

    expectation: str
    column: str
    severity: str
    success: bool
    unexpected_count: int | None = None
    sample: tuple[str, ...] = ()
    error: str | None = None  # the expectation could not be evaluated

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.column})" if self.column else self.expectation


@dataclass
class Validation:
    suite: str
    rows: int
    outcomes: list[Outcome] = field(default_factory=list)

    def failures(self, severity: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.severity == severity and not o.success]

    def evaluated(self, severity: str) -> int:
        return sum(1 for o in self.outcomes if o.severity == severity)


@cache
def shared_values(identifier_shape: str | None = None) -> dict[str, Any]:
    """The rules a suite shares with the ingest code, declared there once. A suite names one as
    `{"derived": "<name>"}` where a literal would copy it (the RUC prefixes stood in seven places).
    `ruc_pattern` is the shape of the country's identifiers (core/programme.IdentifierScheme.shape), Peru's
    RUC unless another is given.
    Value sets the parsers enforce (sizes, answer codes, ranges) are not in the suites at all: ingest
    refuses any other value, so the content checks test what ingest cannot (docs/decisions.md)."""
    from score_pipeline.core.programme import V1_SCHEME
    from score_pipeline.ingest.instruments.practices import practice_ids
    from score_pipeline.ingest.instruments.sample_frame import ARMS

    return {"ruc_pattern": identifier_shape or V1_SCHEME.shape, "practice_ids": practice_ids(), "arms": list(ARMS)}


def resolve(node: Any, values: dict[str, Any], suite: str) -> Any:
    if isinstance(node, dict):
        if set(node) == {"derived"}:
            if node["derived"] not in values:
                raise KeyError(f"expectations/{suite}.json names an unknown shared value {node['derived']!r}")
            return values[node["derived"]]
        return {key: resolve(value, values, suite) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, values, suite) for item in node]
    return node


def load_suite_json(instrument: str, identifier_shape: str | None = None) -> dict[str, Any]:
    """The suite of `expectations/<instrument>.json`, its shared values filled in from the code."""
    raw = json.loads((EXPECTATIONS_DIR / f"{instrument}.json").read_text(encoding="utf-8"))
    return resolve(raw, shared_values(identifier_shape), instrument)


@cache
def _batch_definition(table: str) -> Any:
    import great_expectations as gx  # slow import: only when a check runs
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=f"warehouse_{table}")
    return source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe("wave")


def validate(instrument: str, frame: pd.DataFrame, identifier_shape: str | None = None) -> Validation:
    """Run the instrument's suite on a frame (one wave of its raw table) of a country whose identifiers have
    that shape (Peru's RUC by default)."""
    import great_expectations as gx

    spec = load_suite_json(instrument, identifier_shape)
    suite = gx.ExpectationSuite(name=spec["name"], expectations=spec["expectations"])
    batch = _batch_definition(spec["meta"]["table"]).get_batch(batch_parameters={"dataframe": frame})
    # Pass or fail first (GX computes no unexpected lists: about half the time); a suite that fails anywhere
    # is validated again for what a person needs to read (the counts and a sample of each failure).
    result = batch.validate(suite, result_format="BOOLEAN_ONLY")
    if not result.success:
        result = batch.validate(suite)
    outcomes = [_outcome(r) for r in result.results]
    return Validation(spec["name"], len(frame), sorted(outcomes, key=lambda o: (o.success, o.label)))


def _outcome(result: Any) -> Outcome:
    config = result.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or ",".join(kwargs.get("column_list") or [kwargs.get("column_A", ""), kwargs.get("column_B", "")]).strip(",")
    error = _exception_message(result.exception_info)
    raised = error is not None
    details = result.result or {}
    sample = tuple(str(v) for v in (details.get("partial_unexpected_list") or [])[:5])
    return Outcome(config.type, column, (config.meta or {}).get("severity", "warn"),
                   bool(result.success) and not raised, details.get("unexpected_count"), sample, error)


def _exception_message(info: Any) -> str | None:
    """GX reports an expectation it could not evaluate in `exception_info`, either flat or keyed by metric."""
    if not isinstance(info, dict):
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = sorted({e.get("exception_message") or "error" for e in entries if e.get("raised_exception")})
    return "; ".join(messages) or None


def type_problems(declared: dict[str, str], actual: dict[str, str]) -> list[Outcome]:
    """Columns missing from the table or with another type than the instrument declares."""
    problems = []
    for column, kind in declared.items():
        if column not in actual:
            problems.append(Outcome("column_exists", column, "error", False, error="column is missing"))
        elif actual[column].upper() != kind.upper():
            problems.append(Outcome("column_type", column, "error", False, error=f"{actual[column]}, expected {kind}"))
    return problems


def write_validation_page(validation: Validation, partition: str, folder: Path) -> Path:
    """A small self-contained HTML validation page (the Data Docs of this project):
    `<folder>/<country>/<wave>__<suite>.html`."""
    path = folder / f"{partition}__{validation.suite}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render("validation.html.j2", validation=validation, partition=partition), encoding="utf-8")
    return path
