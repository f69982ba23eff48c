"""The demo organisation: sites, lines of business, teams, people, touchpoints and queues.

`build_org_rows` describes it for a scale; the simulator then reads it back from the database
(`sim_model.load_org`), so the seed and the live mode simulate from the very same organisation.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Spain-based and America-based agent time zones (America-based people take the late shifts).
AMERICA_ZONES = ("America/Bogota", "America/Mexico_City")


@dataclass(frozen=True)
class Line:
    """A line of business: one touchpoint, its queues and the teams (a skill group) that serve them."""

    key: str
    label: str  # first word of its teams' names
    touchpoint: str
    owner: str
    queues: tuple[tuple[str, str], ...]  # (queue name, channel)
    workload_share: tuple[tuple[str, float], ...]  # channel -> share of the line's workload
    transfers_to: tuple[str, ...]  # downstream lines a voice call may be transferred to
    sunday: bool  # chat/whatsapp open on Sundays


# Topological order: transfers only flow to later lines, so one day simulates line by line.
LINES: tuple[Line, ...] = (
    Line(
        "order",
        "Orders",
        "Order placement",
        "E-commerce - Lucía Ferrer",
        (("Orders voice", "voice"), ("Orders chat", "chat"), ("Orders email", "email")),
        (("voice", 0.55), ("chat", 0.25), ("email", 0.20)),
        ("delivery", "billing"),
        False,
    ),
    Line(
        "delivery",
        "Delivery",
        "Delivery tracking",
        "Logistics - Javier Molina",
        (("Delivery voice", "voice"), ("Delivery whatsapp", "whatsapp"), ("Delivery chat", "chat")),
        (("voice", 0.50), ("whatsapp", 0.28), ("chat", 0.22)),
        ("returns", "billing"),
        True,
    ),
    Line(
        "returns",
        "Returns",
        "Returns & refunds",
        "Reverse logistics - Marta Gil",
        (("Returns voice", "voice"), ("Returns chat", "chat")),
        (("voice", 0.62), ("chat", 0.38)),
        ("billing",),
        False,
    ),
    Line(
        "billing",
        "Billing",
        "Billing & payments",
        "Finance - Andrés Rojas",
        (("Billing voice", "voice"), ("Billing email", "email")),
        (("voice", 0.72), ("email", 0.28)),
        (),
        False,
    ),
    Line(
        "tech",
        "Tech",
        "Technical support",
        "Product & IT - Sofía Navarro",
        (
            ("Tech support voice", "voice"),
            ("Tech support chat", "chat"),
            ("Tech support whatsapp", "whatsapp"),
        ),
        (("voice", 0.60), ("chat", 0.25), ("whatsapp", 0.15)),
        (),
        True,
    ),
)
LINE_BY_KEY = {line.key: line for line in LINES}
LINE_BY_LABEL = {line.label: line for line in LINES}

# (site name, time zone or None for the centre's zone, short name used in team names)
SITES = (
    ("Madrid HQ", "Europe/Madrid", "Madrid"),
    ("Bogotá", "America/Bogota", "Bogotá"),
    ("Remote", None, "Remote"),
)
# Who works in a team of each site: (is_remote, time zone, share).
SITE_MIX = {
    "Madrid HQ": (
        (False, "Europe/Madrid", 0.62),
        (True, "Europe/Madrid", 0.10),
        (True, "Atlantic/Canary", 0.08),
        (True, "America/Bogota", 0.12),
        (True, "America/Mexico_City", 0.08),
    ),
    "Bogotá": (
        (False, "America/Bogota", 0.25),
        (True, "Europe/Madrid", 0.55),
        (True, "Atlantic/Canary", 0.20),
    ),
    "Remote": (
        (True, "Europe/Madrid", 0.55),
        (True, "Atlantic/Canary", 0.23),
        (True, "America/Bogota", 0.12),
        (True, "America/Mexico_City", 0.10),
    ),
}
# Tenure bands: (share, min days, max days) before the seed day.
TENURE_BANDS = ((0.15, 12, 88), (0.30, 95, 360), (0.35, 370, 1090), (0.20, 1100, 3300))

FIRST_ES = (
    "Lucía María Paula Laura Marta Sara Carmen Ana Isabel Elena Cristina Sofía Valentina Camila Daniela "
    "Natalia Andrea Alba Irene Claudia Julia Mariana Gabriela Ximena Lorena Beatriz Rocío Nuria Pilar "
    "Alejandro Daniel Pablo David Javier Sergio Carlos Manuel Jorge Luis Miguel Álvaro Diego Adrián Iván "
    "Rubén Andrés Santiago Sebastián Mateo Felipe Juan Antonio Francisco Raúl Óscar Víctor Hugo Gonzalo"
).split()
LAST_ES = (
    "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández "
    "Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez "
    "Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Iglesias Medina "
    "Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto Méndez Cruz Calvo Gallego Vidal León "
    "Herrera Márquez Peña Flores Cabrera Campos Vega Fuentes Carrasco Diez Caballero Reyes Aguilar Pascual "
    "Restrepo Cárdenas Ospina Valencia Zapata Quintero Londoño Salazar Villegas"
).split()
FIRST_EN = (
    "Emily Olivia Charlotte Amelia Grace Hannah Chloe Lucy Sophie Megan Jessica Rachel James Oliver Jack "
    "Harry George Thomas William Daniel Samuel Michael Ryan Matthew Liam Connor Ethan Nathan"
).split()
LAST_EN = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Evans Walker Wright Thompson Robinson White "
    "Hughes Edwards Green Hall Wood Harris Clarke Lewis Carter Walsh Murphy Kelly Byrne Ryan Bennett Cooper"
).split()


@dataclass(frozen=True)
class Scale:
    """How big the demo is: head count, weeks of history, lines of business and teams per line."""

    agents: int
    weeks: int
    lines: tuple[str, ...] = tuple(line.key for line in LINES)
    teams_per_line: int = 1


def is_america(zone: str) -> bool:
    return zone in AMERICA_ZONES


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


class _Names:
    """Unique realistic names, drawn without repeats from Spanish and English pools."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def draw(self, english: bool) -> str:
        first, last = (FIRST_EN, LAST_EN) if english else (FIRST_ES, LAST_ES)
        while True:
            name = f"{first[self.rng.integers(len(first))]} {last[self.rng.integers(len(last))]}"
            if name not in self.used:
                self.used.add(name)
                return name


