"""Pure pieces shared by the file sources (Amazon Connect, surveys, generic CSV): the fact shapes
they produce, rejected records, and forgiving readers of bytes, times, numbers and yes/no answers."""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHANNELS = ("voice", "chat", "email", "whatsapp")
STATES = ("available", "on_contact", "acw", "aux", "offline")
AUX_REASONS = ("break", "lunch", "meeting", "coaching", "training", "technical", "other")
OUTCOMES = ("waiting", "answered", "abandoned", "unknown")
EXIT_REASONS = (
    "caller_abandon",
    "timeout",
    "exit_key",
    "exit_empty",
    "full",
    "withdraw",
    "transfer_out",
    "sys_compat",
)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC).timestamp()
LATEST = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
TRUE = {"1", "true", "t", "yes", "y", "si", "sí", "s", "resolved", "resuelto"}
FALSE = {"0", "false", "f", "no", "n", "unresolved", "no resuelto"}
AUX_WORDS = (
    ("break", ("break", "descanso", "pausa", "rest")),
    ("lunch", ("lunch", "comida", "almuerzo", "meal")),
    ("meeting", ("meeting", "reunion", "reunión")),
    ("coaching", ("coach",)),
    ("training", ("train", "formacion", "formación", "learning")),
    ("technical", ("tech", "system", "it issue", "incidencia")),
)


@dataclass(frozen=True)
class Rejected:
    """A record that could not be loaded: where it starts (1-based line), why, and its text."""

    line_no: int | None
    reason: str
    raw: str


@dataclass
class ContactFact:
    """One contact as a source reports it (epoch seconds; None where the source says nothing)."""

    key: str
    queue: str
    channel: str
    offered: float
    agent: str | None = None
    customer: str | None = None
    answered: float | None = None
    ended: float | None = None
    completed: float | None = None
    wait: float | None = None
    talk: float | None = None
    hold: float | None = None
    hold_count: int | None = None
    acw: float | None = None
    outcome: str = "waiting"
    exit_reason: str | None = None
    transferred: bool = False
    ring_no_answer: int = 0
    updated: float | None = None  # the source's version stamp (Connect LastUpdateTimestamp)


@dataclass
class SegmentFact:
    """A stretch of one agent's state (end None: still the current state)."""

    agent: str
    state: str
    start: float
    end: float | None = None
    reason: str | None = None


@dataclass
class ScheduleFact:
    agent: str
    activity: str
    start: float
    end: float
    paid: bool = True


@dataclass
class Parsed:
    """What a parser made of one input: facts by kind, rejected records, and the records it read
    that are valid but not loaded (by reason), or repeated within the input."""

    records: int = 0
    contacts: list[ContactFact] = field(default_factory=list)
    segments: list[SegmentFact] = field(default_factory=list)
    schedules: list[ScheduleFact] = field(default_factory=list)
    surveys: list[object] = field(default_factory=list)
    events: list[object] = field(default_factory=list)  # Connect agent events (segments need the DB)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    detail: dict[str, object] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def reject(self, line_no: int | None, reason: str, raw: str) -> None:
        self.rejected.append(Rejected(line_no, reason, raw[:2000]))

    def reject_file(self, line_no: int | None, reason: str, raw: str) -> None:
        """The whole file is unusable (damaged archive, wrong header): one record, rejected."""
        self.records += 1
        self.reject(line_no, reason, raw)


def unpack(data: bytes) -> bytes:
    """Firehose may deliver gzip objects: inflate them (a damaged one raises ValueError)."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"damaged gzip file ({exc})") from None


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (a BOM is dropped), UTF-16 with a BOM (Excel "Unicode
    text"), else Windows-1252 (Excel's default on Windows), else Latin-1, which never fails."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def parse_time(value: object, zone: ZoneInfo, *, what: str = "time") -> float | None:
    """Epoch seconds of a timestamp: ISO 8601 (a 'Z' or offset is honoured; a naive time is in
    `zone`, the centre's zone), US 'MM/DD/YYYY hh:mm[:ss] [AM|PM]' (SurveyMonkey), or epoch
    seconds / milliseconds. Empty gives None; anything else raises ValueError naming `what`."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    moment: datetime | None = None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = float(text)
        epoch = number / 1000.0 if abs(number) >= 1e11 else number
        if not EARLIEST <= epoch < LATEST:
            raise ValueError(f"{what} {text!r} is out of range")
        return epoch
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for pattern in US_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise ValueError(f"{what} {text[:40]!r} is not a timestamp")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    epoch = moment.timestamp()
    if not EARLIEST <= epoch < LATEST:
        raise ValueError(f"{what} {text!r} is out of range")
    return epoch


def parse_number(value: object, *, what: str, low: float = 0.0, high: float = math.inf) -> float | None:
    """A finite number within [low, high] (a JSON number, or text with '.' or ',' decimals);
    empty gives None, anything else raises ValueError naming `what`."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{what} is not a number: {text[:40]!r}") from None
    else:
        raise ValueError(f"{what} is not a number: {str(value)[:40]!r}")
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{what} {number:g} is outside {low:g}..{high:g}")
    return number


def parse_int(value: object, *, what: str, low: float, high: float) -> int | None:
    """An integer answer on a scale (3 and 3.0 are accepted, 3.5 is not)."""
    number = parse_number(value, what=what, low=low, high=high)
    if number is None:
        return None
    if number != int(number):
        raise ValueError(f"{what} {number:g} is not a whole number")
    return int(number)


def parse_bool(value: object, *, what: str) -> bool | None:
    """yes/no, true/false, 1/0 (English and Spanish); empty gives None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{what} {text[:40]!r} is not yes/no")


def aux_reason(name: str | None) -> str:
    """A platform's custom not-ready status (Break, Lunch, 'Descanso', ...) as a METRICS.md reason."""
    text = (name or "").strip().lower()
    if text in AUX_REASONS:
        return text
    for reason, words in AUX_WORDS:
        if any(word in text for word in words):
            return reason
    return "other"


def clean_text(value: object) -> str | None:
    """Stripped text, None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def csv_rows(text: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(first line, cells, None) for each CSV record of `text`, or (line, None, reason) for one the
    csv module cannot read; blank lines are left out. Quoted fields may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = max(reader.line_num, start)
            yield start, None, f"unreadable CSV: {exc}"
            continue
        line = reader.line_num
        if any(cell.strip() for cell in row):
            yield start, row, None


def nul_free(cells: list[str]) -> bool:
    """PostgreSQL text cannot hold NUL: such a row is rejected rather than silently altered."""
    return not any("\x00" in cell for cell in cells)
