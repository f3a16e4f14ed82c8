"""The evaluation report: one self-contained HTML file per language (inline SVG charts, no network needed):
report.html in English, report.es.html in Spanish, each linking to the other. The words of each language
are in templates/report_text.yaml; the codebooks give the modules', categories' and items' names in each."""

from __future__ import annotations

import hashlib
import html
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import matplotlib
import pandas as pd
import yaml
from babel import Locale
from matplotlib.figure import Figure  # the object API: no backend, no global figure state

from score_pipeline.analysis.pooled import KPI_COLUMNS, POOLED_CODE
from score_pipeline.core.programme import DEFAULT_COUNTRY as SUMMARY_COUNTRY
from score_pipeline.publish.formatting import column_formatter, for_report, headline_row, percent
from score_pipeline.publish.traces import trace_link
from score_pipeline.stats import FLAG_LEVEL, mean_interval
from score_pipeline.templates import render

REPORT_TEXT = Path(__file__).parent.parent / "templates" / "report_text.yaml"
SCORE_UNIT = "1-5"  # the scores' axis: its meaning is in the caption


@dataclass(frozen=True)
class Language:
    """The report's words in one language (report_text.yaml), and the codebooks' columns of that language."""

    code: str  # ISO 639-1: en, es
    words: Mapping[str, Any]

    def __call__(self, key: str, **fields: object) -> str:
        return self.words[key].format(**fields)

    @property
    def file(self) -> str:
        return self.words["file"]

    def country_name(self, code: str, name: str) -> str:
        """The country.yaml name in English; in another language, the CLDR name of its territory (Babel)."""
        return name if self.code == "en" else Locale.parse(self.code).territories[code.upper()]


def languages() -> list[Language]:
    """The report's languages, English first (report.html)."""
    catalog = yaml.safe_load(REPORT_TEXT.read_text(encoding="utf-8"))
    return [Language(code, words) for code, words in catalog.items()]


def svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


NOTHING_TO_DRAW = ""  # a chart of no figure (a country's first wave has no change, no perceptions yet)


def captioned(chart: str, caption: str) -> str:
    """A chart with its title and axes described under it in the report's language: the chart itself holds
    only what no language changes (codes, waves, numbers), so both languages share one drawing."""
    return f'{chart}<p class="caption">{html.escape(caption)}</p>' if chart != NOTHING_TO_DRAW else ""


class Charts:
    """The report's drawings, each kept by what it is drawn from: the drawing function, its options and its
    data (and this module's code and matplotlib's version). A chart whose data did not change since the last
    publication (another country's new wave, the other language's report) is read back instead of drawn:
    drawing is most of a report's time. Kept as SVG files in `folder`; those no report used are removed."""

    def __init__(self, folder: Path):
        self.folder, self.used = folder, set()
        folder.mkdir(parents=True, exist_ok=True)

    def draw(self, function: Callable[..., str], *frames: pd.DataFrame, **options: object) -> str:
        digest = hashlib.sha256(f"{CODE_VERSION}|{function.__name__}|{sorted(options.items())!r}".encode())
        for frame in frames:
            digest.update(frame.to_csv(index=False).encode())
        path = self.folder / f"{digest.hexdigest()[:24]}.svg"
        self.used.add(path.name)
        if path.is_file():
            return path.read_text(encoding="utf-8")
        drawing = function(*frames, **options)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(drawing, encoding="utf-8")
        os.replace(temporary, path)
        return drawing

    def remove_unused(self) -> None:
        for path in self.folder.glob("*.svg"):
            if path.name not in self.used:
                path.unlink(missing_ok=True)


# What a kept chart depends on besides its data: how this module draws, and matplotlib's drawing.
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes() + matplotlib.__version__.encode()).hexdigest()[:16]


def table(frame: pd.DataFrame, currency: str, digits: int = 2) -> str:
    """An HTML table of a mart's rows, every number formatted for reading (publish/formatting.py)."""
    return for_report(frame, currency, digits).to_html(index=False, border=0, escape=True)


