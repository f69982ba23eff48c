"""JourneyStep rows: each contact of a known customer with the contact just before it, when that
one is within the repeat window (METRICS.md), whatever its touchpoint or channel. Ties in time
break by contact id, as everywhere in the refresh."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

JOURNEY_STEP_COLUMNS = [
    "contact_id", "offered_interval", "queue_id", "touchpoint_id", "channel",
    "from_interval", "from_queue", "from_touchpoint", "from_channel",
]  # fmt: skip
NULLABLE_INTS = ["touchpoint_id", "from_touchpoint"]


def journey_steps(
    contacts: pd.DataFrame, *, window_s: float, contact_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """The JourneyStep rows of `contact_ids` (all when None) among the loaded `contacts`
    (rollup_queue.CONTACT_DTYPES). A contact's predecessor must be loaded: the refresh loads every
    contact of a customer within the window before each contact it rewrites."""
    known = contacts.dropna(subset=["customer_key"]).drop_duplicates("id")
    known = known.sort_values(["customer_key", "offered_ms", "id"], kind="stable")
    same = known["customer_key"].eq(known["customer_key"].shift(1))
    gap = known["offered_ms"] - known["offered_ms"].shift(1)
    step = same & (gap <= window_s * 1000)
    previous = known.shift(1)
    if contact_ids is not None:
        step &= known["id"].isin(set(contact_ids))
    out = pd.DataFrame(
        {
            "contact_id": known["id"],
            "offered_interval": known["offered_interval"],
            "queue_id": known["queue_id"],
            "touchpoint_id": known["touchpoint_id"],
            "channel": known["channel"],
            "from_interval": previous["offered_interval"],
            "from_queue": previous["queue_id"],
            "from_touchpoint": previous["touchpoint_id"],
            "from_channel": previous["channel"],
        }
    )[step.to_numpy()]
    for column in ("from_interval", "from_queue"):
        out[column] = out[column].astype(np.int64)
    for column in NULLABLE_INTS:
        out[column] = out[column].astype("Int64")
    return out[JOURNEY_STEP_COLUMNS].reset_index(drop=True)
