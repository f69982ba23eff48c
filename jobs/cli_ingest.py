"""`mirador ingest SOURCE PATH`: load a platform's files by hand, print rows loaded, duplicates skipped
and rows quarantined (JSON on stdout), then refresh the aggregates. Exit code 1 only when nothing
could be read (no such path, every file unreadable or every record rejected); 2 for bad arguments.
Output goes through `echo` (print, from jobs/cli.py), so this module never prints itself."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.settings import SURVEY_FIELDS

SOURCES = {
    "asterisk-queue-log": "asterisk",
    "amazon-connect": "connect",
    "surveys": "surveys",
    "csv": None,  # --kind contacts | states | schedules
}
CSV_KINDS = ("contacts", "states", "schedules")


def add_parser(commands: Any) -> None:
    """Register `ingest` and its four sources on the main parser's subcommands."""
    ingest = commands.add_parser(
        "ingest",
        help="load a source's files, then refresh the aggregates",
        description="Load files by hand (the scheduled jobs do the same from the configured paths). "
        "Prints rows loaded, duplicates skipped and rows quarantined as JSON; reloading a file "
        "changes nothing. Exit code 1 only when nothing could be read.",
    )
    sources = ingest.add_subparsers(dest="source", required=True, metavar="SOURCE")
    sources.add_parser(
        "asterisk-queue-log", help="an Asterisk queue_log file (a .csv is the realtime table's export)"
    ).add_argument("path", type=Path, metavar="PATH")
    sources.add_parser(
        "amazon-connect", help="Amazon Connect contact records / agent events: a file or a folder"
    ).add_argument("path", type=Path, metavar="PATH")
    surveys = sources.add_parser("surveys", help="survey exports (CSV): a file or a folder")
    surveys.add_argument("path", type=Path, metavar="PATH")
    surveys.add_argument(
        "--mapping",
        metavar="JSON",
        help=f'field -> export header, e.g. \'{{"csat": "Q1"}}\'; fields: {", ".join(SURVEY_FIELDS)} '
        "(default: the MIRADOR_SURVEY_MAPPING setting)",
    )
    generic = sources.add_parser("csv", help="generic CSV (README schema): a file or a folder")
    generic.add_argument("--kind", choices=CSV_KINDS, required=True)
    generic.add_argument("path", type=Path, metavar="PATH")


def run(args: argparse.Namespace, settings: Any, *, echo: Callable[..., None], progress: Any) -> int:
    """Run one `mirador ingest` command; returns the exit code."""
    from jobs.sources.files import ingest_path, parse_mapping
    from models.db import open_database

    kind = SOURCES[args.source] or args.kind
    try:
        mapping = parse_mapping(getattr(args, "mapping", None))
    except ValueError as exc:
        echo(f"mirador: {exc}", file=sys.stderr)
        return 2
    engine, factory = open_database(settings)
    try:
        result = ingest_path(
            session_factory=factory,
            settings=settings,
            kind=kind,
            path=args.path,
            mapping=mapping,
            progress=progress,
        )
    finally:
        progress.close()
        engine.dispose()
    echo(json.dumps(result.summary(), default=str, indent=2))
    if result.nothing_read:
        why = "no such file or folder" if result.missing else "every file or record was rejected"
        echo(f"mirador: nothing could be read from {args.path} ({why})", file=sys.stderr)
        return 1
    return 0
