"""The journey map: every touchpoint with its owner, volume, channels, CES, repeat rate and the
customers' top pains (comment themes, models.themes lexicon), the moves customers make between
touchpoints and channels when they come back, and audited owner edits."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import false, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import audit, metrics, themes
from models.access import OPERATOR, Viewer, scope_for
from models.settings import Settings
from models.tables import AppUser, Contact, JourneyStep, SurveyResponse, Touchpoint
from models.timegrid import local_day_bounds
from models.trends import DailySums, Dimensions, TrendFilters, filtered_queues

OWNER_MAX = 120
OWNER_EDITORS = frozenset({"director", "admin"})
TOP_PAINS = 3
MAP_COLUMNS = [
    "touchpoint_id", "key", "name", "owner", "offered", "channels", "ces", "ces_n", "repeat_rate",
    "known_customer", "top_pains",
]  # fmt: skip


MOVE_COLUMNS = [
    "from_queue", "from_touchpoint", "from_channel", "to_queue", "to_touchpoint", "to_channel", "moves",
]  # fmt: skip


class OwnerEditError(ValueError):
    """An owner edit that cannot be saved; `code` names the reason for the interface."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _day_epochs(settings: Settings, start: date, end: date) -> tuple[int, int]:
    return (
        int(local_day_bounds(start, settings.zone)[0].timestamp()),
        int(local_day_bounds(end, settings.zone)[1].timestamp()),
    )


def _in_scope(stmt: Any, column: Any, ids: frozenset[int] | None) -> Any:
    if ids is None:
        return stmt
    return stmt.where(column.in_(sorted(ids)) if ids else false())


# --- Comment themes ----------------------------------------------------------------------------------


def map_lexicon(*, session: Session) -> themes.Lexicon:
    """The coach view's lexicon (models.themes), seeded with the default es/en one when empty."""
    try:
        if themes.ensure_default_lexicon(session=session):
            session.commit()
    except IntegrityError:  # another process seeded it at the same moment
        session.rollback()
    return themes.load_lexicon(session=session)


def load_comment_themes(
    *, session: Session, viewer: Viewer, settings: Settings, start: date, end: date, lexicon: themes.Lexicon
) -> pd.DataFrame:
    """One row per (comment, theme it mentions) for the viewer's contacts offered start..end:
    queue_id, touchpoint_id, theme, kind. Matching is done once here; filters only select rows."""
    scope = scope_for(session=session, viewer=viewer)
    lo, hi = _day_epochs(settings, start, end)
    stmt = (
        select(SurveyResponse.id, Contact.queue_id, Contact.touchpoint_id, SurveyResponse.verbatim)
        .join(Contact, Contact.id == SurveyResponse.contact_id)  # type: ignore[arg-type]
        .where(
            SurveyResponse.verbatim.is_not(None),  # type: ignore[union-attr]
            Contact.offered_interval >= lo,
            Contact.offered_interval < hi,
        )
    )
    rows = session.execute(_in_scope(stmt, Contact.queue_id, scope.queue_ids)).all()
    matched: dict[str, list[str]] = {}  # the same text (templated answers) is matched once
    for _answer, _queue, _tp, text in rows:
        if text not in matched:
            matched[text] = sorted(themes.themes_for(text, lexicon))
    found = [
        (answer_id, queue_id, touchpoint_id, theme, lexicon.kinds[theme])
        for answer_id, queue_id, touchpoint_id, text in rows
        for theme in matched[text]
    ]
    return pd.DataFrame(found, columns=["answer_id", "queue_id", "touchpoint_id", "theme", "kind"])


# --- Moves between touchpoints -----------------------------------------------------------------------


def load_journey_moves(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    start: date,
    end: date,
    look_back: bool = False,
) -> pd.DataFrame:
    """Pairs of consecutive contacts of one customer, the second within `repeat_window` of the first,
    counted per (from queue, touchpoint, channel) -> (to queue, touchpoint, channel), from the steps
    the refresh keeps (JourneyStep). The second contact is offered on start..end; the first too,
    unless `look_back`, which also takes first contacts from before `start` (so that consecutive
    periods add up exactly). A scoped viewer sees the moves whose two contacts are both theirs."""
    scope = scope_for(session=session, viewer=viewer)
    lo, hi = _day_epochs(settings, start, end)
    j = JourneyStep
    keys = [j.from_queue, j.from_touchpoint, j.from_channel, j.queue_id, j.touchpoint_id, j.channel]
    stmt = select(*keys, func.count()).where(j.offered_interval >= lo, j.offered_interval < hi)  # type: ignore[operator]
    if not look_back:
        stmt = stmt.where(j.from_interval >= lo)  # type: ignore[operator]
    stmt = _in_scope(_in_scope(stmt, j.queue_id, scope.queue_ids), j.from_queue, scope.queue_ids)
    columns = [
        "from_queue",
        "from_touchpoint",
        "from_channel",
        "to_queue",
        "to_touchpoint",
        "to_channel",
        "moves",
    ]
    return pd.DataFrame.from_records(session.execute(stmt.group_by(*keys)).all(), columns=columns)


