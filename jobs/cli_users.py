"""`mirador users ...`: accounts from the command line on the database host, above all the first
admin of a new installation. Passwords are typed at a hidden prompt or piped on stdin, never passed
as arguments (they would stay in the shell history and the process list). Changes are audited as
the operator. Output goes through `echo` (print, from jobs/cli.py); errors to stderr."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

from models.access import OPERATOR, ROLES


def add_parser(commands: Any) -> None:
    """Register `users` and its actions on the main parser's subcommands."""
    users = commands.add_parser(
        "users",
        help="manage accounts (the first admin, passwords, roles' teams and agents)",
        description="Manage Mirador accounts on the database host. Every change is audited as the operator.",
    )
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an account (asks for a password unless --no-password)")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--locale", choices=("es", "en"), default="es", help="interface language (default es)")
    _password_options(add, allow_none=True)
    password = actions.add_parser("set-password", help="set a new password (also lifts a lock-out)")
    password.add_argument("--email", required=True)
    _password_options(password, allow_none=False)
    listing = actions.add_parser("list", help="every account with role, state and assignments")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    team = actions.add_parser("assign-team", help="give a user teams to see (by team name)")
    team.add_argument("--email", required=True)
    team.add_argument("--team", required=True, action="append", metavar="NAME", help="repeat for several")
    team.add_argument("--remove", action="store_true", help="take these teams away instead")
    agent = actions.add_parser("assign-agent", help="give a coach agents (or link an agent-role user)")
    agent.add_argument("--email", required=True)
    agent.add_argument("--agent", required=True, action="append", metavar="CODE", help="repeat for several")
    agent.add_argument("--remove", action="store_true", help="take these agents away instead")
    for name, text in (("deactivate", "end an account's access"), ("activate", "restore an account"),
                       ("unlock", "lift a lock-out after failed sign-ins")):  # fmt: skip
        actions.add_parser(name, help=text).add_argument("--email", required=True)


def _password_options(parser: argparse.ArgumentParser, *, allow_none: bool) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    if allow_none:
        source.add_argument(
            "--no-password",
            action="store_true",
            help="no password: the person signs in through the identity provider",
        )


def _read_password(args: argparse.Namespace) -> str | None:
    if getattr(args, "no_password", False):
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def run(args: argparse.Namespace, settings: Any, *, echo: Callable[..., None]) -> int:
    """Run one `mirador users` command; returns the exit code (1: refused, 2: bad input)."""
    from models import users
    from models.db import open_database, session_scope

    try:
        password = _read_password(args) if args.action in ("add", "set-password") else None
    except (ValueError, EOFError, KeyboardInterrupt) as exc:
        sys.stderr.write(f"mirador: {exc or 'no password given'}\n")
        return 2
    engine, factory = open_database(settings)
    try:
        with session_scope(factory) as session:
            return _apply(session, args, password, echo)
    except users.UserError as exc:
        sys.stderr.write(f"mirador: {exc}\n")
        return 1
    finally:
        engine.dispose()


def _apply(session: Any, args: argparse.Namespace, password: str | None, echo: Callable[..., None]) -> int:
    from models import users

    if args.action == "list":
        frame = users.list_users(session=session, actor=OPERATOR)
        if args.format == "json":
            echo(json.dumps(frame.to_dict(orient="records"), default=str, indent=2))
        else:
            echo(frame.drop(columns=["user_id"]).to_string(index=False))
        return 0
    if args.action == "add":
        uid = users.add_user(
            session=session, actor=OPERATOR, email=args.email, name=args.name, role=args.role,
            password=password, locale=args.locale,
        )  # fmt: skip
        echo(f"added {args.email.strip().lower()} ({args.role}, id {uid})")
        return 0
    user_id = users.user_id_for(session=session, email=args.email)
    if user_id is None:
        raise users.UserError("email", "unknown_user", f"no account {args.email!r}")
    who = {"session": session, "actor": OPERATOR, "user_id": user_id}
    if args.action == "set-password":
        users.set_password(**who, password=password or "")
    elif args.action in ("deactivate", "activate"):
        users.set_active(**who, active=args.action == "activate")
    elif args.action == "unlock":
        users.unlock(**who)
    else:
        _assign(session, args, who)
    echo(f"{args.action}: {args.email.strip().lower()} done")
    return 0


def _assign(session: Any, args: argparse.Namespace, who: dict[str, Any]) -> None:
    from models import users

    current = users.assignments(session=session, actor=OPERATOR, user_id=who["user_id"])
    if args.action == "assign-team":
        named = users.team_ids_named(session=session, names=args.team)
        kept = [t for t in current["teams"] if t not in named]
        users.set_teams(**who, team_ids=kept if args.remove else sorted({*current["teams"], *named}))
    else:
        coded = users.agent_ids_coded(session=session, codes=args.agent)
        kept = [a for a in current["agents"] if a not in coded]
        users.set_agents(**who, agent_ids=kept if args.remove else sorted({*current["agents"], *coded}))
