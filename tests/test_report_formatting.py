"""The report's number formats (publish/formatting.py), against the strings a reader expects, written by hand."""

from __future__ import annotations

import math

import pandas as pd

from score_pipeline.publish.formatting import column_formatter, for_report, headline_row


def test_p_values_below_the_floor_read_as_less_than_and_others_with_three_decimals() -> None:
    p = column_formatter("p_holm", "PEN")
    assert [p(6.1e-25), p(0.000999), p(0.001), p(0.04567), p(math.nan), p(None)] == [
        "< 0.001", "< 0.001", "0.001", "0.046", "", ""]


def test_money_counts_and_measures_are_thousands_separated() -> None:
    assert column_formatter("annual_sales_mean", "PEN")(7050000.0) == "PEN 7,050,000"
    assert column_formatter("sales_per_worker", "COP")(1090308.4) == "COP 1,090,308"
    assert column_formatter("contribution_usd", "PEN")(1500) == "USD 1,500"  # participation is in dollars
    assert column_formatter("n_enterprises", "PEN")(5200) == "5,200"
    assert column_formatter("workers_mean", "PEN")(33.6923) == "33.69"
    assert column_formatter("mean_change", "PEN", 3)(1.02045) == "1.020"


def test_percentages_and_their_changes() -> None:
    assert column_formatter("capacity_use_pct", "PEN")(62.98) == "63.0 %"
    assert column_formatter("pct_positive", "PEN")(84.706) == "84.7 %"
    assert column_formatter("mean_pct_change", "PEN")(-42.002) == "-42.0 %"
    level, change = headline_row("percent", "PEN")
    assert (level(5.27), change(-1.86)) == ("5.3 %", "-1.9 pp")  # a change of a percentage is in points
    level, change = headline_row("PEN", "PEN")
    assert (level(56069.0), change(14931.0)) == ("PEN 56,069", "PEN 14,931")
    level, _ = headline_row("score 1-5", "PEN")
    assert level(2.04) == "2.04"


def test_a_frame_keeps_its_text_and_formats_its_numbers() -> None:
    frame = pd.DataFrame({"wave": ["2017-baseline"], "n_enterprises": [52], "p_value": [3.5e-10],
                          "female_share_pct": [31.97]})
    assert for_report(frame, "PEN").iloc[0].tolist() == ["2017-baseline", "52", "< 0.001", "32.0 %"]
