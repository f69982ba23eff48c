"""Every KPI of METRICS.md, once: per-contact flags and scalar/vectorized formulas (how each is named
and shown: models.kpis).

Pure (numpy/pandas, no I/O). Scalar formulas also accept numpy arrays and pandas Series, so the
aggregate refresh, `kpi_frame` and the live page all run the very same definition.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

Num = Any  # a number, None, a numpy array or a pandas Series

WORK_STATES = frozenset({"available", "on_contact", "acw"})
AUX_ACTIVITIES = frozenset({"break", "lunch", "meeting", "coaching", "training"})
EXIT_COLUMNS = {
    "caller_abandon": "exit_caller_abandon",
    "timeout": "exit_timeout",
    "exit_key": "exit_key",
    "exit_empty": "exit_empty",
}


def is_missing(value: Any) -> bool:
    """None or NaN: an undefined input, which makes a ratio undefined rather than zero."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _vector(value: Any) -> bool:
    return isinstance(value, pd.Series | np.ndarray)


def _ratio(num: Num, den: Num, scale: float = 1.0) -> Num:
    """num / den; a zero or missing denominator gives None (scalars) or NaN (vectors), never 0."""
    if is_missing(num) or is_missing(den):
        return None
    if not (_vector(num) or _vector(den)):
        return None if float(den) == 0 else scale * float(num) / float(den)
    if isinstance(den, pd.Series):
        den = den.astype(float).where(den != 0)
    else:
        den = np.where(np.asarray(den, dtype=float) != 0, np.asarray(den, dtype=float), np.nan)
    if isinstance(num, pd.Series):
        num = num.astype(float)
    return scale * num / den


# --- Service-level variants (METRICS.md "Service-level variants"; letters as in that table) --------


def sl_short_abandons_excluded(*, q: Num, a_t: Num, ab_short: Num) -> Num:
    """`short_abandons_excluded` (default): A_T ÷ (Q − Ab_short)."""
    return _ratio(a_t, _sub(q, ab_short))


def sl_abandons_ignored(*, q: Num, a_t: Num, ab_t: Num) -> Num:
    """`abandons_ignored` (Cisco): A_T ÷ (Q − Ab_T)."""
    return _ratio(a_t, _sub(q, ab_t))


def sl_abandons_negative(*, q: Num, a_t: Num) -> Num:
    """`abandons_negative` (Cisco): A_T ÷ Q."""
    return _ratio(a_t, q)


def sl_abandons_positive(*, q: Num, a_t: Num, ab_t: Num) -> Num:
    """`abandons_positive` (Cisco): (A_T + Ab_T) ÷ Q."""
    return _ratio(_add(a_t, ab_t), q)


def sl_icmi(*, a: Num, a_t: Num, ab_after_t: Num) -> Num:
    """`icmi`: A_T ÷ (A + Ab after T)."""
    return _ratio(a_t, _add(a, ab_after_t))


def sl_answered_only(*, a: Num, a_t: Num) -> Num:
    """`answered_only` (asternic): A_T ÷ A."""
    return _ratio(a_t, a)


def _sub(x: Num, y: Num) -> Num:
    return None if is_missing(x) or is_missing(y) else x - y


def _add(x: Num, y: Num) -> Num:
    return None if is_missing(x) or is_missing(y) else x + y


