"""The evaluation report: one self-contained HTML file per language (inline SVG charts, no network needed):
report.html in English, report.es.html in Spanish, each linking to the other. The sentences of each language are
in templates/report_text.yaml, the names of columns, units and codes in templates/report_labels.yaml; the
codebooks and the headline catalog name modules, categories, items and indicators in each."""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml
from babel import Locale
from markupsafe import Markup
from pandas.api.types import is_numeric_dtype

from score_pipeline.analysis.pooled import KPI_COLUMNS, POOLED_CODE
from score_pipeline.core.programme import DEFAULT_COUNTRY as SUMMARY_COUNTRY
from score_pipeline.core.waves import split_partition_key
from score_pipeline.design_stats import ARMS
from score_pipeline.publish.charts import (
    Charts, captioned, change_chart, drawing_processes, estimates_chart, evaluator_chart, grouped_bars, interval_chart,
    score_distribution_chart,
)
from score_pipeline.publish.formatting import column_formatter, for_report, headline_row, percent
from score_pipeline.publish.stamp import Stamp
from score_pipeline.publish.traces import trace_link
from score_pipeline.stats import FLAG_LEVEL
from score_pipeline.templates import render

TEMPLATES = Path(__file__).parent.parent / "templates"
REPORT_TEXT = TEMPLATES / "report_text.yaml"
REPORT_LABELS = TEMPLATES / "report_labels.yaml"  # what columns, units and codes are called in each language


@dataclass(frozen=True)
class Language:
    """The report's words in one language (report_text.yaml), and the codebooks' columns of that language."""

    code: str  # ISO 639-1: en, es
    words: Mapping[str, Any]
    labels: Mapping[str, Mapping[str, Mapping[str, str]]]  # report_labels.yaml: section -> code -> language -> label

    def __call__(self, key: str, **fields: object) -> str:
        return self.words[key].format(**fields)

    @property
    def file(self) -> str:
        return self.words["file"]

    def label(self, section: str, code: str) -> str:
        """A column's, unit's or code's name in this language (report_labels.yaml)."""
        return self.labels[section][code][self.code]

    def order(self, section: str) -> list[str]:
        """The codes of a section of report_labels.yaml in its order (outcomes, cost structures)."""
        return list(self.labels[section])

    def country_name(self, code: str, name: str) -> str:
        """The country.yaml name in English; in another language, the CLDR name of its territory (Babel)."""
        return name if self.code == "en" else Locale.parse(self.code).territories[code.upper()]


def languages() -> list[Language]:
    """The report's languages, English first (report.html)."""
    catalog = yaml.safe_load(REPORT_TEXT.read_text(encoding="utf-8"))
    labels = yaml.safe_load(REPORT_LABELS.read_text(encoding="utf-8"))
    return [Language(code, words, labels) for code, words in catalog.items()]


# Columns of codes a line break would cut (`2019-endline`, `m1.comunicacion`): kept on one line, as figures are.
CODE_COLUMNS = frozenset({"wave", "code", "instrument", "evaluator"})


@dataclass(frozen=True)
class Column:
    """A table's column: the mart column it shows (the header's tooltip, for analysts), its header in the
    report's language, and whether it holds figures (right-aligned, never wrapped) or words (left-aligned)."""

    name: str
    header: str
    numeric: bool

    @property
    def kind(self) -> str:
        """Its cells' class in the report's style: number, code or words."""
        return "number" if self.numeric else "code" if self.name in CODE_COLUMNS else "words"


def html_table(columns: Sequence[Column], rows: Iterable[Sequence[str]], flagged: Sequence[bool] = ()) -> str:
    """A table of the report (templates/report_table.html.j2); a cell is text, or Markup for a link; a row whose
    `flagged` is true is highlighted."""
    return render("report_table.html.j2", columns=columns, rows=rows, flagged=flagged)


def table(frame: pd.DataFrame, currency: str, text: Language, digits: int = 2, flagged: Sequence[bool] = ()) -> str:
    """A mart's rows in the frame's order, every number formatted for reading (publish/formatting.py), every
    header in the report's language."""
    columns = [Column(name, text.label("columns", name), is_numeric_dtype(frame[name])) for name in frame.columns]
    return html_table(columns, for_report(frame, currency, digits).itertuples(index=False, name=None), flagged)


