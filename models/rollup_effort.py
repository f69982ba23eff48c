"""EffortAnswer rows: each CES answer with the facts of the contact it rates and that contact's
repeat and channel-switch flags, taken from the same classification the aggregates get (one
definition of a repeat, METRICS.md), so the effort-drivers view never re-derives them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

EFFORT_ANSWER_COLUMNS = [
    "survey_id", "contact_id", "queue_id", "offered_interval", "offered_ms", "channel", "touchpoint_id",
    "agent_id", "outcome", "ces", "resolved", "wait_s", "hold_s", "hold_count", "transferred",
    "repeat_contact", "channel_switch",
]  # fmt: skip
CONTACT_FACTS = [
    "queue_id", "offered_interval", "offered_ms", "channel", "touchpoint_id", "agent_id", "outcome",
    "wait_s", "hold_s", "hold_count", "transferred",
]  # fmt: skip
FLAG_COLUMNS = ["known_customer", "repeats", "channel_switches"]
NULLABLE_INTS = ["touchpoint_id", "agent_id", "hold_count"]


def effort_answers(
    contacts: pd.DataFrame,
    classified: pd.DataFrame,
    surveys: pd.DataFrame,
    *,
    contact_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The EffortAnswer rows of the CES answers (1..7) rating `contact_ids` (all when None).

    `contacts` are the loaded facts, `classified` rollup_queue.classify's rows for them, `surveys`
    the answers loaded with them. A flag is NA where the customer is anonymous: unknown, not "no".
    """
    ces = pd.to_numeric(surveys["ces"], errors="coerce")
    answers = surveys[ces.between(1, 7)]
    if contact_ids is not None:
        answers = answers[answers["contact_id"].isin(set(contact_ids))]
    facts = contacts.drop_duplicates("id").set_index("id")[CONTACT_FACTS]
    flags = classified.drop_duplicates("id").set_index("id")[FLAG_COLUMNS]
    answers = answers[answers["contact_id"].isin(facts.index)]
    if answers.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EFFORT_ANSWER_COLUMNS})
    out = answers[["survey_id", "contact_id", "resolved"]].reset_index(drop=True)
    out["ces"] = pd.to_numeric(answers["ces"]).astype(np.int64).to_numpy()
    out = out.join(facts, on="contact_id").join(flags, on="contact_id")
    known = out["known_customer"] == 1
    out["repeat_contact"] = (out["repeats"] == 1).astype("boolean").where(known)
    out["channel_switch"] = (out["channel_switches"] == 1).astype("boolean").where(known)
    out["resolved"] = out["resolved"].astype("boolean")
    out["transferred"] = out["transferred"].astype(bool)
    for column in NULLABLE_INTS:
        out[column] = out[column].astype("Int64")
    return out[EFFORT_ANSWER_COLUMNS]
