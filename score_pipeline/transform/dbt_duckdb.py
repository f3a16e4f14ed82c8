"""The one use of dbt-duckdb's private API: the DuckDB database it keeps open in the process.

dbt-duckdb holds one database handle per process (`dbt.adapters.duckdb.connections.DuckDBConnectionManager._ENV`)
and keeps it after dbt's run; DuckDB then refuses the step's own read-only connection to the same file ("a
different configuration than existing connections"), and the file stays locked for others. dbt-duckdb's
`close_all_connections` (its exit hook) drops the handle without closing it.
tests/test_transform.py::test_dbt_in_this_process_leaves_the_warehouse_to_the_step_and_to_other_processes fails
if dbt-duckdb moves either.
"""

from __future__ import annotations


def release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in the process after an invocation."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()
