"""The analysts' entry point: `score-pipeline sql` on the published file, read-only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import PipelineRun

from score_pipeline.cli import main


def test_sql_as_csv_and_json(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    query = "select indicator, round(endline, 2) as endline from marts.headline_indicators where indicator = 'global_score'"
    assert main(["sql", query, "--format", "csv"]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [["indicator", "endline"], ["global_score", "3.06"]]
    assert main(["sql", query, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"indicator": "global_score", "endline": 3.06}]
    assert main(["sql", "select count(*) as n from marts.enterprise_scores"]) == 0
    assert "156" in capsys.readouterr().out  # 52 firms x 3 waves (a null global score keeps its row)


def test_sql_cannot_write(pipeline: PipelineRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "drop table marts.wave_summary"]) == 2
    assert "read-only" in capsys.readouterr().err


def test_sql_without_a_publication_says_what_to_do(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "select 1"]) == 1
    assert "make run" in capsys.readouterr().err


def test_waves_lists_complete_and_incomplete_drops(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (isolated / "raw" / "2021-followup").mkdir()
    (isolated / "raw" / "Followup 2022").mkdir()
    assert main(["waves"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["2021-followup: NOT READY - SHA256SUMS is missing: the drop is not complete",
                     "Followup 2022: NOT READY - folder name 'Followup 2022' is not a wave key YYYY-name in lower case"]
