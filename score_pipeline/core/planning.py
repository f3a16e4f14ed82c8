"""Which runs a raw root needs: pure functions of its layout, its drops and the instance's partitions, shared
by `score-pipeline run`, the drop sensor, the nightly schedule and the benchmark.

`score-pipeline run` ingests every complete drop of every country in one wave run (its partitions as one key
range, dbt invoked once over them all), then publishes in one evaluation run. A country whose ingest is
refused is planned out of a second wave run of the others, so it stops only its own models. The drop sensor
starts one run per new or changed drop (`drops_to_run`): a drop in one country never re-runs another's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from score_pipeline.core.programme import Layout
from score_pipeline.core.waves import DropStatus, contiguous_blocks, split_partition_key


@dataclass(frozen=True)
class WaveRun:
    """One wave run: a range of country x wave partitions, with the tags naming each drop it ingests."""

    drops: tuple[DropStatus, ...]

    @property
    def partition_keys(self) -> list[str]:
        return [drop.partition_key for drop in self.drops]

    @property
    def drop_tags(self) -> dict[str, str]:
        return {name: value for drop in self.drops for name, value in drop.run_tags.items()}

    def describe(self) -> str:
        """`Colombia (co) 2019-baseline, 2020-midterm; Peru (pe) 2017-baseline`."""
        by_country: dict[str, list[str]] = {}
        for drop in self.drops:
            by_country.setdefault(drop.country, []).append(drop.wave)
        return "; ".join(f"{country} {', '.join(waves)}" for country, waves in by_country.items())


@dataclass(frozen=True)
class Survey:
    """What a raw root holds: its complete drops, and what is said before anything runs (refused country
    folders, incomplete drops, corrections logs applied to nothing, files no instrument reads)."""

    drops: tuple[DropStatus, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def new_partitions(self, known: Iterable[str]) -> list[str]:
        """The drops' partitions the instance does not know yet, in the drops' order."""
        registered = set(known)
        return [drop.partition_key for drop in self.drops if drop.partition_key not in registered]


def survey(layout: Layout, statuses: Sequence[DropStatus], orphans: Sequence[str]) -> Survey:
    """The complete drops of a layout's verified `statuses`, and the notes for the rest."""
    notes = [f"skipping {reason}" for reason in layout.refused.values()]
    notes += [f"note: corrections log {orphan}" for orphan in orphans]
    notes += [f"skipping {s.partition_key}: " + "; ".join(s.problems) for s in statuses if not s.complete]
    complete = tuple(s for s in statuses if s.complete)
    notes += [f"note {s.partition_key}: {s.unread_note}" for s in complete if s.unread_note]
    return Survey(complete, tuple(notes))


def wave_runs(drops: Sequence[DropStatus], ordered: Sequence[str]) -> list[WaveRun]:
    """The fewest wave runs that ingest `drops`: one per run of neighbours in the instance's partition order
    (`ordered`), whatever their countries (a run covers one key range: a partition between two drops that is
    not one of them, an incomplete drop, splits the range)."""
    by_key = {drop.partition_key: drop for drop in drops}
    return [WaveRun(tuple(by_key[key] for key in block)) for block in contiguous_blocks(ordered, by_key)]


def without_countries(drops: Sequence[DropStatus], countries: Iterable[str]) -> list[DropStatus]:
    """The drops of every country but `countries` (those whose ingest was refused)."""
    refused = set(countries)
    return [drop for drop in drops if drop.country not in refused]


def countries_of(partition_keys: Iterable[str]) -> set[str]:
    return {split_partition_key(key)[0] for key in partition_keys}


def drops_to_run(statuses: Sequence[DropStatus], has_run: Callable[[DropStatus], bool]) -> list[DropStatus]:
    """Complete drops that no run has ingested yet: new waves, and waves whose SHA256SUMS or corrections log
    changed. A half-copied folder never verifies, so it is never returned."""
    return [s for s in statuses if s.complete and not has_run(s)]


def not_ready(statuses: Sequence[DropStatus], layout: Layout) -> str | None:
    """Why folders of the raw root start no run, for the sensor's tick history in the UI."""
    lines = [f"{s.partition_key}: {'; '.join(s.problems)}" for s in statuses if not s.complete]
    refused = " | ".join(layout.refused.values())
    return " | ".join(filter(None, ["not a complete wave drop: " + " | ".join(lines) if lines else "",
                                    f"refused: {refused}" if refused else ""])) or None


def latest_drops(statuses: Sequence[DropStatus]) -> list[DropStatus]:
    """Each country's latest complete drop (statuses come in country, then wave order): the nightly re-run."""
    latest = {status.country: status for status in statuses if status.complete}
    return list(latest.values())
