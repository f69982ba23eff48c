"""Schedules: a weekly rota, 8-hour shifts staggered to the demand curve, breaks, lunch, meetings,
coaching, training and absences; and each agent's actual day (late logins, long or skipped breaks,
early logouts, connectivity drops for home workers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from jobs.sources.sim_demand import (
    PRODUCTIVE_S_PER_SHIFT,
    close_minute,
    load_factor,
    open_minute,
    open_window,
    shape,
)
from jobs.sources.sim_model import AgentInfo, local_epoch, rng_for, stable_int, units
from jobs.sources.sim_org import Line

SAT_CREW_SHARE = 0.42
SUN_CREW_SHARE = 0.2
ABSENCE_START_P = 0.02  # a sickness spell starts (1-4 days)
SPELL_LENGTHS = ((0.5, 1), (0.75, 2), (0.9, 3), (1.0, 4))
AMERICA_EARLIEST_START = 13 * 60  # centre time: 06:00-07:00 in Bogotá or Mexico City
NEW_HIRE_DAYS = 21  # new hires train 90 minutes a day during their first weeks
LATE_LOGIN_P = {"good": 0.04, "average": 0.12, "poor": 0.28}
EARLY_LOGOUT_P = {"good": 0.03, "average": 0.08, "poor": 0.2}
LONG_BREAK_P = {"good": 0.03, "average": 0.1, "poor": 0.25}
DROPS_PER_DAY = {"normal": 0.45, "bad_internet": 2.0}  # remote only; aux technical, 1-3 minutes


@dataclass
class DayPlan:
    """One agent's planned day (schedule rows) and how it will really go (login, logout, blocks)."""

    agent: AgentInfo
    day: date
    absent: bool
    activities: list[tuple[str, int, int, bool]]  # (activity, start, end, paid)
    login: int
    logout: int
    blocks: list[tuple[int, int, str]]  # (planned start, seconds, aux reason), by start