def service_level(
    *,
    offered: Num,
    answered: Num,
    answered_within_t: Num,
    abandoned: Num,
    abandoned_within_t: Num,
    short_abandoned: Num,
    formula: str = "short_abandons_excluded",
) -> Num:
    """METRICS.md "Queue metrics / Service level (SL)", computed from the STORED aggregate columns.

    The aggregates keep `abandoned` and `abandoned_within_t` without short abandons, so the
    METRICS.md letters are Ab_T = abandoned_within_t + short_abandoned (a short abandon is always
    within T) and Ab after T = abandoned − abandoned_within_t.
    """
    ab_t = _add(abandoned_within_t, short_abandoned)
    variants = {
        "short_abandons_excluded": lambda: sl_short_abandons_excluded(
            q=offered, a_t=answered_within_t, ab_short=short_abandoned
        ),
        "abandons_ignored": lambda: sl_abandons_ignored(q=offered, a_t=answered_within_t, ab_t=ab_t),
        "abandons_negative": lambda: sl_abandons_negative(q=offered, a_t=answered_within_t),
        "abandons_positive": lambda: sl_abandons_positive(q=offered, a_t=answered_within_t, ab_t=ab_t),
        "icmi": lambda: sl_icmi(
            a=answered, a_t=answered_within_t, ab_after_t=_sub(abandoned, abandoned_within_t)
        ),
        "answered_only": lambda: sl_answered_only(a=answered, a_t=answered_within_t),
    }
    if formula not in variants:
        raise ValueError(f"unknown service-level formula {formula!r}; known: {sorted(variants)}")
    return variants[formula]()


# --- Queue metrics (METRICS.md "Queue metrics") ----------------------------------------------------


def asa(*, answered_wait_sum: Num, answered: Num) -> Num:
    """ASA: Σ wait of answered ÷ answered."""
    return _ratio(answered_wait_sum, answered)


def abandon_rate(*, abandoned: Num, offered: Num, short_abandoned: Num) -> Num:
    """Abandon rate: abandoned (short ones excluded) ÷ offered* (offered − short abandons)."""
    return _ratio(abandoned, _sub(offered, short_abandoned))


def avg_abandon_time(*, abandoned_wait_sum: Num, abandoned: Num) -> Num:
    """Average abandon time: Σ wait of abandoned ÷ abandoned (short abandons excluded from both)."""
    return _ratio(abandoned_wait_sum, abandoned)


def longest_wait(*, waits_s: Any) -> float | None:
    """Longest wait (now): max wait of the contacts still in queue at the snapshot; None if none."""
    values = pd.Series(waits_s, dtype=float).dropna()
    return None if values.empty else float(values.max())


def handle_time(*, talk_s: Num, hold_s: Num, acw_s: Num) -> Num:
    """Handle time: talk + hold + after-contact work. A part the source does not report adds 0 s
    (queue_log's talk time already includes hold); with no talk time at all it is unknown."""
    if isinstance(talk_s, pd.Series):
        parts = [pd.Series(p, index=talk_s.index, dtype=float).fillna(0.0) for p in (hold_s, acw_s)]
        return talk_s.astype(float) + parts[0] + parts[1]
    if is_missing(talk_s):
        return None
    return float(talk_s) + sum(0.0 if is_missing(p) else float(p) for p in (hold_s, acw_s))


def aht(*, handle_time_sum: Num, handled: Num) -> Num:
    """AHT: Σ (talk + hold + ACW) ÷ handled contacts (booked where after-contact work completes)."""
    return _ratio(handle_time_sum, handled)


def transfer_rate(*, transferred: Num, answered: Num) -> Num:
    """Transfer rate: answered contacts transferred ÷ answered."""
    return _ratio(transferred, answered)


def hold_rate(*, held: Num, hold_known: Num) -> Num:
    """Hold rate: answered contacts with hold > 0 ÷ answered contacts WHOSE HOLD IS KNOWN.

    queue_log reports no hold at all: such contacts are left out of the denominator, so a queue fed
    only by queue_log has hold rate None (undefined), never 0.
    """
    return _ratio(held, hold_known)


# --- Agent metrics (METRICS.md "Agent metrics") ----------------------------------------------------


def occupancy(*, handle_s: Num, available_s: Num) -> Num:
    """Occupancy: handle time ÷ (handle time + available time)."""
    return _ratio(handle_s, _add(handle_s, available_s))


def utilization(*, handle_s: Num, staffed_s: Num) -> Num:
    """Utilization: handle time ÷ logged-in time."""
    return _ratio(handle_s, staffed_s)


def adherence(*, adherent_s: Num, scheduled_s: Num) -> Num:
    """Adherence: time whose actual state matches the scheduled activity ÷ scheduled time."""
    return _ratio(adherent_s, scheduled_s)


