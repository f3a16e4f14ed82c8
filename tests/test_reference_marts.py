"""Every column of every row of every published mart against the independent reference computation
(tests/reference.py, from the contract's text), on the shipped sample (data/raw: Peru and Colombia, with the
shipped corrections logs) and on an unseen programme root written by tests/unseen_root.py (Bolivia and Ghana)."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_ROOT, PipelineRun, new_dagster_home
from reference import MART_KEYS, ProgrammeReference
from unseen_root import write_programme_root

from score_pipeline.settings import PROJECT_ROOT

MARTS = tuple(MART_KEYS)
SHOWN = 12  # differences printed per mart


def published(database: Path, mart: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(f"select * from marts.{mart}").df()


def plain(value: object) -> object:
    """A cell as a Python value: None for null, a list for a list column."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def same(expected: object, actual: object) -> bool:
    expected, actual = plain(expected), plain(actual)
    if isinstance(expected, list) or isinstance(actual, list):
        return isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual) and \
            all(same(e, a) for e, a in zip(expected, actual))
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool) or isinstance(expected, str) or isinstance(actual, str):
        return expected == actual
    if isinstance(expected, int) and isinstance(actual, int):
        return expected == actual
    return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-12)


def differences(mart: str, expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    """Each difference as `mart key column: expected ... published ...`: missing or extra columns and rows, cells."""
    keys = MART_KEYS[mart]
    found = []
    for column in [c for c in expected.columns if c not in actual.columns]:
        found.append(f"{mart}: column {column} is not published")
    for column in [c for c in actual.columns if c not in expected.columns]:
        found.append(f"{mart}: published column {column} is not in the reference")
    by_key = {name: {tuple(plain(v) for v in row[keys]): row for _, row in frame.iterrows()}
              for name, frame in (("expected", expected), ("actual", actual))}
    for name, frame in (("expected", expected), ("actual", actual)):
        if len(by_key[name]) != len(frame):
            found.append(f"{mart}: the {name} rows repeat a key {keys}")
    for key in sorted(set(by_key["expected"]) - set(by_key["actual"]), key=str):
        found.append(f"{mart} {key}: row missing from the publication")
    for key in sorted(set(by_key["actual"]) - set(by_key["expected"]), key=str):
        found.append(f"{mart} {key}: published row not in the reference")
    columns = [c for c in expected.columns if c in actual.columns and c not in keys]
    for key in sorted(set(by_key["expected"]) & set(by_key["actual"]), key=str):
        want, got = by_key["expected"][key], by_key["actual"][key]
        for column in columns:
            if not same(want[column], got[column]):
                found.append(f"{mart} {key} {column}: reference {plain(want[column])!r}, published {plain(got[column])!r}")
    return found


def assert_mart_matches(mart: str, reference: ProgrammeReference, database: Path) -> None:
    found = differences(mart, reference.marts[mart], published(database, mart))
    shown = "\n".join(found[:SHOWN]) + (f"\n... and {len(found) - SHOWN} more" if len(found) > SHOWN else "")
    assert not found, f"{len(found)} differences in {mart}:\n{shown}"


@pytest.fixture(scope="module")
def sample_reference() -> ProgrammeReference:
    return ProgrammeReference(SAMPLE_ROOT, PROJECT_ROOT / "data" / "corrections")


@pytest.fixture(scope="module")
def unseen(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProgrammeReference, Path]:
    """The unseen root run end to end once (`score-pipeline run`) in its own raw root, corrections root,
    warehouse, publication and Dagster instance."""
    from score_pipeline.cli import run_all_waves

    base = tmp_path_factory.mktemp("unseen")
    write_programme_root(base / "raw", base / "corrections")
    new_dagster_home(base / "dagster_home")
    settings = {"SCORE_RAW_DIR": str(base / "raw"), "SCORE_CORRECTIONS_DIR": str(base / "corrections"),
                "SCORE_WAREHOUSE": str(base / "warehouse" / "score.duckdb"),
                "SCORE_PUBLISH_DIR": str(base / "published"), "DAGSTER_HOME": str(base / "dagster_home")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        out = io.StringIO()
        assert run_all_waves(out=out) == 0, out.getvalue()
    return ProgrammeReference(base / "raw", base / "corrections"), base / "published" / "score_marts.duckdb"


@pytest.mark.parametrize("mart", MARTS)
def test_the_sample_marts_equal_the_reference(mart: str, pipeline: PipelineRun, sample_reference: ProgrammeReference) -> None:
    assert_mart_matches(mart, sample_reference, pipeline.database)


@pytest.mark.parametrize("mart", MARTS)
def test_an_unseen_roots_marts_equal_the_reference(mart: str, unseen: tuple[ProgrammeReference, Path]) -> None:
    reference, database = unseen
    assert_mart_matches(mart, reference, database)