def headline_table(headline: pd.DataFrame, currency: str, columns: list[str], text: Language) -> str:
    """The headline indicators, each row's figures in its unit (money in the country's currency), each
    indicator linked to its trace (traces.html)."""
    shown = headline[columns].astype(object)
    for index, row in headline.iterrows():
        level, change = headline_row(row["unit"], currency)
        for column in ("baseline", "endline"):
            shown.at[index, column] = level(row[column])
        shown.at[index, "change"] = change(row["change"])
        shown.at[index, "change_pct"] = percent(row["change_pct"])
    shown = shown.map(lambda value: html.escape(value) if isinstance(value, str) else value)
    shown["indicator"] = [f'<a href="{html.escape(trace_link(i))}" title="{html.escape(text("trace_link"))}">'
                          f'{html.escape(i)}</a>' for i in headline["indicator"]]
    return shown.to_html(index=False, border=0, escape=False, na_rep="")


def score_distribution_chart(scores: pd.DataFrame) -> str:
    waves = sorted(scores["wave"].unique())
    if not waves:
        return NOTHING_TO_DRAW
    figure = Figure(figsize=(7, 3.5))
    axis = figure.subplots()
    axis.boxplot([scores.loc[scores["wave"] == w, "global_score"].dropna() for w in waves], tick_labels=waves)
    axis.set_ylabel(SCORE_UNIT)
    return svg(figure)


def change_chart(change: pd.DataFrame) -> str:
    rows = change.iloc[::-1]
    if rows.empty:
        return NOTHING_TO_DRAW
    figure = Figure(figsize=(8, 0.28 * len(rows) + 1))
    axis = figure.subplots()
    colours = ["#2a7" if p < FLAG_LEVEL else "#999" for p in rows["p_holm"]]
    axis.errorbar(rows["mean_change"], range(len(rows)), xerr=[rows["mean_change"] - rows["ci_low"],
                  rows["ci_high"] - rows["mean_change"]], fmt="none", ecolor="#555")
    axis.scatter(rows["mean_change"], range(len(rows)), c=colours, zorder=3)
    axis.set_yticks(range(len(rows)), rows["code"])
    axis.axvline(0, color="#000", linewidth=0.8)
    return svg(figure)


def evaluator_chart(effects: pd.DataFrame, scores: pd.DataFrame) -> str:
    """Per wave, each evaluator's mean global score with its 95 % interval, and the mean of the wave's
    other evaluators' enterprises (the comparison of the Welch test); red: Holm p < FLAG_LEVEL."""
    waves = sorted(effects["wave"].unique())
    figure = Figure(figsize=(3.2 * len(waves), 3.2))
    axes = figure.subplots(1, len(waves), sharey=True, squeeze=False)[0]
    for axis, wave in zip(axes, waves):
        rows = effects[effects["wave"] == wave].sort_values("evaluator").reset_index(drop=True)
        for position, row in rows.iterrows():
            low, high = mean_interval(scores.loc[(scores["wave"] == wave) & (scores["evaluator"] == row["evaluator"]),
                                                 "global_score"].to_numpy(float))
            flagged = row["p_holm"] < FLAG_LEVEL
            axis.errorbar(position, row["mean_global_score"], yerr=[[row["mean_global_score"] - low], [high - row["mean_global_score"]]],
                          fmt="o", color="#c33" if flagged else "#357", capsize=3)
            if pd.notna(row["diff_from_others"]):
                axis.plot(position, row["mean_global_score"] - row["diff_from_others"], marker="_", markersize=14,
                          color="#999")
        axis.set_xticks(range(len(rows)), rows["evaluator"])
        axis.set_title(wave)
    axes[0].set_ylabel(SCORE_UNIT)
    return svg(figure)


def grouped_bars(frame: pd.DataFrame, index: str, columns: str, values: str, unit: str) -> str:
    wide = frame.pivot(index=index, columns=columns, values=values)
    if not wide.notna().to_numpy().any():
        return NOTHING_TO_DRAW
    figure = Figure(figsize=(9, 3.8))
    axis = figure.subplots()
    wide.plot.bar(ax=axis, rot=30)
    axis.set_xlabel("")
    axis.set_ylabel(unit)
    axis.axhline(0, color="#000", linewidth=0.8)
    return svg(figure)


def build_report(connection: duckdb.DuckDBPyConnection, text: Language, charts: Charts,
                 others: Sequence[Language] = ()) -> str:
    """The report's HTML in one language from the marts of a connection (schema `marts`): the programme page
    when there are several countries, then one part per country (contract 7); `others`: the languages it
    links to; `charts`: the drawings, kept by what they are drawn from."""
    summary = connection.execute("select * from marts.programme_summary").df()
    countries = connection.execute("select country, name, currency from staging.stg_raw__countries "
                                   "where country in (select country from marts.programme_summary) order by country").df()
    names = {row.country: text.country_name(row.country, row.name) for row in countries.itertuples()}
    parts = [country_part(connection, row.country, names[row.country], row.currency, text, charts)
             for row in countries.itertuples()]
    programme = programme_part(connection, summary, names, text, charts) if len(countries) > 1 else None
    return render("report.html.j2", programme=programme, countries=parts, text=text,
                  others=[(other.code, other.words["language_name"], other.file) for other in others])


