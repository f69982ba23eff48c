"""The directors' weekly trends page under AppTest on the simulator's tiny demo: every section and
filter, the numbers on screen against models/ read directly, owner edits, downloads, languages,
and the completeness of the page's translation catalogue."""

from __future__ import annotations

import ast
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from models import access, effort, touchpoints, trends
from models.db import make_engine, session_factory
from models.kpis import KPIS, format_value
from models.settings import load_settings
from models.tables import AuditEvent, Queue, Team, Touchpoint
from tests.app.conftest import add_director
from tests.app.seed_data import ROOT, SEEDED_AT, TIMEOUT_S
from ui import i18n_trends
from ui.charts_trends import shown_value
from ui.i18n_trends import t

PAGE = str(ROOT / "pages" / "weekly_trends.py")
LATEST = SEEDED_AT.date()  # the demo's last data day (a Wednesday)
END = LATEST - timedelta(days=LATEST.weekday() + 1)  # the default: the last complete week's Sunday


def page(**session_state: object) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    for key, value in session_state.items():
        at.session_state[key] = value
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


# A read-only st.dataframe keeps no key in AppTest: tables are told apart by a column of their own.
TABLES = {
    "wt_scorecard_performance": ("col_kpi", 0),
    "wt_scorecard_customer": ("col_kpi", 1),
    "wt_effort_table": ("col_factor", 0),
    "wt_touchpoint_table": ("col_owner", 0),
    "wt_staffing_table": ("col_interval", 0),
}


def table(at: AppTest, key: str, locale: str = "en") -> pd.DataFrame:
    column, position = TABLES[key]
    found = [d.value for d in at.dataframe if t(column, locale) in d.value.columns]
    assert len(found) > position, f"no dataframe {key!r}"
    return found[position]


def charts(at: AppTest) -> list:  # type: ignore[type-arg]
    return at.get("plotly_chart")


def expected_card(
    database_url: str, filters: trends.TrendFilters, end: date, weeks: int = 13
) -> pd.DataFrame:
    """The scorecard read straight from models/ (not through the page)."""
    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            viewer = access.demo_viewer(session=session)
            assert viewer is not None
            start, last = trends.week_range(end=end, weeks=weeks)
            dims = trends.load_dimensions(session=session, viewer=viewer)
            sums = trends.load_daily_sums(session=session, viewer=viewer, start=start, end=last)
    finally:
        engine.dispose()
    return trends.weekly_scorecard(sums, dims, settings=settings, filters=filters, end=end, weeks=weeks)


def shown_this_week(at: AppTest, group: str) -> dict[str, str]:
    frame = table(at, f"wt_scorecard_{group}")
    return dict(zip(frame[t("col_kpi", "en")], frame[t("col_this_week", "en")], strict=True))


def expected_this_week(card: pd.DataFrame, group: str) -> dict[str, str]:
    rows = card[card["group"] == group]
    return {
        KPIS[k].label("en"): shown_value(k, v, "en")
        for k, v in zip(rows["kpi"], rows["this_week"], strict=True)
    }


def channels_of(db) -> set[str]:  # type: ignore[no-untyped-def]
    with db() as s:
        return set(s.execute(select(Queue.channel)).scalars().all())


@pytest.fixture
def db(seeded_env: str):  # type: ignore[no-untyped-def]
    engine = make_engine(seeded_env)
    yield session_factory(engine)
    engine.dispose()


# --- Overview and filters ---------------------------------------------------------------------------


def test_overview_shows_the_models_scorecard_side_by_side_and_two_trend_charts(seeded_env: str) -> None:
    at = ok(page())
    assert at.title[0].value == t("page_title", "en")
    card = expected_card(seeded_env, trends.TrendFilters(), END)
    for group in ("performance", "customer"):
        assert shown_this_week(at, group) == expected_this_week(card, group)
    performance = table(at, "wt_scorecard_performance")
    assert len(performance[t("col_trend", "en")].iloc[0]) == 13  # 13 weekly points by default
    assert any("Service level formula: short_abandons_excluded" in c.value for c in at.caption)
    assert not any(t("partial_week", "en", day=LATEST.isoformat()) in c.value for c in at.caption)
    figures = charts(at)
    assert len(figures) == 2
    assert len(at.get("download_button")) == 2  # scorecard CSV and Excel


