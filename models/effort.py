"""Effort drivers: for contacts with a CES answer, how much each factor moves ease. Per factor: the
raw difference in mean CES with a Welch 95 % CI, and the difference adjusted for every other factor
(least squares, CIs robust to agent clusters), ranked by total effort cost = impact x frequency.

Why both: factors travel together (new hires transfer more, billing holds more), so a raw difference
also carries its companions' effect; the adjusted one isolates each factor's own share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, false, select
from sqlmodel import Session

from models import metrics
from models.access import Viewer, scope_for
from models.rollup_queue import frame
from models.settings import Settings
from models.tables import Agent, EffortAnswer, Queue, Team, Touchpoint
from models.timegrid import local_day_bounds
from models.trends import matching_filters

# Local (centre) hours [start, end) counted as business hours; a contact offered outside them is
# "after hours", on any day of the week.
BUSINESS_HOURS = (8, 20)
# Agent tenure bands at the contact's day: (label, from days inclusive, to days exclusive or None).
TENURE_BANDS = (("lt_3m", 0, 90), ("3_12m", 90, 365), ("1_3y", 365, 1095), ("3y_plus", 1095, None))
# Binary factors: the column is True (factor present), False (absent) or NA (not known).
BINARY_FACTORS = (
    "wait_above_threshold",
    "transfer",
    "hold",
    "repeat_contact",
    "channel_switch",
    "after_hours",
    "unresolved",
)
# Categorical factors: each level is compared with every other known level together.
LEVEL_FACTORS = ("tenure_band", "touchpoint")
FACTORS = BINARY_FACTORS + LEVEL_FACTORS
DRIVER_COLUMNS = [
    "factor",
    "level",
    "n_with",
    "n_without",
    "share",
    "mean_with",
    "mean_without",
    "difference",
    "ci_low",
    "ci_high",
    "adjusted",
    "adjusted_low",
    "adjusted_high",
    "significant",
    "low_confidence",
    "effort_cost",
]


@dataclass(frozen=True)
class Difference:
    """Mean of group A minus mean of group B with its Welch confidence interval (None if undefined)."""

    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None


# --- Student t quantile (no SciPy: regularised incomplete beta by Lentz's continued fraction) -------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(value: float, df: float) -> float:
    """P(T ≤ value) for Student's t with `df` (possibly fractional) degrees of freedom."""
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + value * value))
    return 1.0 - tail if value >= 0 else tail


def _t_density(value: float, df: float) -> float:
    log = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log - (df + 1) / 2 * math.log1p(value * value / df))


def t_quantile(probability: float, df: float) -> float:
    """The value t with P(T ≤ t) = probability (0.5 < probability < 1): Newton steps on t_cdf,
    kept inside a bracket that bisection narrows whenever a step would leave it (a few t_cdf
    evaluations instead of forty)."""
    if not 0.5 < probability < 1 or df <= 0:
        raise ValueError("probability must be in (0.5, 1) and df > 0")
    low, high = 0.0, 1.0
    while t_cdf(high, df) < probability:
        low, high = high, high * 2.0
    value = (low + high) / 2.0
    for _ in range(200):
        gap = t_cdf(value, df) - probability
        low, high = (value, high) if gap < 0 else (low, value)
        step = value - gap / _t_density(value, df)
        following = step if low < step < high else (low + high) / 2.0
        if abs(following - value) < 1e-12 * max(1.0, value):
            return following
        value = following
    return value


# --- Welch difference of means ----------------------------------------------------------------------


def welch_difference(*, group_a: Any, group_b: Any, confidence: float = 0.95) -> Difference:
    """Mean(A) − mean(B) with a Welch (unequal variances) CI; WHY Welch: the groups differ in size
    and spread (a rare factor has few, noisy answers), which the pooled t-test would understate."""
    a = np.asarray(group_a, dtype=float)
    b = np.asarray(group_b, dtype=float)
    return welch_from_moments(
        n_a=a.size,
        sum_a=float(a.sum()),
        sumsq_a=float((a * a).sum()),
        n_b=b.size,
        sum_b=float(b.sum()),
        sumsq_b=float((b * b).sum()),
        confidence=confidence,
    )


