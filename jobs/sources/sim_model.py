"""The simulator's view of the organisation (rebuilt from the seed's parameters, with the database's
ids) and its small helpers: stable hashing, epoch/datetime conversion and per-agent traits."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlmodel import Session

from jobs.sources.sim_org import LINE_BY_KEY, LINE_BY_LABEL, Line, build_org_rows, is_america
from jobs.sources.sim_params import SimParams
from models.tables import Agent, Queue, Team, Touchpoint
from models.writes import fetch_rows

SOURCE = "sim"
_INV_2_32 = 1.0 / 2**32


def units(seed: int, key: str, salt: str, n: int = 4) -> tuple[float, ...]:
    """n stable uniforms in [0, 1) from a string key: the same key always gives the same numbers."""
    digest = hashlib.blake2b(f"{seed}:{salt}:{key}".encode(), digest_size=4 * n).digest()
    return tuple(x * _INV_2_32 for x in struct.unpack(f"<{n}I", digest))


def stable_int(text: str) -> int:
    return zlib.crc32(text.encode())


def rng_for(seed: int, *parts: int) -> np.random.Generator:
    return np.random.default_rng([seed, *parts])


def to_dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def to_epoch(moment: datetime | None) -> float | None:
    """Epoch seconds of a stored timestamp (SQLite gives them back naive; they are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def local_epoch(day: date, minutes: float, zone: ZoneInfo) -> int:
    """Epoch second of a wall-clock time (minutes after local midnight) on a local day."""
    return int((datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)).timestamp())


@dataclass
class AgentInfo:
    """One agent with the traits that shape their day (derived from the code, so always the same)."""

    id: int
    code: str
    line: str
    team_id: int
    is_remote: bool
    timezone: str
    hire_date: date
    america: bool
    aht_factor: float = 1.0
    discipline: str = "good"  # good | average | poor
    skips_breaks: bool = False
    bad_internet: bool = False
    ces_skill: float = 0.0
    transfer_factor: float = 1.0

    def tenure_days(self, day: date) -> int:
        return (day - self.hire_date).days


@dataclass
class QueueInfo:
    id: int
    name: str
    channel: str
    line: str
    touchpoint_id: int | None
    priority: int  # routing class: 0 voice, 1 chat/whatsapp, 2 email


@dataclass
class Org:
    """Everything the simulation needs to know about the organisation."""

    zone: ZoneInfo
    lines: list[Line]
    agents: dict[str, list[AgentInfo]]  # line key -> agents, by code
    queues: dict[str, list[QueueInfo]]  # line key -> queues, by name
    queue_by_id: dict[int, QueueInfo] = field(default_factory=dict)
    agent_by_id: dict[int, AgentInfo] = field(default_factory=dict)

    def queue_for(self, line: str, channel: str) -> QueueInfo | None:
        return next((q for q in self.queues.get(line, []) if q.channel == channel), None)


PRIORITY = {"voice": 0, "chat": 1, "whatsapp": 1, "email": 2}


def _traits(seed: int, agent: AgentInfo) -> None:
    rng = rng_for(seed, 202, stable_int(agent.code))
    agent.aht_factor = float(np.exp(rng.normal(0.0, 0.12)))
    agent.discipline = str(rng.choice(["good", "average", "poor"], p=[0.7, 0.2, 0.1]))
    agent.skips_breaks = bool(rng.random() < 0.1)
    agent.bad_internet = bool(agent.is_remote and rng.random() < 0.25)
    agent.ces_skill = float(rng.normal(0.0, 0.25))
    agent.transfer_factor = float(np.exp(rng.normal(0.0, 0.3)))


def load_org(*, session: Session, params: SimParams) -> Org:
    """The organisation the seed created, rebuilt from its parameters; only database ids are read.

    Agents, their lines and traits come from the seed's own description (not from the rows as they
    are now), so a later edit (an agent deactivated or moved, a queue added to a touchpoint) cannot
    change how an already simulated day replays."""
    spec = build_org_rows(
        scale=params.scale, seed=params.seed, today=params.seeded_on, centre_zone=params.timezone
    )
    codes = [str(a["code"]) for a in spec.agents]
    agent_ids = {
        r["code"]: r["id"]
        for r in fetch_rows(session, Agent, columns=["code", "id"], where=[("code", "in", codes)])
    }
    team_ids = {r["name"]: r["id"] for r in fetch_rows(session, Team, columns=["name", "id"])}
    queue_ids = {r["name"]: r["id"] for r in fetch_rows(session, Queue, columns=["name", "id"])}
    tp_ids = {r["key"]: r["id"] for r in fetch_rows(session, Touchpoint, columns=["key", "id"])}
    missing = sorted(set(codes) - agent_ids.keys())
    missing += [str(q["name"]) for q in spec.queues if q["name"] not in queue_ids]
    missing += [str(t["name"]) for t in spec.teams if t["name"] not in team_ids]
    if missing:
        raise ValueError(f"the demo organisation is incomplete in the database (missing {missing[:5]})")
    team_line = {str(t["name"]): LINE_BY_LABEL[str(t["name"]).split(" ", 1)[0]].key for t in spec.teams}
    agents: dict[str, list[AgentInfo]] = {}
    for row in sorted(spec.agents, key=lambda a: str(a["code"])):
        line = team_line[str(row["team"])]
        info = AgentInfo(
            id=agent_ids[row["code"]],
            code=str(row["code"]),
            line=line,
            team_id=team_ids[row["team"]],
            is_remote=bool(row["is_remote"]),
            timezone=str(row["timezone"]),
            hire_date=row["hire_date"],  # type: ignore[arg-type]
            america=is_america(str(row["timezone"])),
        )
        _traits(params.seed, info)
        agents.setdefault(line, []).append(info)
    queues: dict[str, list[QueueInfo]] = {}
    for q in sorted(spec.queues, key=lambda q: str(q["name"])):
        line, channel = str(q["touchpoint"]), str(q["channel"])
        queues.setdefault(line, []).append(
            QueueInfo(
                queue_ids[q["name"]], str(q["name"]), channel, line, tp_ids.get(line), PRIORITY[channel]
            )
        )
    lines = [LINE_BY_KEY[k] for k in LINE_BY_KEY if k in agents and k in queues]
    org = Org(zone=params.zone, lines=lines, agents=agents, queues=queues)
    org.queue_by_id = {q.id: q for qs in queues.values() for q in qs}
    org.agent_by_id = {a.id: a for a_s in agents.values() for a in a_s}
    return org
