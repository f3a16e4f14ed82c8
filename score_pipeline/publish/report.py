"""The evaluation report: one self-contained HTML file (inline SVG charts, no network needed)."""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

import duckdb
import pandas as pd
import yaml
from matplotlib.figure import Figure  # the object API: no backend, no global figure state

from score_pipeline.analysis.stats import FLAG_LEVEL, mean_interval
from score_pipeline.analysis.programme import KPI_COLUMNS, POOLED_CODE
from score_pipeline.programme import DEFAULT_COUNTRY as SUMMARY_COUNTRY
from score_pipeline.publish.formatting import column_formatter, for_report, headline_row, percent
from score_pipeline.publish.traces import trace_link
from score_pipeline.templates import render

REPORT_NAME = "report.html"
METHOD_NOTES = Path(__file__).parent.parent / "templates" / "method_notes.yaml"
def svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def table(frame: pd.DataFrame, currency: str, digits: int = 2) -> str:
    """An HTML table of a mart's rows, every number formatted for reading (publish/formatting.py)."""
    return for_report(frame, currency, digits).to_html(index=False, border=0, escape=True)


def headline_table(headline: pd.DataFrame, currency: str, columns: list[str]) -> str:
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
    shown["indicator"] = [f'<a href="{html.escape(trace_link(i))}" title="where this figure comes from">{html.escape(i)}</a>'
                          for i in headline["indicator"]]
    return shown.to_html(index=False, border=0, escape=False, na_rep="")


def score_distribution_chart(scores: pd.DataFrame) -> str:
    waves = sorted(scores["wave"].unique())
    figure = Figure(figsize=(7, 3.5))
    axis = figure.subplots()
    axis.boxplot([scores.loc[scores["wave"] == w, "global_score"].dropna() for w in waves], tick_labels=waves)
    axis.set_ylabel("global score (1-5)")
    axis.set_title("Global management practices score by wave")
    return svg(figure)


def change_chart(change: pd.DataFrame) -> str:
    rows = change.iloc[::-1]
    figure = Figure(figsize=(8, 0.28 * len(rows) + 1))
    axis = figure.subplots()
    colours = ["#2a7" if p < FLAG_LEVEL else "#999" for p in rows["p_holm"]]
    axis.errorbar(rows["mean_change"], range(len(rows)), xerr=[rows["mean_change"] - rows["ci_low"],
                  rows["ci_high"] - rows["mean_change"]], fmt="none", ecolor="#555")
    axis.scatter(rows["mean_change"], range(len(rows)), c=colours, zorder=3)
    axis.set_yticks(range(len(rows)), rows["code"])
    axis.axvline(0, color="#000", linewidth=0.8)
    axis.set_xlabel(f"mean change baseline to endline, 95 % CI (green: Holm p < {FLAG_LEVEL})")
    return svg(figure)


def evaluator_chart(effects: pd.DataFrame, scores: pd.DataFrame) -> str:
    """Per wave, each evaluator's mean global score with its 95 % interval, and the mean of the wave's
    other evaluators' enterprises (the comparison of the Welch test); red: Holm p < FLAG_LEVEL."""
    waves = sorted(effects["wave"].unique())
    if not waves:
        return "<p>No scored enterprise has an evaluator.</p>"
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
    axes[0].set_ylabel("global score: mean, 95 % CI")
    figure.suptitle(f"Each evaluator against the others (grey: the others' mean; red: Holm p < {FLAG_LEVEL})",
                    fontsize=9)
    return svg(figure)


def grouped_bars(frame: pd.DataFrame, index: str, columns: str, values: str, title: str, ylabel: str) -> str:
    wide = frame.pivot(index=index, columns=columns, values=values)
    figure = Figure(figsize=(9, 3.8))
    axis = figure.subplots()
    wide.plot.bar(ax=axis, rot=30)
    axis.set_title(title)
    axis.set_ylabel(ylabel)
    axis.axhline(0, color="#000", linewidth=0.8)
    return svg(figure)