def _split(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder rounding of `total` into parts proportional to `shares`."""
    raw = [total * s / sum(shares) for s in shares]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _user(email: str, name: str, role: str) -> dict[str, object]:
    return {
        "email": email,
        "name": name,
        "role": role,
        "password_hash": None,
        "locale": "es",
        "active": True,
        "failed_logins": 0,
        "locked_until": None,
    }


def _email(name: str, taken: set[str]) -> str:
    first, last = name.split(" ", 1)
    base = f"{_ascii(first)}.{_ascii(last)}"
    email, n = f"{base}@mirador.demo", 2
    while email in taken:
        email, n = f"{base}{n}@mirador.demo", n + 1
    taken.add(email)
    return email


@dataclass
class OrgRows:
    """Rows to insert, in dependency order; foreign keys are given by natural keys (names, emails)."""

    sites: list[dict[str, object]]
    users: list[dict[str, object]]
    teams: list[dict[str, object]]  # site, supervisor, coach given by name / email
    touchpoints: list[dict[str, object]]
    queues: list[dict[str, object]]  # team and touchpoint given by name / key
    agents: list[dict[str, object]]  # team given by name


def build_org_rows(*, scale: Scale, seed: int, today: date, centre_zone: str) -> OrgRows:
    """Describe the organisation of a scale: deterministic for a seed and the seed day."""
    rng = np.random.default_rng([seed, 101])
    names = _Names(rng)
    emails: set[str] = set()
    sites = [{"name": name, "timezone": zone or centre_zone} for name, zone, _ in SITES]
    users = [
        _user("director@mirador.demo", "Teresa Valdés", "director"),
        _user("admin@mirador.demo", "Admin Mirador", "admin"),
    ]
    emails.update(u["email"] for u in users)  # type: ignore[misc]
    lines = [LINE_BY_KEY[key] for key in scale.lines]
    team_count = len(lines) * scale.teams_per_line
    sizes = _split(scale.agents, [1.0] * team_count)
    teams: list[dict[str, object]] = []
    agents: list[dict[str, object]] = []
    queues: list[dict[str, object]] = []
    for li, line in enumerate(lines):
        line_index = [x.key for x in LINES].index(line.key)
        team_names = []
        for ti in range(scale.teams_per_line):
            site_name, _, short = SITES[(line_index + ti) % len(SITES)]
            team_name = f"{line.label} {short}"
            team_names.append(team_name)
            supervisor = names.draw(english=False)
            coach = names.draw(english=rng.random() < 0.2)
            sup_email, coach_email = _email(supervisor, emails), _email(coach, emails)
            users.append(_user(sup_email, supervisor, "supervisor"))
            users.append(_user(coach_email, coach, "coach"))
            teams.append(
                {"name": team_name, "site": site_name, "supervisor": sup_email, "coach": coach_email}
            )
            size = sizes[li * scale.teams_per_line + ti]
            mix = SITE_MIX[site_name]
            counts = _split(size, [share for _, _, share in mix])
            for (remote, zone, _), count in zip(mix, counts, strict=True):
                for _ in range(count):
                    english = not is_america(zone) and rng.random() < (0.25 if remote else 0.12)
                    band = rng.choice(len(TENURE_BANDS), p=[b[0] for b in TENURE_BANDS])
                    _, lo, hi = TENURE_BANDS[band]
                    agents.append(
                        {
                            "name": names.draw(english=english),
                            "team": team_name,
                            "is_remote": remote,
                            "timezone": zone,
                            "hire_date": today - timedelta(days=int(rng.integers(lo, hi + 1))),
                            "active": True,
                        }
                    )
        for qi, (queue_name, channel) in enumerate(line.queues):
            queues.append(
                {
                    "name": queue_name,
                    "channel": channel,
                    "touchpoint": line.key,
                    "team": team_names[qi % len(team_names)],
                }
            )
    for i, agent in enumerate(agents, start=1):
        agent["code"] = f"sim-{i:04d}"
    touchpoints = [{"key": line.key, "name": line.touchpoint, "owner": line.owner} for line in lines]
    return OrgRows(sites, users, teams, touchpoints, queues, agents)