def welch_from_moments(
    *,
    n_a: int,
    sum_a: float,
    sumsq_a: float,
    n_b: int,
    sum_b: float,
    sumsq_b: float,
    confidence: float = 0.95,
) -> Difference:
    """Welch CI from counts, sums and sums of squares (so every factor level costs O(1))."""
    mean_a = metrics.ces(ces_sum=sum_a, ces_n=n_a)
    mean_b = metrics.ces(ces_sum=sum_b, ces_n=n_b)
    if mean_a is None or mean_b is None:
        return Difference(n_a, n_b, mean_a, mean_b, None, None, None, None)
    diff = mean_a - mean_b
    if n_a < 2 or n_b < 2:
        return Difference(n_a, n_b, mean_a, mean_b, diff, None, None, None)
    var_a = max(0.0, (sumsq_a - n_a * mean_a * mean_a) / (n_a - 1))
    var_b = max(0.0, (sumsq_b - n_b * mean_b * mean_b) / (n_b - 1))
    part_a, part_b = var_a / n_a, var_b / n_b
    se2 = part_a + part_b
    if se2 <= 0:
        return Difference(n_a, n_b, mean_a, mean_b, diff, diff, diff, None)
    df = se2 * se2 / (part_a * part_a / (n_a - 1) + part_b * part_b / (n_b - 1))
    half = t_quantile(0.5 + confidence / 2.0, df) * math.sqrt(se2)
    return Difference(n_a, n_b, mean_a, mean_b, diff, diff - half, diff + half, df)


# --- Adjusted differences: least squares on every factor at once ---------------------------------------


def _design(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], dict[str, dict[str, int]]]:
    """Columns: intercept, each binary factor (unknown -> 0 plus an "unknown" indicator), and each
    categorical level but the most frequent one (the reference). Constant or repeated columns are
    dropped (e.g. repeat and channel switch are unknown for the same contacts)."""
    columns: dict[str, np.ndarray] = {"const": np.ones(len(frame))}
    counts: dict[str, dict[str, int]] = {}
    for factor in BINARY_FACTORS:
        if factor in frame.columns:
            values = frame[factor].astype("boolean")
            columns[factor] = values.fillna(False).to_numpy(dtype=float)
            columns[f"{factor}:unknown"] = values.isna().to_numpy(dtype=float)
    for factor in LEVEL_FACTORS:
        if factor not in frame.columns:
            continue
        codes, levels = pd.factorize(frame[factor], sort=True)  # NA -> code -1
        tally = np.bincount(codes[codes >= 0], minlength=len(levels))
        order = sorted(range(len(levels)), key=lambda i: (-tally[i], str(levels[i])))
        counts[factor] = {str(levels[i]): int(tally[i]) for i in order}
        for i in order[1:]:  # the most frequent level is the reference
            columns[f"{factor}={levels[i]}"] = (codes == i).astype(float)
        columns[f"{factor}:unknown"] = (codes < 0).astype(float)
    kept: dict[str, np.ndarray] = {}
    seen: set[bytes] = set()
    for name, column in columns.items():
        signature = column.tobytes()
        if (name != "const" and column.min() == column.max()) or signature in seen:
            continue
        seen.add(signature)
        kept[name] = column
    return np.column_stack(list(kept.values())), list(kept), counts


