"""Waves: discovery of a country's wave folders, verification of a drop, the country x wave partitions.

A wave is a folder `<country's folder>/YYYY-name` (the raw root itself for a single-country root); its
drop is complete only when `SHA256SUMS` is present and every file it lists exists and matches
(contract 1). Its partition key is `<country>/<wave>` (`pe/2017-baseline`, contract 7).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path

from dagster import BetaWarning, DynamicPartitionsDefinition

from score_pipeline.core.wave_files import READ_FILES, SAMPLE_FRAME

WAVE_NAME = re.compile(r"^\d{4}-[a-z][a-z0-9_]*(-[a-z0-9_]+)*$")
CHECKSUMS = "SHA256SUMS"
DROP_TAG = "score-pipeline/drop"  # + /<country>/<wave>: the fingerprint of the drop a run ingested
CORRECTIONS_TAG = "score-pipeline/corrections"  # + /<country>/<wave>: the sha256 of the log a run applied, or "none"
KEY_SEPARATOR = "/"
COUNTRY_CODE = re.compile(r"[a-z]{2}")  # a country folder's name (ISO 3166-1 alpha-2, lower case; programme.is_country_code checks it exists)

# One dynamic dimension of `<country>/<wave>` keys: only the cells that exist (docs/decisions.md).
wave_partitions = DynamicPartitionsDefinition(name="country_wave")


def partition_key(country: str, wave: str) -> str:
    """`pe/2017-baseline`: the partition of a country's wave."""
    return f"{country}{KEY_SEPARATOR}{wave}"


def split_partition_key(key: str) -> tuple[str, str]:
    """(country, wave) of a partition key; ValueError for a key of another shape."""
    country, separator, wave = key.partition(KEY_SEPARATOR)
    if not separator or not COUNTRY_CODE.fullmatch(country) or not is_wave_name(wave):
        raise ValueError(f"partition key {key!r} is not <country>/<wave> (pe/2017-baseline)")
    return country, wave


class DropError(Exception):
    """A wave folder that is not a complete, verified drop."""


@dataclass(frozen=True)
class DropStatus:
    country: str
    wave: str
    folder: Path
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""  # sha256 of SHA256SUMS: changes whenever the drop's content does
    unread: list[str] = field(default_factory=list)  # files of the folder no instrument reads: reported, not run
    corrections: str = ""  # sha256 of the wave's corrections log, "none" without one ("" when not looked at)

    @property
    def complete(self) -> bool:
        return not self.problems

    @property
    def partition_key(self) -> str:
        return partition_key(self.country, self.wave)

    @property
    def run_tags(self) -> dict[str, str]:
        """Tags of a run that ingests this drop, one per country's wave (a run may ingest several): the
        drop sensor runs a drop whose tag no run carries yet."""
        tags = {drop_tag(self.partition_key): self.fingerprint}
        return {**tags, f"{CORRECTIONS_TAG}/{self.partition_key}": self.corrections} if self.corrections else tags

    @property
    def drop_id(self) -> str:
        return f"{self.partition_key}:{self.fingerprint}:{self.corrections}"

    @property
    def unread_note(self) -> str | None:
        return f"files no instrument reads: {', '.join(self.unread)}" if self.unread else None


@contextmanager
def single_run_backfills() -> Iterator[None]:
    """Define wave-partitioned assets with `BackfillPolicy.single_run()` (every wave of a backfill in one
    run): a beta parameter in Dagster 1.13, used deliberately, so its warning is silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy")
        yield


def is_wave_name(name: str) -> bool:
    return bool(WAVE_NAME.match(name))


def parse_checksums(text: str) -> dict[str, str]:
    """`sha256sum` output (`<hex>  <name>`, or `<hex> *<name>` in binary mode) as name -> digest."""
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line.rstrip("\r"))
        if not match:
            raise DropError(f"{CHECKSUMS} line {number} is not '<sha256>  <file>': {line!r}")
        entries[match.group(2)] = match.group(1).lower()
    return entries


def file_sha256(path: Path) -> str:
    """A file's sha256, hashed once per process while the file stays as it was (its size, modification time
    and inode): a run's steps verify the same drop again without reading it again."""
    stat = path.stat()
    return _sha256_of(path.resolve(), stat.st_size, stat.st_mtime_ns, stat.st_ino)


