"""What a publication is computed from: when, by which version of the code, and from which drop of each wave
(the fingerprint the ingest run of the wave carried as its tag, core/waves.py). Printed at the foot of the report."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

from dagster import AssetKey, DagsterInstance
from dagster._core.event_api import AssetRecordsFilter

from score_pipeline.core.waves import drop_tag
from score_pipeline.ingest.instruments import INSTRUMENTS
from score_pipeline.settings import PROJECT_ROOT

PACKAGE = "score-pipeline"


@dataclass(frozen=True)
class Drop:
    partition: str  # pe/2017-baseline
    fingerprint: str | None  # sha256 of the drop's SHA256SUMS; None when its ingest run carried no tag


@dataclass(frozen=True)
class Stamp:
    computed_at: datetime  # UTC
    package_version: str | None
    commit: str | None  # the git commit of the code, "+ changes" when the work tree differs from it
    drops: Sequence[Drop]


def package_version() -> str | None:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return None


def git_commit() -> str | None:
    """The commit of the project's checkout, with `+ changes` when files differ from it; None without git."""
    def git(*arguments: str) -> str:
        return subprocess.run(["git", "-C", str(PROJECT_ROOT), *arguments], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit} + changes" if changed else commit


def ingested_drop(instance: DagsterInstance, partition: str) -> Drop:
    """The drop of a wave as its latest ingest (any instrument) recorded it: that run's drop tag."""
    latest = []
    for instrument in INSTRUMENTS:
        latest += instance.fetch_materializations(AssetRecordsFilter(
            asset_key=AssetKey(["raw", instrument.table]), asset_partitions=[partition]), limit=1).records
    if not latest:
        return Drop(partition, None)
    run = instance.get_run_by_id(max(latest, key=lambda record: record.timestamp).run_id)
    return Drop(partition, run.tags.get(drop_tag(partition)) if run else None)


def stamp(instance: DagsterInstance, partitions: Sequence[str]) -> Stamp:
    return Stamp(datetime.now(timezone.utc), package_version(), git_commit(),
                 [ingested_drop(instance, partition) for partition in partitions])
