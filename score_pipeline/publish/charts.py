"""The report's charts, drawn with matplotlib's object API (no backend, no global figure state) into inline SVG,
kept by what they are drawn from and drawn on every core (Charts). Every label a chart shows comes in its data or
its options, in the report's language; a legend is drawn beside the plot, never over it, and long labels are on
horizontal bars."""

from __future__ import annotations

import gc
import hashlib
import html
import io
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from score_pipeline.stats import FLAG_LEVEL, mean_interval

NOTHING_TO_DRAW = ""  # a chart of no figure (a country's first wave has no change, no perceptions yet)
BAR_HEIGHT_INCHES = 0.16  # one bar of a group of horizontal bars
LABEL_ROW_INCHES = 0.3  # one row of a chart with a label per row
PANEL_ROW_INCHES = 0.5  # one row of a chart with an axis per row
SCORE_UNIT = "1-5"  # the scores' axis: its meaning is in the caption


def svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


class Charts:
    """The report's drawings, each kept by what it is drawn from: the drawing function, its options and its
    data (and this module's code and matplotlib's version). A chart whose data did not change since the last
    publication (another country's new wave, the other language's report when it shows no words) is read back
    instead of drawn: drawing is most of a report's time. Kept as SVG files in `folder`; those no report used
    are removed.

    With `workers` (drawing_processes()), a chart to draw is handed to them and `draw` returns a mark that
    `fill` replaces with the drawing once it is done: the report is written on while its charts are drawn. When
    the reports are written, this process draws too: the charts no worker has started, from the last one back,
    while the workers go on from the first."""

    def __init__(self, folder: Path, workers: Executor | None = None):
        self.folder, self.used, self.workers = folder, set(), workers
        self.pending: dict[str, tuple[Future[str], Callable[[], str]]] = {}  # a worker's drawing, or this one's
        folder.mkdir(parents=True, exist_ok=True)

    def draw(self, function: Callable[..., str], *frames: pd.DataFrame, **options: object) -> str:
        digest = hashlib.sha256(f"{CODE_VERSION}|{function.__name__}|{sorted(options.items())!r}".encode())
        for frame in frames:
            digest.update(frame.to_csv(index=False).encode())
        name = digest.hexdigest()[:24]
        self.used.add(f"{name}.svg")
        if name in self.pending:
            return CHART_MARK.format(name=name)
        if (self.folder / f"{name}.svg").is_file():
            return self._kept(name)
        if self.workers is None:
            return self._keep(name, function(*frames, **options))
        drawing = partial(function, *frames, **options)
        self.pending[name] = (self.workers.submit(drawing), drawing)
        return CHART_MARK.format(name=name)

    def fill(self, document: str) -> str:
        """The document with each chart's drawing in place of its mark; a chart with nothing to draw goes, with
        its caption."""
        for name, (handed, draw_here) in reversed(list(self.pending.items())):
            if not handed.cancel():  # a worker has started it: and every one before it
                break
            self._keep(name, draw_here())
            del self.pending[name]

        def drawing(mark: re.Match[str]) -> str:
            name, caption = mark["name"], mark["caption"] or ""
            drawn = self._keep(name, self.pending.pop(name)[0].result()) if name in self.pending else self._kept(name)
            return "" if drawn == NOTHING_TO_DRAW else drawn + caption
        return MARKED_CHART.sub(drawing, document)

    def _kept(self, name: str) -> str:
        return (self.folder / f"{name}.svg").read_text(encoding="utf-8")

    def _keep(self, name: str, drawing: str) -> str:
        temporary = self.folder / f"{name}.tmp"
        temporary.write_text(drawing, encoding="utf-8")
        os.replace(temporary, self.folder / f"{name}.svg")
        return drawing

    def remove_unused(self) -> None:
        for path in self.folder.glob("*.svg"):
            if path.name not in self.used:
                path.unlink(missing_ok=True)


CAPTION = '<p class="caption">{caption}</p>'
CHART_MARK = "<!--chart:{name}-->"  # a chart being drawn, in a document Charts.fill completes
MARKED_CHART = re.compile(CHART_MARK.format(name=r"(?P<name>\w+)")
                          + "(?P<caption>" + re.escape(CAPTION).replace(r"\{caption\}", ".*?") + ")?", re.DOTALL)


def captioned(chart: str, caption: str) -> str:
    """A chart with its title and axes described under it in the report's language; nothing for a chart with
    nothing to draw."""
    return chart + CAPTION.format(caption=html.escape(caption)) if chart != NOTHING_TO_DRAW else ""


@contextmanager
def drawing_processes() -> Iterator[Executor | None]:
    """Processes that draw charts, one per core this process may use besides its own (none on one core), exiting
    with the block; a failure in the block cancels the drawings not started. They are forked from this process,
    which has imported matplotlib: they start at once, and share its pages until they write to them (a server
    that imported matplotlib anew for them took 1.3 s to start, and it and two workers 330 MB). What they run
    touches no lock another thread of this process may hold (no logging, no database)."""
    others = len(os.sched_getaffinity(0)) - 1
    if others < 1:
        yield None
        return
    gc.freeze()  # this process's objects out of the collector's sight: a collection in a worker would copy them all
    workers = ProcessPoolExecutor(max_workers=others, mp_context=multiprocessing.get_context("fork"))
    try:
        yield workers
    except BaseException:
        workers.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        workers.shutdown(wait=True)
    finally:
        gc.unfreeze()


