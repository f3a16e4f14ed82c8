"""The report's charts are kept by what they are drawn from (issue 27): a chart whose data did not change is read
back instead of drawn, whatever the language, publication after publication; their legends cover no data and
long labels are read on horizontal bars (issue 28), measured on matplotlib's drawn figure."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from score_pipeline.publish.charts import (
    NOTHING_TO_DRAW, Charts, captioned, drawing_processes, estimates_figure, grouped_bars_figure,
)


def test_a_chart_is_drawn_once_for_the_same_data_and_again_when_its_data_changes(tmp_path: Path) -> None:
    drawn: list[int] = []

    def draw(frame: pd.DataFrame, unit: str) -> str:
        drawn.append(len(frame))
        return f"<svg>{frame['x'].sum()} {unit}</svg>"

    old, new = pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [1, 2, 3]})
    first = Charts(tmp_path)
    assert first.draw(draw, old, unit="%") == "<svg>3 %</svg>"
    assert first.draw(draw, old, unit="%") == "<svg>3 %</svg>"  # the other language's report
    first.remove_unused()
    second = Charts(tmp_path)  # the next publication
    assert second.draw(draw, old, unit="%") == "<svg>3 %</svg>"
    assert second.draw(draw, new, unit="%") == "<svg>6 %</svg>"
    assert second.draw(draw, old, unit="s") == "<svg>3 s</svg>"  # other options: another chart
    assert drawn == [2, 3, 2]
    third = Charts(tmp_path)
    third.draw(draw, new, unit="%")
    third.remove_unused()
    assert len(list(tmp_path.glob("*.svg"))) == 1 and drawn == [2, 3, 2]


def process_chart(frame: pd.DataFrame) -> str:
    """A drawing that says which process drew it, taking its time as a real chart does."""
    time.sleep(0.3)
    return f"<svg>{frame['x'].sum()} by {os.getpid()}</svg>"


def empty_chart(frame: pd.DataFrame) -> str:
    return NOTHING_TO_DRAW


def test_charts_are_drawn_by_a_worker_and_this_process_and_filled_in_where_the_report_marked_them(
        tmp_path: Path) -> None:
    frames = [pd.DataFrame({"x": [n, 1]}) for n in range(6)]
    with drawing_processes() as workers:
        assert workers is not None  # the suite runs on two cores
        charts = Charts(tmp_path, workers)
        document = (f"<h2>empty</h2>{captioned(charts.draw(empty_chart, frames[0]), 'Nothing yet')}"
                    + "".join(f"<h2>{n}</h2>{captioned(charts.draw(process_chart, frame), f'Chart {n} & more')}"
                              for n, frame in enumerate(frames))
                    + f"<h2>again</h2>{captioned(charts.draw(process_chart, frames[0]), 'Again')}")
        assert "<svg>" not in document  # marks, filled in once drawn
        first = next(iter(charts.pending.values()))[0]
        deadline = time.monotonic() + 30
        while not (first.running() or first.done()):  # the worker has taken the first chart
            assert time.monotonic() < deadline
            time.sleep(0.01)
        filled = charts.fill(document)
    pattern = ('<h2>empty</h2>' + "".join(rf'<h2>{n}</h2><svg>{n + 1} by (\d+)</svg><p class="caption">Chart {n} &amp; more</p>'
                                          for n in range(6)) + r'<h2>again</h2><svg>1 by (\d+)</svg><p class="caption">Again</p>')
    drawn = re.fullmatch(pattern, filled)
    assert drawn is not None, filled
    drawers = [int(pid) for pid in drawn.groups()]
    assert drawers[0] != os.getpid() and drawers[-1] == drawers[0]  # the first by a worker, drawn once
    assert drawers[5] == os.getpid()  # the last by this process, while the worker drew the first
    assert Charts(tmp_path).draw(process_chart, frames[0]) == f"<svg>1 by {drawers[0]}</svg>"  # kept


def bar_and_legend_extents(figure: Figure) -> tuple[Bbox, list[Bbox]]:
    """The legend's box and every bar's box on the drawn figure, in display pixels."""
    FigureCanvasAgg(figure)
    figure.draw_without_rendering()
    axis = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    bars = [patch.get_window_extent(renderer) for container in axis.containers for patch in container]
    return axis.get_legend().get_window_extent(renderer), bars


def test_a_legend_covers_no_bar_of_its_chart() -> None:
    """The KPI changes by country of the sample's programme summary (README: Colombia, Peru, Programme), where
    a legend placed in the plot covered Peru's absenteeism bar (issue 28): the legend's box meets no bar's."""
    kpis = pd.DataFrame({
        "kpi": [kpi for kpi in ("Absenteeism", "Accidents", "Defects", "Turnover", "Waste") for _ in range(3)],
        "name": ["Colombia", "Peru", "Programme"] * 5,
        "pct_change": [-18.0, -34.0, -27.6, -26.3, -42.0, -36.2, -30.0, -22.1, -24.3, -8.0, -12.0, -10.6,
                       -15.1, -33.0, -27.8]})
    legend, bars = bar_and_legend_extents(grouped_bars_figure(kpis, index="kpi", columns="name", values="pct_change",
                                                              unit="% change"))
    assert len(bars) == 15 and all(bar.width > 0 for bar in bars)
    assert [bar for bar in bars if legend.overlaps(bar)] == []


