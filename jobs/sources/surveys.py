"""Survey exports (CSV, FORMATS.md 3.4) to survey answers: Qualtrics (three header rows: ids, question
text, {"ImportId": ...}), legacy Qualtrics (BOM, two header rows V1.. then labels), SurveyMonkey (two
header rows: question, then sub-answer), or a plain CSV with one header row. Columns are found by
their usual names or by the survey_mapping setting ({"csat": "Q1", ...}, matched against any header
row). Scales: CSAT 1-5, CES 2.0 1-7 (7 = very easy), NPS 0-10; a 1-5 effort column (lower = better,
field ces_effort_1_5) is converted with models.metrics.convert_effort_1_5_to_ces_1_7. A value off its
scale rejects the row (quarantined with its line), never a silent clip."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobs.sources.common import (
    Parsed,
    clean_text,
    csv_rows,
    decode_text,
    nul_free,
    parse_bool,
    parse_int,
    parse_number,
    parse_time,
)
from models.metrics import convert_effort_1_5_to_ces_1_7
from models.settings import SURVEY_FIELDS

JOB = "ingest_surveys"
QUARANTINE_SOURCE = "survey"
ANSWERS = ("csat", "ces", "ces_effort_1_5", "nps", "resolved", "verbatim")
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "key": ("response_id", "responseid", "respondent id", "respondent_id", "_recordid", "survey_id", "id"),
    "contact": (
        "contact_id",
        "contactid",
        "contact",
        "externalreference",
        "externaldatareference",
        "external reference",
    ),
    "customer": (
        "customer",
        "customer_key",
        "customer_id",
        "recipientemail",
        "emailaddress",
        "email address",
        "email",
        "phone",
    ),
    "time": (
        "answered_at",
        "time",
        "timestamp",
        "enddate",
        "end date",
        "recordeddate",
        "submitted_at",
        "date",
    ),
    "csat": ("csat", "satisfaction"),
    "ces": ("ces", "effort_ces", "customer_effort"),
    "ces_effort_1_5": ("ces_effort_1_5", "effort_1_5"),
    "nps": ("nps", "recommend", "likelihood_to_recommend"),
    "resolved": ("resolved", "fcr", "issue_resolved"),
    "verbatim": ("verbatim", "comment", "comments", "feedback"),
    "language": ("language", "userlanguage", "lang"),
}


@dataclass(frozen=True)
class SurveyAnswer:
    """One survey answer as exported; `contact` and `customer` say which contact it rates."""

    line_no: int
    source: str
    key: str
    answered: float
    contact: str | None = None
    customer: str | None = None
    csat: int | None = None
    ces: int | None = None
    nps: int | None = None
    resolved: bool | None = None
    verbatim: str | None = None
    language: str | None = None


@dataclass
class Layout:
    """A file's header: tool, header row count, each column's names and any per-column zone."""

    tool: str
    header_rows: int
    names: list[set[str]]
    zones: dict[int, ZoneInfo]


def parse_surveys(data: bytes, *, zone: ZoneInfo, mapping: dict[str, str] | None = None, **_: Any) -> Parsed:
    """Every answer of one export; never raises on bad content."""
    parsed = Parsed()
    text, encoding = decode_text(data)
    parsed.detail["encoding"] = encoding
    rows = list(csv_rows(text))
    header = [cells for _, cells, _ in rows[:3] if cells is not None]
    if not header:
        parsed.reject_file(1, "no header row", text[:200])
        return parsed
    layout = detect_layout(header)
    parsed.detail["format"] = layout.tool
    try:
        columns = find_columns(layout, mapping or {})
    except ValueError as exc:
        parsed.reject_file(1, str(exc), ",".join(header[0])[:2000])
        return parsed
    for line_no, cells, error in rows[layout.header_rows :]:
        parsed.records += 1
        raw = "" if cells is None else ",".join(cells)
        if cells is None or error is not None:
            parsed.reject(line_no, error or "unreadable row", raw)
            continue
        if not nul_free(cells):
            parsed.reject(line_no, "NUL byte in row", raw.replace("\x00", "\\x00"))
            continue
        try:
            answer = parse_answer(cells, columns, layout, zone=zone, line_no=line_no)
        except ValueError as exc:
            parsed.reject(line_no, str(exc), raw)
            continue
        parsed.surveys.append(answer)
    _drop_repeats(parsed)
    return parsed


def detect_layout(header: list[list[str]]) -> Layout:
    """Which tool wrote the file, from its first rows (FORMATS.md 3.4)."""
    first = [cell.strip() for cell in header[0]]
    names = [{cell.lower()} - {""} for cell in first]
    if len(header) >= 3 and any(cell.strip().startswith('{"ImportId"') for cell in header[2]):
        zones: dict[int, ZoneInfo] = {}
        for index, cell in enumerate(header[2][: len(names)]):
            names[index] |= {header[1][index].strip().lower()} - {""} if index < len(header[1]) else set()
            info = _json_cell(cell)
            names[index] |= {str(info.get("ImportId", "")).strip().lower()} - {""}
            zone = _zone(info.get("timeZone"))
            if zone is not None:
                zones[index] = zone
        return Layout("qualtrics", 3, names, zones)
    second = [cell.strip() for cell in header[1]] if len(header) > 1 else []
    if first and first[0] == "V1" and any(cell.lower() == "responseid" for cell in second):
        for index, cell in enumerate(second[: len(names)]):
            names[index] |= {cell.lower()} - {""}
        return Layout("qualtrics", 2, names, {})
    if any(cell.lower() == "respondent id" for cell in first):
        question = ""
        for index, cell in enumerate(first):
            question = cell or question  # a question spanning several columns names only the first
            answer = second[index] if index < len(second) else ""
            names[index] = {n.lower() for n in (cell, question, f"{question} - {answer}") if n and n != " - "}
            if answer and answer.lower() not in ("response", "open-ended response"):
                names[index].add(answer.lower())
        return Layout("surveymonkey", 2, names, {})
    return Layout("csv", 1, names, {})


def find_columns(layout: Layout, mapping: dict[str, str]) -> dict[str, int]:
    """Column index of each field: the mapping's header (required to exist), else a usual name."""
    unknown = sorted(set(mapping) - set(SURVEY_FIELDS))
    if unknown:
        raise ValueError(f"survey mapping: unknown field(s) {unknown}")
    columns: dict[str, int] = {}
    for field in SURVEY_FIELDS:
        wanted = (mapping[field],) if field in mapping else DEFAULT_NAMES[field]
        for name in wanted:
            hit = next((i for i, names in enumerate(layout.names) if name.strip().lower() in names), None)
            if hit is not None:
                columns[field] = hit
                break
        else:
            if field in mapping:
                raise ValueError(f"survey mapping: no column {mapping[field]!r} (for {field}) in the header")
    if not any(field in columns for field in ANSWERS):
        raise ValueError(
            "no answer columns (csat, ces, nps, resolved, verbatim) in the header: name them with "
            "the survey mapping setting"
        )
    if "time" not in columns:
        raise ValueError("no answer time column (answered_at, EndDate, ...): name it with the survey mapping")
    return columns


