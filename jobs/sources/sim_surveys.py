"""Post-contact surveys: CES 2.0 (1-7, 7 = very easy), CSAT (1-5), NPS (0-10), a "resolved?" answer
and short verbatims in Spanish and English.

The effects in CES_EFFECTS are planted on the latent ease score (before rounding to 1-7), each one
applying when its driver holds, so an "effort drivers" analysis can be checked against them. Observed
mean differences come out a little smaller (rounding and the 1-7 bounds) and, for transfers and long
waits, a little larger (they also make an unresolved issue more likely).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from jobs.sources.sim_model import units

SURVEY_OFFER_P = {"voice": 0.65, "chat": 0.8, "whatsapp": 0.75, "email": 0.6}
SURVEY_RESPONSE_P = {"voice": 0.4, "chat": 0.34, "whatsapp": 0.38, "email": 0.3}
CES_BASE = {"order": 6.0, "delivery": 5.6, "returns": 5.5, "billing": 5.3, "tech": 5.2}
CES_EFFECTS = {
    "transferred": -0.8,  # Contact.transferred
    "wait_above_threshold": -0.6,  # wait_s > the channel's SL threshold (settings.sl_threshold_s)
    "repeat": -0.7,  # same customer and touchpoint within the previous 7 days (METRICS.md)
    "unresolved": -0.9,  # the customer says the issue was not resolved
    "hold": -0.3,  # hold_s > 0
    "after_hours": -0.25,  # offered before 08:00 or from 20:00, centre time
    "new_agent": -0.3,  # the agent had less than 90 days of tenure
}
CES_NOISE_SD = 0.9
AFTER_HOURS = (8, 20)
VERBATIM_P = 0.42
ENGLISH_P = 0.22
SURVEY_DELAY_MAX_S = 8 * 3600  # every answer arrives within 8 hours of the contact

PHRASES = {
    "wait": {
        "es": ["Demasiado tiempo esperando para que me atendieran.", "La espera fue eterna, casi cuelgo."],
        "en": ["I waited far too long before anyone picked up.", "The wait was ridiculous."],
    },
    "transfer": {
        "es": [
            "Me pasaron de un departamento a otro y tuve que repetirlo todo.",
            "Me transfirieron dos veces.",
        ],
        "en": ["I was transferred around and had to explain everything again.", "Too many transfers."],
    },
    "repeat": {
        "es": [
            "Es la tercera vez que llamo por lo mismo.",
            "Ya había contactado antes y sigue sin arreglarse.",
        ],
        "en": [
            "This is the third time I contact you about this.",
            "I had already called and it is still not fixed.",
        ],
    },
    "hold": {
        "es": ["Me dejaron en espera mucho rato en mitad de la llamada."],
        "en": ["I was put on hold for ages in the middle of the call."],
    },
    "billing": {
        "es": ["Me han cobrado dos veces y nadie me da una solución.", "Error en la factura, otra vez."],
        "en": ["I was charged twice and nobody can fix it.", "Another billing error on my invoice."],
    },
    "delivery": {
        "es": ["El pedido llega tarde y nadie sabe dónde está.", "El repartidor nunca vino."],
        "en": ["My delivery is late and nobody knows where it is.", "The courier never showed up."],
    },
    "returns": {
        "es": ["El reembolso tarda demasiado.", "La devolución es un lío, no me dan la etiqueta."],
        "en": ["The refund is taking forever.", "Returning the item was a hassle."],
    },
    "tech": {
        "es": ["La aplicación sigue sin funcionar.", "No me solucionaron el problema técnico."],
        "en": ["The app still does not work.", "My technical problem was not solved."],
    },
    "order": {
        "es": ["No pude modificar mi pedido.", "El pedido salió con un artículo equivocado."],
        "en": ["I could not change my order.", "My order came with the wrong item."],
    },
    "friendly": {
        "es": ["El agente fue muy amable y paciente.", "Muy buena atención, gracias.", "Trato excelente."],
        "en": ["The agent was very friendly and patient.", "Great service, thank you.", "Lovely agent."],
    },
    "quick": {
        "es": ["Rápido y sencillo, me lo resolvieron a la primera.", "Todo resuelto en pocos minutos."],
        "en": ["Quick and easy, sorted first time.", "Solved in a few minutes."],
    },
    "but": {"es": [" Pero "], "en": [" But "]},
}
NEGATIVE_BY_LINE = {
    "billing": "billing",
    "delivery": "delivery",
    "returns": "returns",
    "tech": "tech",
    "order": "order",
}


@dataclass
class Survey:
    answered_at: int
    ces: int
    csat: int | None
    nps: int | None
    resolved: bool | None
    verbatim: str | None
    language: str


def _after_hours(moment: int, zone: ZoneInfo) -> bool:
    hour = datetime.fromtimestamp(moment, UTC).astimezone(zone).hour
    return hour < AFTER_HOURS[0] or hour >= AFTER_HOURS[1]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _verbatim(rng: np.random.Generator, active: dict[str, bool], line: str, ces: int, lang: str) -> str:
    negatives = [k for k in ("transferred", "wait_above_threshold", "repeat", "hold") if active[k]]
    theme = {"transferred": "transfer", "wait_above_threshold": "wait", "repeat": "repeat", "hold": "hold"}
    pick_process = negatives and rng.random() < 0.7
    bad = _pick(rng, PHRASES[theme[negatives[0]] if pick_process else NEGATIVE_BY_LINE[line]][lang])
    quick = not active["unresolved"] and rng.random() < 0.4
    good = _pick(rng, PHRASES["quick" if quick else "friendly"][lang])
    if ces <= 3:
        return bad
    if ces >= 6:
        return good
    # Mixed feelings: praise for the agent, a complaint about the process or the product.
    friendly = _pick(rng, PHRASES["friendly"][lang])
    tail = bad if bad.startswith("I ") else bad[0].lower() + bad[1:]
    return friendly + PHRASES["but"][lang][0] + tail


def survey_for(
    c,
    *,
    seed: int,
    rng: np.random.Generator,
    threshold: float,
    resolved: bool,
    new_agent: bool,
    zone: ZoneInfo,
) -> Survey | None:  # type: ignore[no-untyped-def]
    """Offer a survey to an answered contact and, if the customer answers, their scores."""
    channel, line = c.queue.channel, c.queue.line
    u = rng.random(8)
    c.survey_offered = bool(u[0] < SURVEY_OFFER_P[channel])
    if not c.survey_offered or u[1] >= SURVEY_RESPONSE_P[channel]:
        return None
    active = {
        "transferred": c.transferred,
        "wait_above_threshold": c.wait > threshold,
        "repeat": c.is_repeat,
        "unresolved": not resolved,
        "hold": c.hold_total > 0,
        "after_hours": _after_hours(c.offered, zone),
        "new_agent": new_agent,
    }
    latent = CES_BASE[line] + sum(CES_EFFECTS[k] for k, on in active.items() if on) + c.agent.ces_skill
    latent += rng.normal(0.0, CES_NOISE_SD)
    ces = int(np.clip(round(latent), 1, 7))
    csat = (
        int(np.clip(round(1.4 + (latent - 1) * 4 / 6 + rng.normal(0.0, 0.55)), 1, 5)) if u[2] < 0.92 else None
    )
    nps = (
        int(np.clip(round((latent - 1) / 6 * 10 + 1.6 + rng.normal(0.0, 1.4)), 0, 10)) if u[3] < 0.8 else None
    )
    said_resolved = (resolved != (u[4] < 0.04)) if u[5] < 0.9 else None
    if channel == "voice" and u[6] < 0.7:
        delay = 20 + int(100 * u[7])  # the IVR survey right after the call
    else:
        delay = int(min(max(5400 * np.exp(0.9 * rng.normal()), 300), SURVEY_DELAY_MAX_S))
    lang = "en" if units(seed, c.customer_key or c.key, "language", 1)[0] < ENGLISH_P else "es"
    verbatim = _verbatim(rng, active, line, ces, lang) if rng.random() < VERBATIM_P else None
    return Survey(c.completed + delay, ces, csat, nps, said_resolved, verbatim, lang)
