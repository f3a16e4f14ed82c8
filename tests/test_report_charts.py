"""The report's charts are kept by what they are drawn from (issue 27): a chart whose data did not change is read
back instead of drawn, whatever the language, publication after publication."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from score_pipeline.publish.report import Charts


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
