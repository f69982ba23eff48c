"""Live figure builders (traces, axes, gaps, colour-blind cues) and the live string catalogue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import pytest

from ui import charts_live
from ui.i18n import LOCALES
from ui.i18n_live import TEXT, t

MADRID = ZoneInfo("Europe/Madrid")
START = datetime(2026, 3, 2, 9, 0, tzinfo=MADRID)


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def test_every_live_string_has_every_language() -> None:
    missing = [(key, loc) for key, entry in TEXT.items() for loc in LOCALES if not entry.get(loc)]
    assert missing == []
    assert t("board_count", "es", shown=3, total=7) == "3 de 7 agentes"


def test_catalogue_check_can_fail() -> None:
    broken = {"x": {"en": "only English"}}
    assert [(k, loc) for k, e in broken.items() for loc in LOCALES if not e.get(loc)] == [("x", "es")]


def test_sparkline_marks_intervals_below_target_by_shape_and_keeps_gaps() -> None:
    frame = pd.DataFrame({"interval": [_at(0), _at(15), _at(30)], "service_level": [0.9, float("nan"), 0.6]})
    fig = charts_live.sparkline_figure(frame, target=0.8)
    line, target = fig.data
    assert list(line.y) == [0.9, None, 0.6]
    assert list(line.marker.symbol) == ["circle", "circle", "triangle-down"]
    assert list(target.y) == [0.8, 0.8] and target.line.dash == "dash"  # the target line
    no_target = charts_live.sparkline_figure(frame, target=None)
    assert len(no_target.data) == 1 and list(no_target.data[0].marker.symbol) == ["circle"] * 3


def test_sparkline_refuses_a_frame_without_its_columns() -> None:
    with pytest.raises(ValueError, match="service_level"):
        charts_live.sparkline_figure(pd.DataFrame({"interval": []}), target=0.8)


def test_intraday_has_offered_bars_and_three_staff_lines_on_the_second_axis() -> None:
    frame = pd.DataFrame(
        {
            "interval": [_at(0), _at(15)],
            "offered": [50, 20],
            "required": [14, 6],
            "logged_in": [12.5, 7.0],
            "scheduled": [13.0, float("nan")],
        }
    )
    fig = charts_live.intraday_figure(frame, locale="es")
    assert isinstance(fig, go.Figure)
    bars, required, logged_in, scheduled = fig.data
    assert bars.type == "bar" and list(bars.y) == [50, 20] and bars.name == "Ofrecidos"
    assert [tr.name for tr in (required, logged_in, scheduled)] == [
        "Necesarios (Erlang C)",
        "Conectados",
        "Planificados",
    ]
    assert {tr.yaxis for tr in (required, logged_in, scheduled)} == {"y2"}
    assert list(required.y) == [14.0, 6.0] and list(scheduled.y) == [13.0, None]
    # colour-blind safe: the three lines differ by dash and marker too, not by colour alone
    assert len({tr.line.dash for tr in (required, logged_in, scheduled)}) == 3
    assert len({tr.marker.symbol for tr in (required, logged_in, scheduled)}) == 3
    assert fig.layout.yaxis2.overlaying == "y"
    with pytest.raises(ValueError, match="required"):
        charts_live.intraday_figure(frame.drop(columns="required"), locale="en")


def _timeline() -> dict[str, pd.DataFrame]:
    def rows(**cols: list) -> pd.DataFrame:
        return pd.DataFrame(cols)

    return {
        "schedule": rows(activity=["work", "break"], start=[_at(0), _at(40)], end=[_at(120), _at(55)]),
        "states": rows(
            state=["available", "aux", "on_contact"],
            reason=[None, "meeting", None],
            start=[_at(0), _at(50), _at(70)],
            end=[_at(50), _at(70), _at(90)],
        ),
        "out_of_adherence": rows(start=[_at(50)], end=[_at(70)], seconds=[1200.0]),
    }


def test_timeline_has_schedule_actual_and_out_of_adherence_rows() -> None:
    fig = charts_live.timeline_figure(_timeline(), agent="Bruno", locale="en")
    schedule, actual, ooa = fig.data
    assert (
        set(schedule.y) == {"Schedule"} and set(actual.y) == {"Actual"} and set(ooa.y) == {"Out of adherence"}
    )
    assert list(schedule.text) == ["work", "break"]
    assert list(actual.text) == ["🟢 Available", "meeting", "📞 On contact"]
    assert list(actual.x) == [50 * 60_000, 20 * 60_000, 20 * 60_000]  # bar lengths in ms from `base`
    assert actual.base[1] == _at(50)
    patterns = list(actual.marker.pattern.shape)
    assert len(set(patterns)) == 3  # each state its own pattern as well as its colour
    assert list(ooa.text) == ["⚠"] and ooa.marker.pattern.shape[0] == "x"
    assert fig.layout.shapes[0].x0 == _at(50)  # the stretch is also shaded across the chart
    assert "Bruno" in fig.layout.title.text
    assert list(fig.layout.yaxis.categoryarray) == ["Out of adherence", "Actual", "Schedule"]


def test_timeline_with_nothing_to_mark_has_empty_rows() -> None:
    day = _timeline()
    day["out_of_adherence"] = day["out_of_adherence"].iloc[0:0]
    fig = charts_live.timeline_figure(day, agent="Ana", locale="es")
    assert len(fig.data[2].x) == 0 and not fig.layout.shapes
    assert set(fig.data[0].y) == {"Planificado"}
    assert list(fig.data[0].text) == ["trabajo", "descanso"]