def labelled(frame: pd.DataFrame, column: str, section: str, text: Language) -> pd.DataFrame:
    """The frame with the codes of `column` in the words of the report's language (report_labels.yaml)."""
    return frame.assign(**{column: frame[column].map(lambda code: text.label(section, code))})


def headline_table(headline: pd.DataFrame, currency: str, text: Language, later_baseline: Mapping[str, str],
                   with_summary: bool) -> str:
    """The headline indicators, each row's figures in its unit (money in the country's currency), each
    indicator linked to its trace (traces.html, the code in its tooltip); an indicator whose first wave is not
    the country's baseline (`later_baseline`: indicator -> wave) shows that wave beside its baseline figure."""
    names = ["label", "unit", "baseline", "endline", "change", "change_pct"]
    columns = [Column(name, text.label("columns", name), name not in ("label", "unit")) for name in names]
    if with_summary:
        columns.append(Column("summary_figure", text("evaluation_summary"), False))
    rows = []
    for row in headline.itertuples():
        level, change = headline_row(row.unit, currency)
        baseline = level(row.baseline)
        if row.indicator in later_baseline:
            baseline = f"{baseline} ({later_baseline[row.indicator]})"
        link = Markup('<a href="{}" title="{}: {}">{}</a>').format(trace_link(row.indicator), row.indicator,
                                                                   text("trace_link"), row.label)
        unit = row.unit if row.unit == currency else text.label("units", row.unit)
        rows.append([link, unit, baseline, level(row.endline), change(row.change), percent(row.change_pct),
                     *([row.summary_figure] if with_summary else [])])
    notes = [text("later_baseline", indicator=row.label, wave=later_baseline[row.indicator])
             for row in headline.itertuples() if row.indicator in later_baseline]
    return html_table(columns, rows) + "".join(f'<p class="note">{html.escape(note)}</p>' for note in notes)


def side_by_side_table(summary: pd.DataFrame, text: Language) -> str:
    """marts.programme_summary turned: a row per figure (its words, its column in the tooltip), a column per
    country and one for the programme."""
    figures = [column for column in summary.columns if column not in ("country", "name")]
    columns = [Column("", text("figure"), False),
               *(Column(row.country, row.name, True) for row in summary.itertuples())]
    rows = [[Markup('<span title="{}">{}</span>').format(figure, text.label("columns", figure)),
             *summary[figure].map(column_formatter(figure, currency=""))]  # no money here
            for figure in figures]
    return html_table(columns, rows)


def build_report(connection: duckdb.DuckDBPyConnection, text: Language, charts: Charts, stamp: Stamp,
                 others: Sequence[Language] = ()) -> str:
    """The report's HTML in one language from the marts of a connection (schema `marts`): the programme page
    when there are several countries, then one part per country (contract 7), then the stamp: when, by which
    code, from which drops; `others`: the languages it links to; `charts`: the drawings, kept by what they
    are drawn from."""
    summary = connection.execute("select * from marts.programme_summary").df()
    countries = connection.execute("select country, name, currency from staging.stg_raw__countries "
                                   "where country in (select country from marts.programme_summary) order by country").df()
    names = {row.country: text.country_name(row.country, row.name) for row in countries.itertuples()}
    parts = [country_part(connection, row.country, names[row.country], row.currency, text, charts)
             for row in countries.itertuples()]
    programme = programme_part(connection, summary, names, text, charts) if len(countries) > 1 else None
    return render("report.html.j2", programme=programme, countries=parts, text=text, stamp=stamp_part(stamp, names, text),
                  others=[(other.code, other.words["language_name"], other.file) for other in others])


def stamp_part(stamp: Stamp, country_names: Mapping[str, str], text: Language) -> dict[str, str]:
    """The report's stamp in its language: run time, code version, and each wave's drop with its fingerprint."""
    code = text("stamp_code", version=stamp.package_version or text("stamp_unknown"),
                commit=stamp.commit or text("stamp_unknown"))
    columns = [Column("country", text.label("columns", "country"), False), Column("wave", text.label("columns", "wave"), False),
               Column("fingerprint", text.label("columns", "fingerprint"), False)]
    rows = []
    for drop in stamp.drops:
        country, wave = split_partition_key(drop.partition)
        rows.append([country_names.get(country, country), wave,
                     Markup("<code>{}</code>").format(drop.fingerprint) if drop.fingerprint else text("stamp_unknown")])
    return {"computed": text("stamp_computed", time=stamp.computed_at.strftime("%Y-%m-%d %H:%M:%S")), "code": code,
            "drops": html_table(columns, rows)}


