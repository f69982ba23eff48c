"""What fixes a demo's simulation once and for all: seed, scale, centre time zone, seed day and SL
thresholds, recorded with the seed run. The live mode replays days from these, never from the
settings or arguments of the moment, so a replayed day is the day the seed simulated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from jobs.sources.sim_org import Scale
from models.settings import Settings


class DemoMismatchError(ValueError):
    """The live mode was asked to continue a demo with parameters other than the seed's."""


@dataclass(frozen=True)
class SimParams:
    seed: int
    scale: Scale
    timezone: str  # the centre's zone: local days, opening hours and shifts are in it
    seeded_on: date  # the seed's local day: hire dates (so tenure) are counted back from it
    thresholds: tuple[tuple[str, float], ...]  # SL threshold per channel (long waits, repeats, CES)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _threshold_table(self) -> dict[str, float]:
        return dict(self.thresholds)

    def threshold_for(self, channel: str) -> float:
        table = self._threshold_table
        return table.get(channel, table.get("voice", 20.0))

    def detail(self) -> dict[str, Any]:
        """The JSON-ready record kept in the seed run's detail."""
        return {
            "seed": self.seed,
            "scale_spec": {
                "agents": self.scale.agents,
                "weeks": self.scale.weeks,
                "lines": list(self.scale.lines),
                "teams_per_line": self.scale.teams_per_line,
            },
            "timezone": self.timezone,
            "seeded_on": self.seeded_on.isoformat(),
            "thresholds": dict(self.thresholds),
        }


def params_for_seed(*, seed: int, scale: Scale, settings: Settings, now: datetime) -> SimParams:
    return SimParams(
        seed=seed,
        scale=scale,
        timezone=settings.timezone,
        seeded_on=now.astimezone(settings.zone).date(),
        thresholds=tuple(sorted(settings.sl_threshold_s.items())),
    )


def params_from_run(
    *, detail: str | None, started_at: datetime, settings: Settings, scales: dict[str, Scale]
) -> SimParams:
    """Read the parameters back from a seed run. Seeds recorded before the parameters were kept
    (only scale name and seed) fall back to the current settings for zone and thresholds."""
    info = json.loads(detail) if detail else {}
    if "seed" not in info:
        raise DemoMismatchError("the demo seed run does not say which seed it used")
    spec = info.get("scale_spec")
    if spec is not None:
        scale = Scale(
            agents=int(spec["agents"]),
            weeks=int(spec["weeks"]),
            lines=tuple(spec["lines"]),
            teams_per_line=int(spec["teams_per_line"]),
        )
    elif info.get("scale") in scales:
        scale = scales[info["scale"]]
    else:
        raise DemoMismatchError(f"unknown demo scale {info.get('scale')!r} in the seed run")
    timezone = info.get("timezone", settings.timezone)
    if started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=UTC)
    seeded_on = (
        date.fromisoformat(info["seeded_on"])
        if "seeded_on" in info
        else started_at.astimezone(ZoneInfo(timezone)).date()
    )
    thresholds = info.get("thresholds", settings.sl_threshold_s)
    return SimParams(
        seed=int(info["seed"]),
        scale=scale,
        timezone=timezone,
        seeded_on=seeded_on,
        thresholds=tuple(sorted((str(k), float(v)) for k, v in thresholds.items())),
    )
