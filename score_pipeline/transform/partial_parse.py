"""dbt's partial parsing kept across Dagster's invocations, one saved parse per warehouse.

dagster-dbt gives every invocation a target folder of its own and seeds it with
`dbt_project/target/partial_parse.msgpack` (written by `make manifest`), which dbt accepts only
when the profile is the one it was parsed with: the default warehouse's. A run on another warehouse
(a test's, the benchmark's) paid a full parse, ~2.5 s, on every invocation. After each invocation
its parse is kept under the name of the warehouse and the `--vars` it was made with (dbt rejects a
parse made with other vars), and seeds the next invocation with both the same; dbt checks what it
is given and parses in full whenever it does not match, so a stale copy costs nothing but that parse.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from score_pipeline import settings

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def saved_parse(warehouse: Path, dbt_vars: str) -> Path:
    digest = hashlib.sha256(f"{warehouse}\0{dbt_vars}".encode()).hexdigest()[:16]
    return settings.DBT_PROJECT_DIR / "target" / "partial_parse" / f"{digest}.msgpack"


def invocation_target(run_id: str, warehouse: Path, dbt_vars: str) -> Path:
    """A new target folder for one dbt invocation, seeded with the warehouse's saved parse if there is one
    (otherwise dagster-dbt seeds it with the project's)."""
    target = settings.DBT_PROJECT_DIR / "target" / f"{run_id[:8]}-{uuid.uuid4().hex[:8]}"
    target.mkdir(parents=True)
    saved = saved_parse(warehouse, dbt_vars)
    if saved.exists():
        shutil.copyfile(saved, target / PARTIAL_PARSE_FILE)
    return target


def keep_parse(target: Path, warehouse: Path, dbt_vars: str) -> None:
    """Save the invocation's parse for the warehouse's next invocation (atomically: runs may overlap)."""
    produced = target / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    saved = saved_parse(warehouse, dbt_vars)
    saved.parent.mkdir(parents=True, exist_ok=True)
    temporary = saved.with_name(f".{saved.name}.{uuid.uuid4().hex}")
    shutil.copyfile(produced, temporary)
    os.replace(temporary, saved)