@pytest.mark.parametrize(
    ("key", "filters"),
    [
        ("wt_channels", trends.TrendFilters(channels=("voice",))),
        ("wt_touchpoints", None),
        ("wt_teams", None),
        ("wt_sites", None),
    ],
)
def test_each_filter_gives_the_models_numbers_for_it(seeded_env: str, db, key: str, filters) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        team = s.execute(select(Team.id, Team.site_id).order_by(Team.id)).first()
        touchpoint = s.execute(select(Touchpoint.id).order_by(Touchpoint.id)).scalars().first()
    chosen = {
        "wt_channels": ["voice"],
        "wt_touchpoints": [touchpoint],
        "wt_teams": [team[0]],
        "wt_sites": [team[1]],
    }[key]
    filters = (
        filters
        or {
            "wt_touchpoints": trends.TrendFilters(touchpoint_ids=(touchpoint,)),
            "wt_teams": trends.TrendFilters(team_ids=(team[0],)),
            "wt_sites": trends.TrendFilters(site_ids=(team[1],)),
        }[key]
    )
    at = ok(page())
    everything = shown_this_week(at, "performance")
    at.multiselect(key=key).set_value(chosen)
    ok(at.run())
    card = expected_card(seeded_env, filters, END)
    assert shown_this_week(at, "performance") == expected_this_week(card, "performance")
    assert shown_this_week(at, "customer") == expected_this_week(card, "customer")
    label = KPIS["offered"].label("en")
    assert shown_this_week(at, "performance")[label] != everything[label]
    queue_only_note = any(t("agent_all_channels", "en") in c.value for c in at.caption)
    assert queue_only_note == (key in ("wt_channels", "wt_touchpoints"))


def test_weeks_and_latest_week(seeded_env: str) -> None:
    at = ok(page())
    assert at.selectbox(key="wt_end").value == END - timedelta(days=6)
    at.selectbox(key="wt_weeks").set_value(4)
    ok(at.run())
    assert len(table(at, "wt_scorecard_performance")[t("col_trend", "en")].iloc[0]) == 4
    at.selectbox(key="wt_end").select_index(0)  # the current, partial week
    ok(at.run())
    card = expected_card(seeded_env, trends.TrendFilters(), LATEST, weeks=4)
    assert shown_this_week(at, "performance") == expected_this_week(card, "performance")
    assert any(t("partial_week", "en", day=LATEST.isoformat()) in c.value for c in at.caption)


def traces(at: AppTest, position: int = 0) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(charts(at)[position].proto.spec)["data"]


def test_trend_lines_by_channel_and_by_day(db) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        team_names = set(s.execute(select(Team.name)).scalars().all())
        channels = set(s.execute(select(Queue.channel)).scalars().all())
    at = ok(page())
    assert {trace["name"] for trace in traces(at)} == team_names
    weekly_x = {x for trace in traces(at) for x in trace["x"]}
    assert all(date.fromisoformat(x[:10]).weekday() == 0 for x in weekly_x)  # ISO week Mondays
    at.segmented_control(key="wt_by").set_value("channel")
    at.segmented_control(key="wt_grain").set_value("day")
    ok(at.run())
    assert {trace["name"] for trace in traces(at)} == channels
    daily_x = {x for trace in traces(at) for x in trace["x"]}
    assert len(daily_x) > len(weekly_x) and any(date.fromisoformat(x[:10]).weekday() != 0 for x in daily_x)
    hover = traces(at)[1]["hovertemplate"]
    assert "n = %{customdata}" in hover and traces(at)[1]["xaxis"] == "x2"


# --- Sections ----------------------------------------------------------------------------------------------


def test_effort_section_lists_the_models_drivers(seeded_env: str) -> None:
    at = page()
    at.segmented_control(key="wt_section").set_value("effort")
    ok(at.run())
    shown = table(at, "wt_effort_table")
    settings = load_settings(database_url=seeded_env)
    engine = make_engine(seeded_env)
    with session_factory(engine)() as s:
        viewer = access.demo_viewer(session=s)
        start, last = trends.week_range(end=END, weeks=13)
        contacts = effort.load_effort_contacts(
            session=s, viewer=viewer, settings=settings, start=start, end=last
        )
    engine.dispose()
    drivers = effort.effort_drivers(contacts)
    assert len(shown) == len(drivers) > 5
    assert shown[t("col_touched", "en")].tolist() == [
        format_value("offered", n, "en") for n in drivers["n_with"]
    ]
    assert any(
        t("effort_answers", "en", n=format_value("offered", len(contacts), "en")) in c.value
        for c in at.caption
    )
    assert len(charts(at)) == 1 and len(at.get("download_button")) == 2


def test_touchpoint_section_map_sankey_and_audited_owner_edit(db) -> None:  # type: ignore[no-untyped-def]
    at = page()
    at.segmented_control(key="wt_section").set_value("touchpoints")
    ok(at.run())
    with db() as s:
        names = s.execute(select(Touchpoint.name).order_by(Touchpoint.name)).scalars().all()
        first = s.execute(select(Touchpoint.id).order_by(Touchpoint.id)).scalars().first()
    shown = table(at, "wt_touchpoint_table")
    assert sorted(shown[t("col_touchpoint", "en")]) == sorted(names)
    assert len(charts(at)) == 1  # the Sankey
    at.segmented_control(key="wt_nodes").set_value("channel")
    ok(at.run())
    sankey = traces(at)[0]
    assert sankey["type"] == "sankey" and set(sankey["node"]["label"]) <= channels_of(db)
    at.selectbox(key="wt_owner_tp").set_value(first)
    at.text_input(key="wt_owner_text").set_value("Customer Care – Iris")
    at.button(key="wt_owner_save").click()
    ok(at.run())
    assert [s.value for s in at.success] == [t("owner_saved", "en")]
    with db() as s:
        assert s.get(Touchpoint, first).owner == "Customer Care – Iris"
        assert s.execute(select(AuditEvent.action)).scalars().all() == ["touchpoint.owner"]
    assert "Customer Care – Iris" in table(at, "wt_touchpoint_table")[t("col_owner", "en")].tolist()