def section(key: str, content: str, text: Language) -> dict[str, str]:
    """A section of the report: its title and method note in the report's language, its tables and charts."""
    words = text.words["sections"][key]
    return {"key": key, "title": words["title"], "note": words["note"], "content": content}


def headline_labels(connection: duckdb.DuckDBPyConnection, text: Language) -> dict[str, str]:
    """The headline catalog's indicator (and KPI) names in the report's language."""
    column = text.words["codebook"]["headline"]
    return dict(connection.execute(f"select indicator, {column} from reference.headline_catalog").fetchall())


def programme_part(connection: duckdb.DuckDBPyConnection, summary: pd.DataFrame, country_names: dict[str, str],
                   text: Language, charts: Charts) -> dict[str, object]:
    """The countries side by side and pooled (marts.programme_summary): countries by code, the programme last."""
    names = {**country_names, POOLED_CODE: text("pooled_name")}
    summary = summary.assign(name=summary["country"].map(names)).sort_values(
        ["country"], key=lambda codes: codes.map(lambda code: (code == POOLED_CODE, code)))
    changes = connection.execute("select country, change from intermediate.int_global_scores_paired").df()
    kpi_names = headline_labels(connection, text)
    kpis = summary.melt(id_vars="name", value_vars=list(KPI_COLUMNS.values()), var_name="kpi", value_name="pct_change")
    kpis["kpi"] = kpis["kpi"].map({column: kpi_names[kpi] for kpi, column in KPI_COLUMNS.items()})
    sections = [
        ("side_by_side", side_by_side_table(summary, text)),
        ("global_change_by_country", captioned(charts.draw(interval_chart, changes.assign(
            name=changes["country"].map(names)), pooled=names[POOLED_CODE]), text("interval_axis"))),
        ("kpis_by_country", captioned(charts.draw(grouped_bars, kpis, index="kpi", columns="name", values="pct_change",
                                                  unit=text.label("units", "pct_change")), text("kpi_change_title"))),
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


def score_label(code: str, name: str) -> str:
    """A score's label on a chart: its name, with its module's number (`M1 Workplace cooperation`,
    `Communication (M1)`)."""
    module, _, category = code.partition(".")
    if code == "global":
        return name
    return f"{name} ({module.upper()})" if category else f"{module.upper()} {name}"


LEVEL_ORDER = "case level when 'global' then 0 when 'module' then 1 else 2 end"  # score_change's rows, top down
BALANCE_FLAG = 0.25  # |normalized difference| beyond which the arms are flagged as unbalanced on a variable


def in_variable_order(mart: str, column: str) -> str:
    """A query of a design mart's rows of the country, in contract 8.3's order of its variables (the order of the
    model that lists them)."""
    return (f"select mart.* exclude (country) from marts.{mart} as mart left join (select distinct variable, "
            f"variable_order from intermediate.int_design_variables_compared) as listed on listed.variable = "
            f"mart.{column} where mart.country = $country order by listed.variable_order")


def variable_names(connection: duckdb.DuckDBPyConnection, text: Language) -> dict[str, str]:
    """The design variables' names (contract 8.3) in the report's language: the headline catalog's indicators,
    the codebook's modules (`score_m1`)."""
    modules = connection.execute(f"select distinct module, {text.words['codebook']['module']} "
                                 "from reference.codebook_practices").fetchall()
    return {**headline_labels(connection, text), **{f"score_{module}": score_label(module, name) for module, name in modules}}


def design_sections(connection: duckdb.DuckDBPyConnection, read: Callable[..., pd.DataFrame], currency: str,
                    text: Language, charts: Charts) -> list[tuple[str, str]]:
    """A country's evaluation design (contract 8.3), for a country with a sample frame (rows in marts.balance):
    the arms' balance at the baseline (flagged beyond BALANCE_FLAG), the difference in differences (its
    estimates with their intervals, and the table), attrition by arm with the Lee bounds, and the worker panel
    (the stayers' change beside all respondents'); none for a country without a frame."""
    balance = read(in_variable_order("balance", "variable"))
    if balance.empty:
        return []
    names = variable_names(connection, text)
    balance["variable"] = balance["variable"].map(names)
    did = read(in_variable_order("did", "outcome"))
    did["outcome"] = did["outcome"].map(names)
    estimates = did.rename(columns={"outcome": "label", "did": "estimate"})[["label", "estimate", "ci_low", "ci_high",
                                                                             "p_holm"]]
    attrition = labelled(read("select * exclude (country) from marts.attrition where country = $country "
                              "order by list_position($arms, arm)", arms=list(ARMS)), "arm", "arms", text)
    panel = labelled(read('select * exclude (country) from marts.worker_panel where country = $country '
                          'order by list_position($groups, "group")', groups=text.order("panel_groups")),
                     "group", "panel_groups", text)
    flagged = (balance["normalized_difference"].abs() > BALANCE_FLAG).tolist()
    return [
        ("design_balance", table(balance, currency, text, 3, flagged)
            + f'<p class="note">{html.escape(text("balance_flag", threshold=BALANCE_FLAG))}</p>'),
        ("design_did", captioned(charts.draw(estimates_chart, estimates), text("did_axis", flag=FLAG_LEVEL))
            + table(did.drop(columns=["t_stat", "df"]), currency, text, 3)),  # in the mart; the interval says more
        ("design_attrition", table(attrition, currency, text, 3)),
        ("design_worker_panel", table(panel, currency, text, 3)),
    ]


def country_part(connection: duckdb.DuckDBPyConnection, country: str, name: str, currency: str,
                 text: Language, charts: Charts) -> dict[str, object]:
    """One country's sections, every figure read from its rows of the marts, codes with their names in the
    report's language, every table in a stated order."""
    read = lambda sql, **more: connection.execute(sql, {"country": country, **more}).df()  # noqa: E731
    mine = "country = $country"
    names = text.words["codebook"]
    headline = read(f"select headline.* replace (catalog.{names['headline']} as label), catalog.summary_figure "
                    "from marts.headline_indicators as headline inner join reference.headline_catalog as catalog "
                    f"using (indicator) where {mine} order by catalog.sort_order")
    baseline_wave, perceptions_from = connection.execute(
        "select (select baseline_wave from marts.programme_summary where country = $country), "
        "(select min(wave) from marts.perceived_effects where country = $country)", {"country": country}).fetchone()
    later_baseline = {"pct_positive_effects": perceptions_from} if perceptions_from not in (None, baseline_wave) else {}
    change = read(f"select change.* exclude (country), names.name from marts.score_change as change "
                  f"left join ({code_names(text)}) as names using (code) where {mine} order by {LEVEL_ORDER}, code",
                  global_score=text("global_score"))
    change["label"] = [score_label(code, label) for code, label in zip(change["code"], change["name"])]
    spillover = read(f"select spillover.* exclude (country), names.name from marts.module_spillover as spillover "
                     f"left join ({code_names(text)}) as names on names.code = spillover.module where {mine} "
                     "order by module", global_score=text("global_score"))
    spillover["module"] = [score_label(code, label) for code, label in zip(spillover["module"], spillover["name"])]
    kpi = read(f"select catalog.{names['headline']} as kpi, kpi_change.* exclude (country, kpi) from marts.kpi_change "
               f"inner join reference.headline_catalog as catalog on catalog.indicator = kpi_change.kpi where {mine} "
               "order by catalog.sort_order, list_position($cost_structures, cost_structure)",
               cost_structures=text.order("cost_structures"))
    kpi = labelled(kpi, "cost_structure", "cost_structures", text)
    satisfaction = read(f"select items.{names['item']} as item, satisfaction.wave, satisfaction.mean "
                        "from marts.worker_satisfaction as satisfaction inner join reference.codebook_worker_items as items "
                        f"on items.item_id = satisfaction.item where {mine} order by items.item_id, wave")
    waves = sorted(satisfaction["wave"].unique())
    first_and_last = satisfaction[satisfaction["wave"].isin(waves[:1] + waves[-1:])]  # none before its waves are scored
    effects = read(f"select outcome, wave, n_responses, pct_positive, pct_influenced from marts.perceived_effects "
                   f"where {mine} order by list_position($outcomes, outcome), wave", outcomes=text.order("outcomes"))
    effects = labelled(effects, "outcome", "outcomes", text)
    evaluators = read(f"select * exclude (country) from marts.evaluator_effects where {mine} order by wave, evaluator")
    evaluator_scores = read("select wave, evaluator, global_score from intermediate.int_evaluator_scores_joined "
                            f"where {mine}")
    design = design_sections(connection, read, currency, text, charts)
    # The catalog's summary figures are those of Peru's published evaluation summary.
    sections = [
        ("headline", headline_table(headline, currency, text, later_baseline, with_summary=country == SUMMARY_COUNTRY)),
        *design,
        ("distributions", captioned(charts.draw(score_distribution_chart, read(
            f"select wave, global_score from marts.enterprise_scores where {mine} order by wave, ruc")),
            text("global_score_by_wave"))),
        ("score_changes", captioned(charts.draw(change_chart, change[["label", "mean_change", "ci_low", "ci_high", "p_holm"]]),
                                    text("change_axis", flag=FLAG_LEVEL))
            + table(change[["name", "code", "n_pairs", "baseline_mean", "endline_mean", "mean_change", "ci_low",
                            "ci_high", "t_stat", "p_holm", "p_wilcoxon", "effect_size_dz"]], currency, text, 3)),
        ("spillover", table(spillover.drop(columns="name"), currency, text, 3)),
        ("kpis", captioned(charts.draw(grouped_bars, kpi, index="kpi", columns="cost_structure", values="mean_pct_change",
                                       unit=text.label("units", "pct_change")), text("kpi_change_title"))
            + table(kpi, currency, text)),
        ("business", table(read(f"select * exclude (country) from marts.business_results where {mine} order by wave"),
                           currency, text)),
        ("satisfaction", captioned(charts.draw(grouped_bars, first_and_last, index="item", columns="wave", values="mean",
                                               unit=text.label("units", "score 1-5")), text("satisfaction_title"))
            + table(read(f"select wave, n_enterprises, n_respondents, mean from marts.worker_satisfaction "
                         f"where {mine} and item = 'overall' order by wave"), currency, text)),
        ("effects", captioned(charts.draw(grouped_bars, effects, index="outcome", columns="wave", values="pct_positive",
                                          unit="%"), text("effects_title")) + table(effects, currency, text)),
        ("evaluators", (captioned(charts.draw(evaluator_chart, evaluators, evaluator_scores),
                                  text("evaluator_title", flag=FLAG_LEVEL)) if len(evaluators)
                        else f"<p>{html.escape(text('no_evaluator'))}</p>") + table(evaluators, currency, text, 3)),
        ("quality", table(read(f"select * exclude (country) from marts.data_quality where {mine} "
                               "order by wave, instrument"), currency, text)),
        ("coverage", table(read("select n_waves_complete, count(*) as enterprises from marts.panel_coverage "
                                f"where {mine} group by all order by 1"), currency, text)),
    ]
    return {"code": country, "name": name, "waves": waves, "has_frame": bool(design),
            "sections": [section(key, content, text) for key, content in sections]}


def write_evaluation_report(warehouse: duckdb.DuckDBPyConnection, publish_dir: Path, charts_folder: Path,
                            stamp: Stamp) -> list[Path]:
    """Write the report in each language, each file atomically (temporary file, then os.replace); English
    (report.html) first. Its charts are drawn on every core while the reports are written, and kept in
    `charts_folder` for the next publication (Charts)."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    every = languages()
    with drawing_processes() as workers:
        charts = Charts(charts_folder, workers)
        documents = {text.file: build_report(warehouse, text, charts, stamp, [other for other in every if other != text])
                     for text in every}  # written while the charts are drawn
        for file, document in documents.items():
            temporary = publish_dir / f".{file}.tmp"
            temporary.write_text(charts.fill(document), encoding="utf-8")
            os.replace(temporary, publish_dir / file)
    charts.remove_unused()
    return [publish_dir / file for file in documents]