def section(key: str, content: str, text: Language) -> dict[str, str]:
    """A section of the report: its title and method note in the report's language, its tables and charts."""
    words = text.words["sections"][key]
    return {"key": key, "title": words["title"], "note": words["note"], "content": content}


def interval_chart(changes: pd.DataFrame, pooled: str) -> str:
    """Each country's (`name`) mean global score change with its 95 % interval, and the pooled one (`pooled`)."""
    groups = [(rows["name"].iloc[0], rows["change"].to_numpy(float)) for _, rows in changes.groupby("country", sort=True)]
    groups.append((pooled, changes["change"].to_numpy(float)))
    figure = Figure(figsize=(8, 0.45 * len(groups) + 1))
    axis = figure.subplots()
    for position, (name, values) in enumerate(reversed(groups)):
        low, high = mean_interval(values)
        axis.errorbar(values.mean(), position, xerr=[[values.mean() - low], [high - values.mean()]], fmt="o",
                      color="#336" if name != pooled else "#c60", capsize=3)
    axis.set_yticks(range(len(groups)), [name for name, _ in reversed(groups)])
    axis.axvline(0, color="#000", linewidth=0.8)
    return svg(figure)


def programme_part(connection: duckdb.DuckDBPyConnection, summary: pd.DataFrame, country_names: dict[str, str],
                   text: Language, charts: Charts) -> dict[str, object]:
    """The countries side by side and pooled (marts.programme_summary)."""
    names = {**country_names, POOLED_CODE: text("pooled_name")}
    summary = summary.assign(name=summary["country"].map(names))
    changes = connection.execute("select country, change from intermediate.int_global_scores_paired").df()
    kpis = summary.melt(id_vars="name", value_vars=list(KPI_COLUMNS.values()), var_name="kpi", value_name="pct_change")
    side_by_side = summary.set_index("name").drop(columns="country").T.astype(object)
    for figure in side_by_side.index:  # each row is a figure: its rule by its name (no money here)
        side_by_side.loc[figure] = side_by_side.loc[figure].map(column_formatter(figure, currency=""))
    sections = [
        ("side_by_side", side_by_side.rename_axis(index=text("figure"), columns=None).reset_index().to_html(
            index=False, border=0)),
        ("global_change_by_country", captioned(charts.draw(interval_chart, changes.assign(
            name=changes["country"].map(names)), pooled=names[POOLED_CODE]), text("interval_axis"))),
        ("kpis_by_country", captioned(charts.draw(grouped_bars, kpis, index="kpi", columns="name", values="pct_change",
                                                  unit="%"), text("kpi_change_title"))),
    ]
    return {"sections": [section(key, content, text) for key, content in sections]}


def code_names(text: Language) -> str:
    """A query of the score codes' names in the report's language (the codebook's columns)."""
    names = text.words["codebook"]
    return f"""
        select 'global' as code, $global_score as name
        union all select distinct module, {names["module"]} from reference.codebook_practices
        union all select distinct module || '.' || category, {names["category"]} from reference.codebook_practices
    """


