"""`score-pipeline`: run every wave end to end, query the published marts, trace a figure to the raw files, list
waves, make sample data."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from score_pipeline import settings
from score_pipeline.cli.query import FORMATS, failure_line, query_database, query_published

HEADLINE_QUERY = """
    select indicator, unit, round(baseline, 2) as baseline, round(endline, 2) as endline,
           round(change, 2) as change, round(change_pct, 1) as change_pct
    from marts.headline_indicators where country = ?
"""
# Contract 8.3: a country with a sample frame has its difference in differences (no rows without one).
DID_QUERY = """
    select outcome, n_treatment as n_t, n_comparison as n_c, round(change_treatment, 2) as change_t,
           round(change_comparison, 2) as change_c, round(did, 2) as did, round(ci_low, 2) as ci_low,
           round(ci_high, 2) as ci_high, p_holm  -- unrounded, like the programme's p_value: a tiny p is not 0
    from marts.did where country = ?
"""
PROGRAMME_QUERY = """
    select country, name, n_pairs as pairs, round(global_baseline, 2) as baseline, round(global_endline, 2) as endline,
           round(global_change, 2) as change, p_value, round(accidents_pct_change, 1) as "accidents %",
           round(worker_satisfaction_change, 2) as "satisfaction +"
    from marts.programme_summary
"""


def print_data_quality(warnings: Sequence[tuple[str, str, str]], out: TextIO) -> None:
    """A line per country x wave x instrument with anything to say (quality/summary.py)."""
    import json

    from score_pipeline.quality.summary import NOTES_QUERY, quality_lines
    from score_pipeline.resources import WarehouseResource

    counts = json.loads(query_published("select * from marts.data_quality", "json"))
    with WarehouseResource().connect(read_only=True) as connection:
        notes = connection.execute(NOTES_QUERY).fetchall()
    lines = quality_lines(counts, notes, warnings)
    print(f"\nData quality (marts.data_quality; each row and cell set aside, with its reason: "
          f"{settings.field_checks_dir()}/<country>/<wave>.html)", file=out)
    print("\n".join(f"  {line}" for line in lines) if lines else "  nothing set aside, nothing to report", file=out)


def print_design(country: str, out: TextIO) -> None:
    """The country's difference in differences after its headline, when it has a sample frame."""
    import json

    if json.loads(query_published("select count(*) as n from marts.did where country = ?", "json", [country]))[0]["n"]:
        print("Treated against comparison enterprises, first to last wave (marts.did; the headline above is the "
              "treated enterprises')", file=out)
        print(query_published(DID_QUERY, "table", [country]) + "\n", file=out)


def run_all_waves(out: TextIO | None = None) -> int:
    """`score-pipeline run`: every complete wave of every country end to end, then the publication
    (running.run_programme), and what a reader needs after it: where the marts are, each country's headline
    table (and its difference in differences when it has a sample frame), the programme summary and the
    data-quality lines."""
    from score_pipeline.running import run_programme

    out = out or sys.stdout
    outcome = run_programme(out)
    if not outcome.published:
        return outcome.code
    print(f"\n{outcome.waves} waves of {len(outcome.countries)} countries in {outcome.seconds:.0f} s. Published:\n"
          f"  {settings.published_database()}\n  {settings.publish_dir()}/<mart>.parquet\n"
          f"  {settings.publish_dir()}/report.html (report.es.html in Spanish)\n"
          f"  {settings.publish_dir()}/docs/index.html (what each column means)\n"
          f"  {settings.publish_dir()}/traces.html (where each headline figure comes from: score-pipeline trace)\n",
          file=out)
    for country in outcome.countries:
        print(f"{country.name} ({country.code}, {country.currency})", file=out)
        print(query_published(HEADLINE_QUERY, "table", [country.code]) + "\n", file=out)
        print_design(country.code, out)
    print("The programme (marts.programme_summary)", file=out)
    print(query_published(PROGRAMME_QUERY, "table"), file=out)
    print_data_quality(outcome.warnings, out)
    if outcome.refused_countries:
        print(f"\nthe waves of {', '.join(outcome.refused_countries)} were refused (above): their published figures are "
              "those of their last successful load.", file=out)
    return outcome.code


