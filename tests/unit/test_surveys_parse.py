"""Survey exports without a database: the real Qualtrics samples (three header rows; legacy with a BOM
and two), SurveyMonkey's two header rows, plain CSV, the column mapping, scales (the 1-5 effort
conversion), bad rows quarantined with their line, and hypothesis fuzzing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.sources.surveys import parse_surveys

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "surveys"
NEW = "qualtrics_export_sample_qualtRics.csv"
LEGACY = "qualtrics_export_legacy_sample_qualtRics.csv"
MADRID = ZoneInfo("Europe/Madrid")
QUESTIONS = {"csat": "Q1", "verbatim": "Q2"}  # Q1 is a multiple choice (answer 2), Q2 free text


def sample(name: str) -> bytes:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"sample {path} not found")
    return path.read_bytes()


def local(text: str, zone: ZoneInfo = MADRID) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def parse(text: str, mapping: dict[str, str] | None = None, zone: ZoneInfo = MADRID):  # type: ignore[no-untyped-def]
    return parse_surveys(text.encode(), zone=zone, mapping=mapping)


def test_qualtrics_three_header_rows() -> None:
    data = sample(NEW)
    assert data.count(b"\n") == 4  # ids, German labels, {"ImportId": ...}, one response
    parsed = parse_surveys(data, zone=MADRID, mapping=QUESTIONS)
    assert (parsed.detail["format"], parsed.records, parsed.rejected) == ("qualtrics", 1, [])
    (answer,) = parsed.surveys
    # the response is the 4th line: EndDate 2017-07-18 08:28:48 (no zone in this export: the centre's)
    assert (answer.line_no, answer.key, answer.answered) == (
        4,
        "R_2YPOQ602ER1jkf1",
        local("2017-07-18 08:28:48"),
    )
    assert (answer.csat, answer.verbatim, answer.language) == (2, "Hello World!", "de")  # UserLanguage DE
    assert (answer.contact, answer.customer, answer.ces, answer.nps, answer.resolved) == (None,) * 5


def test_qualtrics_legacy_bom_and_two_header_rows() -> None:
    data = sample(LEGACY)
    assert data.startswith(b"\xef\xbb\xbfV1,V2")
    parsed = parse_surveys(data, zone=MADRID, mapping=QUESTIONS)
    assert (parsed.detail["format"], parsed.detail["encoding"], parsed.records) == (
        "qualtrics",
        "utf-8-sig",
        1,
    )
    (answer,) = parsed.surveys
    assert (answer.line_no, answer.key, answer.answered) == (
        3,
        "R_2YPOQ602ER1jkf1",
        local("2017-07-18 08:28:48"),
    )
    assert (answer.csat, answer.verbatim, answer.language) == (2, "Hello World!", None)
    # the mapping may name the label row too
    by_label = parse_surveys(
        data, zone=MADRID, mapping={"csat": "This is a multiple choice question.", "time": "EndDate"}
    )
    assert [a.csat for a in by_label.surveys] == [2]


def test_without_a_mapping_the_samples_have_no_answer_columns() -> None:
    for name in (NEW, LEGACY):
        parsed = parse_surveys(sample(name), zone=MADRID)
        assert parsed.surveys == []
        (rejected,) = parsed.rejected
        assert rejected.line_no == 1 and rejected.reason.startswith("no answer columns")


def test_qualtrics_time_zone_from_the_import_id_row() -> None:
    text = (
        "ResponseId,EndDate,Q1\n"
        "Response ID,End Date,How satisfied?\n"
        '"{""ImportId"":""_recordId""}","{""ImportId"":""endDate"",""timeZone"":""America/Denver""}",'
        '"{""ImportId"":""QID1""}"\n'
        "R_1,2024-03-04 10:00:00,5\n"
    )
    (answer,) = parse(text, {"csat": "Q1"}).surveys
    assert answer.answered == local("2024-03-04 10:00:00", ZoneInfo("America/Denver"))  # 17:00 UTC


def test_surveymonkey_two_header_rows() -> None:
    text = (
        "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,"
        "Custom Data 1,How satisfied were you?,How easy was it?,Any comments?\n"
        ",,,,,,,,,Response,Response,Open-Ended Response\n"
        "1001,55,03/04/2024 09:58:00 AM,03/04/2024 10:01:12 AM,1.2.3.4,ana@example.com,,,C-77,4,2,Fine\n"
    )
    mapping = {
        "contact": "Custom Data 1",
        "csat": "How satisfied were you?",
        "ces_effort_1_5": "How easy was it?",
    }
    parsed = parse(text, {**mapping, "verbatim": "Any comments?", "time": "End Date"})
    assert (parsed.detail["format"], parsed.rejected) == ("surveymonkey", [])
    (a,) = parsed.surveys
    assert (a.line_no, a.key, a.contact, a.customer) == (3, "1001", "C-77", "ana@example.com")
    assert a.answered == local("2024-03-04 10:01:12")
    # effort 2 on 1-5 (lower = better): 7 - (2 - 1) x 1.5 = 5.5, rounded away from 4 -> 6
    assert (a.csat, a.ces, a.verbatim) == (4, 6, "Fine")


@pytest.mark.parametrize(("effort", "ces"), [(1, 7), (2, 6), (3, 4), (4, 2), (5, 1)])
def test_effort_1_5_converts_to_ces_2_0(effort: int, ces: int) -> None:
    (answer,) = parse(f"id,answered_at,ces_effort_1_5\nr1,2024-03-04T10:00:00Z,{effort}\n").surveys
    assert answer.ces == ces


def test_plain_csv_with_usual_names_and_bad_rows_quarantined_by_line() -> None:
    text = (
        "response_id,contact_id,customer,answered_at,csat,ces,nps,resolved,comment\n"  # line 1
        "r1,c-1,+34600,2024-03-04T10:00:00Z,5,7,10,yes,Great\n"  # 2
        "r2,,+34601,2024-03-04 11:00,4,,6,no,\n"  # 3
        "r3,c-3,,2024-03-04T10:00:00Z,6,,,,\n"  # 4: csat off the 1-5 scale
        "r4,c-4,,2024-03-04T10:00:00Z,,8,,,\n"  # 5: ces off 1-7
        "r5,c-5,,2024-03-04T10:00:00Z,,,11,,\n"  # 6: nps off 0-10
        "r6,c-6,,not a time,3,,,,\n"  # 7
        "r7,c-7,,2024-03-04T10:00:00Z,3.5,,,,\n"  # 8: not a whole answer
        "r8,c-8,,2024-03-04T10:00:00Z,,,,maybe,\n"  # 9
        "r9,c-9,,2024-03-04T10:00:00Z,,,,,\n"  # 10: no answer at all
        "r1,c-1,+34600,2024-03-04T10:00:00Z,5,7,10,yes,Great\n"  # 11: the same response again
        "\n"  # 12: blank line, not a record
        "r10,c-10,,,2,,,,\n"  # 13: no time
    )
    parsed = parse(text)
    assert [(a.key, a.line_no) for a in parsed.surveys] == [("r1", 2), ("r2", 3)]
    first, second = parsed.surveys
    assert (first.contact, first.csat, first.ces, first.nps, first.resolved, first.verbatim) == (
        "c-1",
        5,
        7,
        10,
        True,
        "Great",
    )
    assert (second.contact, second.customer, second.answered, second.resolved, second.verbatim) == (
        None,
        "+34601",
        local("2024-03-04 11:00"),
        False,
        None,
    )
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [
        (4, "csat 6 is outside 1..5"),
        (5, "ces 8 is outside 1..7"),
        (6, "nps 11 is outside 0..10"),
        (7, "answer time 'not a time' is not a timestamp"),
        (8, "csat 3.5 is not a whole number"),
        (9, "resolved 'maybe' is not yes/no"),
        (10, "no answer (csat, ces, nps, resolved and verbatim are all empty)"),
        (13, "answer time is empty"),
    ]
    assert (parsed.records, parsed.duplicates) == (11, 1)


def test_mapping_errors_reject_the_file_with_the_reason() -> None:
    text = "id,when,score\nr1,2024-03-04T10:00:00Z,4\n"
    assert [a.csat for a in parse(text, {"csat": "score", "time": "when"}).surveys] == [4]
    (bad,) = parse(text, {"csat": "Score 2", "time": "when"}).rejected
    assert (bad.line_no, bad.reason) == (1, "survey mapping: no column 'Score 2' (for csat) in the header")
    (no_time,) = parse(text, {"csat": "score"}).rejected
    assert no_time.reason.startswith("no answer time column")


def test_rows_without_an_id_get_a_stable_content_key() -> None:
    text = "answered_at,csat,customer\n2024-03-04T10:00:00Z,4,+34600\n2024-03-04T10:05:00Z,4,+34600\n"
    first, again = parse(text).surveys, parse(text).surveys
    assert [a.key for a in first] == [a.key for a in again]
    assert len({a.key for a in first}) == 2 and all(a.key.startswith("h:") for a in first)


def test_windows_1252_export_is_read() -> None:
    text = "id,answered_at,csat,comment\nr1,2024-03-04T10:00:00Z,2,Atención pésima\n"
    parsed = parse_surveys(text.encode("cp1252"), zone=MADRID)
    assert parsed.detail["encoding"] == "cp1252"
    assert [a.verbatim for a in parsed.surveys] == ["Atención pésima"]


def test_nul_byte_rows_are_rejected() -> None:
    parsed = parse("id,answered_at,csat\nr1,2024-03-04T10:00:00Z,2\nr2,2024-03-04T10:00:00Z,3\x00\n")
    assert [a.key for a in parsed.surveys] == ["r1"]
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [(3, "NUL byte in row")]


# --- fuzzing ------------------------------------------------------------------------------------

CELLS = st.sampled_from(
    [
        "",
        "1",
        "5",
        "7",
        "11",
        "-1",
        "3.5",
        "x",
        "yes",
        "2024-03-04T10:00:00Z",
        "03/04/2024 10:00",
        '"',
        "\x00",
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELLS, max_size=9), max_size=8), st.booleans())
def test_fuzz_rows_parse_or_are_quarantined_with_a_reason(rows: list[list[str]], effort: bool) -> None:
    header = "id,answered_at,csat,ces,nps,resolved,verbatim,customer," + (
        "ces_effort_1_5" if effort else "language"
    )
    text = header + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
    parsed = parse(text)
    assert parsed.records == len(parsed.surveys) + len(parsed.rejected) + parsed.duplicates
    assert all(r.reason and r.line_no and r.line_no >= 2 for r in parsed.rejected)
    for a in parsed.surveys:
        assert a.csat is None or 1 <= a.csat <= 5
        assert a.ces is None or 1 <= a.ces <= 7
        assert a.nps is None or 0 <= a.nps <= 10


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, {"csat": "Q1"}, {"csat": "a", "time": "b"}]))
def test_fuzz_any_bytes_never_raise(data: bytes, mapping: dict[str, str] | None) -> None:
    parsed = parse_surveys(data, zone=MADRID, mapping=mapping)
    assert parsed.records == len(parsed.surveys) + len(parsed.rejected) + parsed.duplicates
