"""Exports of what the weekly page shows: CSV and Excel (formula-injection safe) and a printable
HTML weekly report for the steering committee; each download is recorded in AuditEvent."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from models import audit
from models.access import Viewer

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection"):
# tab and carriage return too, since some importers strip them and reveal what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (shown as
    text, never evaluated); numbers, dates and other text pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name neutralised."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel then reads accents right), formula-safe."""
    # Every text cell quoted: pandas would leave a lone carriage return unquoted and split the row.
    return safe_frame(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC).encode("utf-8-sig")


def _sheet_title(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", name).strip()[:SHEET_NAME_MAX] or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: wall-clock time as shown
    if isinstance(value, list | tuple | dict | set):
        return neutralise(str(value))
    return neutralise(value.item() if hasattr(value, "item") else value)


def to_excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One worksheet per table (bold header row); every text cell is stored as text, never as a
    formula, even when it starts with "="."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, frame in sheets.items():
        sheet = book.create_sheet(_sheet_title(name, taken))
        sheet.append([neutralise(str(c)) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for row in sheet.iter_rows(min_row=1):
            for cell in row:
                if cell.data_type == "f":  # openpyxl guesses formulas from a leading "="
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Printable weekly report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSection:
    """A heading, an optional note and a table; `series` adds a sparkline per row (oldest first)."""

    heading: str
    frame: pd.DataFrame
    note: str | None = None
    series: Sequence[Sequence[float | None]] | None = None
    series_heading: str = ""


def sparkline_svg(values: Sequence[float | None], *, width: int = 120, height: int = 28) -> str:
    """An inline SVG polyline (no script, prints everywhere); gaps where a week is undefined."""
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None and v == v]
    if not points:
        return ""
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    segments, current, last_index = [], [], None
    for i, v in points:
        if last_index is not None and i != last_index + 1:
            segments.append(current)
            current = []
        current.append(f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}")
        last_index = i
    segments.append(current)
    lines = "".join(
        f'<polyline fill="none" stroke="#1f4e79" stroke-width="1.5" points="{" ".join(s)}"/>'
        if len(s) > 1
        else f'<circle r="1.5" fill="#1f4e79" cx="{s[0].split(",")[0]}" cy="{s[0].split(",")[1]}"/>'
        for s in segments
    )
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}">{lines}</svg>'
    )


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:2rem;}
h1{font-size:1.5rem;margin:0 0 .2rem}
h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:2px solid #1f4e79}
p.sub,p.note{color:#555;margin:.2rem 0 .6rem;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#eef3f8}
section{page-break-inside:avoid;break-inside:avoid}
@media print{body{margin:1cm}h2{page-break-after:avoid}tr{page-break-inside:avoid}
@page{size:A4 landscape;margin:1cm}}
"""


def _table_html(section: ReportSection) -> str:
    columns = [str(c) for c in section.frame.columns]
    heads = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    if section.series is not None:
        heads += f"<th>{html.escape(section.series_heading)}</th>"
    body = []
    for position, row in enumerate(section.frame.itertuples(index=False)):
        cells = "".join(f"<td>{html.escape(_text(v))}</td>" for v in row)
        if section.series is not None:
            cells += f"<td>{sparkline_svg(section.series[position])}</td>"
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return str(value)


def weekly_report_html(
    *, title: str, subtitle: str, sections: Sequence[ReportSection], language: str = "en"
) -> str:
    """A self-contained HTML page (inline CSS and SVG, no script) that prints cleanly on A4
    landscape; every text is escaped, so comments or names cannot inject markup."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(language)}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle)}</p>",
    ]
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.heading)}</h2>")
        if section.note:
            parts.append(f"<p class='note'>{html.escape(section.note)}</p>")
        parts.append(_table_html(section) + "</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def record_export(
    *, session: Session, viewer: Viewer, what: str, fmt: str, now: datetime | None = None
) -> None:
    """Audit a download: who exported which table in which format (issue 7: exports are audited)."""
    audit.record(session=session, actor=viewer, action=audit.EXPORT, target=what, detail=fmt, now=now)
