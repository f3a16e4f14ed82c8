"""dbt's partial parsing kept across processes, one saved parse per warehouse.

Each process parses the project once per warehouse (transform/resource.py). dbt accepts a saved
parse only when the profile is the one it was parsed with, and the profile names the warehouse:
`make manifest` saves the default warehouse's (`dbt_project/target/partial_parse.msgpack`), and a
run on another warehouse (a test's, the benchmark's) would parse in full (~4 s instead of ~1 s) in
every new process. So the parse a process makes is kept under the name of its warehouse and seeds
the next process's; dbt checks what it is given and parses in full whenever it does not match, so a
stale copy costs nothing but that parse.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from score_pipeline import settings

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def saved_parse(warehouse: Path) -> Path:
    digest = hashlib.sha256(str(warehouse).encode()).hexdigest()[:16]
    return settings.DBT_PROJECT_DIR / "target" / "partial_parse" / f"{digest}.msgpack"


def invocation_target(run_id: str) -> Path:
    """A new target folder for one dbt invocation of a run."""
    target = settings.DBT_PROJECT_DIR / "target" / f"{run_id[:8]}-{uuid.uuid4().hex[:8]}"
    target.mkdir(parents=True)
    return target


def seed_parse(target: Path, warehouse: Path) -> None:
    """Give dbt's parse into `target` the warehouse's saved parse, or else the project's (`make manifest`)."""
    saved = saved_parse(warehouse)
    project_parse = settings.DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE
    for candidate in (saved, project_parse):
        if candidate.exists():
            shutil.copyfile(candidate, target / PARTIAL_PARSE_FILE)
            return


def keep_parse(target: Path, warehouse: Path) -> None:
    """Save the parse made into `target` for the warehouse's next process (atomically: processes overlap)."""
    produced = target / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    saved = saved_parse(warehouse)
    saved.parent.mkdir(parents=True, exist_ok=True)
    temporary = saved.with_name(f".{saved.name}.{uuid.uuid4().hex}")
    shutil.copyfile(produced, temporary)
    os.replace(temporary, saved)
