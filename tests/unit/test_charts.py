"""Figure builders: traces, axes and gaps on the returned go.Figure, without Streamlit."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import pytest

from ui.charts import ces_figure, offered_sl_figure

MADRID = ZoneInfo("Europe/Madrid")


def _frame() -> pd.DataFrame:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=MADRID)
    return pd.DataFrame(
        {
            "interval": [start + timedelta(minutes=15 * i) for i in range(3)],
            "offered": [12, 0, 7],
            "service_level": [0.75, float("nan"), 1.0],
            "ces": [5.5, float("nan"), 6.0],
            "ces_n": [4, 0, 1],
        }
    )


def test_offered_sl_has_bars_line_and_target_on_second_axis() -> None:
    fig = offered_sl_figure(_frame(), sl_target=0.8, locale="en")
    assert isinstance(fig, go.Figure)
    bars, sl, target = fig.data
    assert bars.type == "bar" and list(bars.y) == [12, 0, 7]
    assert sl.type == "scatter" and sl.yaxis == "y2"
    assert list(target.y) == [0.8, 0.8]
    assert target.yaxis == "y2"
    assert fig.layout.yaxis2.overlaying == "y"
    assert fig.layout.yaxis2.tickformat == ".0%"


def test_undefined_service_level_is_a_gap_not_zero() -> None:
    sl = offered_sl_figure(_frame(), sl_target=0.8, locale="en").data[1]
    assert sl.y[0] == 0.75 and sl.y[2] == 1.0
    assert sl.y[1] is None
    assert sl.connectgaps is False


def test_no_target_line_without_target() -> None:
    fig = offered_sl_figure(_frame(), sl_target=None, locale="en")
    assert [trace.type for trace in fig.data] == ["bar", "scatter"]


def test_labels_follow_locale() -> None:
    english = offered_sl_figure(_frame(), sl_target=0.8, locale="en")
    spanish = offered_sl_figure(_frame(), sl_target=0.8, locale="es")
    assert english.data[0].name == "Offered"
    assert spanish.data[0].name == "Ofrecidos"
    assert spanish.layout.yaxis2.title.text == "Nivel de servicio"


def test_ces_line_carries_sample_sizes_and_gaps() -> None:
    fig = ces_figure(_frame(), locale="en")
    (trace,) = fig.data
    assert trace.y[0] == 5.5 and trace.y[1] is None and trace.y[2] == 6.0
    assert list(trace.customdata) == [4, 0, 1]
    assert "customdata" in trace.hovertemplate
    low, high = fig.layout.yaxis.range
    assert low < 1 and high > 7


def test_empty_frame_gives_empty_but_valid_figures() -> None:
    empty = _frame().iloc[0:0]
    sl_fig = offered_sl_figure(empty, sl_target=0.8, locale="en")
    assert [len(trace.x) for trace in sl_fig.data] == [0, 0]  # no target line without an x range
    assert len(ces_figure(empty, locale="en").data[0].x) == 0


def test_missing_column_is_refused() -> None:
    with pytest.raises(ValueError, match="ces_n"):
        ces_figure(_frame().drop(columns=["ces_n"]), locale="en")