def build_report(connection: duckdb.DuckDBPyConnection) -> str:
    """The report's HTML from the marts of a connection (schema `marts`): the programme page when there are
    several countries, then one part per country (contract 7)."""
    summary = connection.execute("select * from marts.programme_summary").df()
    countries = connection.execute("select country, name, currency from staging.stg_raw__countries "
                                   "where country in (select country from marts.programme_summary) order by country").df()
    parts = [country_part(connection, row.country, row.name, row.currency) for row in countries.itertuples()]
    programme = programme_part(connection, summary) if len(countries) > 1 else None
    return render("report.html.j2", programme=programme, countries=parts, notes=method_notes())


def method_notes() -> dict[str, str]:
    """Each section's method note, by its title (templates/method_notes.yaml)."""
    return yaml.safe_load(METHOD_NOTES.read_text(encoding="utf-8"))


def interval_chart(changes: pd.DataFrame, names: dict[str, str]) -> str:
    """Each country's mean global score change with its 95 % interval, and the pooled one (`all`)."""
    groups = [(names[code], rows["change"].to_numpy(float)) for code, rows in changes.groupby("country", sort=True)]
    groups.append((names[POOLED_CODE], changes["change"].to_numpy(float)))
    figure = Figure(figsize=(8, 0.45 * len(groups) + 1))
    axis = figure.subplots()
    for position, (name, values) in enumerate(reversed(groups)):
        low, high = mean_interval(values)
        axis.errorbar(values.mean(), position, xerr=[[values.mean() - low], [high - values.mean()]], fmt="o",
                      color="#336" if name != names[POOLED_CODE] else "#c60", capsize=3)
    axis.set_yticks(range(len(groups)), [name for name, _ in reversed(groups)])
    axis.axvline(0, color="#000", linewidth=0.8)
    axis.set_xlabel("global score change, baseline to endline: mean and 95 % CI over the enterprises paired")
    return svg(figure)


def programme_part(connection: duckdb.DuckDBPyConnection, summary: pd.DataFrame) -> dict[str, object]:
    """The countries side by side and pooled (marts.programme_summary)."""
    names = dict(zip(summary["country"], summary["name"]))
    changes = connection.execute("select country, change from intermediate.int_global_scores_paired").df()
    kpis = summary.melt(id_vars="name", value_vars=list(KPI_COLUMNS.values()), var_name="kpi", value_name="pct_change")
    side_by_side = summary.set_index("name").drop(columns="country").T.astype(object)
    for figure in side_by_side.index:  # each row is a figure: its rule by its name (no money here)
        side_by_side.loc[figure] = side_by_side.loc[figure].map(column_formatter(figure, currency=""))
    sections = [
        ("Countries side by side", side_by_side.rename_axis(index="figure", columns=None).reset_index().to_html(index=False, border=0)),
        ("Global score change by country", interval_chart(changes, names)),
        ("Firm KPIs, mean % change by country", grouped_bars(kpis, "kpi", "name", "pct_change",
                                                             "Mean % change baseline to endline", "% change")),
    ]
    return {"sections": [{"title": title, "content": content} for title, content in sections]}


CODE_NAMES = """
    select 'global' as code, 'Global score' as name
    union all select distinct module, module_en from reference.codebook_practices
    union all select distinct module || '.' || category, category_en from reference.codebook_practices
"""


