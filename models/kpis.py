"""The KPI registry: how each METRICS.md number is named (English, Spanish), what unit it has,
whether higher is better, which sample size qualifies it, and how it is shown. The formulas
themselves are in models.metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.metrics import is_missing


@dataclass(frozen=True)
class KpiDef:
    """How a KPI is named, shown and judged; `section` is its METRICS.md row."""

    key: str
    label_en: str
    label_es: str
    unit: str  # ratio | seconds | count | score | nps
    higher_is_better: bool | None
    section: str
    sample_key: str | None = None

    def label(self, locale: str = "en") -> str:
        return self.label_es if locale == "es" else self.label_en


def _k(key: str, en: str, es: str, unit: str, better: bool | None, section: str, sample: str | None = None):
    return key, KpiDef(key, en, es, unit, better, section, sample)


KPIS: dict[str, KpiDef] = dict(
    [
        _k("offered", "Offered", "Ofrecidos", "count", None, "Queue metrics / Offered"),
        _k("answered", "Answered", "Atendidos", "count", None, "Queue metrics / Answered"),
        _k("abandoned", "Abandoned", "Abandonados", "count", False, "Queue metrics / Abandoned"),
        _k(
            "short_abandoned",
            "Short abandons",
            "Abandonos cortos",
            "count",
            None,
            "Queue metrics / Short abandon",
        ),
        _k(
            "service_level",
            "Service level",
            "Nivel de servicio",
            "ratio",
            True,
            "Queue metrics / Service level (SL)",
        ),
        _k("asa", "ASA", "TME (ASA)", "seconds", False, "Queue metrics / ASA"),
        _k(
            "abandon_rate", "Abandon rate", "Tasa de abandono", "ratio", False, "Queue metrics / Abandon rate"
        ),
        _k(
            "avg_abandon_time",
            "Avg. abandon time",
            "Tiempo medio de abandono",
            "seconds",
            None,
            "Queue metrics / Average abandon time",
        ),
        _k("aht", "AHT", "TMO (AHT)", "seconds", None, "Queue metrics / AHT"),
        _k(
            "transfer_rate",
            "Transfer rate",
            "Tasa de transferencia",
            "ratio",
            False,
            "Queue metrics / Transfer rate",
        ),
        _k("hold_rate", "Hold rate", "Tasa de espera en línea", "ratio", False, "Queue metrics / Hold rate"),
        _k("occupancy", "Occupancy", "Ocupación", "ratio", None, "Agent metrics / Occupancy"),
        _k("utilization", "Utilization", "Utilización", "ratio", None, "Agent metrics / Utilization"),
        _k("adherence", "Adherence", "Adherencia", "ratio", True, "Agent metrics / Adherence"),
        _k("conformance", "Conformance", "Conformidad", "ratio", None, "Agent metrics / Conformance"),
        _k("shrinkage", "Shrinkage", "Reducciones (shrinkage)", "ratio", False, "Agent metrics / Shrinkage"),
        _k("csat", "CSAT", "CSAT", "ratio", True, "Customer outcome metrics / CSAT", "csat_n"),
        _k(
            "ces",
            "CES (ease)",
            "CES (facilidad)",
            "score",
            True,
            "Customer outcome metrics / CES (ease)",
            "ces_n",
        ),
        _k("ces_easy", "% easy", "% fácil", "ratio", True, "Customer outcome metrics / CES (ease)", "ces_n"),
        _k(
            "ces_difficult",
            "% difficult",
            "% difícil",
            "ratio",
            False,
            "Customer outcome metrics / CES (ease)",
            "ces_n",
        ),
        _k("nps", "NPS", "NPS", "nps", True, "Customer outcome metrics / NPS", "nps_n"),
        _k("fcr", "FCR", "Resolución al primer contacto", "ratio", True, "Customer outcome metrics / FCR"),
        _k(
            "repeat_rate",
            "Repeat contact rate",
            "Tasa de recontacto",
            "ratio",
            False,
            "Customer outcome metrics / Repeat contact rate",
        ),
        _k(
            "channel_switch_rate",
            "Channel switch rate",
            "Tasa de cambio de canal",
            "ratio",
            False,
            "Customer outcome metrics / Channel switch rate",
        ),
        _k(
            "response_rate",
            "Response rate",
            "Tasa de respuesta",
            "ratio",
            True,
            "Customer outcome metrics / Response rate",
        ),
        _k("csat_n", "CSAT answers", "Respuestas CSAT", "count", None, "Customer outcome metrics / CSAT"),
        _k("ces_n", "CES answers", "Respuestas CES", "count", None, "Customer outcome metrics / CES (ease)"),
        _k("nps_n", "NPS answers", "Respuestas NPS", "count", None, "Customer outcome metrics / NPS"),
    ]
)

MISSING = "—"


def _number(value: float, decimals: int, locale: str) -> str:
    text = f"{value:,.{decimals}f}"
    if locale == "es":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_value(key: str, value: Any, locale: str = "en") -> str:
    """A KPI value as shown: "—" when undefined, "87.5 %", "42 s" / "3:05" / "1:02:05", "+23"."""
    if is_missing(value) or (isinstance(value, float | np.floating) and np.isnan(value)):
        return MISSING
    unit = KPIS[key].unit if key in KPIS else "score"
    if unit == "ratio":
        return f"{_number(100 * float(value), 1, locale)} %"
    if unit == "seconds":
        seconds = int(round(float(value)))
        if seconds < 60:
            return f"{seconds} s"
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    if unit == "nps":
        rounded = int(round(float(value)))
        return f"+{rounded}" if rounded > 0 else str(rounded)
    if unit == "count":
        return _number(float(value), 0, locale)
    return _number(float(value), 1, locale)