def parse_answer(
    cells: list[str], columns: dict[str, int], layout: Layout, *, zone: ZoneInfo, line_no: int
) -> SurveyAnswer:
    """One data row; raises ValueError naming the first bad value."""

    def cell(field: str) -> str | None:
        index = columns.get(field)
        return clean_text(cells[index]) if index is not None and index < len(cells) else None

    time_zone = layout.zones.get(columns["time"], zone)
    answered = parse_time(cell("time"), time_zone, what="answer time")
    if answered is None:
        raise ValueError("answer time is empty")
    ces = parse_int(cell("ces"), what="ces", low=1, high=7)
    effort = parse_number(cell("ces_effort_1_5"), what="effort (1-5)", low=1, high=5)
    if ces is None and effort is not None:
        if effort != int(effort):
            raise ValueError(f"effort (1-5) {effort:g} is not a whole number")
        ces = convert_effort_1_5_to_ces_1_7(effort)
    answer = {
        "csat": parse_int(cell("csat"), what="csat", low=1, high=5),
        "ces": ces,
        "nps": parse_int(cell("nps"), what="nps", low=0, high=10),
        "resolved": parse_bool(cell("resolved"), what="resolved"),
        "verbatim": cell("verbatim"),
    }
    if all(value is None for value in answer.values()):
        raise ValueError("no answer (csat, ces, nps, resolved and verbatim are all empty)")
    contact, customer = cell("contact"), cell("customer")
    language = cell("language")
    key = cell("key") or _content_key(answered, contact, customer, answer)
    return SurveyAnswer(
        line_no=line_no,
        source=layout.tool,
        key=key,
        answered=answered,
        contact=contact,
        customer=customer,
        language=None if language is None else language.lower()[:16],
        **answer,  # type: ignore[arg-type]
    )


def _content_key(answered: float, contact: str | None, customer: str | None, answer: dict[str, Any]) -> str:
    """A file without response ids: the answer's own content identifies it across reloads."""
    text = json.dumps([answered, contact, customer, answer], sort_keys=True, default=str)
    return "h:" + hashlib.sha1(text.encode()).hexdigest()[:20]


def _drop_repeats(parsed: Parsed) -> None:
    seen: set[str] = set()
    kept = []
    for answer in parsed.surveys:
        if answer.key in seen:  # type: ignore[attr-defined]
            parsed.duplicates += 1
            continue
        seen.add(answer.key)  # type: ignore[attr-defined]
        kept.append(answer)
    parsed.surveys = kept


def _json_cell(cell: str) -> dict[str, Any]:
    try:
        value = json.loads(cell)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
