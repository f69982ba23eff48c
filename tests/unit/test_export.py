"""Exports of the weekly page: formula injection is neutralised, CSV and Excel open and hold exactly
the tables shown on screen, the HTML report is inert and printable; plus the pure table and figure
builders those tables and charts come from."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openpyxl import load_workbook

from models import export
from models.trends import Dimensions
from ui import charts_trends as builders
from ui.i18n_trends import t

PAYLOADS = ["=1+1", "+34 600 000 000", "-2+3", "@SUM(A1:A2)", "\t=cmd", "\r=cmd", '=HYPERLINK("http://x")']


def _card() -> pd.DataFrame:
    """A scorecard as models.trends returns it (hand-built: two weeks, three KPIs)."""
    weeks = [date(2026, 11, 9), date(2026, 11, 16)]
    return pd.DataFrame(
        [
            {"kpi": "service_level", "group": "performance", "this_week": 0.825, "last_week": 0.8,
             "change": 0.025, "improved": True, "series": [0.8, 0.825], "weeks": weeks, "target": 0.8,
             "n": 1200, "low_confidence": False, "all_channels": False},
            {"kpi": "aht", "group": "performance", "this_week": 305.0, "last_week": 290.0, "change": 15.0,
             "improved": None, "series": [290.0, 305.0], "weeks": weeks, "target": None, "n": 1100,
             "low_confidence": False, "all_channels": False},
            {"kpi": "ces", "group": "customer", "this_week": 5.25, "last_week": None, "change": None,
             "improved": None, "series": [None, 5.25], "weeks": weeks, "target": None, "n": 8,
             "low_confidence": True, "all_channels": False},
        ]
    )  # fmt: skip


# --- Formula injection ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_cells_that_would_run_as_formulas_get_an_apostrophe(payload: str) -> None:
    assert export.neutralise(payload) == "'" + payload


@pytest.mark.parametrize("value", ["a=b", "", "Billing & payments", "5.3 (n = 12)", 5, -3, 2.5, None])
def test_other_values_pass_unchanged(value: object) -> None:
    assert export.neutralise(value) == value


def test_csv_neutralises_payloads_in_cells_and_headers() -> None:
    frame = pd.DataFrame({"=owner": PAYLOADS, "n": range(len(PAYLOADS))})
    raw = export.to_csv_bytes(frame)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the accents right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["'=owner", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS]
    assert all(not r[0].startswith(export.FORMULA_STARTS) for r in rows[1:])
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(PAYLOADS))]


def test_excel_never_stores_a_formula() -> None:
    frame = pd.DataFrame({"owner": PAYLOADS, "n": [-1] * len(PAYLOADS)})
    book = load_workbook(io.BytesIO(export.to_excel_bytes({"Owners": frame})))
    sheet = book["Owners"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    stored = [sheet.cell(row=i + 2, column=1).value for i in range(len(PAYLOADS))]
    # XML turns a carriage return into a line feed; the text is otherwise kept, behind the apostrophe.
    assert stored == ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    assert sheet.cell(row=2, column=2).value == -1  # numbers stay numbers


def test_excel_sheet_names_are_valid_and_unique() -> None:
    frame = pd.DataFrame({"a": [1]})
    long = "Cuadro de mando semanal: rendimiento / cliente"
    book = load_workbook(io.BytesIO(export.to_excel_bytes({long: frame, long + " ": frame, "a[b]": frame})))
    names = book.sheetnames
    assert len(names) == 3 and len({n.lower() for n in names}) == 3
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


# --- Exports match the screen -------------------------------------------------------------------------


def test_scorecard_table_shows_formatted_values_and_flags() -> None:
    shown = builders.scorecard_table(_card(), group="performance", locale="en", min_sample=10)
    assert shown[t("col_kpi", "en")].tolist() == ["Service level", "AHT"]
    assert shown[t("col_this_week", "en")].tolist() == ["82.5 %", "5:05"]
    assert shown[t("col_change", "en")].tolist() == ["▲ 2.5 pp · better", "▲ 15 s"]
    assert shown[t("col_target", "en")].tolist() == ["80.0 %", "—"]
    customer = builders.scorecard_table(_card(), group="customer", locale="es", min_sample=10)
    assert customer[t("col_last_week", "es")].tolist() == ["—"]
    assert customer[t("col_this_week", "es")].tolist() == ["5,2"]
    assert customer[t("col_flag", "es")].tolist() == ["⚠ menos de 10 respuestas"]


def test_csv_and_excel_of_the_scorecard_match_the_screen() -> None:
    card = pd.concat(
        [
            _card(),
            pd.DataFrame(
                [
                    {"kpi": "nps", "group": "customer", "this_week": -15.0, "last_week": 23.0,
                     "change": -38.0, "improved": False, "series": [23.0, -15.0],
                     "weeks": [date(2026, 11, 9), date(2026, 11, 16)], "target": None, "n": 40,
                     "low_confidence": False, "all_channels": False},
                ]
            ),
        ],
        ignore_index=True,
    )  # fmt: skip
    exported = builders.scorecard_export(card, locale="en", min_sample=10)
    on_screen = pd.concat(
        [
            builders.scorecard_table(card, group=g, locale="en", min_sample=10)
            for g in ("performance", "customer")
        ],
        ignore_index=True,
    ).drop(columns=[t("col_trend", "en")])
    rows = list(csv.reader(io.StringIO(export.to_csv_bytes(exported).decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    for column in on_screen.columns:
        position = header.index(column)
        assert [r[position] for r in body] == on_screen[column].tolist()
    assert [r[header.index("2026-11-09")] for r in body] == ["80.0 %", "4:50", "—", "23"]
    nps = body[-1]
    assert nps[header.index(t("col_this_week", "en"))] == "−15" and nps[
        header.index(t("col_change", "en"))
    ] == ("▼ 38 · worse")
    assert not any(cell.startswith(export.FORMULA_STARTS) for row in body for cell in row)
    sheet = load_workbook(io.BytesIO(export.to_excel_bytes({"Scorecard": exported})))["Scorecard"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == header
    assert [[("" if v is None else v) for v in row] for row in values[1:]] == body


def test_report_is_inert_html_with_sparklines() -> None:
    hostile = "<script>alert(1)</script> & <b>bold</b>"
    section = export.ReportSection(
        "Effort", pd.DataFrame({"Factor": [hostile], "n": [3]}), note=hostile, series=[[1.0, None, 2.0, 3.0]]
    )
    page = export.weekly_report_html(title="Weekly <report>", subtitle="x", sections=[section], language="es")
    assert "<script" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<title>Weekly &lt;report&gt;</title>" in page and '<html lang="es">' in page
    assert "@media print" in page
    assert page.count("<circle") == 1 and page.count("<polyline") == 1  # the gap splits the line


def test_sparkline_without_values_is_empty() -> None:
    assert export.sparkline_svg([None, None]) == ""


# --- Table and figure builders ----------------------------------------------------------------------------


def _dims() -> Dimensions:
    return Dimensions(
        queues=pd.DataFrame(columns=["id", "name", "channel", "touchpoint_id", "team_id", "site_id"]),
        teams=pd.DataFrame(columns=["id", "name", "site_id"]),
        sites=pd.DataFrame(columns=["id", "name"]),
        touchpoints=pd.DataFrame(
            {"id": [1], "key": ["billing"], "name": ["Billing & payments"], "owner": [None]}
        ),
    )


def _drivers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "factor": ["transfer", "touchpoint", "tenure_band"],
            "level": [None, "billing", "lt_3m"],
            "n_with": [50, 400, 30],
            "n_without": [950, 600, 970],
            "share": [0.05, 0.4, 0.03],
            "mean_with": [4.1, 4.4, 4.5],
            "mean_without": [4.9, 5.0, 4.8],
            "difference": [-0.8, -0.6, -0.3],
            "ci_low": [-1.0, -0.7, -0.7],
            "ci_high": [-0.6, -0.5, 0.1],
            "adjusted": [-0.75, -0.4, -0.2],
            "adjusted_low": [-0.95, -0.6, -0.6],
            "adjusted_high": [-0.55, -0.2, 0.2],
            "significant": [True, True, False],
            "low_confidence": [False, False, False],
            "effort_cost": [37.5, 160.0, 6.0],
        }
    )


def test_effort_table_labels_and_signed_numbers() -> None:
    shown = builders.effort_table(_drivers(), _dims(), locale="es", min_sample=10)
    assert shown[t("col_factor", "es")].tolist() == [
        "Transferido",
        "Punto de contacto: Billing & payments",
        "Antigüedad del agente < 3 meses",
    ]
    assert shown[t("col_adjusted", "es")].tolist() == ["−0,75", "−0,40", "−0,20"]  # U+2212
    assert shown[t("col_ci", "es")].tolist()[0] == "[−1,00, −0,60]"
    assert not any(v.startswith(export.FORMULA_STARTS) for column in shown for v in shown[column])
    assert shown[t("col_significant", "es")].tolist() == ["sí", "sí", "no"]


def test_effort_figure_has_raw_and_adjusted_with_asymmetric_error_bars() -> None:
    labels = ["a", "b", "c"]
    raw, adjusted = builders.effort_figure(_drivers(), labels=labels, locale="en").data
    assert list(adjusted.x) == [-0.75, -0.4, -0.2] and list(adjusted.y) == labels
    assert list(adjusted.error_x.array) == pytest.approx([0.2, 0.2, 0.4])
    assert list(adjusted.error_x.arrayminus) == pytest.approx([0.2, 0.2, 0.4])
    assert list(raw.x) == [-0.8, -0.6, -0.3]
    assert list(adjusted.customdata) == [50, 400, 30]


def test_trend_pair_figure_one_line_per_group_on_both_panels_with_samples() -> None:
    frame = pd.DataFrame(
        {
            "group": ["North", "North", "South"],
            "period": [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 16)],
            "service_level": [0.8, float("nan"), 0.7],
            "offered": [100, 0, 50],
            "ces": [5.0, 5.5, 4.0],
            "ces_n": [20, 25, 3],
        }
    )
    fig = builders.trend_pair_figure(
        frame, left=("service_level", "offered"), right=("ces", "ces_n"), locale="en", left_target=0.8
    )
    assert len(fig.data) == 4  # 2 groups x 2 panels
    north_sl, north_ces = fig.data[0], fig.data[1]
    assert list(north_sl.y) == [0.8, None] and north_sl.xaxis == "x" and north_ces.xaxis == "x2"
    assert list(north_ces.customdata) == [20, 25] and "n = %{customdata}" in north_ces.hovertemplate
    assert north_sl.line.color == north_ces.line.color and fig.data[2].line.color != north_sl.line.color
    assert fig.layout.shapes[0].y0 == 0.8


def test_sankey_puts_first_contacts_left_and_next_contacts_right() -> None:
    links = pd.DataFrame(
        {"source": ["Billing", "Orders"], "target": ["Billing", "Billing"], "moves": [40, 10]}
    )
    sankey = builders.sankey_figure(links, locale="en", days=7).data[0]
    assert list(sankey.node.label) == ["Billing", "Orders", "Billing"]
    assert list(sankey.link.source) == [0, 1] and list(sankey.link.target) == [2, 2]
    assert list(sankey.link.value) == [40, 10]


def test_staffing_figure_marks_under_and_over_staffed_intervals() -> None:
    zone = ZoneInfo("Europe/Madrid")
    plan = pd.DataFrame(
        {
            "interval": [datetime(2026, 11, 16, h, tzinfo=zone) for h in (9, 10, 11)],
            "offered": [10, 20, 5],
            "required_erlang_c": [5, 9, 2],
            "required_erlang_a": [4, 8, 2],
            "staffed": [5.0, 6.0, 5.0],
            "service_level": [0.85, 0.5, 1.0],
            "status": ["ok", "under", "over"],
        }
    )
    fig = builders.staffing_figure(plan, locale="en", sl_target=0.8)
    names = [trace.name for trace in fig.data]
    under = fig.data[names.index(t("status_under", "en"))]
    over = fig.data[names.index(t("status_over", "en"))]
    assert list(under.y) == [6.0] and under.marker.symbol == "triangle-down"
    assert list(over.y) == [5.0] and over.marker.symbol == "triangle-up"
    shown = builders.staffing_table(plan, locale="en")
    assert shown[t("col_status", "en")].tolist() == ["ok", "▼ under-staffed", "▲ over-staffed"]
    assert shown[t("col_interval", "en")].tolist() == ["09:00", "10:00", "11:00"]


def test_touchpoint_table_formats_mix_pains_and_missing_owner() -> None:
    tmap = pd.DataFrame(
        [
            {"touchpoint_id": 1, "key": "billing", "name": "Billing", "owner": None, "offered": 1000,
             "channels": {"voice": 750, "email": 250}, "ces": 4.42, "ces_n": 120, "repeat_rate": 0.2,
             "known_customer": 900, "top_pains": [("billing", 30), ("custom_theme", 4)]},
        ]
    )  # fmt: skip
    shown = builders.touchpoint_table(tmap, locale="en").iloc[0]
    assert shown[t("col_owner", "en")] == t("no_owner", "en")
    assert shown[t("col_channels", "en")] == "voice 75.0 % · email 25.0 %"
    assert shown[t("col_ces", "en")] == "4.4 (n = 120)"
    assert shown[t("col_pains", "en")] == "billing (30) · custom theme (4)"