def adjusted_effects(
    frame: pd.DataFrame, *, confidence: float = 0.95
) -> dict[tuple[str, str | None], tuple[float, float | None, float | None]]:
    """{(factor, level): (effect, low, high)}: each factor's difference in mean CES holding the others
    fixed (ordinary least squares). A level of tenure band or touchpoint is compared with the
    count-weighted mean of the other levels, like the raw comparison. The CI uses cluster-robust
    (by agent) standard errors with G - 1 degrees of freedom: an agent's own manner moves all of
    their answers together, which plain standard errors would take for independent evidence."""
    if len(frame) < 3:
        return {}
    x, names, counts = _design(frame)
    y = frame["ces"].to_numpy(dtype=float)
    bread = np.linalg.pinv(x.T @ x)  # normal equations: k is small, n large; pinv guards collinearity
    beta = bread @ (x.T @ y)
    residual = y - x @ beta
    agents = pd.to_numeric(frame.get("agent_id"), errors="coerce") if "agent_id" in frame else None
    clusters = (
        np.where(agents.notna(), agents.fillna(-1), -np.arange(1, len(frame) + 1))
        if agents is not None
        else np.arange(len(frame))
    )
    scores = pd.DataFrame(x * residual[:, None]).groupby(clusters).sum().to_numpy()
    groups, (n, k) = scores.shape[0], x.shape
    covariance = None
    if groups > 1 and n > k:
        covariance = bread @ (scores.T @ scores) @ bread * (groups / (groups - 1)) * ((n - 1) / (n - k))
    position = {name: i for i, name in enumerate(names)}
    quantile = t_quantile(0.5 + confidence / 2.0, groups - 1) if covariance is not None else None
    out: dict[tuple[str, str | None], tuple[float, float | None, float | None]] = {}

    def add(key: tuple[str, str | None], weights: dict[str, float]) -> None:
        vector = np.zeros(k)
        for name, weight in weights.items():
            if name.startswith("ref:"):
                continue  # the reference level's coefficient is 0 by construction
            if name not in position:
                return  # the column was dropped (constant or repeated): not identified
            vector[position[name]] += weight
        effect = float(vector @ beta)
        if covariance is None or quantile is None:
            out[key] = (effect, None, None)
            return
        half = quantile * float(np.sqrt(max(vector @ covariance @ vector, 0.0)))
        out[key] = (effect, effect - half, effect + half)

    for factor in BINARY_FACTORS:
        if factor in position:
            add((factor, None), {factor: 1.0})
    for factor, level_counts in counts.items():
        for level in level_counts:
            others = {lv: c for lv, c in level_counts.items() if lv != level}
            total = sum(others.values())
            if not total:
                continue
            weights = {_level_column(factor, level, level_counts): 1.0}
            for other, count in others.items():
                column = _level_column(factor, other, level_counts)
                weights[column] = weights.get(column, 0.0) - count / total
            add((factor, level), weights)
    return out


def _level_column(factor: str, level: str, level_counts: dict[str, int]) -> str:
    reference = next(iter(level_counts))
    return f"ref:{factor}" if level == reference else f"{factor}={level}"


# --- Drivers ------------------------------------------------------------------------------------------


def _comparisons(frame: pd.DataFrame) -> list[tuple[str, str | None, pd.Series, pd.Series]]:
    """(factor, level, with-mask, without-mask) for every binary factor and every categorical level."""
    out: list[tuple[str, str | None, pd.Series, pd.Series]] = []
    for factor in BINARY_FACTORS:
        if factor in frame.columns:
            values = frame[factor].astype("boolean")
            out.append(
                (factor, None, values.fillna(False).astype(bool), (~values).fillna(False).astype(bool))
            )
    for factor in LEVEL_FACTORS:
        if factor not in frame.columns:
            continue
        known = frame[factor].notna()
        for level in sorted(frame.loc[known, factor].astype(str).unique()):
            is_level = known & (frame[factor].astype(str) == level)
            out.append((factor, level, is_level, known & ~is_level))
    return out


