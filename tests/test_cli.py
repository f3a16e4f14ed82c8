"""The analysts' entry point: `score-pipeline sql` on the published file, read-only."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from conftest import PipelineRun, copy_wave, digests
from scipy import stats

from score_pipeline import settings
from score_pipeline.cli import main
from score_pipeline.running import ensure_dagster_home, stage_seconds
from score_pipeline.settings import PROJECT_ROOT


def as_a_user_runs_it(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`.venv/bin/score-pipeline <args>` (the console script) outside `make`: no DAGSTER_HOME in the environment.
    PYTHONPATH names this checkout, whose code the venv's script then imports (a worktree's, not the install's)."""
    environment = {name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"}
    return subprocess.run([str(Path(sys.executable).with_name("score-pipeline")), *args], capture_output=True,
                          text=True, timeout=timeout, env={**environment, "PYTHONPATH": str(PROJECT_ROOT)})


def test_sql_as_csv_and_json(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    query = ("select indicator, round(endline, 2) as endline from marts.headline_indicators "
             "where country = 'pe' and indicator = 'global_score'")
    assert main(["sql", query, "--format", "csv"]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [["indicator", "endline"], ["global_score", "3.06"]]
    assert main(["sql", query, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"indicator": "global_score", "endline": 3.06}]
    assert main(["sql", "select count(*) as n from marts.enterprise_scores where country = 'pe'"]) == 0
    assert "156" in capsys.readouterr().out  # 52 firms x 3 waves (a null global score keeps its row)


def test_sql_cannot_write(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "drop table marts.wave_summary"]) == 2
    assert "read-only" in capsys.readouterr().err


def test_sql_reads_the_published_marts_and_nothing_else(pipeline: PipelineRun, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """No file read or written, no other database attached (the warehouse's worker rows, contract 4), no
    extension, and no statement turns that back on: each refused in one line, the publication untouched."""
    (tmp_path / "notes.csv").write_text("secret\nfrom the data team\n", encoding="utf-8")
    (tmp_path / "evil.duckdb_extension").write_bytes(b"not an extension")
    published = digests(pipeline.publish_dir)
    refused = {
        "select content from read_text('/etc/hostname')": "file system operations are disabled",
        f"select * from read_csv('{tmp_path / 'notes.csv'}')": "file system operations are disabled",
        f"copy (select 1 as tampered) to '{pipeline.publish_dir / 'kpi_change.parquet'}'":
            "file system operations are disabled",
        f"attach '{pipeline.warehouse}' as warehouse (read_only); select count(*) from warehouse.raw.worker_survey":
            "file system operations are disabled",
        "set enable_external_access = true; select content from read_text('/etc/hostname')":
            'Cannot change configuration option "enable_external_access" - the configuration has been locked',
        "reset lock_configuration": "the configuration has been locked",
        f"install '{tmp_path / 'evil.duckdb_extension'}'": "file system operations are disabled",
        f"load '{tmp_path / 'evil.duckdb_extension'}'": "Loading external extensions is disabled",
    }
    for statement, reason in refused.items():
        assert main(["sql", statement]) == 2, statement
        printed = capsys.readouterr()
        assert printed.out == "", statement
        assert len(printed.err.splitlines()) == 1 and printed.err.startswith("query failed: "), printed.err
        assert reason in printed.err, printed.err
    assert digests(pipeline.publish_dir) == published
    assert main(["sql", "select count(*) as n from marts.programme_summary", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "4"]  # co, gh, pe and the programme


def test_sql_without_a_publication_says_what_to_do(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "select 1"]) == 1
    assert "make run" in capsys.readouterr().err


def test_waves_lists_complete_and_incomplete_drops(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (isolated / "raw" / "2021-followup").mkdir()
    (isolated / "raw" / "Followup 2022").mkdir()
    assert main(["waves"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["pe/2021-followup: NOT READY - SHA256SUMS is missing: the drop is not complete",
                     "pe/Followup 2022: NOT READY - folder name 'Followup 2022' is not a wave key YYYY-name in lower case"]


def test_json_and_csv_keep_every_digit(pipeline: PipelineRun, reference, capsys: pytest.CaptureFixture[str]) -> None:
    """3.5e-10 once printed as 0.0000000004: the printed value must be the stored double, to the bit."""
    query = "select code, p_wilcoxon, p_holm from marts.score_change where country = 'pe' and level = 'global'"
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        stored = connection.execute(query).fetchone()
    pairs = reference.pairs("global")["change"].round(9)  # contract 4: ranked at 9 decimals
    assert stored[1] == pytest.approx(stats.wilcoxon(pairs[pairs != 0]).pvalue, rel=1e-6)  # scipy on the raw files
    assert stored[1] < 1e-6
    assert main(["sql", query, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"code": "global", "p_wilcoxon": stored[1], "p_holm": stored[2]}]
    assert main(["sql", query, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert [float(rows[1][1]), float(rows[1][2])] == [stored[1], stored[2]]


def test_csv_writes_list_columns_as_json_arrays_on_one_line(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "select ruc, wave_2017_baseline from marts.panel_coverage where country = 'pe' order by ruc",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 52  # one physical line per enterprise
    first = next(csv.reader(io.StringIO(lines[1])))
    assert json.loads(first[1]) == sorted(["autoevaluacion", "encuesta_trabajadores", "perfil_empresa",
                                           "practicas_gestion", "registro_capacitacion"])


def test_a_closed_pipe_is_not_an_error(pipeline: PipelineRun) -> None:
    """`score-pipeline sql ... | head -1`: the reader goes away; nothing is printed on stderr."""
    executable = Path(sys.executable).with_name("score-pipeline")
    sql = subprocess.Popen([str(executable), "sql", "select * from marts.category_scores"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    sql.stdout.readline()
    sql.stdout.close()  # as `head` does
    _, errors = sql.communicate(timeout=60)
    assert errors == b""
    assert sql.returncode in (0, 141)


def readme_sql_examples() -> list[list[str]]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return [shlex.split(line.split("score-pipeline", 1)[1]) for line in readme.splitlines()
            if line.startswith(".venv/bin/score-pipeline sql")]


def test_the_readme_examples_run_and_fit_a_100_column_terminal(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    examples = readme_sql_examples()
    assert len(examples) >= 3
    for argv in examples:
        assert main(argv) == 0, argv
        output = capsys.readouterr().out
        if "--format" not in argv or argv[argv.index("--format") + 1] in ("table", "markdown"):
            assert max(len(line) for line in output.splitlines()) <= 100, output


def test_the_table_rounds_for_reading_and_keeps_text_whole() -> None:
    from score_pipeline.cli.query import render

    table = render(["code", "mean", "p", "sales", "modules"],
                   [["m1.comunicacion", 3.0576923076923075, 3.503864964208263e-10, 7050000.0, [1, 2]]], "table")
    assert table.splitlines()[2].split() == ["m1.comunicacion", "3.058", "3.50e-10", "7,050,000", "1;", "2"]


def test_the_published_file_opens_in_a_duckdb_1x_client(pipeline: PipelineRun) -> None:
    """Analysts' tools lag behind DuckDB 2: the file is written in a storage version 1.4+ reads,
    checked with the 1.x CLI the project installs (duckdb-cli, pinned in pyproject.toml)."""
    cli = Path(sys.executable).with_name("duckdb")
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1."), version
    query = "select round(endline, 2) from marts.headline_indicators where country = 'pe' and indicator = 'global_score'"
    opened = subprocess.run([str(cli), "-readonly", "-csv", "-noheader", str(pipeline.database), query],
                            capture_output=True, text=True, timeout=60)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "3.06"


def test_the_readme_s_warehouse_queries_run_on_a_warehouse_a_run_produced(pipeline: PipelineRun) -> None:
    """The data team's commands as the README gives them, on the session run's warehouse: what DuckDB itself
    returns for the query. The 1.x CLI cannot open that file, and the README sends nobody there with it."""
    readme = [line.strip() for line in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()]
    examples = [line for line in readme if line.startswith(".venv/bin/score-pipeline sql --warehouse ")]
    assert len(examples) >= 2
    for line in examples:
        argv = shlex.split(line.split("score-pipeline", 1)[1])
        done = as_a_user_runs_it(*argv, timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        with duckdb.connect(str(pipeline.warehouse), read_only=True) as connection:
            expected = [[str(value) for value in row] for row in connection.execute(argv[-1]).fetchall()]
        assert expected and [row.split() for row in done.stdout.splitlines()[2:]] == expected, line
    opened = subprocess.run([str(Path(sys.executable).with_name("duckdb")), "-readonly", str(pipeline.warehouse),
                             "select 1"], capture_output=True, text=True, timeout=60)
    assert opened.returncode != 0 and "created with a newer version of DuckDB" in opened.stderr
    assert all("data/published/" in line for line in readme if ".venv/bin/duckdb " in line)


def test_stage_seconds_add_up_the_steps_of_each_stage() -> None:
    events = [("raw__worker_survey", "STEP_START", 10.0), ("raw__worker_survey", "STEP_SUCCESS", 12.5),
              ("raw__company_profile", "STEP_START", 12.5), ("raw__company_profile", "STEP_SUCCESS", 13.0),
              ("dbt_wave_models", "STEP_START", 13.0), ("dbt_wave_models", "STEP_FAILURE", 14.0),
              ("marts__score_change", "STEP_START", 14.0)]  # still running: not counted
    assert stage_seconds(events) == {"ingest": 3.0, "dbt": 1.0}


def test_statements_end_at_a_semicolon_and_may_span_lines() -> None:
    from score_pipeline.cli.prompt import statements

    lines = ["select 1;", "", "select country", "  from marts.programme_summary;", "select 2", "quit", "select 3;"]
    assert list(statements(iter(lines))) == ["select 1", "select country\n  from marts.programme_summary",
                                             "select 2\nquit\nselect 3"]
    assert list(statements(iter(["select 1;", "\\q", "select 2;"]))) == ["select 1"]
    assert list(statements(iter(["select 4"]))) == ["select 4"]  # the last one without its ;


def test_sql_without_a_query_reads_statements_and_goes_on_after_a_failing_one(pipeline: PipelineRun) -> None:
    """Piped in, as at the prompt: every statement's table, a failing one named, the exit status 1."""
    script = ("select country, n_pairs from marts.programme_summary order by country;\n"
              "select nothing from marts.nowhere;\n"
              "select count(*) as peru_rows\n  from marts.enterprise_scores where country = 'pe';\n")
    done = subprocess.run([sys.executable, "-m", "score_pipeline.cli", "sql", "--format", "csv"], input=script,
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if line]
    assert lines[:5] == ["country,n_pairs", "all,115", "co,30", "gh,33", "pe,52"]  # Ghana's treated enterprises
    assert lines[5].startswith("query failed: Catalog Error: Table with name nowhere does not exist")
    assert lines[-2:] == ["peru_rows", "156"]  # 52 firms x 3 waves


def test_make_run_prints_a_line_per_step_as_it_ends(pipeline: PipelineRun) -> None:
    """Each run's steps, one line each with its stage and its time: the one wave run of every country's waves
    (planning.py), then the publication."""
    import re

    from score_pipeline.automation import EVALUATION_JOB, WAVE_JOB
    from score_pipeline.running import stage_of
    from score_pipeline.definitions import defs

    steps = {job: {node.name for node in defs.resolve_job_def(job).graph.nodes} for job in (WAVE_JOB, EVALUATION_JOB)}
    printed = re.findall(r"^ +\d+\.\d s  (.+?) +(\w+): (?:FAILED after )?\d+\.\d s$", pipeline.output, re.MULTILINE)
    per_run = [steps[WAVE_JOB], steps[EVALUATION_JOB]]  # every country's waves, the publication
    assert len(printed) == sum(len(run) for run in per_run)
    position = 0
    for run in per_run:
        block = printed[position:position + len(run)]
        assert {step for _, step in block} == run
        assert all(stage == stage_of(step) for stage, step in block)
        position += len(run)


def test_without_dagster_home_the_default_warehouse_uses_the_project_s_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """The instance of `make run` and `make ui` (the Makefile's DAGSTER_HOME), so that the runs show in the UI."""
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.delenv("SCORE_WAREHOUSE")
    assert settings.dagster_home() == PROJECT_ROOT / ".dagster"
    monkeypatch.setenv("SCORE_WAREHOUSE", str(PROJECT_ROOT / "data" / "warehouse" / "score.duckdb"))
    assert settings.dagster_home() == PROJECT_ROOT / ".dagster"


def test_a_run_without_dagster_home_keeps_its_instance_beside_its_warehouse(isolated: Path) -> None:
    """Outside `make`, with another warehouse: no stack trace, and the runs are in `dagster_home/` beside that
    warehouse file, recorded as its instance (not in the project's `.dagster/` nor in the environment's home)."""
    for wave in ("2017-baseline", "2018-midterm"):
        copy_wave(wave, isolated / "raw")
    done = as_a_user_runs_it("run")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    home = isolated / "warehouse" / "dagster_home"
    assert (home / settings.INSTANCE_WAREHOUSE_MARKER).read_text(encoding="utf-8") == "../score.duckdb\n"
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)}):
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(home)) as instance:
            assert sorted(run.job_name for run in instance.get_runs()) == ["ingest_and_score_wave",
                                                                           "publish_evaluation_marts"]
    assert not (isolated / "dagster_home" / "storage").exists()  # the home `isolated` made, left unused


def test_a_run_on_another_warehouse_than_its_instance_serves_is_refused(isolated: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """DAGSTER_HOME the UI's instance, SCORE_WAREHOUSE elsewhere: one sentence saying which and what to do, nothing run."""
    copy_wave("2017-baseline", isolated / "raw")
    home = isolated / "dagster_home"
    ui_warehouse = isolated / "ui" / "score.duckdb"
    with mock.patch.dict(os.environ, {"SCORE_WAREHOUSE": str(ui_warehouse)}):
        ensure_dagster_home()  # the instance's first use: by the UI's warehouse
    assert main(["run"]) == 1
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        f"the Dagster instance {home} serves the warehouse {ui_warehouse} (its score_pipeline_warehouse.txt), not this "
        f"run's {isolated / 'warehouse' / 'score.duckdb'}: set DAGSTER_HOME to another folder, or unset it to use "
        f"{isolated / 'warehouse' / 'dagster_home'}"]
    assert printed.err == ""
    assert not (home / "storage").exists() and not (isolated / "warehouse").exists()


@pytest.mark.parametrize("command", ["run", "sql", "trace", "waves", "sample-data"])
def test_every_command_s_help_says_what_it_does(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`score-pipeline <command> --help`: a description between the usage and the arguments."""
    with pytest.raises(SystemExit) as exit_status:
        main([command, "--help"])
    assert exit_status.value.code == 0
    paragraphs = capsys.readouterr().out.split("\n\n")
    assert paragraphs[0].startswith(f"usage: score-pipeline {command}")
    description = paragraphs[1]
    assert not description.startswith(("options:", "positional arguments:")), description
    assert len(description.split()) >= 10, description


def test_a_relative_warehouse_is_one_sentence_not_a_stack_trace(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from score_pipeline.cli import main

    monkeypatch.setenv("SCORE_WAREHOUSE", "data/w.duckdb")
    for command in (["run"], ["sql", "--warehouse", "select 1"]):
        assert main(command) == 2
        assert capsys.readouterr().err.strip() == (
            "SCORE_WAREHOUSE='data/w.duckdb': give an absolute path (dbt reads it too, from dbt_project/)")


class Node:
    """An object the collector tracks, in a reference cycle with itself."""

    def __init__(self) -> None:
        self.me = self


def test_a_pipeline_process_leaves_what_remains_at_its_end_to_the_system() -> None:
    """Inside the block the collector still frees cycles; what is left when it ends is out of the collector's sight
    (the last collection at exit scanned it all for 2.5 s)."""
    import gc
    import weakref

    from score_pipeline.running import pipeline_process

    thresholds = gc.get_threshold()
    try:
        with pipeline_process():
            during = weakref.ref(Node())
            gc.collect()
            assert during() is None  # a cycle dropped during the run is collected
            after = weakref.ref(Node())  # left when the run ends
        gc.collect()
        assert after() is not None
        gc.unfreeze()
        gc.collect()
        assert after() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_the_command_is_the_pipeline_process() -> None:
    """`score-pipeline` (pyproject's console script) and `python -m score_pipeline.cli` start in `command`."""
    import tomllib

    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["score-pipeline"] == "score_pipeline.cli:command"
    assert "command()" in (PROJECT_ROOT / "score_pipeline" / "cli" / "__main__.py").read_text()
