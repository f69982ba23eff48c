"""Split a JSON export into records, whatever the framing: one object per line (JSON Lines), arrays
of objects, Firehose's back-to-back objects, or a mix. Valid records are decoded at C speed; an
invalid one (comments, trailing commas, a cut-off end) is skipped whole with a clear reason, and
the records after it still load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n\ufeff"


@dataclass(frozen=True)
class RawRecord:
    """One record: its first line in the file (1-based), its text, and the decoded value or why
    it could not be decoded (exactly one of `value`, `error` is meaningful)."""

    line_no: int
    text: str
    value: object = None
    error: str | None = None


def json_records(text: str) -> Iterator[RawRecord]:
    """Every top-level record of `text` in order; the elements of a top-level array are records."""
    lines = _Lines(text)
    i, size = _skip(text, 0), len(text)
    while i < size:
        if text[i] == "[":
            i = yield from _array(text, i, lines)
        elif text[i] == "{":
            record, i = _one(text, i, lines)
            yield record
        else:
            end = _garbage_end(text, i)
            yield RawRecord(lines.at(i), text[i:end], error="text outside any JSON record")
            i = end
        i = _skip(text, i, commas=True)


def _array(text: str, start: int, lines: _Lines) -> Iterator[RawRecord]:
    """The elements of the array opening at `start`; returns the index after its closing bracket."""
    i = _skip(text, start + 1)
    while i < len(text) and text[i] != "]":
        if text[i] in "{[":
            record, i = _one(text, i, lines)
        else:
            try:
                value, end = _DECODER.raw_decode(text, i)
                record = RawRecord(lines.at(i), text[i:end], value=value)
            except json.JSONDecodeError:
                end = _element_end(text, i)
                record = RawRecord(lines.at(i), text[i:end], error="not valid JSON: not a value")
            i = end
        yield record
        i = _skip(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
            if i < len(text) and text[i] == "]":
                break  # a trailing comma after the last element: the elements themselves are fine
        elif i < len(text) and text[i] != "]":
            end = _element_end(text, i)
            yield RawRecord(lines.at(i), text[i:end], error="not valid JSON: expected ',' or ']'")
            i = _skip(text, end)
            if i < len(text) and text[i] == ",":
                i = _skip(text, i + 1)
    return min(len(text), i + 1)


def _one(text: str, start: int, lines: _Lines) -> tuple[RawRecord, int]:
    """The object or array opening at `start`: decoded, or rejected whole with its reason."""
    line_no = lines.at(start)
    try:
        value, end = _DECODER.raw_decode(text, start)
        return RawRecord(line_no, text[start:end], value=value), end
    except (json.JSONDecodeError, RecursionError):
        end, closed = _extent(text, start)
        opener = _next_opener(text, start)
        if opener < end:  # a broken JSON line must not swallow the records on the lines after it
            end, closed = opener, False
        return RawRecord(line_no, text[start:end], error=diagnose(text[start:end], line_no, closed)), end


def diagnose(record: str, line_no: int, closed: bool = True) -> str:
    """Say in words why a record is not JSON, with its line in the file."""
    try:
        json.loads(record)
    except json.JSONDecodeError as exc:
        where = line_no + exc.lineno - 1
        pos = exc.pos
        if record[pos : pos + 2] in ("//", "/*"):
            return f"not valid JSON: a comment (// or /* */) at line {where}"
        before = record[:pos].rstrip(_SPACE)
        if pos < len(record) and record[pos] in "}]" and before.endswith(","):
            return f"not valid JSON: a trailing comma at line {where}"
        if not closed:
            return f"not valid JSON: the record is cut off (no closing brace before the end; line {where})"
        return f"not valid JSON: {exc.msg} at line {where} column {exc.colno}"
    except RecursionError:
        return "not valid JSON: nested too deeply"
    return "not valid JSON"


def _extent(text: str, start: int) -> tuple[int, bool]:
    """End of the bracketed value opening at `start`, skipping strings and comments; (end, False)
    when the text ends first (a truncated record)."""
    depth, i, size = 0, start, len(text)
    while i < size:
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if char == "/" and text[i + 1 : i + 2] == "/":
            newline = text.find("\n", i)
            i = size if newline < 0 else newline
            continue
        if char == "/" and text[i + 1 : i + 2] == "*":
            close = text.find("*/", i + 2)
            i = size if close < 0 else close + 2
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return i + 1, True
        i += 1
    return size, False


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text[i] == "\n":  # an unterminated string ends with its line
            return i
        else:
            i += 1
    return len(text)


def _element_end(text: str, start: int) -> int:
    """End of a bad array element: the next ',' or ']' at this level (or a bracketed extent)."""
    i = start
    while i < len(text) and text[i] not in ",]":
        if text[i] in "{[":
            i, _ = _extent(text, i)
        elif text[i] == '"':
            i = _string_end(text, i)
        else:
            i += 1
    return max(i, start + 1)


def _next_opener(text: str, start: int) -> int:
    """Index of the next line that opens a record in its first column (len(text) if none)."""
    found = [i + 1 for i in (text.find("\n{", start), text.find("\n[", start)) if i >= 0]
    return min(found, default=len(text))


def _garbage_end(text: str, start: int) -> int:
    """Stray text runs to the next line that opens a record in its first column ('{' or '['), as
    every framing writes top-level records; indented braces belong to the stray text."""
    return _next_opener(text, start)


def _skip(text: str, i: int, *, commas: bool = False) -> int:
    space = _SPACE + ("," if commas else "")
    while i < len(text) and text[i] in space:
        i += 1
    return i


class _Lines:
    """Line number of an index, counted forward incrementally (records come in order)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, index: int) -> int:
        if index < self.pos:
            return 1 + self.text.count("\n", 0, index)
        self.line += self.text.count("\n", self.pos, index)
        self.pos = index
        return self.line
