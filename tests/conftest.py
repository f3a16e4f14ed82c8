"""Shared fixtures. Every path the pipeline writes is pointed into a temporary folder before
any test runs, and one end-to-end run of all sample waves is shared by the mart tests."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from score_pipeline.settings import PROJECT_ROOT

SAMPLE_RAW = PROJECT_ROOT / "data" / "raw"
SAMPLE_WAVES = ("2017-baseline", "2018-midterm", "2019-endline")


_SESSION_DIR = Path(tempfile.mkdtemp(prefix="score_pipeline_tests_"))


def pytest_configure(config: pytest.Config) -> None:
    base = _SESSION_DIR
    (base / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", base / "dagster_home" / "dagster.yaml")
    os.environ.update({
        "DAGSTER_HOME": str(base / "dagster_home"),
        "SCORE_RAW_DIR": str(SAMPLE_RAW),
        "SCORE_WAREHOUSE": str(base / "warehouse" / "score.duckdb"),
        "SCORE_PUBLISH_DIR": str(base / "published"),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    })


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@dataclass(frozen=True)
class PipelineRun:
    warehouse: Path
    publish_dir: Path
    output: str

    @property
    def database(self) -> Path:
        return self.publish_dir / "score_marts.duckdb"


@pytest.fixture(scope="session")
def pipeline() -> PipelineRun:
    """All sample waves materialized end to end (`score-pipeline run`) once per session."""
    from score_pipeline.cli import run_all_waves

    out = io.StringIO()
    assert run_all_waves(out=out) == 0, out.getvalue()
    return PipelineRun(Path(os.environ["SCORE_WAREHOUSE"]), Path(os.environ["SCORE_PUBLISH_DIR"]), out.getvalue())


@pytest.fixture(scope="session")
def reference():
    from reference import Reference

    return Reference(SAMPLE_RAW)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A raw root, warehouse, publish folder and Dagster home of the test's own."""
    for name in ("raw", "dagster_home"):
        (tmp_path / name).mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster_home" / "dagster.yaml")
    monkeypatch.setenv("SCORE_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("SCORE_WAREHOUSE", str(tmp_path / "warehouse" / "score.duckdb"))
    monkeypatch.setenv("SCORE_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path


def copy_wave(wave: str, raw_root: Path) -> Path:
    target = raw_root / wave
    shutil.copytree(SAMPLE_RAW / wave, target)
    return target