def conformance(*, staffed_s: Num, scheduled_work_s: Num) -> Num:
    """Conformance: logged-in worked time ÷ scheduled work time (may exceed 1)."""
    return _ratio(staffed_s, scheduled_work_s)


def shrinkage(*, shrinkage_s: Num, paid_scheduled_s: Num) -> Num:
    """Shrinkage: paid scheduled time not available for contacts ÷ paid scheduled time."""
    return _ratio(shrinkage_s, paid_scheduled_s)


def adherence_match(scheduled_activity: str | None, state: str | None, reason: str | None) -> bool:
    """Adherence matching rule: work ⇔ available/on_contact/acw; break, lunch, meeting, coaching,
    training ⇔ aux with that reason; off (None) or absence ⇔ logged out (None or "offline")."""
    if scheduled_activity in (None, "off", "absence"):
        return state in (None, "offline")
    if scheduled_activity == "work":
        return state in WORK_STATES
    if scheduled_activity in AUX_ACTIVITIES:
        return state == "aux" and reason == scheduled_activity
    return False


def out_of_adherence_events(mismatch_runs_s: list[float], grace_s: float) -> int:
    """Out-of-adherence events: runs of mismatch strictly longer than `adherence_grace_s`."""
    return sum(1 for run in mismatch_runs_s if run > grace_s)


def is_shrinkage(state: str | None, reason: str | None) -> bool:  # noqa: ARG001 - every aux reason counts
    """Whether paid scheduled time spent in this state is shrinkage (not available for contacts):
    aux of any reason (break, lunch, meeting, coaching, training, technical, other) and absence
    (logged out). Call it only for paid scheduled time; the reason is accepted for symmetry."""
    return state not in WORK_STATES


# --- Customer outcome metrics (METRICS.md "Customer outcome metrics") ------------------------------


def csat(*, csat_top2: Num, csat_n: Num) -> Num:
    """CSAT: answers 4 or 5 on the 1–5 scale (top-2 box) ÷ answers."""
    return _ratio(csat_top2, csat_n)


def ces(*, ces_sum: Num, ces_n: Num) -> Num:
    """CES (ease): mean CES 2.0 answer on the 1–7 scale (7 = very easy)."""
    return _ratio(ces_sum, ces_n)


def ces_easy_share(*, ces_easy: Num, ces_n: Num) -> Num:
    """CES % easy: answers 5–7 ÷ answers."""
    return _ratio(ces_easy, ces_n)


def ces_difficult_share(*, ces_difficult: Num, ces_n: Num) -> Num:
    """CES % difficult: answers 1–3 ÷ answers."""
    return _ratio(ces_difficult, ces_n)


def nps(*, nps_promoters: Num, nps_detractors: Num, nps_n: Num) -> Num:
    """NPS: % answers 9–10 minus % answers 0–6 on the 0–10 scale, on the −100..100 scale."""
    return _ratio(_sub(nps_promoters, nps_detractors), nps_n, scale=100.0)


def fcr(*, fcr_resolved: Num, known_customer: Num) -> Num:
    """FCR: resolved contacts with no repeat within `repeat_window` ÷ contacts with a known customer."""
    return _ratio(fcr_resolved, known_customer)


def repeat_rate(*, repeats: Num, known_customer: Num) -> Num:
    """Repeat contact rate: contacts preceded by a same customer + touchpoint contact within
    `repeat_window` ÷ contacts with a known customer."""
    return _ratio(repeats, known_customer)


def channel_switch_rate(*, channel_switches: Num, known_customer: Num) -> Num:
    """Channel switch rate: contacts preceded within 24 h by a contact of the same customer on
    another channel ÷ contacts with a known customer."""
    return _ratio(channel_switches, known_customer)


def response_rate(*, surveys_answered: Num, surveys_offered: Num) -> Num:
    """Response rate: surveys answered ÷ surveys offered."""
    return _ratio(surveys_answered, surveys_offered)


def low_confidence(n: Num, min_sample: int) -> Any:
    """Whether a metric rests on fewer than `min_sample` answers (METRICS.md: shown flagged)."""
    if _vector(n):
        filled = n.fillna(0) if isinstance(n, pd.Series) else np.nan_to_num(np.asarray(n, dtype=float))
        return filled < min_sample
    return is_missing(n) or n < min_sample


