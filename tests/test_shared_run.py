"""tests/shared_run.py: the first worker runs the sample, the others get the run as if it had run in their folder."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from shared_run import run_once

EVENTS = "dagster_home/history/runs/index.db"


def fake_run(session: Path, runs: list[Path], keep_open: list[sqlite3.Connection]) -> str:
    """What a run leaves in a session folder: an instance whose records name the folder (its SQLite database in WAL
    mode, its connection still open and not checkpointed, as the runner's are), a warehouse, a publication."""
    runs.append(session)
    (session / EVENTS).parent.mkdir(parents=True)
    connection = sqlite3.connect(session / EVENTS)
    connection.execute("pragma journal_mode = wal")
    connection.execute("pragma wal_autocheckpoint = 0")
    connection.execute("create table event_logs (id integer, event text, body blob)")
    connection.executemany("insert into event_logs values (?, ?, ?)", [
        (1, f'{{"path": "{session}/warehouse/field_checks/pe/2018-midterm.html"}}', f"{session}/".encode()),
        (2, f'{{"other": "{session}-not-the-folder"}}', None)])
    connection.commit()
    keep_open.append(connection)
    (session / "dagster_home" / "score_pipeline_warehouse.txt").write_text("../warehouse/score.duckdb\n")
    (session / "warehouse").mkdir()
    (session / "warehouse" / "score.duckdb").write_bytes(b"\x00warehouse")
    (session / "published").mkdir()
    (session / "published" / "report.html").write_text("<p>report</p>")
    return f"Published:\n  {session}/published/score_marts.duckdb\n"


def test_the_first_worker_runs_and_the_next_gets_the_run_in_its_own_folder(tmp_path: Path) -> None:
    shared, first, second = tmp_path / "shared", tmp_path / "gw0", tmp_path / "gw1"
    runs: list[Path] = []
    open_connections: list[sqlite3.Connection] = []
    assert run_once(shared, first, lambda: fake_run(first, runs, open_connections)) == (
        f"Published:\n  {first}/published/score_marts.duckdb\n")
    second.mkdir()
    assert run_once(shared, second, lambda: fake_run(second, runs, open_connections)) == (
        f"Published:\n  {second}/published/score_marts.duckdb\n")
    assert runs == [first]
    with closing(sqlite3.connect(second / EVENTS)) as copy:
        assert copy.execute("select id, event, body from event_logs order by id").fetchall() == [
            (1, f'{{"path": "{second}/warehouse/field_checks/pe/2018-midterm.html"}}', f"{first}/".encode()),
            (2, f'{{"other": "{first}-not-the-folder"}}', None)]
    assert (second / "dagster_home" / "score_pipeline_warehouse.txt").read_text() == "../warehouse/score.duckdb\n"
    assert (second / "warehouse" / "score.duckdb").read_bytes() == b"\x00warehouse"
    assert (second / "published" / "report.html").read_text() == "<p>report</p>"
    with closing(sqlite3.connect(first / EVENTS)) as original:  # the runner's own instance is left as its run wrote it
        assert original.execute("select event from event_logs where id = 1").fetchone() == (
            f'{{"path": "{first}/warehouse/field_checks/pe/2018-midterm.html"}}',)
    for connection in open_connections:
        connection.close()