def test_owner_edit_refuses_bad_input(seeded_env: str) -> None:  # noqa: ARG001 - the seeded database
    at = page()
    at.segmented_control(key="wt_section").set_value("touchpoints")
    ok(at.run())
    at.text_input(key="wt_owner_text").set_value("x\u0007y")
    at.button(key="wt_owner_save").click()
    at.run()
    assert [e.value for e in at.error] == [t("owner_bad_characters", "en")]


def test_staffing_section_for_a_chosen_day(seeded_env: str) -> None:  # noqa: ARG001 - the seeded database
    at = page()
    at.segmented_control(key="wt_section").set_value("staffing")
    ok(at.run())
    assert at.selectbox(key="wt_day").value == END - timedelta(days=2)  # the week's last working day
    statuses = {"", t("status_ok", "en"), t("status_under", "en"), t("status_over", "en")}
    assert set(table(at, "wt_staffing_table")[t("col_status", "en")]) <= statuses
    at.selectbox(key="wt_day").set_value(END - timedelta(days=3))
    ok(at.run())
    shown = table(at, "wt_staffing_table")
    assert len(charts(at)) == 1 and shown[t("col_offered", "en")].tolist() != ["0"] * len(shown)
    assert any(c.value.startswith(t("patience", "en", values="")[:20]) for c in at.caption)
    # Agents serve every channel of their team: a channel filter leaves the staffing view as it is.
    at.multiselect(key="wt_channels").set_value(["voice"])
    ok(at.run())
    pd.testing.assert_frame_equal(table(at, "wt_staffing_table"), shown)
    assert any(t("staffing_all_channels", "en") in c.value for c in at.caption)


def test_report_section_offers_the_printable_report_and_workbook(seeded_env: str) -> None:  # noqa: ARG001
    at = page()
    at.segmented_control(key="wt_section").set_value("report")
    ok(at.run())
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [t("download_report", "en"), t("download_workbook", "en")]
    assert len(at.dataframe) == 4  # scorecard (2), effort drivers, touchpoints


def test_spanish_interface(seeded_env: str) -> None:  # noqa: ARG001 - the seeded database
    at = ok(page(locale="es"))
    assert at.title[0].value == "Tendencias semanales"
    assert t("col_this_week", "es") in table(at, "wt_scorecard_customer", "es").columns


def test_empty_database_says_what_to_do(app_env: str) -> None:  # noqa: ARG001 - the empty database
    add_director()
    at = ok(page())
    assert [i.value for i in at.info] == [t("no_data", "en")]


# --- Translation catalogue ----------------------------------------------------------------------------------


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, entry in i18n_trends.TEXT.items():
        assert set(entry) == set(i18n_trends.LOCALES), key
        assert all(entry[lang].strip() for lang in i18n_trends.LOCALES), key
        fields = [set(re.findall(r"{(\w+)}", entry[lang])) for lang in i18n_trends.LOCALES]
        assert fields[0] == fields[1], key


def test_every_literal_key_used_by_the_page_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "ui" / "trends.py", ROOT / "ui" / "charts_trends.py", Path(PAGE)):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    used.add(first.value)
    assert used and used <= set(i18n_trends.TEXT)
    # Keys built at run time from these values must exist too.
    dynamic = [f"factor_{f}" for f in effort.BINARY_FACTORS + effort.LEVEL_FACTORS]
    dynamic += [f"tenure_{label}" for label, _lo, _hi in effort.TENURE_BANDS]
    dynamic += [f"section_{s}" for s in ("overview", "effort", "touchpoints", "staffing", "report")]
    dynamic += [f"owner_{code}" for code in ("not_allowed", "too_long", "bad_characters", "not_found")]
    assert [k for k in dynamic if k not in i18n_trends.TEXT] == []
    assert touchpoints.OWNER_EDITORS == {"director", "admin"}


def test_split_range_keeps_recent_days_apart() -> None:
    from ui.trends_data import SETTLE_DAYS, split_range

    start, end = date(2026, 8, 17), date(2026, 11, 15)
    latest = date(2026, 11, 18)
    assert split_range(start, end, latest) == ((start, end), None)  # the week is settled
    latest = date(2026, 11, 16)
    settled, recent = split_range(start, end, latest)
    assert settled == (start, latest - timedelta(days=SETTLE_DAYS))
    assert recent == (latest - timedelta(days=SETTLE_DAYS - 1), end)
    assert split_range(end, end, end) == (None, (end, end))