def convert_effort_1_5_to_ces_1_7(value: float | None) -> int | None:
    """Map a 1–5 effort answer (1 = very low effort = best) onto CES 2.0 1–7 (7 = very easy).

    METRICS.md asks for a documented conversion: the linear map 7 − (v − 1) × 1.5 sends 1→7, 3→4,
    5→1; the two halves (2→5.5, 4→2.5) are rounded away from the midpoint 4, so the mapping stays
    symmetric: 1→7, 2→6, 3→4, 4→2, 5→1. Values outside 1..5 raise ValueError (quarantine them).
    """
    if is_missing(value):
        return None
    if not 1 <= value <= 5:
        raise ValueError(f"effort answer {value!r} is outside the 1-5 scale")
    exact = 7 - (value - 1) * 1.5
    offset = exact - 4
    return int(4 + math.copysign(math.floor(abs(offset) + 0.5), offset))


# --- Per-contact flags for the aggregate refresh ---------------------------------------------------


def contact_flags(
    df: pd.DataFrame, *, short_abandon_s: float, threshold_s: pd.Series | float
) -> pd.DataFrame:
    """Classify contacts into the QueueInterval count/sum columns (METRICS.md "Queue metrics",
    "Service-level variants", "Contacts that never end").

    Short abandon: abandoned with wait < short_abandon_s (kept apart; `abandoned*` and the exit
    reasons exclude it). Within T: wait ≤ T. `unknown` outcomes count in offered only. An abandon
    without exit reason (or with full/withdraw/transfer_out/...) counts as exit_other. Hold is
    known when hold_s or hold_count is reported; an unknown wait of an answered contact adds 0 s.
    """
    outcome = df["outcome"]
    wait = pd.to_numeric(df["wait_s"], errors="coerce").astype(float)
    threshold = threshold_s if isinstance(threshold_s, pd.Series) else pd.Series(threshold_s, index=df.index)
    within_t = wait <= threshold.astype(float)
    answered = outcome == "answered"
    abandoned_any = outcome == "abandoned"
    short = abandoned_any & (wait < short_abandon_s)
    abandoned = abandoned_any & ~short
    hold_s = pd.to_numeric(df["hold_s"], errors="coerce").astype(float)
    hold_count = pd.to_numeric(df["hold_count"], errors="coerce").astype(float)
    exit_reason = df["exit_reason"]
    out = pd.DataFrame(index=df.index)
    out["offered"] = np.ones(len(df), dtype=np.int64)
    out["short_abandoned"] = short
    out["answered"] = answered
    out["answered_within_t"] = answered & within_t
    out["abandoned"] = abandoned
    out["abandoned_within_t"] = abandoned & within_t
    out["unknown"] = outcome == "unknown"
    out["waiting"] = outcome == "waiting"
    named = pd.Series(False, index=df.index)
    for reason, column in EXIT_COLUMNS.items():
        out[column] = abandoned & (exit_reason == reason)
        named |= exit_reason == reason
    out["exit_other"] = abandoned & ~named
    out["transferred"] = answered & df["transferred"].fillna(False).astype(bool)
    out["held"] = answered & ((hold_s > 0) | (hold_count > 0))
    out["hold_known"] = answered & (hold_s.notna() | hold_count.notna())
    out = out.astype(np.int64)
    out["answered_wait_sum"] = wait.where(answered, 0.0).fillna(0.0)
    out["abandoned_wait_sum"] = wait.where(abandoned, 0.0).fillna(0.0)
    return out


