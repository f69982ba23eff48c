"""Demand: opening hours, intraday and weekly shapes, volatile days, handle-time profiles and Poisson
arrivals per queue and 15-minute interval, calibrated to each line's head count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from jobs.sources.sim_model import QueueInfo, local_epoch, rng_for, stable_int
from jobs.sources.sim_org import Line
from models.timegrid import intervals_of_day, local_date_of

# Opening hours in the centre's zone, minutes after local midnight, by weekday (Mon=0).
VOICE_HOURS = {0: (480, 1260), 1: (480, 1260), 2: (480, 1260), 3: (480, 1260), 4: (480, 1260), 5: (540, 840)}
CHAT_HOURS = {0: (480, 1320), 1: (480, 1320), 2: (480, 1320), 3: (480, 1320), 4: (480, 1320), 5: (540, 1020)}
SUNDAY_CHAT_HOURS = (600, 1080)
EMAIL_CUTOFF_BEFORE_CLOSE_MIN = 120  # email after this joins the next working day's backlog
# Rate multipliers by weekday (Monday highest, Saturday short, Sunday chat/whatsapp only).
WEEKDAY_FACTOR = (1.22, 1.06, 1.0, 0.97, 0.93, 0.85, 0.6)
EMAIL_WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 0.97, 0.92, 0.45, 0.35)
VOLATILE_DAY_P = 0.06  # a line has a volatile day (+30-60 %): an incident, a campaign, a carrier delay
CENTRE_INCIDENT_P = 0.025  # every line at once
# Share of staffed productive time spent handling, by agents on shift: bigger pools run busier at
# the same service level (square-root staffing), so the load grows with the pool size.
LOAD_SCALE, LOAD_POOLING = 0.88, 0.9
PRODUCTIVE_S_PER_SHIFT = 6.3 * 3600  # 8 h paid minus breaks, meetings, coaching, aux
WORKING_SHARE = 0.8  # agents working on an average weekday (rota, absences)

# Handle time profiles: median seconds (lognormal), sigma.
TALK_MEDIAN = {
    "voice": {"order": 230, "delivery": 190, "returns": 260, "billing": 320, "tech": 400},
    "chat": {"order": 420, "delivery": 380, "returns": 450, "tech": 560},
    "whatsapp": {"delivery": 520, "tech": 620},
    "email": {"order": 260, "billing": 330},
}
TALK_SIGMA = {"voice": 0.55, "chat": 0.6, "whatsapp": 0.65, "email": 0.7}
HOLD_P = {"order": 0.18, "delivery": 0.14, "returns": 0.22, "billing": 0.30, "tech": 0.40}
HOLD_MEDIAN_S, HOLD_SIGMA = 40.0, 0.7
ACW_MEDIAN = {"voice": 30, "chat": 20, "whatsapp": 20, "email": 25}
ACW_SIGMA = 0.6
# Caller patience: mean seconds (exponential) and the cap after which the system times out (None: never).
PATIENCE_MEAN = {"voice": 230.0, "chat": 600.0, "whatsapp": 5400.0, "email": None}
TIMEOUT_S = {"voice": None, "chat": 1200.0, "whatsapp": 3 * 3600.0, "email": None}
SHORT_ABANDON_P = 0.03  # callers who hang up within 5 s


def open_window(channel: str, line: Line, weekday: int) -> tuple[int, int] | None:
    """Opening hours (local minutes) of a channel on a weekday; email arrives around the clock."""
    if channel == "email":
        return (0, 1440)
    if channel == "voice":
        return VOICE_HOURS.get(weekday)
    if weekday == 6:
        return SUNDAY_CHAT_HOURS if line.sunday else None
    return CHAT_HOURS.get(weekday)


def works_on(line: Line, day: date) -> bool:
    return day.weekday() < 6 or line.sunday


def close_minute(line: Line, weekday: int) -> int:
    """When the line's last live channel closes (its last agent may leave after that)."""
    closes = [w[1] for _, ch in line.queues if ch != "email" and (w := open_window(ch, line, weekday))]
    return max(closes) if closes else 1080


def open_minute(line: Line, weekday: int) -> int:
    opens = [w[0] for _, ch in line.queues if ch != "email" and (w := open_window(ch, line, weekday))]
    return min(opens) if opens else 540


def previous_workday(line: Line, day: date) -> date:
    prev = day - timedelta(days=1)
    while not works_on(line, prev):
        prev -= timedelta(days=1)
    return prev


def email_cutoff(line: Line, day: date, zone: ZoneInfo) -> int:
    return local_epoch(day, close_minute(line, day.weekday()) - EMAIL_CUTOFF_BEFORE_CLOSE_MIN, zone)


def window_start(line: Line, day: date, zone: ZoneInfo) -> int:
    """First moment a contact of this line-day can arrive (the email backlog since the last cutoff)."""
    return email_cutoff(line, previous_workday(line, day), zone)


