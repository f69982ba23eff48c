"""Seeded, realistic Asterisk queue_log files for the benchmark and the tests: agents joining queues,
pausing and leaving; calls waiting, ringing, being answered, transferred or abandoned; plus the dirt
real logs carry (duplicate lines, small disorder, blank and broken lines, restarts)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

QUEUES = ("sales", "support", "billing", "retention")
FIRST_NAMES = ("Ana", "Luis", "Paty", "Jorge", "Marta", "Diego", "Lucía", "Pablo", "Sara", "Iván", "Elena")
LAST_NAMES = ("Marín", "Flores", "García", "López", "Ruiz", "Torres", "Navarro", "Díaz", "Vega", "Romero")
PAUSES = (("Break", 900), ("Lunch", 2700), ("Meeting", 1800), ("Training", 1800), ("Coaching 1:1", 1200))
DAY = 86_400
START = 1_700_000_000 - 1_700_000_000 % DAY  # a Tuesday, 00:00 UTC


class _Simulator:
    """One centre: agents with shifts and pauses, calls served by the agent free first."""

    def __init__(self, seed: int, n_agents: int = 48) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.serial = seed * 10_000_000
        self.agents: list[str] = []
        for i in range(n_agents):
            if i % 4 == 3:
                self.agents.append(f"Agent/{1001 + i}")
            else:
                self.agents.append(f"{FIRST_NAMES[i % 11]} {LAST_NAMES[(i * 7) % 10]} {i}")
        self.queues_of = {a: rng.sample(QUEUES, rng.choice((1, 2, 2, 3))) for a in self.agents}
        self.rate = n_agents * 0.6 / 230.0 / len(QUEUES)  # calls/s per queue, ~85 % occupancy

    def day(self, start: int) -> list[tuple[float, int, str]]:
        """All lines of one day as (time, order, text), unsorted; some days the PBX restarts."""
        rng, out = self.rng, []
        number = start // DAY
        for hour in (6,) * (number % 5 == 0) + (13,) * (number % 7 == 3):
            out.append((start + hour * 3600, 0, f"{start + hour * 3600}|NONE|NONE|NONE|QUEUESTART|"))
        shifts, paused, free_at = {}, {}, {}
        for number, agent in enumerate(self.agents):  # early and late shifts cover 08:00-18:00
            begin = start + (7 + 3 * (number % 2)) * 3600 + rng.randint(0, 5400)
            end = begin + 8 * 3600 + rng.randint(0, 1800)
            shifts[agent] = (begin, end)
            free_at[agent] = begin
            for queue in self.queues_of[agent]:
                out.append((begin, 1, f"{begin}|MANAGER|{queue}|{agent}|ADDMEMBER|"))
                out.append((end, 9, f"{end}|MANAGER|{queue}|{agent}|REMOVEMEMBER|"))
            paused[agent] = []
            for _ in range(rng.choice((1, 2, 3))):
                reason, length = rng.choice(PAUSES)
                at = rng.randint(begin + 1800, end - length - 1800)
                paused[agent].append((at, at + length))
                out.append((at, 2, f"{at}|NONE|NONE|{agent}|PAUSEALL|{reason}"))
                for queue in self.queues_of[agent]:
                    out.append((at, 3, f"{at}|NONE|{queue}|{agent}|PAUSE|{reason}"))
                    out.append((at + length, 3, f"{at + length}|NONE|{queue}|{agent}|UNPAUSE|"))
        arrivals = []
        for queue in QUEUES:
            t = float(start + 8 * 3600)
            while t < start + 18 * 3600:
                t += rng.expovariate(self.rate)
                arrivals.append((int(t), queue))
        members = {q: [a for a in self.agents if q in self.queues_of[a]] for q in QUEUES}
        for entry, queue in sorted(arrivals):
            self._call(entry, queue, members[queue], shifts, paused, free_at, out)
        return out

    def _call(self, entry, queue, members, shifts, paused, free_at, out) -> None:  # type: ignore[no-untyped-def]
        rng = self.rng
        self.serial += 2
        callid = f"{entry}.{self.serial}"
        cid = f"+34{rng.randint(600_000_000, 699_999_999)}"
        line = f"{entry}|{callid}|{queue}"
        if rng.random() < 0.3:
            out.append((entry, 4, f"{line}|NONE|DID|+3491{rng.randint(1_000_000, 9_999_999)}"))
        out.append((entry, 5, f"{line}|NONE|ENTERQUEUE||{cid}|1"))
        on_shift = [a for a in members if shifts[a][0] <= entry < shifts[a][1]]
        ready = [a for a in on_shift if not any(s <= entry < e for s, e in paused[a])] or on_shift
        patience = rng.expovariate(1 / 150.0)
        if not ready:
            out.append((entry + 2, 6, f"{entry + 2}|{callid}|{queue}|NONE|EXITEMPTY|1|1|2"))
            return
        agent = min(ready, key=free_at.__getitem__)
        wait = max(0, free_at[agent] - entry) + rng.randint(2, 9)
        if wait > patience or wait > 600:
            left = int(min(patience, 600))
            kind = "EXITWITHTIMEOUT" if left >= 600 else "ABANDON"
            if kind == "ABANDON" and rng.random() < 0.05:
                out.append(
                    (entry + left, 6, f"{entry + left}|{callid}|{queue}|NONE|EXITWITHKEY|5|1|1|{left}")
                )
            else:
                out.append((entry + left, 6, f"{entry + left}|{callid}|{queue}|NONE|{kind}|1|1|{left}"))
            return
        for other in rng.sample(ready, min(len(ready), rng.choice((0, 0, 0, 1, 2)))):
            if other != agent:
                out.append((entry + 1, 6, f"{entry + 1}|{callid}|{queue}|{other}|RINGNOANSWER|15000"))
        answer = entry + wait
        talk = max(5, int(rng.lognormvariate(math.log(180), 0.6)))
        end = answer + talk
        free_at[agent] = end + rng.randint(5, 40)
        out.append((answer, 7, f"{answer}|{callid}|{queue}|{agent}|CONNECT|{wait}|{callid}1|3"))
        roll = rng.random()
        if roll < 0.04:
            tail = f"BLINDTRANSFER|2{rng.randint(100, 999)}|from-internal|{wait}|{talk}|1"
        elif roll < 0.05:
            tail = f"ATTENDEDTRANSFER|BRIDGE|{rng.getrandbits(32):08x}|{wait}|{talk}|1"
        else:
            tail = f"{rng.choice(('COMPLETECALLER', 'COMPLETEAGENT'))}|{wait}|{talk}|1"
        out.append((end, 8, f"{end}|{callid}|{queue}|{agent}|{tail}"))


def _dirty(lines: list[str], rng: random.Random) -> Iterator[str]:
    """Add the noise of real files: exact duplicates, swapped neighbours, blank and broken lines."""
    i = 0
    while i < len(lines):
        roll = rng.random()
        if roll < 0.003 and i + 1 < len(lines):
            yield lines[i + 1]
            yield lines[i]
            i += 2
            continue
        yield lines[i]
        if roll > 0.998:
            yield lines[i]
        elif 0.9975 < roll <= 0.998:
            yield rng.choice(("", "garbage without pipes", f"x{lines[i]}", "1700000000|a|b"))
        i += 1


def _write(path: Path, mode: str, lines: int, seed: int, start: int, dirty: bool) -> int:
    sim, written = _Simulator(seed), 0
    noise = random.Random(seed + 1)
    with open(path, mode, encoding="utf-8", newline="\n") as handle:
        day = start
        while written < lines:
            day_lines = [text for _, _, text in sorted(sim.day(day))]
            produced = list(_dirty(day_lines, noise)) if dirty else day_lines
            produced = produced[: lines - written]
            handle.write("\n".join(produced) + "\n")
            written += len(produced)
            day += DAY
    return written


def generate_queue_log(path: Path, lines: int, seed: int, *, dirty: bool = True) -> int:
    """Write a new log of exactly `lines` lines (about 24 days of a 48-agent centre per million)."""
    return _write(Path(path), "w", lines, seed, START, dirty)


def append_queue_log(path: Path, lines: int, seed: int, *, dirty: bool = True) -> int:
    """Append `lines` more lines, starting the day after the file's last timestamp."""
    last = START
    with open(path, "rb") as handle:
        handle.seek(max(0, handle.seek(0, 2) - 65_536))
        for raw in handle.read().split(b"\n"):
            head = raw.split(b"|", 1)[0]
            if head.isdigit():
                last = max(last, int(head))
    return _write(Path(path), "a", lines, seed, last - last % DAY + DAY, dirty)