def repeat_flags(df: pd.DataFrame, *, repeat_window_s: float, switch_window_s: float) -> pd.DataFrame:
    """Repeat, FCR and channel-switch flags per contact (METRICS.md "Customer outcome metrics").

    Contacts are ordered by offered time (ties: input order). A contact is a repeat when the
    previous contact of the same customer about the same touchpoint is at most `repeat_window_s`
    earlier; it is FCR-resolved when answered and the next such contact is not within the window;
    a channel switch when a contact of the same customer on another channel is at most
    `switch_window_s` earlier. A missing touchpoint counts as one "unknown" touchpoint; contacts
    without customer key get 0 everywhere.
    """
    customer = df["customer_key"]
    known = customer.notna() & (customer.astype("string").str.len() > 0).fillna(False)
    columns = ["known_customer", "repeats", "fcr_resolved", "channel_switches"]
    out = pd.DataFrame(0, index=df.index, columns=columns)
    out["known_customer"] = known.astype(np.int64)
    if not known.any():
        return out.astype(np.int64)
    sub = pd.DataFrame(
        {
            "cust": pd.factorize(customer[known])[0],
            "tp": pd.to_numeric(df.loc[known, "touchpoint_id"], errors="coerce").fillna(-1).to_numpy(),
            "chan": pd.factorize(df.loc[known, "channel"])[0],
            "t": df.loc[known, "offered_epoch"].astype(float).to_numpy(),
            "answered": (df.loc[known, "outcome"] == "answered").to_numpy(),
            "pos": np.arange(int(known.sum())),
        },
        index=df.index[known],
    )
    by_topic = sub.sort_values(["cust", "tp", "t", "pos"], kind="stable")
    same_prev = (by_topic["cust"].diff() == 0) & (by_topic["tp"].diff() == 0)
    same_next = (by_topic["cust"].diff(-1) == 0) & (by_topic["tp"].diff(-1) == 0)
    gap_prev = by_topic["t"].diff()
    gap_next = -by_topic["t"].diff(-1)
    repeats = same_prev & (gap_prev <= repeat_window_s)
    followed = same_next & (gap_next <= repeat_window_s)
    out.loc[by_topic.index, "repeats"] = repeats.astype(np.int64).to_numpy()
    out.loc[by_topic.index, "fcr_resolved"] = (by_topic["answered"] & ~followed).astype(np.int64).to_numpy()
    # The latest earlier contact on another channel ends the previous same-channel run of this customer.
    by_time = sub.sort_values(["cust", "t", "pos"], kind="stable")
    new_cust = by_time["cust"].diff() != 0
    run_id = (new_cust | (by_time["chan"].diff() != 0)).cumsum()
    run_first = run_id.diff() != 0
    other_t = by_time["t"].shift(1).where(run_first & ~new_cust)  # last row of the previous run
    other_t = other_t.groupby(run_id).transform("first")
    switches = (by_time["t"] - other_t) <= switch_window_s
    out.loc[by_time.index, "channel_switches"] = switches.astype(np.int64).to_numpy()
    return out.astype(np.int64)


def survey_flags(df: pd.DataFrame) -> pd.DataFrame:
    """Survey answer counts (METRICS.md "Customer outcome metrics": CSAT top-2, CES 2.0, NPS).

    Answers outside their scale (csat 1–5, ces 1–7, nps 0–10) are not counted.
    """
    csat_v = pd.to_numeric(df["csat"], errors="coerce").astype(float)
    ces_v = pd.to_numeric(df["ces"], errors="coerce").astype(float)
    nps_v = pd.to_numeric(df["nps"], errors="coerce").astype(float)
    csat_ok = csat_v.between(1, 5)
    ces_ok = ces_v.between(1, 7)
    nps_ok = nps_v.between(0, 10)
    out = pd.DataFrame(index=df.index)
    out["csat_n"] = csat_ok
    out["csat_top2"] = csat_ok & (csat_v >= 4)
    out["ces_n"] = ces_ok
    out["ces_easy"] = ces_ok & (ces_v >= 5)
    out["ces_difficult"] = ces_ok & (ces_v <= 3)
    out["nps_n"] = nps_ok
    out["nps_promoters"] = nps_ok & (nps_v >= 9)
    out["nps_detractors"] = nps_ok & (nps_v <= 6)
    out = out.astype(np.int64)
    out.insert(3, "ces_sum", ces_v.where(ces_ok, 0.0))
    return out


# --- Whole frames of KPIs (pages and reports) ------------------------------------------------------


