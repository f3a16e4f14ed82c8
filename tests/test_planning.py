"""Run planning (core/planning.py): pure functions, checked by hand on made-up drops."""

from __future__ import annotations

from pathlib import Path

from score_pipeline.core.planning import countries_of, drops_to_run, latest_drops, survey, wave_runs, without_countries
from score_pipeline.core.programme import Layout
from score_pipeline.core.waves import DropStatus


def drop(country: str, wave: str, *problems: str, unread: tuple[str, ...] = ()) -> DropStatus:
    return DropStatus(country, wave, Path("/raw") / country / wave, list(problems), f"sha-{country}-{wave}", list(unread))


def test_one_wave_run_covers_every_country_s_complete_drops_in_the_instance_s_order() -> None:
    drops = [drop("co", "2019-baseline"), drop("co", "2020-midterm"), drop("pe", "2017-baseline")]
    ordered = ["co/2019-baseline", "co/2020-midterm", "pe/2017-baseline"]
    (run,) = wave_runs(drops, ordered)
    assert run.partition_keys == ordered
    assert run.describe() == "co 2019-baseline, 2020-midterm; pe 2017-baseline"
    assert run.drop_tags == {"score-pipeline/drop/co/2019-baseline": "sha-co-2019-baseline",
                             "score-pipeline/drop/co/2020-midterm": "sha-co-2020-midterm",
                             "score-pipeline/drop/pe/2017-baseline": "sha-pe-2017-baseline"}


def test_a_partition_between_two_drops_that_is_not_run_splits_the_range() -> None:
    """A key range covers every partition between its ends: pe's later wave, registered after co's, is its own run."""
    drops = [drop("pe", "2017-baseline"), drop("co", "2019-baseline"), drop("pe", "2021-followup")]
    ordered = ["pe/2017-baseline", "pe/2018-midterm", "co/2019-baseline", "pe/2021-followup"]
    assert [run.partition_keys for run in wave_runs(drops, ordered)] == [
        ["pe/2017-baseline"], ["co/2019-baseline", "pe/2021-followup"]]


def test_the_survey_says_what_it_leaves_out_and_keeps_the_complete_drops() -> None:
    layout = Layout([], {Path("/raw/gh"): "country folder /raw/gh: country.yaml is missing"})
    statuses = [drop("pe", "2017-baseline"), drop("pe", "2018-midterm", "SHA256SUMS is missing: the drop is not complete"),
                drop("pe", "2019-endline", unread=("notas.txt",))]
    found = survey(layout, statuses, ["2019-endine.csv: no wave folder"])
    assert [d.partition_key for d in found.drops] == ["pe/2017-baseline", "pe/2019-endline"]
    assert found.notes == (
        "skipping country folder /raw/gh: country.yaml is missing",
        "note: corrections log 2019-endine.csv: no wave folder",
        "skipping pe/2018-midterm: SHA256SUMS is missing: the drop is not complete",
        "note pe/2019-endline: files no instrument reads: notas.txt")
    assert found.new_partitions(["pe/2017-baseline"]) == ["pe/2019-endline"]


def test_a_refused_country_is_planned_out_and_the_sensor_and_schedule_choices() -> None:
    drops = [drop("co", "2019-baseline"), drop("pe", "2017-baseline"), drop("pe", "2018-midterm")]
    assert countries_of(["co/2019-baseline", "pe/2018-midterm"]) == {"co", "pe"}
    assert [d.partition_key for d in without_countries(drops, {"co"})] == ["pe/2017-baseline", "pe/2018-midterm"]
    assert [d.partition_key for d in drops_to_run(drops, lambda d: d.country == "pe")] == ["co/2019-baseline"]
    assert [d.partition_key for d in latest_drops(drops)] == ["co/2019-baseline", "pe/2018-midterm"]
