"""Interface strings in English and Spanish (KPI labels come from the metrics registry instead):
the app's chrome, sign-in and shared labels. Pages keep theirs in ui/i18n_<page>.py modules with the
same shape; tests/unit/test_i18n_catalogue.py checks every module for both languages.

Pure: no Streamlit, so chart builders and tests can use it too.
"""

from __future__ import annotations

import math
import re

LOCALES = ("en", "es")
DEFAULT_LOCALE = "en"

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"en": "Mirador", "es": "Mirador"},
    "page_home": {"en": "Today at a glance", "es": "El día de un vistazo"},
    "page_live_team": {"en": "Live team", "es": "Equipo en vivo"},
    "page_weekly_trends": {"en": "Weekly trends", "es": "Tendencias semanales"},
    "page_agent_coach": {"en": "Agent coaching", "es": "Coaching de agentes"},
    "page_data_health": {"en": "Data health", "es": "Salud de los datos"},
    "language": {"en": "Language", "es": "Idioma"},
    "page_upload": {"en": "Upload data", "es": "Subir datos"},
    "page_users": {"en": "Users", "es": "Usuarios"},
    "page_audit": {"en": "Audit trail", "es": "Registro de auditoría"},
    "demo_mode": {"en": "Demo mode", "es": "Modo demo"},
    "demo_mode_help": {
        "en": "Demo mode: one-click sign-in as the seeded demo accounts, on the embedded database. "
        "Never for real data.",
        "es": "Modo demo: acceso con un clic a las cuentas de demostración, en la base de datos "
        "integrada. Nunca con datos reales.",
    },
    "signed_in_as": {"en": "Viewing as {name} ({role})", "es": "Viendo como {name} ({role})"},
    "signout": {"en": "Sign out", "es": "Cerrar sesión"},
    "role_admin": {"en": "admin", "es": "administración"},
    "role_director": {"en": "director", "es": "dirección"},
    "role_supervisor": {"en": "supervisor", "es": "supervisión"},
    "role_coach": {"en": "coach", "es": "coach"},
    "role_agent": {"en": "agent", "es": "agente"},
    "signin_title": {"en": "Sign in to Mirador", "es": "Iniciar sesión en Mirador"},
    "email": {"en": "E-mail", "es": "Correo electrónico"},
    "password": {"en": "Password", "es": "Contraseña"},
    "signin_button": {"en": "Sign in", "es": "Entrar"},
    "signin_wrong": {"en": "Wrong e-mail or password.", "es": "Correo o contraseña incorrectos."},
    "signin_locked": {
        "en": "Too many failed attempts: this account is locked until {until} ({minutes} min). "
        "An admin can unlock it sooner.",
        "es": "Demasiados intentos fallidos: esta cuenta está bloqueada hasta las {until} "
        "({minutes} min). Un administrador puede desbloquearla antes.",
    },
    "signin_provider": {
        "en": "Sign in with your organisation account",
        "es": "Entrar con la cuenta de tu organización",
    },
    "signin_provider_missing": {
        "en": "Single sign-on is not set up on this server ({reason}): add an [auth] section to "
        ".streamlit/secrets.toml (see the README).",
        "es": "El inicio de sesión único no está configurado en este servidor ({reason}): añade una "
        "sección [auth] a .streamlit/secrets.toml (ver el README).",
    },
    "signin_no_account": {
        "en": "{email} has no Mirador account. Ask an admin to add you, then sign in again.",
        "es": "{email} no tiene cuenta en Mirador. Pide a un administrador que te dé de alta y "
        "vuelve a entrar.",
    },
    "first_run_no_accounts": {
        "en": "Mirador has no accounts yet. To explore it with demo data, run `mirador demo`, then start "
        "the app with MIRADOR_DEMO_MODE=true. For real use, create the first admin on the server: "
        '`mirador users add --email you@example.com --name "Your Name" --role admin`.',
        "es": "Mirador aún no tiene cuentas. Para explorarlo con datos de demostración, ejecuta "
        "`mirador demo` y arranca la aplicación con MIRADOR_DEMO_MODE=true. Para uso real, crea la "
        "primera cuenta de administración en el servidor: "
        '`mirador users add --email tu@ejemplo.com --name "Tu Nombre" --role admin`.',
    },
    "first_run_no_admin": {
        "en": "No admin account yet. On the server, create the first one with "
        '`mirador users add --email you@example.com --name "Your Name" --role admin`.',
        "es": "Aún no hay ninguna cuenta de administración. En el servidor, crea la primera con "
        '`mirador users add --email tu@ejemplo.com --name "Tu Nombre" --role admin`.',
    },
    "demo_signin_help": {
        "en": "Explore Mirador as one of the seeded demo people: each role sees what it would see "
        "in real life.",
        "es": "Explora Mirador como una de las personas de la demo: cada rol ve lo que vería en la realidad.",
    },
    "demo_signin_as": {"en": "Sign in as {name} ({role})", "es": "Entrar como {name} ({role})"},
    "demo_no_accounts": {
        "en": "No demo accounts yet: load them with `mirador demo`.",
        "es": "Aún no hay cuentas de demo: cárgalas con `mirador demo`.",
    },
    "notice_session_expired": {
        "en": "Your session ended after {minutes} min without activity. Please sign in again.",
        "es": "Tu sesión terminó tras {minutes} min sin actividad. Vuelve a iniciar sesión.",
    },
    "notice_signed_out": {"en": "You are signed out.", "es": "Has cerrado la sesión."},
    "notice_account_closed": {
        "en": "Your account is no longer active.",
        "es": "Tu cuenta ya no está activa.",
    },
    "page_not_allowed": {
        "en": "Your role does not give access to this page.",
        "es": "Tu rol no da acceso a esta página.",
    },
    "updated_ago": {"en": "updated {age} ago", "es": "actualizado hace {age}"},
    "never_updated": {"en": "no refresh yet", "es": "sin actualizaciones aún"},
    "stale_warning": {
        "en": "Data is stale: the last refresh was {age} ago (expected every {period}). "
        "Check the Data health page.",
        "es": "Datos desactualizados: la última actualización fue hace {age} (se espera cada {period}). "
        "Revisa la página Salud de los datos.",
    },
    "no_data": {
        "en": "There is no data yet. Load the demo data set with `mirador demo`, then reload this page.",
        "es": "Todavía no hay datos. Carga los datos de demostración con `mirador demo` "
        "y recarga esta página.",
    },
    "day_of": {"en": "Day: {day}", "es": "Día: {day}"},
    "performance": {"en": "Performance", "es": "Rendimiento"},
    "customer": {"en": "Customer effort and outcome", "es": "Esfuerzo y resultado del cliente"},
    "target": {"en": "target {value}", "es": "objetivo {value}"},
    "sl_formula": {"en": "formula: {name}", "es": "fórmula: {name}"},
    "sample": {"en": "n = {n}", "es": "n = {n}"},
    "low_confidence": {
        "en": "low confidence: fewer than {min} answers",
        "es": "poca confianza: menos de {min} respuestas",
    },
    "vs_previous_day": {"en": "vs previous day", "es": "vs día anterior"},
    "by_interval": {"en": "By interval", "es": "Por intervalo"},
    "offered": {"en": "Offered", "es": "Ofrecidos"},
    "service_level": {"en": "Service level", "es": "Nivel de servicio"},
    "sl_target": {"en": "SL target", "es": "Objetivo NS"},
    "ces": {"en": "CES (1-7, higher = easier)", "es": "CES (1-7, más alto = más fácil)"},
    "answers": {"en": "answers", "es": "respuestas"},
    "interval": {"en": "Interval", "es": "Intervalo"},
    "no_intervals": {"en": "No intervals for this day.", "es": "No hay intervalos para este día."},
    "freshness": {"en": "Freshness", "es": "Frescura"},
    "job_runs": {"en": "Recent job runs", "es": "Ejecuciones recientes"},
    "jobs": {"en": "Jobs: last success and lag", "es": "Procesos: último éxito y retraso"},
    "quarantine": {"en": "Quarantined rows", "es": "Filas en cuarentena"},
    "quarantine_empty": {
        "en": "No input row has been rejected.",
        "es": "No se ha rechazado ninguna fila de entrada.",
    },
    "checkpoints": {"en": "Source readers", "es": "Lectores de fuentes"},
    "checkpoints_empty": {
        "en": "No incremental source has been read yet.",
        "es": "Aún no se ha leído ninguna fuente incremental.",
    },
    "no_runs": {"en": "No job has run yet.", "es": "Aún no se ha ejecutado ningún proceso."},
    "since_refresh": {"en": "Since the last refresh", "es": "Desde la última actualización"},
    "since_contact": {"en": "Since the newest contact", "es": "Desde el contacto más reciente"},
    "newest_event": {"en": "Newest event", "es": "Evento más reciente"},
    "refresh_period": {"en": "Refresh period", "es": "Periodo de actualización"},
    "col_job": {"en": "Job", "es": "Proceso"},
    "col_status": {"en": "Status", "es": "Estado"},
    "col_started": {"en": "Started", "es": "Inicio"},
    "col_duration": {"en": "Duration", "es": "Duración"},
    "col_rows_in": {"en": "Rows in", "es": "Filas leídas"},
    "col_rows_out": {"en": "Rows out", "es": "Filas escritas"},
    "col_rows_rejected": {"en": "Rejected", "es": "Rechazadas"},
    "col_error": {"en": "Error", "es": "Error"},
    "col_runs": {"en": "Runs", "es": "Ejecuciones"},
    "col_failed": {"en": "Failed", "es": "Fallidas"},
    "col_last_status": {"en": "Last status", "es": "Último estado"},
    "col_last_success": {"en": "Last success", "es": "Último éxito"},
    "col_lag": {"en": "Lag", "es": "Retraso"},
    "col_source": {"en": "Source", "es": "Fuente"},
    "col_reason": {"en": "Reason", "es": "Motivo"},
    "col_rows": {"en": "Rows", "es": "Filas"},
    "col_last_seen": {"en": "Last seen", "es": "Visto por última vez"},
    "col_location": {"en": "Location", "es": "Ubicación"},
    "col_offset": {"en": "Offset", "es": "Posición"},
    "col_updated": {"en": "Updated", "es": "Actualizado"},
}


_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~:$@&=\"'")


def plain(text: object) -> str:
    """Data (a name, an e-mail) placed in a Markdown-rendering element, with every Markdown and
    Streamlit-directive character escaped: shown exactly as typed, never as a link or formatting."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))


def code(text: object) -> str:
    """Data shown literally inside Markdown as a code span: no formatting, and unlike backslash
    escapes it also stops Streamlit from turning e-mails and web addresses into links."""
    value = str(text).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    return f"{fence} {value} {fence}"


def t(key: str, locale: str, **values: object) -> str:
    """The string for `key` in `locale` (English when missing), with `{placeholders}` filled."""
    entry = TEXT[key]
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    return text.format(**values) if values else text


def duration_text(seconds: float | None) -> str:
    """A short human duration ("45 s", "12 min", "3 h 5 min", "2 d") for ages and lags."""
    if seconds is None or math.isnan(seconds):
        return "—"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} d"