def _week_crews(line: Line, agents: list[AgentInfo], monday: date) -> tuple[list[str], list[str]]:
    """Saturday and Sunday crews of an ISO week, rotated weekly among Spain-based agents."""
    hired = [a for a in agents if a.hire_date <= monday + timedelta(days=6)]
    pool = [a.code for a in hired if not a.america] or [a.code for a in hired]
    if not pool:
        return [], []
    k_sat = min(len(pool), max(1, round(len(hired) * SAT_CREW_SHARE)))
    k_sun = min(len(pool) - k_sat, max(1, round(len(hired) * SUN_CREW_SHARE))) if line.sunday else 0
    offset = (monday.toordinal() // 7 * k_sat) % len(pool)
    rotated = pool[offset:] + pool[:offset]
    return rotated[:k_sat], rotated[k_sat : k_sat + k_sun]


def rota(line: Line, agents: list[AgentInfo], day: date) -> list[AgentInfo]:
    """Agents scheduled on a day (weekend crews take a Tuesday-Friday day off instead)."""
    monday = day - timedelta(days=day.weekday())
    sat, sun = _week_crews(line, agents, monday)
    off = {code: 1 + i % 4 for i, code in enumerate(sat)} | {
        code: 1 + (i + 2) % 4 for i, code in enumerate(sun)
    }
    hired = [a for a in agents if a.hire_date <= day]
    if day.weekday() == 5:
        return [a for a in hired if a.code in sat]
    if day.weekday() == 6:
        return [a for a in hired if a.code in sun]
    return [a for a in hired if off.get(a.code) != day.weekday()]


def is_absent(seed: int, agent: AgentInfo, day: date) -> bool:
    """Unplanned absence: sickness spells of 1-4 days."""
    for back in range(4):
        start, length = units(seed, f"{agent.code}:{(day - timedelta(days=back)).toordinal()}", "absence", 2)
        if start < ABSENCE_START_P and next(n for p, n in SPELL_LENGTHS if length < p) > back:
            return True
    return False


def _span(weekday: int) -> int:
    return 360 if weekday == 5 else 510


def _need_curve(line: Line, weekday: int, first: int) -> np.ndarray:
    """Relative workload per 15-minute slot of the day (email work spread over the open hours)."""
    grid = np.arange(0, 1440, 15)
    need = np.zeros(grid.size)
    for channel, share in line.workload_share:
        window = open_window(channel, line, weekday) if channel != "email" else None
        live = window or (first + 60, close_minute(line, weekday) - 60)
        inside = (grid >= live[0]) & (grid < live[1])
        curve = shape(channel, (grid + 7.5) / 60.0) if channel != "email" else np.ones(grid.size)
        curve = np.where(inside, curve, 0.0)
        need += share * curve / max(curve.sum(), 1e-9)
    return need


@lru_cache(maxsize=1024)
def shift_starts(
    line: Line, weekday: int, n_europe: int, n_america: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shift starts (local minutes) covering the day's workload curve greedily: America-based agents
    are planned first on the late shifts they can work, then Spain-based agents fill the rest."""
    n = n_europe + n_america
    if n == 0:
        return (), ()
    span, first = _span(weekday), open_minute(line, weekday) - 15
    last = close_minute(line, weekday) + 30 - span
    grid = np.arange(0, 1440, 15)

    def cover(start: int) -> np.ndarray:
        on = ((grid >= start) & (grid < start + span)).astype(float)
        return np.where((grid >= start + 240) & (grid < start + 285), 0.5, on)

    late = list(range(AMERICA_EARLIEST_START, max(AMERICA_EARLIEST_START, last) + 1, 30)) or [last]
    anytime = list(range(first, max(first, last) + 1, 30)) + [last]
    # Square-root staffing: quiet intervals need proportionally more people than busy ones.
    erlangs = _need_curve(line, weekday, first) * n * PRODUCTIVE_S_PER_SHIFT * load_factor(n) / 900
    need = erlangs + 0.8 * np.sqrt(erlangs)
    need = need * n * cover(first).sum() / need.sum()
    covered = np.zeros(grid.size)
    plans: list[list[int]] = [[], []]
    forced = [(1, max(last, AMERICA_EARLIEST_START))] if n_america else []
    forced += [(0, first)] if n_europe else []
    forced += [(0, last)] if n_europe > 1 and not n_america else []
    for pool, start in forced:
        plans[pool].append(start)
        covered += cover(start)
    for pool, count, candidates in ((1, n_america, late), (0, n_europe, anytime)):
        while len(plans[pool]) < count:
            gains = [
                np.minimum(covered + cover(x), need).sum() - np.minimum(covered, need).sum()
                for x in candidates
            ]
            best = candidates[int(np.argmax(gains))]
            plans[pool].append(best)
            covered += cover(best)
    return tuple(sorted(plans[0])), tuple(sorted(plans[1]))


def _order_key(seed: int, agent: AgentInfo, monday: date) -> tuple[int, float]:
    zone_rank = {"Europe/Madrid": 0, "Atlantic/Canary": 1, "America/Bogota": 2, "America/Mexico_City": 3}
    return zone_rank.get(agent.timezone, 0), units(seed, f"{agent.code}:{monday}", "shift", 1)[0]


def plan_line_day(
    *, seed: int, line: Line, agents: list[AgentInfo], day: date, zone: ZoneInfo
) -> list[DayPlan]:
    """Every scheduled agent's plan for one line-day (absent ones included, marked absent)."""
    scheduled = rota(line, agents, day)
    monday = day - timedelta(days=day.weekday())
    scheduled.sort(key=lambda a: _order_key(seed, a, monday))
    europe = [a for a in scheduled if not a.america]
    america = [a for a in scheduled if a.america]
    europe_starts, america_starts = shift_starts(line, day.weekday(), len(europe), len(america))
    pairs = list(zip(europe, europe_starts, strict=True)) + list(zip(america, america_starts, strict=True))
    pairs.sort(key=lambda pair: pair[1])
    return [_plan_agent(seed, agent, day, start, zone, i) for i, (agent, start) in enumerate(pairs)]


def _activities(seed: int, agent: AgentInfo, day: date, position: int) -> list[tuple[str, int, int]]:
    """Planned non-work activities as (activity, start offset, minutes), and the shift length."""
    u = units(seed, f"{agent.code}:{day.toordinal()}", "plan", 4)
    weekday = day.weekday()
    if weekday == 5:
        return [("break", 180, 15), ("work_end", 360, 0)]
    lunch = 60 if units(seed, agent.code, "lunch", 1)[0] < 0.45 else 30
    b1 = 105 + 15 * (position % 4)  # staggered by shift order so a team does not all break at once
    lunch_at = 225 + 15 * ((position + 2) % 4)
    out = [
        ("break", b1, 15),
        ("lunch", lunch_at, lunch),
        ("break", lunch_at + lunch + 105 + 15 * int(u[3] * 3), 15),
    ]
    after_lunch = lunch_at + lunch + 30
    if agent.tenure_days(day) < NEW_HIRE_DAYS:
        out.append(("training", b1 + 15, min(90, lunch_at - b1 - 15)))
    elif weekday == 1 + stable_int(agent.code) % 4:  # team huddles, in groups over the week
        out.append(("meeting", b1 + 30, 30))
    week = day.toordinal() // 7
    slot = int(units(seed, f"{agent.code}:{week // 2}", "coach", 1)[0] * 10)
    coaching = weekday < 5 and slot == weekday + 5 * (week % 2)  # one day a fortnight
    if coaching:
        out.append(("coaching", after_lunch, 30))
    elif u[2] < 0.04 and agent.tenure_days(day) >= NEW_HIRE_DAYS:
        out.append(("training", after_lunch, 60))
    out.append(("work_end", 480 + lunch, 0))
    return out


def _plan_agent(
    seed: int, agent: AgentInfo, day: date, start_min: int, zone: ZoneInfo, position: int
) -> DayPlan:
    acts = _activities(seed, agent, day, position)
    begin = local_epoch(day, start_min, zone)
    end = begin + next(off for a, off, _ in acts if a == "work_end") * 60
    rows: list[tuple[str, int, int, bool]] = []
    cursor = begin
    for activity, offset, minutes in sorted((a for a in acts if a[0] != "work_end"), key=lambda a: a[1]):
        a_start = begin + offset * 60
        if a_start > cursor:
            rows.append(("work", cursor, a_start, True))
        rows.append((activity, a_start, a_start + minutes * 60, activity != "lunch"))
        cursor = a_start + minutes * 60
    if end > cursor:
        rows.append(("work", cursor, end, True))
    if is_absent(seed, agent, day):
        return DayPlan(agent, day, True, [("absence", begin, end, True)], 0, 0, [])
    rng = rng_for(seed, 401, stable_int(agent.code), day.toordinal())
    return _actual_day(agent, day, rng, rows, begin, end)


def _actual_day(
    agent: AgentInfo,
    day: date,
    rng: np.random.Generator,
    rows: list[tuple[str, int, int, bool]],
    begin: int,
    end: int,
) -> DayPlan:
    """Adherence slips drawn for one agent-day: login, logout, block overruns, skipped breaks, drops."""
    style = agent.discipline
    login = begin + int(np.clip(rng.normal(-100, 80), -300, 60))
    if rng.random() < LATE_LOGIN_P[style]:
        login = begin + int(rng.uniform(180, 1200))
    logout = end + int(rng.uniform(0, 240))
    if rng.random() < EARLY_LOGOUT_P[style]:
        logout = end - int(rng.uniform(300, 1800))
    blocks: list[tuple[int, int, str]] = []
    breaks_seen = 0
    for activity, a_start, a_end, _ in rows:
        if activity == "work":
            continue
        seconds = a_end - a_start
        overrun = rng.uniform(0, {"good": 60, "average": 150, "poor": 240}[style])
        if activity in ("break", "lunch"):
            if rng.random() < LONG_BREAK_P[style]:
                overrun += rng.uniform(300, 900)
            if activity == "break":
                breaks_seen += 1
                skip_p = (0.5 if breaks_seen == 2 else 0.1) if agent.skips_breaks else 0.03
                if rng.random() < skip_p:
                    continue
        else:
            overrun = rng.uniform(0, 60)
        blocks.append((a_start + int(rng.uniform(-60, 120)), int(seconds + overrun), activity))
    if agent.is_remote:
        drops = rng.poisson(DROPS_PER_DAY["bad_internet" if agent.bad_internet else "normal"])
        for _ in range(drops):
            blocks.append(
                (
                    int(rng.uniform(login + 600, max(login + 601, logout - 600))),
                    int(rng.uniform(60, 180)),
                    "technical",
                )
            )
    for _ in range(rng.poisson(0.5)):
        blocks.append(
            (
                int(rng.uniform(login + 900, max(login + 901, logout - 900))),
                int(rng.uniform(120, 300)),
                "other",
            )
        )
    blocks.sort()
    return DayPlan(agent, day, False, rows, login, logout, blocks)
