"""The report's number formats (publish/formatting.py), against the strings a reader expects, written by hand."""

from __future__ import annotations

import math
import re

import pandas as pd
import yaml

from score_pipeline.publish.formatting import column_formatter, for_report, headline_row
from score_pipeline.publish.report import REPORT_LABELS, REPORT_TEXT, languages


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


def keys_of(words: object, prefix: str = "") -> set[str]:
    """Every key path of a nested mapping: `sections.headline.note`."""
    if not isinstance(words, dict):
        return set()
    return {path for key, value in words.items() for path in {f"{prefix}{key}", *keys_of(value, f"{prefix}{key}.")}}


def test_every_language_of_the_report_has_the_same_words_and_fields() -> None:
    """report_text.yaml: a key missing in one language fails its report (strict), a field missing from a
    translation would print a figure's place empty: both are caught here, before a run."""
    catalog = yaml.safe_load(REPORT_TEXT.read_text(encoding="utf-8"))
    english = catalog.pop("en")
    assert catalog, "a second language"
    fields = lambda text: set(re.findall(r"\{(\w+)\}", text))  # noqa: E731
    for code, words in catalog.items():
        assert keys_of(words) == keys_of(english), code
        for key in words.keys() - {"sections", "codebook"}:
            assert fields(words[key]) == fields(english[key]), (code, key)
    assert [language.file for language in languages()] == ["report.html", "report.es.html"]


def test_a_language_names_countries_in_its_own_words() -> None:
    english, spanish = languages()
    assert english.country_name("pe", "Peru") == "Peru"  # country.yaml's name
    assert (spanish.country_name("pe", "Peru"), spanish.country_name("co", "Colombia")) == ("Perú", "Colombia")


def test_every_label_of_the_catalogue_is_in_every_language_of_the_report() -> None:
    """report_labels.yaml: a column, unit or code named in one language and not in another would fail that
    language's report; a label left empty would print a blank header."""
    report_languages = set(yaml.safe_load(REPORT_TEXT.read_text(encoding="utf-8")))
    catalogue = yaml.safe_load(REPORT_LABELS.read_text(encoding="utf-8"))
    for section, entries in catalogue.items():
        for code, words in entries.items():
            assert set(words) == report_languages and all(str(label).strip() for label in words.values()), (section, code)
    english, spanish = languages()
    assert (english.label("units", "percent"), spanish.label("outcomes", "condiciones_trabajo")) == (
        "%", "Condiciones de trabajo")
