"""The DuckDB warehouse resource, and the raw root's.

Connections are opened only inside asset and check bodies (never at import),
and every step that opens the warehouse runs in the `duckdb_warehouse` pool
(limit 1), so DuckDB's one-writer rule is never hit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext

from score_pipeline import settings
from score_pipeline.core.programme import Layout, read_layout
from score_pipeline.run_workers import record_worker

# One DuckDB thread, here and in dbt's profile: parallel aggregation adds floats in a varying order,
# so the same raw data gave marts differing in the last bit from run to run.
DETERMINISTIC = {"threads": 1}


def connect_when_free(database: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, waiting while another process holds the file's lock.

    Inside the pipeline the pool serialises every step, so the holder is a process outside it:
    the dbt of a run that was killed finishes on its own within seconds, and is waited for rather
    than failing the next run. A lock still held after `wait_seconds` is reported as it is.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(database), read_only=read_only, config=DETERMINISTIC)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


class WarehouseResource(ConfigurableResource):
    """The pipeline's working DuckDB file, `SCORE_WAREHOUSE` (settings.warehouse_path), read when a step
    connects. It has no path of its own: dbt's profile reads the same variable, and one source keeps
    the two on the same file."""

    lock_wait_seconds: float = 120.0

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Set up in the run worker, before the run's first warehouse step: the run records the process that
        executes it (run_workers), so that a run whose worker dies can be failed and its pool slot freed."""
        if context.instance is not None and context.run_id:
            record_worker(context.instance, context.run_id)

    @property
    def database(self) -> Path:
        return settings.warehouse_path()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            self.database.parent.mkdir(parents=True, exist_ok=True)
        connection = connect_when_free(self.database, read_only, self.lock_wait_seconds)
        try:
            yield connection
        finally:
            connection.close()


class RawRootResource(ConfigurableResource):
    """The raw root (`SCORE_RAW_DIR`) and the corrections root (`SCORE_CORRECTIONS_DIR`): the one place the steps,
    the drop sensor and the schedule read them, when they run (settings.raw_dir, settings.corrections_dir)."""

    @property
    def root(self) -> Path:
        return settings.raw_dir()

    @property
    def corrections(self) -> Path:
        return settings.corrections_dir()

    def layout(self) -> Layout:
        """The root's countries (contract 7); LayoutError when the root itself is refused."""
        return read_layout(self.root)