def country_part(connection: duckdb.DuckDBPyConnection, country: str, name: str, currency: str) -> dict[str, object]:
    """One country's sections, every figure read from its rows of the marts, codes with the codebook's names."""
    read = lambda sql: connection.execute(sql, {"country": country}).df()  # noqa: E731
    mine = "country = $country"
    headline = read("select headline.*, catalog.summary_figure as \"evaluation summary\" "
                    "from marts.headline_indicators as headline "
                    f"inner join reference.headline_catalog as catalog using (indicator) where {mine} "
                    "order by catalog.sort_order")
    change = read(f"select change.* exclude (country), names.name from marts.score_change as change "
                  f"left join ({CODE_NAMES}) as names using (code) where {mine}")
    kpi = read(f"select * exclude (country) from marts.kpi_change where {mine}")
    satisfaction = read("select satisfaction.* exclude (country, item), items.item_id || ' ' || items.label_en as item "
                        "from marts.worker_satisfaction as satisfaction inner join reference.codebook_worker_items as items "
                        f"on items.item_id = satisfaction.item where {mine}")
    waves = sorted(satisfaction["wave"].unique())
    first_and_last = satisfaction[satisfaction["wave"].isin([waves[0], waves[-1]])]
    effects = read(f"select * exclude (country) from marts.perceived_effects where {mine}")
    quality = read(f"select * exclude (country) from marts.data_quality where {mine} order by wave, instrument")
    evaluators = read(f"select * exclude (country) from marts.evaluator_effects where {mine} order by wave, evaluator")
    evaluator_scores = read("select wave, evaluator, global_score from intermediate.int_evaluator_scores_joined "
                            f"where {mine}")
    coverage = read("select n_waves_complete, count(*) as enterprises from marts.panel_coverage "
                    f"where {mine} group by all order by 1")
    # The catalog's summary figures are those of Peru's published evaluation summary.
    summary = ["evaluation summary"] if country == SUMMARY_COUNTRY else []
    sections = [
        ("Headline indicators", headline_table(headline, currency, ["indicator", "label", "unit", "baseline", "endline",
                                                                    "change", "change_pct", *summary])),
        ("Score distributions by wave", score_distribution_chart(
            read(f"select wave, global_score from marts.enterprise_scores where {mine}"))),
        ("Module and category changes", change_chart(change) + table(change[["code", "name", "n_pairs", "baseline_mean",
            "endline_mean", "mean_change", "ci_low", "ci_high", "t_stat", "p_holm", "p_wilcoxon", "effect_size_dz"]],
            currency, 3)),
        ("Module 1 spillover", table(read(f"select * exclude (country) from marts.module_spillover where {mine}"),
                                     currency, 3)),
        ("Firm KPIs, mean % change by cost structure", grouped_bars(kpi, "kpi", "cost_structure", "mean_pct_change",
            "Mean % change baseline to endline", "% change") + table(kpi, currency)),
        ("Business results", table(read(f"select * exclude (country) from marts.business_results where {mine} order by wave"),
                                   currency)),
        ("Worker satisfaction by item", grouped_bars(first_and_last, "item", "wave", "mean",
            "Mean of the enterprise figures", "score (1-5)")
            + table(read(f"select * exclude (country) from marts.worker_satisfaction where {mine} and item = 'overall' "
                         "order by wave"), currency)),
        ("Perceived effects", grouped_bars(effects, "outcome", "wave", "pct_positive", "Answers that are positivo", "%")
            + table(effects, currency)),
        ("Evaluator effects", evaluator_chart(evaluators, evaluator_scores) + table(evaluators, currency, 3)),
        ("Data quality per wave", table(quality, currency)),
        ("Panel coverage", table(coverage, currency)),
    ]
    return {"code": country, "name": name, "waves": waves,
            "sections": [{"title": title, "content": content} for title, content in sections]}


def write_evaluation_report(warehouse: duckdb.DuckDBPyConnection, publish_dir: Path) -> Path:
    """Write report.html atomically (temporary file, then os.replace)."""
    document = build_report(warehouse)
    publish_dir.mkdir(parents=True, exist_ok=True)
    temporary = publish_dir / f".{REPORT_NAME}.tmp"
    temporary.write_text(document, encoding="utf-8")
    target = publish_dir / REPORT_NAME
    os.replace(temporary, target)
    return target