def sim_day_of(line: Line, channel: str, moment: float, zone: ZoneInfo) -> date | None:
    """The line-day whose arrivals include `moment` on a channel (None if the channel is closed)."""
    day = local_date_of(moment, zone)
    if channel != "email":
        return day if works_on(line, day) else None
    if works_on(line, day) and moment < email_cutoff(line, day, zone):
        return day
    nxt = day + timedelta(days=1)
    while not works_on(line, nxt):
        nxt += timedelta(days=1)
    return nxt


def shape(channel: str, hour: np.ndarray) -> np.ndarray:
    """Relative arrival rate by local hour: voice peaks mid-morning and after lunch, chat and whatsapp
    carry an evening tail, email arrives around the clock."""

    def bump(mu: float, sd: float) -> np.ndarray:
        return np.exp(-0.5 * ((hour - mu) / sd) ** 2)

    if channel == "voice":
        return 0.3 + 0.9 * bump(10.8, 1.5) + 0.85 * bump(16.0, 1.7)
    if channel in ("chat", "whatsapp"):
        return 0.25 + 0.6 * bump(11.5, 1.5) + 0.72 * bump(17.6, 1.6) + 0.55 * bump(20.6, 1.1)
    return 0.12 + 0.88 * bump(12.5, 3.6)


def _reference_shape_sum(channel: str, line: Line) -> float:
    window = open_window(channel, line, 2)
    assert window is not None
    hours = (np.arange(window[0], window[1], 15) + 7.5) / 60.0
    return float(shape(channel, hours).sum())


def expected_aht(channel: str, line_key: str) -> float:
    talk = TALK_MEDIAN[channel][line_key] * np.exp(TALK_SIGMA[channel] ** 2 / 2)
    hold = HOLD_P[line_key] * 1.4 * HOLD_MEDIAN_S * np.exp(HOLD_SIGMA**2 / 2) if channel == "voice" else 0.0
    return float(talk + hold + ACW_MEDIAN[channel] * np.exp(ACW_SIGMA**2 / 2))


def load_factor(on_shift: float) -> float:
    """Target handling share of productive time for a pool of this many agents on a day."""
    return LOAD_SCALE * (1 - LOAD_POOLING / np.sqrt(max(on_shift, 1.0)))


def daily_volumes(line: Line, headcount: int) -> dict[str, float]:
    """Contacts per reference weekday per channel, calibrated to the line's head count so service
    levels sit near target on ordinary days and breach at peaks and on volatile days."""
    on_shift = headcount * WORKING_SHARE
    budget = on_shift * PRODUCTIVE_S_PER_SHIFT * max(load_factor(on_shift), 0.3)
    return {ch: budget * share / expected_aht(ch, line.key) for ch, share in line.workload_share}


def day_factor(seed: int, line: Line, day: date) -> float:
    """Volume multiplier of one line on one day: daily noise, volatile days and centre-wide incidents."""
    rng = rng_for(seed, 303, stable_int(line.key), day.toordinal())
    centre = rng_for(seed, 304, day.toordinal())
    factor = float(np.exp(rng.normal(0.0, 0.07)))
    if rng.random() < VOLATILE_DAY_P:
        factor *= 1.3 + 0.3 * rng.random()
    if centre.random() < CENTRE_INCIDENT_P:
        factor *= 1.3 + 0.15 * centre.random()
    return factor


def arrivals_on(
    *, seed: int, queue: QueueInfo, line: Line, day: date, zone: ZoneInfo, volume: float
) -> np.ndarray:
    """Poisson arrivals (integer epoch seconds, sorted) of one queue on one local calendar day."""
    window = open_window(queue.channel, line, day.weekday())
    if window is None:
        return np.zeros(0, dtype=np.int64)
    slots = np.array(intervals_of_day(day, zone), dtype=np.int64)
    # Local wall-clock hour of each slot's middle (a daylight-saving day has 92 or 100 slots).
    hours = np.array([_local_hour(int(s), zone) for s in slots]) + 0.125
    inside = (hours * 60 >= window[0]) & (hours * 60 < window[1])
    weekly = (EMAIL_WEEKDAY_FACTOR if queue.channel == "email" else WEEKDAY_FACTOR)[day.weekday()]
    rate = volume * shape(queue.channel, hours) / _reference_shape_sum(queue.channel, line)
    rate = np.where(inside, rate * weekly * day_factor(seed, line, day), 0.0)
    if queue.channel in ("voice", "chat", "whatsapp"):
        opening = (hours * 60 >= window[0]) & (hours * 60 < window[0] + 15)
        rate = np.where(opening, rate * 0.7, rate)
    rng = rng_for(seed, 305, stable_int(queue.name), day.toordinal())
    counts = rng.poisson(rate)
    starts = np.repeat(slots, counts)
    return np.sort(starts + rng.integers(0, 900, size=starts.size))


def _local_hour(epoch: int, zone: ZoneInfo) -> float:
    local = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
    return local.hour + local.minute / 60.0