def effort_drivers(frame: pd.DataFrame, *, min_sample: int = 10, confidence: float = 0.95) -> pd.DataFrame:
    """One row per factor (and per level of tenure band and touchpoint): contacts touched, mean CES
    with and without, the raw difference with its Welch CI, the adjusted difference with its CI,
    and effort cost = −(adjusted difference) × contacts touched: the CES points the factor itself
    costs in total, so a small harm that touches many contacts can outrank a big, rare one (the raw
    difference stands in where the adjusted one is not identified). Sorted by cost, largest first;
    `significant` when that difference's CI excludes 0."""
    if frame.empty:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    adjusted = adjusted_effects(frame, confidence=confidence)
    ces = frame["ces"].astype(float)
    squares = ces * ces
    total = len(frame)
    rows = []
    for factor, level, with_mask, without_mask in _comparisons(frame):
        result = welch_from_moments(
            n_a=int(with_mask.sum()),
            sum_a=float(ces[with_mask].sum()),
            sumsq_a=float(squares[with_mask].sum()),
            n_b=int(without_mask.sum()),
            sum_b=float(ces[without_mask].sum()),
            sumsq_b=float(squares[without_mask].sum()),
            confidence=confidence,
        )
        effect, low, high = adjusted.get((factor, level), (None, None, None))
        impact, impact_low, impact_high = (
            (effect, low, high) if effect is not None else (result.difference, result.ci_low, result.ci_high)
        )
        significant = impact_low is not None and (impact_low > 0 or impact_high < 0)
        rows.append(
            {
                "factor": factor,
                "level": level,
                "n_with": result.n_a,
                "n_without": result.n_b,
                "share": result.n_a / total,
                "mean_with": result.mean_a,
                "mean_without": result.mean_b,
                "difference": result.difference,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "adjusted": effect,
                "adjusted_low": low,
                "adjusted_high": high,
                "significant": bool(significant),
                "low_confidence": result.n_a < min_sample or result.n_b < min_sample,
                "effort_cost": None if impact is None else -impact * result.n_a,
            }
        )
    table = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    numbers = ("mean_with", "mean_without", "difference", "ci_low", "ci_high", "adjusted", "adjusted_low")
    for column in (*numbers, "adjusted_high", "effort_cost"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    order = table["effort_cost"].fillna(-np.inf).sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


# --- Loading the answered contacts ----------------------------------------------------------------


EFFORT_COLUMNS: dict[str, str | None] = {
    "contact_id": "int64", "ces": "int64", "queue_id": "int64", "channel": None, "touchpoint_id": "float64",
    "offered_ms": "int64", "wait_s": "float64", "agent_id": "float64", "flags": "int64",
}  # fmt: skip
# The facts the factors are worked out from travel packed in one integer, each as a base-3 digit
# (0 null, 1 no / zero, 2 yes / positive): a third of the values to fetch, which is most of the cost
# of a 13-week read. Only raw facts are packed; the rules stay in add_factors.
PACKED_FACTS = (
    "repeat_contact",
    "channel_switch",
    "resolved",
    "transferred",
    "hold_s",
    "hold_count",
    "answered",
)


def _digit(column: Any, yes: Any) -> Any:
    return case((column.is_(None), 0), (yes, 2), else_=1)


def _packed_facts() -> Any:
    e = EffortAnswer
    digits = [
        _digit(e.repeat_contact, e.repeat_contact.is_(True)),  # type: ignore[union-attr]
        _digit(e.channel_switch, e.channel_switch.is_(True)),  # type: ignore[union-attr]
        _digit(e.resolved, e.resolved.is_(True)),  # type: ignore[union-attr]
        _digit(e.transferred, e.transferred.is_(True)),  # type: ignore[attr-defined]
        _digit(e.hold_s, e.hold_s > 0),  # type: ignore[operator]
        _digit(e.hold_count, e.hold_count > 0),  # type: ignore[operator]
        _digit(e.outcome, e.outcome == "answered"),
    ]
    return sum((digit * 3**place for place, digit in enumerate(digits[1:], start=1)), digits[0])


def _unpacked(codes: np.ndarray) -> dict[str, pd.Series]:
    """The raw facts of _packed_facts, in the form add_factors reads: flags as nullable booleans,
    hold seconds and count as NaN / 0 / 1 (only their sign matters), outcome answered or not."""
    digits = {name: codes // 3**place % 3 for place, name in enumerate(PACKED_FACTS)}
    out = {
        name: pd.Series(digits[name] == 2, dtype="boolean").where(digits[name] != 0)
        for name in ("repeat_contact", "channel_switch", "resolved", "transferred")
    }
    for name in ("hold_s", "hold_count"):
        out[name] = pd.Series(np.where(digits[name] == 0, np.nan, (digits[name] == 2).astype(float)))
    out["outcome"] = pd.Series(np.where(digits["answered"] == 2, "answered", "other"))
    return out


def _answers(scope_queue_ids: frozenset[int] | None, lo: int, hi: int) -> Any:
    """CES answers the refresh kept (EffortAnswer) for contacts offered in [lo, hi), within scope."""
    e = EffortAnswer
    stmt = select(
        e.contact_id, e.ces, e.queue_id, e.channel, e.touchpoint_id, e.offered_ms, e.wait_s, e.agent_id,
        _packed_facts(),
    ).where(e.offered_interval >= lo, e.offered_interval < hi)  # type: ignore[operator]  # fmt: skip
    if scope_queue_ids is not None:
        stmt = stmt.where(e.queue_id.in_(sorted(scope_queue_ids)) if scope_queue_ids else false())  # type: ignore[attr-defined]
    return stmt


def _details(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """Team, site, SL threshold, touchpoint key and agent hire date of each rated contact (joined in
    pandas from their small tables: cheaper than four joins per answer)."""
    queues = pd.DataFrame.from_records(
        session.execute(
            select(Queue.id, Queue.team_id, Team.site_id, Queue.sl_threshold_s).outerjoin(
                Team,
                Team.id == Queue.team_id,  # type: ignore[arg-type]
            )
        ).all(),
        columns=["queue_id", "team_id", "site_id", "sl_threshold_s"],
    ).set_index("queue_id")
    keys = dict(session.execute(select(Touchpoint.id, Touchpoint.key)).all())
    hired = dict(session.execute(select(Agent.id, Agent.hire_date)).all()) if not rows.empty else {}
    out = rows.join(queues, on="queue_id")
    out["touchpoint"] = out["touchpoint_id"].map(keys)
    out["hire_date"] = out["agent_id"].map(hired)
    return out


def load_effort_contacts(
    *, session: Session, viewer: Viewer, settings: Settings, start: date, end: date
) -> pd.DataFrame:
    """One row per CES answer of the viewer's contacts offered on local days start..end, with the
    columns the page filters on and one column per effort factor (True / False / NA = unknown).

    Reads what the refresh kept: answers arrive in the view with the refresh that folds them in,
    like every other number on the page."""
    scope = scope_for(session=session, viewer=viewer)
    lo = int(local_day_bounds(start, settings.zone)[0].timestamp())
    hi = int(local_day_bounds(end, settings.zone)[1].timestamp())
    rows = frame(session, _answers(scope.queue_ids, lo, hi), EFFORT_COLUMNS)  # plain tuples: 5x faster
    rows = _details(session, rows)
    if rows.empty:
        return rows.drop(columns="flags").assign(**{f: pd.Series(dtype=object) for f in FACTORS})
    facts = _unpacked(rows.pop("flags").to_numpy())
    factored = add_factors(
        rows.assign(**{name: values.to_numpy() for name, values in facts.items()}), settings=settings
    )
    return factored.drop(columns=["resolved", "transferred", "hold_s", "hold_count", "outcome"])  # stand-ins


def add_factors(rows: pd.DataFrame, *, settings: Settings) -> pd.DataFrame:
    """The factor columns of rated contacts given with their facts (outcome, wait, transferred,
    hold seconds and count, resolved; repeat and channel switch come with the rows: the refresh
    worked them out). The one definition of each factor rule."""
    out = rows.copy()
    answered = out["outcome"] == "answered"
    out["transfer"] = out["transferred"].astype("boolean")
    hold_s = pd.to_numeric(out["hold_s"], errors="coerce").astype(float)
    hold_n = pd.to_numeric(out["hold_count"], errors="coerce").astype(float)
    known_hold = answered & (hold_s.notna() | hold_n.notna())
    out["hold"] = ((hold_s > 0) | (hold_n > 0)).astype("boolean").where(known_hold)
    out["unresolved"] = (~out["resolved"].astype("boolean")).astype("boolean")
    offered = pd.to_datetime(out["offered_ms"], unit="ms", utc=True).dt.tz_convert(settings.zone)
    threshold = (
        out["sl_threshold_s"]
        .astype(float)
        .fillna(
            out["channel"].map({c: settings.threshold_for(c) for c in out["channel"].unique()}).astype(float)
        )
    )
    wait = pd.to_numeric(out["wait_s"], errors="coerce").astype(float)
    out["wait_above_threshold"] = (wait > threshold).astype("boolean").where(answered & wait.notna())
    hour = offered.dt.hour
    out["after_hours"] = ((hour < BUSINESS_HOURS[0]) | (hour >= BUSINESS_HOURS[1])).astype("boolean")
    out["tenure_band"] = _tenure_bands(out["hire_date"], offered.dt.date)
    return out


def _tenure_bands(hire_dates: pd.Series, days: pd.Series) -> pd.Series:
    hired = pd.to_datetime(hire_dates, errors="coerce")
    tenure = (pd.to_datetime(days) - hired.to_numpy()).dt.days.astype(float)
    labels = pd.Series(pd.NA, index=hire_dates.index, dtype=object)
    for label, low, high in TENURE_BANDS:
        inside = (tenure >= low) & ((tenure < high) if high is not None else True)
        labels = labels.where(~inside, label)
    return labels


def drivers_for(
    *, session: Session, viewer: Viewer, settings: Settings, start: date, end: date, filters: Any = None
) -> pd.DataFrame:
    """Effort drivers of the viewer's contacts answered with a CES score between two local days."""
    contacts = load_effort_contacts(session=session, viewer=viewer, settings=settings, start=start, end=end)
    return effort_drivers(filter_contacts(contacts, filters), min_sample=settings.min_sample)


def filter_contacts(contacts: pd.DataFrame, filters: Any) -> pd.DataFrame:
    """Keep the contacts matching the page filters (the same rule as the trend queues)."""
    return matching_filters(contacts, filters)
