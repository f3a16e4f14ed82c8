"""What a run says about the data it loaded: one line per country x wave x instrument that has anything to say
(rows rejected, duplicates removed, invalid values, informational columns missing, failed WARN checks: a
corrections log line not applied, a file far shorter than the previous wave's), so that nothing set aside is silent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dagster import AssetCheckEvaluation, AssetCheckSeverity

from score_pipeline.core.waves import partition_key
from score_pipeline.ingest.instruments import INSTRUMENTS

INSTRUMENT_OF_TABLE = {instrument.table: instrument.name for instrument in INSTRUMENTS}
# marts.data_quality's counts, and how a line names them (singular, plural)
COUNTED = (("rows_rejected", "row rejected", "rows rejected"),
           ("duplicates_removed", "duplicate removed", "duplicates removed"),
           ("values_invalid", "invalid value", "invalid values"))  # corrections: their check names each line
# What the ingest said beyond counts: the informational columns missing, and the first row and cell set aside
# (an example of the reasons the field checks page lists).
NOTES_QUERY = """
    select country, wave, instrument, reason from raw.rejects where kind = 'note'
    union all
    select country, wave, instrument,
        'e.g. ' || arg_min(coalesce('row ' || row_number || ', ', '') || coalesce(column_name || ': ', '') || reason,
                           coalesce(row_number, 0))
    from raw.rejects where kind in ('row', 'value')
    group by country, wave, instrument
    order by country, wave, instrument, reason
"""


@dataclass
class Said:
    """What one country x wave x instrument has to say."""

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self, partition: str, instrument: str) -> str | None:
        counted = [f"{n} {one if n == 1 else many}" for column, one, many in COUNTED if (n := self.counts.get(column, 0))]
        parts = [", ".join(counted)] if counted else []
        return f"{partition} {instrument}: " + "; ".join(parts + self.notes) if parts or self.notes else None


def failed_warnings(evaluations: Iterable[AssetCheckEvaluation]) -> list[tuple[str, str, str]]:
    """(partition, instrument, `<check> check: <what failed>`) of the failed WARN checks of a run."""
    return [(e.partition or "", INSTRUMENT_OF_TABLE.get(e.asset_key.path[-1], e.asset_key.to_user_string()),
             f"{e.description or 'failed'} (WARN check {e.check_name!r})")
            for e in evaluations if not e.passed and e.severity == AssetCheckSeverity.WARN]


def quality_lines(counts: Sequence[dict[str, object]], notes: Iterable[tuple[str, str, str, str]],
                  warnings: Iterable[tuple[str, str, str]]) -> list[str]:
    """The lines, in country, wave and instrument order, from marts.data_quality's rows (`counts`), the ingest's
    notes (country, wave, instrument, text) and the failed WARN checks (partition, instrument, text)."""
    said: dict[tuple[str, str], Said] = defaultdict(Said)
    for row in counts:
        said[(partition_key(str(row["country"]), str(row["wave"])), str(row["instrument"]))].counts = {
            column: int(row[column] or 0) for column, *_ in COUNTED}
    for country, wave, instrument, text in notes:
        said[(partition_key(country, wave), instrument)].notes.append(text)
    for partition, instrument, text in warnings:
        said[(partition, instrument)].notes.append(text)
    return [line for key in sorted(said) if (line := said[key].line(*key))]