def kpi_frame(sums: pd.DataFrame, *, sl_formula: str | pd.Series = "short_abandons_excluded") -> pd.DataFrame:
    """Every KPI per row of summed aggregate columns, through the scalar definitions above.

    A missing input column makes the KPIs that need it NaN (None in `frame_records`), as does a zero
    denominator. `sl_formula` is one formula name or a per-row Series of names (per-queue setting).
    """
    index = sums.index
    missing = pd.Series(np.nan, index=index, dtype=float)

    def col(name: str) -> pd.Series:
        return sums[name].astype(float) if name in sums.columns else missing

    def kpi(func: Any, **names: str) -> pd.Series:
        args = {param: col(column) for param, column in names.items()}
        return pd.Series(func(**args), index=index, dtype=float)

    sl_args = {c: col(c) for c in SL_INPUTS}
    if isinstance(sl_formula, str):
        sl = service_level(**sl_args, formula=sl_formula)
    else:
        formulas = sl_formula.reindex(index)
        sl = missing.copy()
        for name in formulas.dropna().unique():
            sl = sl.where(formulas != name, service_level(**sl_args, formula=name))
    out = pd.DataFrame(index=index)
    for name in ("offered", "answered", "abandoned", "short_abandoned"):
        out[name] = col(name)
    out["service_level"] = sl
    out["asa"] = kpi(asa, answered_wait_sum="answered_wait_sum", answered="answered")
    out["abandon_rate"] = kpi(
        abandon_rate, abandoned="abandoned", offered="offered", short_abandoned="short_abandoned"
    )
    out["avg_abandon_time"] = kpi(
        avg_abandon_time, abandoned_wait_sum="abandoned_wait_sum", abandoned="abandoned"
    )
    out["aht"] = kpi(aht, handle_time_sum="handle_time_sum", handled="handled")
    out["transfer_rate"] = kpi(transfer_rate, transferred="transferred", answered="answered")
    out["hold_rate"] = kpi(hold_rate, held="held", hold_known="hold_known")
    out["occupancy"] = kpi(occupancy, handle_s="handle_s", available_s="available_s")
    out["utilization"] = kpi(utilization, handle_s="handle_s", staffed_s="staffed_s")
    out["adherence"] = kpi(adherence, adherent_s="adherent_s", scheduled_s="scheduled_s")
    out["conformance"] = kpi(conformance, staffed_s="staffed_s", scheduled_work_s="scheduled_work_s")
    out["shrinkage"] = kpi(shrinkage, shrinkage_s="shrinkage_s", paid_scheduled_s="paid_scheduled_s")
    out["csat"] = kpi(csat, csat_top2="csat_top2", csat_n="csat_n")
    out["ces"] = kpi(ces, ces_sum="ces_sum", ces_n="ces_n")
    out["ces_easy"] = kpi(ces_easy_share, ces_easy="ces_easy", ces_n="ces_n")
    out["ces_difficult"] = kpi(ces_difficult_share, ces_difficult="ces_difficult", ces_n="ces_n")
    out["nps"] = kpi(nps, nps_promoters="nps_promoters", nps_detractors="nps_detractors", nps_n="nps_n")
    out["fcr"] = kpi(fcr, fcr_resolved="fcr_resolved", known_customer="known_customer")
    out["repeat_rate"] = kpi(repeat_rate, repeats="repeats", known_customer="known_customer")
    out["channel_switch_rate"] = kpi(
        channel_switch_rate, channel_switches="channel_switches", known_customer="known_customer"
    )
    out["response_rate"] = kpi(
        response_rate, surveys_answered="surveys_answered", surveys_offered="surveys_offered"
    )
    for name in ("csat_n", "ces_n", "nps_n"):
        out[name] = col(name)
    return out


SL_INPUTS = ("offered", "answered", "answered_within_t", "abandoned", "abandoned_within_t", "short_abandoned")


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with NaN turned into None (JSON has no NaN; METRICS.md: undefined is NULL)."""
    clean = df.astype(object).where(df.notna(), None)
    return clean.to_dict(orient="records")
