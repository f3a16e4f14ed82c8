"""traces.html: where each headline figure comes from, model by model down to the extracts' columns; the
report links each headline row to its trace there."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from score_pipeline import settings
from score_pipeline.lineage.trace import Hop, Project
from score_pipeline.templates import render

TRACES_PAGE = "traces.html"  # in the publish folder, beside report.html
HEADLINE = "marts.headline_indicators"
# A headline row's figure: its change in percent, or its endline value when it has no change (the share of
# enterprises that gained more than a point).
FIGURE_COLUMNS = ("change_pct", "endline")


@dataclass(frozen=True)
class Indicator:
    indicator: str
    label: str


def headline_indicators() -> list[Indicator]:
    """The headline's indicators in the report's order (the headline catalog seed)."""
    with settings.HEADLINE_CATALOG.open(encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["sort_order"]))
    return [Indicator(row["indicator"], row["label"]) for row in rows]


def trace_link(indicator: str) -> str:
    """The report's link to an indicator's trace."""
    return f"{TRACES_PAGE}#{indicator}"


def headline_trace(project: Project, indicator: str) -> Hop:
    for column in FIGURE_COLUMNS:
        traced = project.trace(HEADLINE, column, {"indicator": indicator})
        if traced.upstream:
            return traced
    return traced


def write_traces_page(project: Project, publish_dir: Path) -> Path:
    """traces.html, written atomically."""
    traces = [(indicator, headline_trace(project, indicator.indicator)) for indicator in headline_indicators()]
    document = render("traces.html.j2", traces=traces, docs=f"{settings.docs_dir().name}/index.html")
    target = publish_dir / TRACES_PAGE
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(document, encoding="utf-8")
    os.replace(temporary, target)
    return target