def test_bars_are_horizontal_with_the_first_row_and_bar_on_top_and_labels_as_given() -> None:
    """Long labels (worker items) are read on the left of horizontal bars, in the frame's order from the top."""
    frame = pd.DataFrame({"item": ["Communication with supervisors"] * 2 + ["Overall satisfaction with the enterprise"] * 2,
                          "wave": ["2017-baseline", "2019-endline"] * 2, "mean": [3.4, 3.8, 3.6, 3.9]})
    figure = grouped_bars_figure(frame, index="item", columns="wave", values="mean", unit="score 1-5")
    legend, bars = bar_and_legend_extents(figure)
    axis = figure.axes[0]
    top_down = [label.get_text() for label in axis.get_yticklabels()][::-1]
    assert top_down == ["Communication with supervisors", "Overall satisfaction with the enterprise"]
    assert [text.get_text() for text in axis.get_legend().get_texts()] == ["2017-baseline", "2019-endline"]
    patches = [patch for container in axis.containers for patch in container]
    top_down_values = [patch.get_width() for patch in sorted(patches, key=lambda patch: -patch.get_y())]
    assert top_down_values == [3.4, 3.8, 3.6, 3.9]  # each item's baseline bar above its endline bar
    assert axis.get_xlabel() == "score 1-5" and [bar for bar in bars if legend.overlaps(bar)] == []


def test_estimates_in_different_units_each_get_an_axis_with_zero_in_its_middle() -> None:
    """The design's DiD chart (contract 8.3): a score's 0.6 and annual sales' 77,803 on one axis would flatten
    the score; an outcome without an estimate (no enterprise at both waves) is left out; green: Holm p < 0.05."""
    estimates = pd.DataFrame({"label": ["Global score", "Annual sales", "Unit cost"], "estimate": [0.6, 77803.0, None],
                              "ci_low": [0.46, -281289.0, None], "ci_high": [0.74, 436894.0, None],
                              "p_holm": [1e-6, 1.0, None]})
    figure = estimates_figure(estimates)
    assert [axis.get_yticklabels()[0].get_text() for axis in figure.axes] == ["Global score", "Annual sales"]
    for axis, (low, high) in zip(figure.axes, [(0.46, 0.74), (-281289.0, 436894.0)]):
        left, right = axis.get_xlim()
        assert left == -right and left < low and high < right  # the interval inside, zero in the middle
    score_colour = figure.axes[0].lines[0].get_color()
    assert (score_colour, figure.axes[1].lines[0].get_color()) == ("#2a7", "#777")
    assert estimates_figure(estimates.iloc[2:]) is None
