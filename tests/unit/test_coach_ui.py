"""Pure pieces of the coach's page: the string catalogue is complete in both languages, the figure
builders draw what they should (and never draw an undefined value as 0), the scorecard table and its
exports are formatted and formula-injection safe."""

from __future__ import annotations

import csv
import io
import string
from datetime import date

import pandas as pd
import pytest

from models import export
from models.scorecard import Scorecard
from models.themes import DEFAULT_LEXICON
from ui import charts_coach
from ui.coach import markdown_safe
from ui.coach_sections import export_frame, scorecard_display
from ui.i18n_coach import TEXT, t, theme_label


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_string_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, entry in TEXT.items():
        assert set(entry) == {"en", "es"}, key
        assert entry["en"].strip() and entry["es"].strip(), key
        assert _fields(entry["en"]) == _fields(entry["es"]), key


def test_every_built_in_theme_has_a_label_and_custom_themes_keep_their_name() -> None:
    for theme, _kind, _words in DEFAULT_LEXICON:
        assert f"theme_{theme}" in TEXT, theme
    assert theme_label("waiting", "es") == "Esperas"
    assert theme_label("headset_noise", "es") == "headset noise"
    assert t("weeks", "es", n=4) == "4 sem"


def _card() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"kpi": "aht", "side": "performance", "value": 312.0, "team_median": 300.0, "percentile": 75.0,
             "better_than": None, "peers": 9, "n": None, "low_confidence": False},
            {"kpi": "adherence", "side": "performance", "value": 0.9, "team_median": 0.95, "percentile": 20.0,
             "better_than": 20.0, "peers": 9, "n": None, "low_confidence": False},
            {"kpi": "csat", "side": "customer", "value": 0.8, "team_median": None, "percentile": 62.5,
             "better_than": 62.5, "peers": 9, "n": 7, "low_confidence": True},
            {"kpi": "nps", "side": "customer", "value": None, "team_median": None, "percentile": None,
             "better_than": None, "peers": 0, "n": 0, "low_confidence": True},
        ]
    )  # fmt: skip


def test_strengths_figure_shows_only_kpis_with_a_direction_and_a_value() -> None:
    fig = charts_coach.strengths_figure(_card(), locale="en")
    bar = fig.data[0]
    assert list(bar.y) == ["Adherence", "CSAT"] and list(bar.x) == [20.0, 62.5]
    assert list(bar.marker.color) == [charts_coach.GAP_COLOR, charts_coach.STRENGTH_COLOR]


def test_trend_figure_keeps_gaps_and_marks_sessions() -> None:
    trend = pd.DataFrame(
        {
            "week": [date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 18), date(2024, 3, 4)],
            "kpi": ["csat", "csat", "csat", "aht"],
            "value": [0.7, float("nan"), 0.9, 300.0],
            "team_median": [0.75, 0.8, 0.8, 310.0],
        }
    )
    sessions = pd.DataFrame(
        {"session_date": [date(2024, 3, 12), date(2024, 3, 5)], "focus_kpi": ["csat", "aht"]}
    )
    fig = charts_coach.trend_figure(trend, kpi="csat", sessions=sessions, locale="en")
    agent, team = fig.data
    assert list(agent.y) == [0.7, None, 0.9]  # the undefined week is a gap, not 0
    assert list(team.y) == [0.75, 0.8, 0.8]
    lines = list(fig.layout.shapes)
    assert len(lines) == 2
    styles = sorted((shape.line.dash, shape.line.width) for shape in lines)
    assert styles == [("dot", 1), ("solid", 2)]  # the session that focused on CSAT stands out
    assert fig.layout.yaxis.tickformat == ".0%"


def test_themes_figure_puts_pains_left_and_gains_right() -> None:
    counts = pd.DataFrame(
        {"theme": ["waiting", "billing", "friendly"], "kind": ["pain", "pain", "gain"], "comments": [4, 0, 3]}
    )
    fig = charts_coach.themes_figure(
        counts, labels={"waiting": "Waiting", "friendly": "Friendly"}, locale="en"
    )
    pains, gains = fig.data
    assert list(pains.x) == [-4] and list(pains.y) == ["Waiting"]  # a theme nobody mentioned is left out
    assert list(gains.x) == [3] and list(gains.customdata) == [3]


def test_scorecard_display_formats_values_positions_and_samples() -> None:
    shown = scorecard_display(_card(), "customer", "en", min_sample=10).set_index("KPI")
    assert shown.loc["CSAT", "Agent"] == "80.0 %"
    assert shown.loc["CSAT", "Team median"] == "—"
    assert shown.loc["CSAT", "Among peers"] == "better than 62 %"
    assert shown.loc["CSAT", "Answers"] == "7 ⚠ fewer than 10"
    assert shown.loc["NPS", "Agent"] == "—" and shown.loc["NPS", "Among peers"] == "—"
    performance = scorecard_display(_card(), "performance", "es", min_sample=10).set_index("Indicador")
    assert performance.loc["TMO (AHT)", "Entre sus pares"] == "más alto que el 75 %"  # no good direction


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_scorecard_csv_neutralises_formulas(payload: str) -> None:
    agent = pd.Series({"code": payload, "name": payload})
    card = Scorecard(kpis=_card(), team=payload, team_size=3, peers=9, queues=[])
    data = export.to_csv_bytes(export_frame(agent, card, date(2024, 3, 1), date(2024, 3, 28)))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 4
    for row in rows:
        for column in ("agent_code", "agent_name", "team"):
            assert row[column] == "'" + payload
    assert rows[0]["value"] == "312.0" and rows[2]["definition"] == "Customer outcome metrics / CSAT"


def test_markdown_safe_escapes_markup_in_names() -> None:
    expected = r"\*\*Ana\*\* \[x\]\(http\://e\) \<b\>"
    assert markdown_safe("**Ana** [x](http://e) <b>") == expected