@lru_cache(maxsize=4096)
def _sha256_of(path: Path, size: int, modified_ns: int, inode: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_drop(folder: Path, country: str, corrections_dir: Path | None = None) -> DropStatus:
    """Check a country's wave folder against its SHA256SUMS; problems name each file. With
    `corrections_dir` (the country's), the status also carries the version of the wave's corrections log:
    a changed log is new data too."""
    wave = folder.name
    if not is_wave_name(wave):
        return DropStatus(country, wave, folder, [f"folder name {wave!r} is not a wave key YYYY-name in lower case"])
    checksums = folder / CHECKSUMS
    if not checksums.is_file():
        return DropStatus(country, wave, folder, [f"{CHECKSUMS} is missing: the drop is not complete"])
    text = checksums.read_text(encoding="utf-8", errors="replace")
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    try:
        entries = parse_checksums(text)
    except DropError as error:
        return DropStatus(country, wave, folder, [str(error)], fingerprint)
    if not entries:
        return DropStatus(country, wave, folder, [f"{CHECKSUMS} lists no file"], fingerprint)
    problems = []
    for name, expected in sorted(entries.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: listed in {CHECKSUMS} but missing")
        elif file_sha256(path) != expected:
            problems.append(f"{name}: checksum mismatch")
    return DropStatus(country, wave, folder, problems, fingerprint, unread_files(folder, entries),
                      corrections_version(corrections_dir, wave) if corrections_dir else "")


def log_path(corrections_dir: Path, wave: str) -> Path:
    """A wave's corrections log in its country's corrections folder (contract 5): `<wave>.csv`."""
    return corrections_dir / f"{wave}.csv"


def corrections_version(corrections_dir: Path, wave: str) -> str:
    log = log_path(corrections_dir, wave)
    return file_sha256(log) if log.is_file() else "none"


def orphan_logs(waves_folder: Path, corrections_dir: Path) -> list[str]:
    """Corrections logs of a country no wave folder of its is named after: applied to nothing. Listed so
    that a log saved under a mistyped wave name (`2019-endine.csv`) is not ignored in silence."""
    if not corrections_dir.is_dir():
        return []
    waves = {p.name for p in waves_folder.iterdir() if p.is_dir()} if waves_folder.is_dir() else set()
    return [f"{log.name}: no wave folder {log.stem!r} under {waves_folder}: applied to nothing"
            for log in sorted(corrections_dir.glob("*.csv")) if log.stem not in waves]


def first_wave_of(waves_folder: Path) -> str | None:
    """The first wave folder of a country's waves folder in key order (contract 1: the baseline), complete or not."""
    return min((p.name for p in waves_folder.iterdir() if p.is_dir() and is_wave_name(p.name)), default=None)


def reads_sample_frame(folder: Path, listed: dict[str, str]) -> bool:
    """Contract 8.1: a wave's `muestra.csv` is read when the wave is its country's first and its SHA256SUMS lists
    the file (docs/decisions.md: a frame elsewhere is an unread file, as an unlisted one is)."""
    return SAMPLE_FRAME in listed and folder.name == first_wave_of(folder.parent)


def listed_files(folder: Path) -> dict[str, str]:
    """The files a wave folder's SHA256SUMS lists (name -> digest); none without a readable one."""
    try:
        return parse_checksums((folder / CHECKSUMS).read_text(encoding="utf-8", errors="replace"))
    except (OSError, DropError):
        return {}


def unread_files(folder: Path, listed: dict[str, str]) -> list[str]:
    """Files of a drop that no instrument reads: listed ones (a misnamed extract, a note, a sample frame outside
    the country's first wave) and, marked, files present but not listed in SHA256SUMS (not verified, not read)."""
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and p.name != CHECKSUMS and not any(part.startswith(".") for part in p.relative_to(folder).parts)}
    unread = [name for name in sorted(listed) if not READ_FILES.match(name)]
    if SAMPLE_FRAME in listed and not reads_sample_frame(folder, listed):
        unread.append(f"{SAMPLE_FRAME} (not the first wave {first_wave_of(folder.parent)}: a sample frame is read there only)")
    return unread + [f"{name} (not in {CHECKSUMS})" for name in sorted(present - set(listed))]


def drop_statuses(waves_folder: Path, country: str, corrections_dir: Path | None = None) -> list[DropStatus]:
    """Every visible folder of a country's waves folder, verified, in key order: a folder named unlike a
    wave is listed with that problem rather than skipped in silence (hidden folders are copies in progress)."""
    if not waves_folder.is_dir():
        return []
    folders = sorted(p for p in waves_folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [verify_drop(folder, country, corrections_dir) for folder in folders]


def contiguous_blocks(ordered: Sequence[str], chosen: Iterable[str]) -> list[list[str]]:
    """The chosen keys grouped into runs of neighbours in `ordered`: a run covers one key range of the
    partitions, so waves with an unchosen one between them (an incomplete drop) need two runs."""
    wanted = set(chosen)
    blocks: list[list[str]] = []
    previous_chosen = False
    for key in ordered:
        if key in wanted:
            if previous_chosen:
                blocks[-1].append(key)
            else:
                blocks.append([key])
        previous_chosen = key in wanted
    return blocks


def verified_wave_folder(waves_folder: Path, country: str, wave: str, planned: str | None = None) -> Path:
    """The folder of a country's wave whose drop verifies and, when the run was planned for a drop
    (`planned`: its fingerprint, the run's tag), is still that drop; DropError naming the files otherwise."""
    folder = waves_folder / wave
    if not folder.is_dir():
        raise DropError(f"wave {partition_key(country, wave)}: no folder {folder}")
    status = verify_drop(folder, country)
    if not status.complete:
        raise DropError(f"wave {status.partition_key} ({folder}) is not a complete drop: " + "; ".join(status.problems))
    if planned and status.fingerprint != planned:
        raise DropError(f"wave {status.partition_key} ({folder}): its {CHECKSUMS} changed since the run was planned "
                        f"(fingerprint {planned[:12]}..., now {status.fingerprint[:12]}...): a new drop gets its own run")
    return folder


def drop_tag(partition: str) -> str:
    """The run tag holding the fingerprint of the drop a run ingests for a partition."""
    return f"{DROP_TAG}/{partition}"
