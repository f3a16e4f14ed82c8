"""One end-to-end run of the sample for all the xdist workers of a test session.

The first worker to need the session's marts runs the sample end to end in its own session folder and leaves a
copy of everything the run wrote there (the Dagster instance, the warehouse with its validation reports and
field-checks pages, the publication) and what it printed in a folder of the whole test run. Every other worker
waits for that and copies it into its own session folder instead of running the sample again (about 40 s of CPU
each), so that each worker still has an instance, a warehouse and a publication of its own to read and write.

The Dagster instance records the absolute paths of the run's documents (asset metadata: validation reports,
field-checks pages); its warehouse it records relative to its home (running.ensure_dagster_home), which the copy
keeps. A copy is the run as it would be had it run in the copying worker's folder: the runner's folder in the
instance's records and in the printed output is rewritten to the worker's.
"""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

RUN_FOLDERS = ("dagster_home", "warehouse", "published")  # what a run writes in a session folder (conftest)
OUTPUT_FILE = "output.txt"  # what the run printed; written last, so its presence says the copy is complete
ORIGIN_FILE = "origin.txt"  # the runner's session folder
SQLITE_SUFFIX = ".db"  # Dagster's SQLite storage: runs, event logs, schedules


def run_once(shared: Path, session: Path, run: Callable[[], str]) -> str:
    """What `run` printed, run in `session` by the first worker to get here, copied to `session` for the others."""
    with exclusive(shared / "lock"):
        if (shared / OUTPUT_FILE).exists():
            return copy_run(shared, session)
        output = run()
        save_run(session, shared, output)
        return output


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Held by one process at a time (the other workers wait here); released when the file closes."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def save_run(session: Path, shared: Path, output: str) -> None:
    for folder in RUN_FOLDERS:
        shutil.copytree(session / folder, shared / folder, copy_function=copy_committed,
                        ignore=shutil.ignore_patterns(f"*{SQLITE_SUFFIX}-wal", f"*{SQLITE_SUFFIX}-shm"))
    (shared / ORIGIN_FILE).write_text(str(session), encoding="utf-8")
    (shared / OUTPUT_FILE).write_text(output, encoding="utf-8")


def copy_committed(source: str, target: str) -> None:
    """A file; a SQLite database as committed, its write-ahead log included (the runner's connections stay open)."""
    if not source.endswith(SQLITE_SUFFIX):
        shutil.copy2(source, target)
        return
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def copy_run(shared: Path, session: Path) -> str:
    for folder in RUN_FOLDERS:
        shutil.copytree(shared / folder, session / folder, dirs_exist_ok=True)
    origin = (shared / ORIGIN_FILE).read_text(encoding="utf-8")
    for database in (session / "dagster_home").rglob(f"*{SQLITE_SUFFIX}"):
        replace_in_text(database, f"{origin}/", f"{session}/")
    return (shared / OUTPUT_FILE).read_text(encoding="utf-8").replace(f"{origin}/", f"{session}/")


def replace_in_text(database: Path, old: str, new: str) -> None:
    """`old` replaced by `new` in every text value of every table of a SQLite database."""
    with closing(sqlite3.connect(database)) as connection, connection:
        tables = [name for (name,) in connection.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            for column in [row[1] for row in connection.execute(f'pragma table_info("{table}")')]:
                connection.execute(f'update "{table}" set "{column}" = replace("{column}", ?, ?) '
                                   f'where typeof("{column}") = \'text\' and instr("{column}", ?) > 0', [old, new, old])
