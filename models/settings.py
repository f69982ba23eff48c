"""One Settings object for the whole app, read from MIRADOR_* environment variables.

Wrong settings stop start-up with one line naming the setting (SettingsError), never a traceback.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'mirador.db'}"
CHANNELS = ("voice", "chat", "email", "whatsapp")
SL_FORMULAS = (
    "short_abandons_excluded",
    "abandons_ignored",
    "abandons_negative",
    "abandons_positive",
    "icmi",
    "answered_only",
)
AUTH_MODES = ("local", "oidc")
DEMO_DOMAIN = "@mirador.demo"  # the simulator's seeded accounts; demo sign-in offers only these

# Columns a survey export can be mapped onto (MIRADOR_SURVEY_MAPPING: {"field": "export header"});
# "ces_effort_1_5" takes a 1-5 effort answer (lower = better) and converts it to CES 2.0 on import.
SURVEY_FIELDS = (
    "key",
    "contact",
    "customer",
    "time",
    "csat",
    "ces",
    "ces_effort_1_5",
    "nps",
    "resolved",
    "verbatim",
    "language",
)
INGEST_PATH_SETTINGS = ("asterisk_queue_log_path", "connect_dir", "surveys_dir", "csv_dir")


class SettingsError(ValueError):
    """A setting has a value Mirador cannot run with; the message names it."""


class Settings(BaseSettings):
    """Every tunable of METRICS.md and DESIGN.md, with the documented defaults."""

    model_config = SettingsConfigDict(env_prefix="MIRADOR_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Europe/Madrid"
    interval_minutes: int = 15
    sl_threshold_s: dict[str, float] = Field(
        default_factory=lambda: {"voice": 20.0, "chat": 60.0, "email": 86400.0, "whatsapp": 600.0}
    )
    sl_target: dict[str, float] = Field(
        default_factory=lambda: {"voice": 0.8, "chat": 0.8, "email": 0.9, "whatsapp": 0.8}
    )
    sl_formula: str = "short_abandons_excluded"
    short_abandon_s: float = 5.0
    repeat_window_days: float = 7.0
    channel_switch_window_h: float = 24.0
    min_sample: int = 10
    stale_after_h: float = 4.0
    adherence_grace_s: float = 120.0
    refresh_seconds: int = 60
    demo_live_seconds: int = 5
    # "embedded": the Streamlit process runs the scheduler (leased); "worker": a `mirador worker` does.
    scheduler_mode: str = "embedded"
    demo_live: bool = True
    # Live team view (supervisors): alert thresholds and refresh of the live fragment.
    live_refresh_s: float = 10.0
    live_aux_limit_s: dict[str, float] = Field(
        default_factory=lambda: {
            "break": 900.0,
            "lunch": 3600.0,
            "meeting": 3600.0,
            "coaching": 3600.0,
            "training": 7200.0,
            "technical": 300.0,
            "other": 600.0,
        }
    )
    live_acw_limit_s: float = 120.0
    live_long_contact_factor: float = 2.0
    live_short_disconnect_s: float = 120.0
    live_disconnects_alert: int = 3
    live_disconnect_window_s: float = 3600.0
    live_no_break_h: float = 3.0
    live_abandon_rate_max: float = 0.05
    live_board_page_size: int = 50
    # Scheduled ingestion: each source job runs every ingest_seconds while its path is set.
    asterisk_queue_log_path: str | None = None  # the queue_log file (or a realtime-table .csv export)
    connect_dir: str | None = None  # Amazon Connect CTR / agent-event files (Firehose layout welcome)
    surveys_dir: str | None = None  # survey CSV exports
    csv_dir: str | None = None  # generic CSV: contacts/, states/ and schedules/ subfolders
    survey_mapping: dict[str, str] = Field(default_factory=dict)  # Mirador field -> export header
    ingest_seconds: int = 60
    upload_dir: str = str(DATA_DIR / "uploads")  # files loaded through the upload page are kept here
    # Sign-in (issue 7): "local" accounts with argon2 passwords, or "oidc" through st.login.
    auth_mode: str = "local"
    oidc_provider: str | None = None  # a named [auth.NAME] section; None: the default [auth] one
    session_timeout_min: float = 30.0
    max_failed_logins: int = 5
    lockout_min: float = 15.0
    # Demo mode: one-click sign-in as the seeded @mirador.demo users; embedded SQLite only.
    demo_mode: bool = False
    demo_user: str | None = None  # demo mode only: sign in as this demo account automatically

    @field_validator("database_url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            value = value.replace("postgresql://", "postgresql+psycopg://", 1)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name, e.g. Europe/Madrid)") from None
        return value

    @field_validator("interval_minutes")
    @classmethod
    def _interval_allowed(cls, value: int) -> int:
        if value not in (15, 30, 60):
            raise ValueError("must be 15, 30 or 60")
        return value

    @field_validator("sl_threshold_s", "sl_target")
    @classmethod
    def _per_channel(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)}; channels are {list(CHANNELS)}")
        if any(v < 0 for v in value.values()):
            raise ValueError("must not be negative")
        return value

    @field_validator("sl_formula")
    @classmethod
    def _formula_known(cls, value: str) -> str:
        if value not in SL_FORMULAS:
            raise ValueError(f"must be one of {list(SL_FORMULAS)}")
        return value

    @field_validator("scheduler_mode")
    @classmethod
    def _mode_known(cls, value: str) -> str:
        if value not in ("embedded", "worker"):
            raise ValueError("must be 'embedded' or 'worker'")
        return value

    @field_validator("auth_mode")
    @classmethod
    def _auth_mode_known(cls, value: str) -> str:
        if value not in AUTH_MODES:
            raise ValueError(f"must be one of {list(AUTH_MODES)}")
        return value

    @field_validator("demo_mode")
    @classmethod
    def _demo_only_embedded(cls, value: bool, info: ValidationInfo) -> bool:
        """Demo mode can never be switched on by accident in production: it needs the embedded
        SQLite database and local accounts, on top of the explicit setting."""
        if not value:
            return value
        if not str(info.data.get("database_url", "")).startswith("sqlite"):
            raise ValueError(
                "demo mode runs only on the embedded SQLite database; unset MIRADOR_DEMO_MODE in production"
            )
        if info.data.get("auth_mode") != "local":
            raise ValueError("demo mode needs MIRADOR_AUTH_MODE=local (it offers the demo accounts)")
        return value

    @field_validator("demo_user")
    @classmethod
    def _demo_user_is_a_demo_account(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        if not info.data.get("demo_mode"):
            raise ValueError("needs MIRADOR_DEMO_MODE=true (automatic sign-in is a demo feature)")
        value = value.strip().lower()
        if not value.endswith(DEMO_DOMAIN):
            raise ValueError(f"must be one of the seeded demo accounts (…{DEMO_DOMAIN})")
        return value

    @field_validator("session_timeout_min", "lockout_min")
    @classmethod
    def _positive_minutes(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than zero (minutes)")
        return value

    @field_validator(
        "short_abandon_s",
        "repeat_window_days",
        "channel_switch_window_h",
        "stale_after_h",
        "adherence_grace_s",
        "live_refresh_s",
        "live_acw_limit_s",
        "live_long_contact_factor",
        "live_short_disconnect_s",
        "live_disconnect_window_s",
        "live_no_break_h",
        "live_abandon_rate_max",
    )
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator(
        "min_sample", "refresh_seconds", "demo_live_seconds", "live_board_page_size", "max_failed_logins"
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be greater than zero")
        return value

    @field_validator(*INGEST_PATH_SETTINGS)
    @classmethod
    def _path_warns_when_missing(cls, value: str | None, info: ValidationInfo) -> str | None:
        """An empty value switches the source off; a missing path only warns (a mount or the first
        log may appear later): the job then records that it found nothing."""
        if not value or not value.strip():
            return None
        if not Path(value).expanduser().exists():
            logging.getLogger(__name__).warning(
                "MIRADOR_%s: %s does not exist (yet)", str(info.field_name).upper(), value
            )
        return value

    @field_validator("survey_mapping")
    @classmethod
    def _mapping_fields_known(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SURVEY_FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; fields are {list(SURVEY_FIELDS)}")
        return value

    @field_validator("ingest_seconds")
    @classmethod
    def _ingest_period_positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be greater than zero")
        return value

    @field_validator("sl_target")
    @classmethod
    def _targets_are_fractions(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v > 1 for v in value.values()):
            raise ValueError("targets are fractions 0..1 (0.8 means 80 %)")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def threshold_for(self, channel: str) -> float:
        return self.sl_threshold_s.get(channel, self.sl_threshold_s.get("voice", 20.0))

    def target_for(self, channel: str) -> float:
        return self.sl_target.get(channel, 0.8)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment plus overrides, turning errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"MIRADOR_{name.upper()}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own with load_settings)."""
    return load_settings()
