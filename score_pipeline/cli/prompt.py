"""`score-pipeline sql` without a query: statements read one after the other, each ended by `;` and run on
the published marts (or the warehouse, `--warehouse`; read-only) as `score-pipeline sql "<statement>"` would run it. At a terminal it is a
prompt with line editing and a history kept across sessions (readline); piped, it reads its input quietly."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from score_pipeline import settings
from score_pipeline.cli.query import failure_line, query_database

QUIT = {"exit", "quit", r"\q", ".quit"}


def statements(lines: Iterator[str]) -> Iterator[str]:
    """The statements of the lines, each ended by a `;` at the end of a line (the `;` left out)."""
    pending: list[str] = []
    for line in lines:
        if not pending and line.strip().lower() in QUIT:
            return
        pending.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(pending).rstrip().removesuffix(";").strip()
            pending = []
            if statement:
                yield statement
    if "".join(pending).strip():
        yield "\n".join(pending).strip()  # the last one may end without its `;`


def terminal_lines() -> Iterator[str]:
    """Lines typed at the prompt, with readline's editing and a history file beside the repository's data."""
    import readline

    history = settings.sql_history_path()
    if history.exists():
        readline.read_history_file(history)
    prompt = "sql> "
    try:
        while True:
            try:
                line = input(prompt)
            except EOFError:
                print()
                return
            prompt = "...> " if line.strip() and not line.rstrip().endswith(";") else "sql> "
            yield line
    finally:
        readline.write_history_file(history)


def run_statements(lines: Iterator[str], output_format: str, out: TextIO, database: Path) -> int:
    """Print each statement's result; a failing one says why and the next ones still run. 1 if any failed."""
    failed = False
    for statement in statements(lines):
        try:
            print(query_database(database, statement, output_format), file=out, flush=True)
        except FileNotFoundError as error:
            print(error, file=out)
            return 1
        except Exception as error:  # a query error from DuckDB: say it plainly and go on
            print(failure_line(error), file=out, flush=True)
            failed = True
    return 1 if failed else 0


def interactive(output_format: str, database: Path) -> int:
    lines = terminal_lines() if sys.stdin.isatty() else (line.rstrip("\n") for line in sys.stdin)
    return run_statements(lines, output_format, sys.stdout, database)
