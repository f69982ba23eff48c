"""The `mirador` command: demo data, aggregate refresh, the scheduler worker, and KPIs as JSON/CSV.

An operator tool for the database host: `kpis` reads as a director (every team). Every command
reads MIRADOR_* settings (MIRADOR_DATABASE_URL above all) and upgrades the schema on start.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from jobs import cli_ingest, cli_users
from models.settings import SettingsError, load_settings

SCALES = ("small", "large")
GROUPINGS = ("queue", "team", "agent", "channel", "touchpoint", "day", "week", "interval")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mirador",
        description="Mirador operator commands. Settings come from MIRADOR_* environment variables "
        "(MIRADOR_DATABASE_URL selects the database); the schema is upgraded on start.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="create the schema, seed demo data, then rebuild the aggregates")
    demo.add_argument("--scale", choices=SCALES, default="small", help="small (quick) or large (13 weeks)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    refresh = commands.add_parser("refresh", help="fold new facts into the aggregates")
    refresh.add_argument("--full", action="store_true", help="rebuild every aggregate from the raw facts")
    commands.add_parser("worker", help="run the job scheduler in the foreground (one per database)")
    kpis = commands.add_parser(
        "kpis",
        help="print KPIs per group (read as a director: all teams)",
        description="Print METRICS.md KPIs per group for local days FROM..TO (inclusive). This is an "
        "operator tool on the database host: it reads as a director and sees every team. "
        "Undefined values (zero denominators) are null in JSON and empty in CSV.",
    )
    kpis.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    kpis.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    kpis.add_argument("--by", choices=GROUPINGS, default="day")
    kpis.add_argument("--format", choices=("json", "csv"), default="json")
    cli_ingest.add_parser(commands)
    cli_users.add_parser(commands)
    return parser


class ProgressBar:
    """A plain-text progress bar on stderr (no dependency): called as progress(label, fraction),
    it redraws in place on a terminal and prints one line per change otherwise."""

    def __init__(self, width: int = 30) -> None:
        self.width = width
        self.last = ""

    def __call__(self, label: str, fraction: float) -> None:
        share = max(0.0, min(1.0, float(fraction)))
        filled = int(round(share * self.width))
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {share * 100:5.1f}% {label}"
        if line != self.last:
            end = "\r" if sys.stderr.isatty() else "\n"
            print(line.ljust(len(self.last)), end=end, file=sys.stderr, flush=True)
            self.last = line

    def close(self) -> None:
        if self.last and sys.stderr.isatty():
            print(file=sys.stderr)
        self.last = ""


def _open(settings: Any) -> Any:
    from models.db import open_database

    return open_database(settings)


def cmd_demo(args: argparse.Namespace, settings: Any) -> int:
    from jobs import refresh
    from jobs.sources.simulator import seed_demo

    engine, factory = _open(settings)
    bar = ProgressBar()
    try:
        seeded = seed_demo(
            session_factory=factory, settings=settings, scale=args.scale, seed=args.seed, progress=bar
        )
        bar("rebuilding the aggregates", 1.0)
        result = refresh.run(session_factory=factory, settings=settings, full=True)
    except ValueError as exc:  # e.g. the database already holds data: the demo never wipes it
        bar.close()
        print(f"mirador: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()
        engine.dispose()
    print(json.dumps({"seeded": seeded, "refresh": result}, default=str, indent=2))
    return 0


def cmd_refresh(args: argparse.Namespace, settings: Any) -> int:
    from jobs import refresh

    engine, factory = _open(settings)
    try:
        result = refresh.run(session_factory=factory, settings=settings, full=args.full)
    finally:
        engine.dispose()
    print(json.dumps(result, default=str, indent=2))
    return 0


def cmd_worker(_args: argparse.Namespace, settings: Any) -> int:
    from jobs.scheduler import run_worker

    engine, _factory = _open(settings)  # upgrade the schema before the scheduler starts
    engine.dispose()
    run_worker(settings)
    return 0


def cmd_kpis(args: argparse.Namespace, settings: Any) -> int:
    from models.access import OPERATOR
    from models.db import session_scope
    from models.metrics import frame_records
    from models.queries import kpis

    if args.end < args.start:
        print("mirador: --to is before --from", file=sys.stderr)
        return 2
    engine, factory = _open(settings)
    try:
        with session_scope(factory) as session:
            table = kpis(
                session=session,
                viewer=OPERATOR,
                settings=settings,
                start=args.start,
                end=args.end,
                by=args.by,
            )
    finally:
        engine.dispose()
    rows = frame_records(table)
    if args.format == "json":
        print(json.dumps(rows, default=str, indent=2))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(table.columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return 0


COMMANDS = {"demo": cmd_demo, "refresh": cmd_refresh, "worker": cmd_worker, "kpis": cmd_kpis}
COMMANDS["ingest"] = lambda args, settings: cli_ingest.run(args, settings, echo=print, progress=ProgressBar())
COMMANDS["users"] = lambda args, settings: cli_users.run(args, settings, echo=print)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mirador` console script and `python -m jobs`; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"mirador: {exc}", file=sys.stderr)
        return 2
    return COMMANDS[args.command](args, settings)