def list_waves(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from score_pipeline.core.programme import LayoutError
    from score_pipeline.resources import RawRootResource

    try:
        layout = RawRootResource().layout()
    except LayoutError as error:
        print(error, file=out)
        return 1
    for reason in layout.refused.values():
        print(f"REFUSED {reason}", file=out)
    for status in layout.drops():
        print(f"{status.partition_key}: {'complete' if status.complete else 'NOT READY - ' + '; '.join(status.problems)}",
              file=out)
        if status.unread_note:
            print(f"  note: {status.unread_note}", file=out)
    return 0


def command() -> None:
    """The `score-pipeline` process (its console script, and `python -m score_pipeline.cli`): main, with the
    garbage collector of a process that runs the pipeline and ends (running.pipeline_process)."""
    from score_pipeline.running import pipeline_process

    with pipeline_process():
        code = main()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="score-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="materialize every complete wave end to end and publish the marts",
        description="Materialize every complete wave of every country of the raw root (SCORE_RAW_DIR): one run per "
                    "country (ingest, checks, wave-level models), then the cross-wave marts, the statistics and the "
                    "publication (SCORE_PUBLISH_DIR), with a line per step as it ends and the headline tables at the "
                    "end. The runs are recorded in the Dagster instance of DAGSTER_HOME; unset, the project's "
                    ".dagster/ for the default warehouse, dagster_home/ beside any other (SCORE_WAREHOUSE).")
    sql = commands.add_parser(
        "sql", help="query the published marts (or --warehouse), read-only; without a query, a prompt",
        description="Query the published marts (score_marts.duckdb), or with --warehouse the working warehouse, "
                    "read-only and nothing else: a statement that reads or writes another file, attaches a "
                    "database, loads an extension or changes a setting is refused. Without a query, statements "
                    "ended by ; from a prompt or from standard input.")
    sql.add_argument("query", nargs="?", help='e.g. "select * from marts.headline_indicators"; none: statements '
                                              "ended by ; from a prompt (with history) or from standard input")
    sql.add_argument("--format", choices=FORMATS, default="table",
                     help="table and markdown round numbers for reading; csv and json keep every digit")
    sql.add_argument("--warehouse", action="store_true",
                     help="query the working warehouse instead, read-only: the data team's raw.rejects, "
                          "raw.corrections ... (firm-level rows, never published)")
    trace = commands.add_parser(
        "trace", help="where a published figure comes from: its models and columns down to the extracts' columns",
        description="Where a published figure comes from: the chain of models and columns it is computed from, "
                    "down to the raw table, the ingest asset that loads it and the extract's column it reads. Give "
                    "the figure's row as column=value when the mart holds several figures in one column.")
    trace.add_argument("figure", help="<schema>.<relation>.<column>, e.g. marts.kpi_change.mean_pct_change")
    trace.add_argument("rows", nargs="*", metavar="column=value",
                       help="the figure's row, e.g. indicator=accidents (of marts.headline_indicators)")
    commands.add_parser(
        "waves", help="list the wave folders of the raw root and whether each drop is complete",
        description="List the wave folders of the raw root (SCORE_RAW_DIR), country by country, and whether each "
                    "drop is complete (its SHA256SUMS verifies), naming what is missing or wrong.")
    # Its own parser (score_pipeline/sample_data) reads the arguments and prints its description on --help.
    commands.add_parser("sample-data", help="write the sample extracts (see --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "sample-data":
        from score_pipeline.sample_data.__main__ import main as sample_main

        return sample_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return dispatch(args)
    except settings.SettingError as error:  # a user's setting: one sentence, no stack trace
        print(error, file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command."""
    if args.command == "run":
        return run_all_waves()
    if args.command == "waves":
        return list_waves()
    if args.command == "trace":
        return print_trace(args.figure, args.rows)
    database = settings.warehouse_path() if args.warehouse else settings.published_database()
    if args.query is None:
        from score_pipeline.cli.prompt import interactive

        return interactive(args.format, database)
    return print_query(args.query, args.format, database)


def print_trace(figure: str, conditions: Sequence[str]) -> int:
    """The figure's trace from the published docs' manifest and catalog (lineage/)."""
    from score_pipeline.lineage.render import text_tree
    from score_pipeline.lineage.sql import LineageError
    from score_pipeline.lineage.trace import Project, parse_figure, parse_rows
    from score_pipeline.cli.query import published_values

    try:
        relation, column = parse_figure(figure)
        traced = Project.published(settings.docs_dir()).trace(
            relation, column, parse_rows(list(conditions)), functools.partial(published_values, settings.published_database()))
    except LineageError as error:
        print(error, file=sys.stderr)
        return 2
    print(text_tree(traced))
    return 0


def print_query(query: str, output_format: str, database: Path) -> int:
    try:
        text = query_database(database, query, output_format)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    except Exception as error:  # a query error from DuckDB: say it plainly
        print(failure_line(error), file=sys.stderr)
        return 2
    try:
        print(text, flush=True)
    except BrokenPipeError:  # `| head` closed the pipe: stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 0