# What a kept chart depends on besides its data: how this module draws, and matplotlib's drawing.
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes() + matplotlib.__version__.encode()).hexdigest()[:16]


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
    """Each score's (`label`) mean change with its 95 % interval, top to bottom in the frame's order; green:
    Holm p < FLAG_LEVEL."""
    rows = change.iloc[::-1]
    if rows.empty:
        return NOTHING_TO_DRAW
    figure = Figure(figsize=(8, LABEL_ROW_INCHES * len(rows) + 1))
    axis = figure.subplots()
    colours = ["#2a7" if p < FLAG_LEVEL else "#999" for p in rows["p_holm"]]
    axis.errorbar(rows["mean_change"], range(len(rows)), xerr=[rows["mean_change"] - rows["ci_low"],
                  rows["ci_high"] - rows["mean_change"]], fmt="none", ecolor="#555")
    axis.scatter(rows["mean_change"], range(len(rows)), c=colours, zorder=3)
    axis.set_yticks(range(len(rows)), rows["label"])
    axis.set_ylim(-0.7, len(rows) - 0.3)
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


def grouped_bars_figure(frame: pd.DataFrame, index: str, columns: str, values: str, unit: str) -> Figure | None:
    """Horizontal bars: a row per `index` label (top to bottom in the frame's order, long labels readable), a
    bar per `columns` label in it, its legend beside the plot (outside the axes: it covers no bar); None when
    there is no value to draw."""
    wide = frame.pivot(index=index, columns=columns, values=values).reindex(
        index=pd.unique(frame[index]), columns=pd.unique(frame[columns]))
    if not wide.notna().to_numpy().any():
        return None
    figure = Figure(figsize=(9, BAR_HEIGHT_INCHES * wide.size + 0.25 * len(wide) + 0.8))
    axis = figure.subplots()
    colours = [f"C{position}" for position in range(wide.shape[1])]  # the default cycle, in the columns' order
    wide.iloc[::-1, ::-1].plot.barh(ax=axis, width=0.8, legend=False, color=colours[::-1])  # first row and bar on top
    handles, labels = axis.get_legend_handles_labels()
    axis.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axis.set_ylabel("")
    axis.set_xlabel(unit)
    axis.axvline(0, color="#000", linewidth=0.8)
    return figure


def grouped_bars(frame: pd.DataFrame, index: str, columns: str, values: str, unit: str) -> str:
    figure = grouped_bars_figure(frame, index, columns, values, unit)
    return NOTHING_TO_DRAW if figure is None else svg(figure)


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
    axis.set_ylim(-0.6, len(groups) - 0.4)
    axis.axvline(0, color="#000", linewidth=0.8)
    return svg(figure)


def estimates_figure(estimates: pd.DataFrame) -> Figure | None:
    """Each row's estimate (`label`, `estimate`) with its 95 % interval (`ci_low`, `ci_high`), top to bottom in the
    frame's order, each on an axis of its own with zero in its middle: outcomes in different units (scores,
    percent, money) are not put on one scale. Green: Holm p (`p_holm`) < FLAG_LEVEL; rows without an estimate
    are left out (None when no row has one)."""
    rows = estimates.dropna(subset=["estimate"]).reset_index(drop=True)
    if rows.empty:
        return None
    figure = Figure(figsize=(8, PANEL_ROW_INCHES * len(rows)))
    axes = figure.subplots(len(rows), 1, squeeze=False)[:, 0]
    figure.subplots_adjust(hspace=1.3)
    for axis, row in zip(axes, rows.itertuples()):
        flagged = pd.notna(row.p_holm) and row.p_holm < FLAG_LEVEL
        low = row.estimate - row.ci_low if pd.notna(row.ci_low) else 0
        high = row.ci_high - row.estimate if pd.notna(row.ci_high) else 0
        axis.errorbar(row.estimate, 0, xerr=[[low], [high]], fmt="o", color="#2a7" if flagged else "#777", capsize=3)
        axis.axvline(0, color="#000", linewidth=0.8)
        axis.set_yticks([0], [row.label])
        axis.tick_params(axis="x", labelsize=7)
        axis.xaxis.set_major_locator(MaxNLocator(nbins=6, symmetric=True))
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))  # 400,000, not 400000
        for side in ("top", "right", "left"):
            axis.spines[side].set_visible(False)
        span = max(abs(value) for value in (row.ci_low, row.ci_high, row.estimate) if pd.notna(value)) or 1
        axis.set_xlim(-1.1 * span, 1.1 * span)  # zero in the middle: the sign reads at a glance
    return figure


def estimates_chart(estimates: pd.DataFrame) -> str:
    figure = estimates_figure(estimates)
    return NOTHING_TO_DRAW if figure is None else svg(figure)