def country_part(connection: duckdb.DuckDBPyConnection, country: str, name: str, currency: str,
                 text: Language, charts: Charts) -> dict[str, object]:
    """One country's sections, every figure read from its rows of the marts, codes with the codebook's names;
    the charts kept by what they are drawn from, so that both languages share those no language changes."""
    read = lambda sql, **more: connection.execute(sql, {"country": country, **more}).df()  # noqa: E731
    mine = "country = $country"
    names = text.words["codebook"]
    summary_column = text("evaluation_summary")
    headline = read(f"select headline.* replace (catalog.{names['headline']} as label), "
                    f"catalog.summary_figure as \"{summary_column}\" from marts.headline_indicators as headline "
                    f"inner join reference.headline_catalog as catalog using (indicator) where {mine} "
                    "order by catalog.sort_order")
    change = read(f"select change.* exclude (country), names.name from marts.score_change as change "
                  f"left join ({code_names(text)}) as names using (code) where {mine}", global_score=text("global_score"))
    kpi = read(f"select * exclude (country) from marts.kpi_change where {mine}")
    satisfaction = read(f"select satisfaction.* exclude (country, item), items.item_id || ' ' || items.{names['item']} as item "
                        "from marts.worker_satisfaction as satisfaction inner join reference.codebook_worker_items as items "
                        f"on items.item_id = satisfaction.item where {mine}")
    waves = sorted(satisfaction["wave"].unique())
    first_and_last = satisfaction[satisfaction["wave"].isin(waves[:1] + waves[-1:])]  # none before its waves are scored
    effects = read(f"select * exclude (country) from marts.perceived_effects where {mine}")
    quality = read(f"select * exclude (country) from marts.data_quality where {mine} order by wave, instrument")
    evaluators = read(f"select * exclude (country) from marts.evaluator_effects where {mine} order by wave, evaluator")
    evaluator_scores = read("select wave, evaluator, global_score from intermediate.int_evaluator_scores_joined "
                            f"where {mine}")
    coverage = read("select n_waves_complete, count(*) as enterprises from marts.panel_coverage "
                    f"where {mine} group by all order by 1")
    # The catalog's summary figures are those of Peru's published evaluation summary.
    summary = [summary_column] if country == SUMMARY_COUNTRY else []
    sections = [
        ("headline", headline_table(headline, currency, ["indicator", "label", "unit", "baseline", "endline", "change",
                                                         "change_pct", *summary], text)),
        ("distributions", captioned(charts.draw(score_distribution_chart, read(
            f"select wave, global_score from marts.enterprise_scores where {mine}")), text("global_score_by_wave"))),
        ("score_changes", captioned(charts.draw(change_chart, change[["code", "mean_change", "ci_low", "ci_high", "p_holm"]]),
                                    text("change_axis", flag=FLAG_LEVEL))
            + table(change[["code", "name", "n_pairs", "baseline_mean", "endline_mean", "mean_change", "ci_low",
                            "ci_high", "t_stat", "p_holm", "p_wilcoxon", "effect_size_dz"]], currency, 3)),
        ("spillover", table(read(f"select * exclude (country) from marts.module_spillover where {mine}"), currency, 3)),
        ("kpis", captioned(charts.draw(grouped_bars, kpi, index="kpi", columns="cost_structure", values="mean_pct_change",
                                       unit="%"), text("kpi_change_title")) + table(kpi, currency)),
        ("business", table(read(f"select * exclude (country) from marts.business_results where {mine} order by wave"),
                           currency)),
        ("satisfaction", captioned(charts.draw(grouped_bars, first_and_last, index="item", columns="wave", values="mean",
                                               unit=SCORE_UNIT),  # the item names of the report's language
                                   text("satisfaction_title"))
            + table(read(f"select * exclude (country) from marts.worker_satisfaction where {mine} and item = 'overall' "
                         "order by wave"), currency)),
        ("effects", captioned(charts.draw(grouped_bars, effects, index="outcome", columns="wave", values="pct_positive",
                                          unit="%"), text("effects_title")) + table(effects, currency)),
        ("evaluators", (captioned(charts.draw(evaluator_chart, evaluators, evaluator_scores),
                                  text("evaluator_title", flag=FLAG_LEVEL)) if len(evaluators)
                        else f"<p>{html.escape(text('no_evaluator'))}</p>") + table(evaluators, currency, 3)),
        ("quality", table(quality, currency)),
        ("coverage", table(coverage, currency)),
    ]
    return {"code": country, "name": name, "waves": waves,
            "sections": [section(key, content, text) for key, content in sections]}


def write_evaluation_report(warehouse: duckdb.DuckDBPyConnection, publish_dir: Path, charts_folder: Path) -> list[Path]:
    """Write the report in each language, each file atomically (temporary file, then os.replace); English
    (report.html) first. Its charts are kept in `charts_folder` for the next publication (Charts)."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    written = []
    every = languages()
    charts = Charts(charts_folder)
    for text in every:
        document = build_report(warehouse, text, charts, [other for other in every if other != text])
        temporary = publish_dir / f".{text.file}.tmp"
        temporary.write_text(document, encoding="utf-8")
        os.replace(temporary, publish_dir / text.file)
        written.append(publish_dir / text.file)
    charts.remove_unused()
    return written