def sankey_links(moves: pd.DataFrame, dims: Dimensions, *, filters: TrendFilters, node: str) -> pd.DataFrame:
    """Links source -> target with counts, nodes being touchpoint names, channels, or both
    ("touchpoint · channel"); only moves whose first or second contact matches the filters."""
    if node not in ("touchpoint", "channel", "both"):
        raise ValueError("node is 'touchpoint', 'channel' or 'both'")
    queues = set(filtered_queues(dims, filters)["id"])
    keep = moves[moves["from_queue"].isin(queues) | moves["to_queue"].isin(queues)]
    names = dict(zip(dims.touchpoints["id"], dims.touchpoints["name"], strict=True))

    def label(tp: pd.Series, channel: pd.Series) -> pd.Series:
        tp_name = tp.map(lambda v: names.get(v, "—") if pd.notna(v) else "—")
        if node == "touchpoint":
            return tp_name
        return channel if node == "channel" else tp_name + " · " + channel

    links = pd.DataFrame(
        {
            "source": label(keep["from_touchpoint"], keep["from_channel"]),
            "target": label(keep["to_touchpoint"], keep["to_channel"]),
            "moves": keep["moves"].astype(int),
        }
    )
    summed = links.groupby(["source", "target"], as_index=False)["moves"].sum()
    return summed.sort_values("moves", ascending=False, ignore_index=True)


# --- The map -------------------------------------------------------------------------------------------


def touchpoint_map(
    sums: DailySums, dims: Dimensions, comment_themes: pd.DataFrame, *, filters: TrendFilters
) -> pd.DataFrame:
    """One row per touchpoint: owner, contacts offered, channel mix, CES with answers, repeat rate
    with contacts of known customers, and the top pain themes [(theme, comments), ...]."""
    queues = filtered_queues(dims, filters)
    tp_of = dict(zip(queues["id"], queues["touchpoint_id"], strict=True))
    channel_of = dict(zip(queues["id"], queues["channel"], strict=True))
    rows = sums.queue[sums.queue["queue_id"].isin(list(tp_of))]
    rows = rows.assign(touchpoint_id=rows["queue_id"].map(tp_of), channel=rows["queue_id"].map(channel_of))
    columns = ["offered", "ces_sum", "ces_n", "repeats", "known_customer"]
    per_tp = rows.groupby("touchpoint_id")[columns].sum()
    per_channel = rows.groupby(["touchpoint_id", "channel"])["offered"].sum()
    kpis = metrics.kpi_frame(per_tp) if len(per_tp) else pd.DataFrame(columns=["ces", "repeat_rate"])
    pains = comment_themes[(comment_themes["kind"] == "pain") & comment_themes["queue_id"].isin(list(tp_of))]
    counted = pains.groupby(["touchpoint_id", "theme"]).size()
    out = []
    for tp in dims.touchpoints.itertuples(index=False):
        if filters.touchpoint_ids and tp.id not in filters.touchpoint_ids:
            continue
        mix = (
            per_channel.xs(tp.id, level=0) if tp.id in per_channel.index.get_level_values(0) else pd.Series()
        )
        mine = counted.xs(tp.id, level=0) if tp.id in counted.index.get_level_values(0) else pd.Series()
        top = sorted(((str(t), int(c)) for t, c in mine.items()), key=lambda item: (-item[1], item[0]))
        has = tp.id in per_tp.index
        out.append(
            {
                "touchpoint_id": int(tp.id),
                "key": tp.key,
                "name": tp.name,
                "owner": tp.owner,
                "offered": int(per_tp.at[tp.id, "offered"]) if has else 0,
                "channels": {str(c): int(v) for c, v in mix.sort_values(ascending=False).items() if v > 0},
                "ces": _clean(kpis.at[tp.id, "ces"]) if has else None,
                "ces_n": int(per_tp.at[tp.id, "ces_n"]) if has else 0,
                "repeat_rate": _clean(kpis.at[tp.id, "repeat_rate"]) if has else None,
                "known_customer": int(per_tp.at[tp.id, "known_customer"]) if has else 0,
                "top_pains": top[:TOP_PAINS],
            }
        )
    return pd.DataFrame(out, columns=MAP_COLUMNS)


def _clean(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- Owner edits ---------------------------------------------------------------------------------------


def _may_edit(session: Session, viewer: Viewer) -> bool:
    if viewer.user_id is None:
        return viewer == OPERATOR
    user = session.get(AppUser, viewer.user_id)
    return user is not None and user.active and user.role in OWNER_EDITORS


def clean_owner(text: str | None) -> str | None:
    """An owner as stored: spaces collapsed, None for blank; control characters and over-long text
    are refused (OwnerEditError)."""
    if text is None or not text.strip():
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in text if ch not in " \t"):
        raise OwnerEditError("bad_characters", "the owner contains control characters")
    owner = " ".join(text.split())
    if len(owner) > OWNER_MAX:
        raise OwnerEditError("too_long", f"the owner has more than {OWNER_MAX} characters")
    return owner


def set_owner(
    *, session: Session, viewer: Viewer, touchpoint_id: int, owner: str | None, now: datetime | None = None
) -> bool:
    """Give a touchpoint an accountable owner (directors and admins only; the role is read from the
    database). Recorded in AuditEvent with the old and new value. Returns False when unchanged."""
    if not _may_edit(session, viewer):
        raise OwnerEditError("not_allowed", f"role {viewer.role!r} may not edit touchpoint owners")
    touchpoint = session.get(Touchpoint, touchpoint_id)
    if touchpoint is None:
        raise OwnerEditError("not_found", f"no touchpoint {touchpoint_id}")
    new = clean_owner(owner)
    if new == touchpoint.owner:
        return False
    detail = {"from": touchpoint.owner, "to": new}
    touchpoint.owner = new
    session.add(touchpoint)
    audit.record(
        session=session,
        actor=viewer,
        action="touchpoint.owner",
        target=f"touchpoint:{touchpoint.key}",
        detail=detail,
        now=now,
    )
    return True
