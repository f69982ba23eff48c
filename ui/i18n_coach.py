"""Strings of the coach's page in English and Spanish (KPI labels come from the metrics registry).

Pure: no Streamlit. A test checks that every key has both languages and every placeholder matches.
"""

from __future__ import annotations

from models.themes import DEFAULT_LEXICON

DEFAULT_LOCALE = "en"

_PAGE = {
    "page_title": ("Agent coaching", "Coaching de agentes"),
    "no_agents": ("No agents in your scope yet.", "Todavía no hay agentes en tu ámbito."),
    "agent_not_found": (
        "The link names agent {code}, who is unknown or outside your scope.",
        "El enlace nombra al agente {code}, que no existe o está fuera de tu ámbito.",
    ),
    "search": ("Search by name or id", "Buscar por nombre o id"),
    "search_hint": ("e.g. Lucía or ag0042", "p. ej. Lucía o ag0042"),
    "team": ("Team", "Equipo"),
    "supervisor": ("Supervisor", "Supervisor"),
    "where": ("Works", "Trabaja"),
    "where_all": ("Remote and on-site", "En remoto y presencial"),
    "where_remote": ("Remote", "En remoto"),
    "where_onsite": ("On-site", "Presencial"),
    "agent": ("Agent ({n} found)", "Agente ({n} encontrados)"),
    "choose_agent": ("Choose an agent", "Elige un agente"),
    "pick_hint": (
        "Pick an agent to see their scorecard; the link in the address bar can be shared.",
        "Elige un agente para ver su cuadro de mando; puedes compartir el enlace de la barra de direcciones.",
    ),
    "period": ("Period", "Periodo"),
    "weeks": ("{n} wk", "{n} sem"),
    "tab_scorecard": ("Scorecard", "Cuadro de mando"),
    "tab_voice": ("What customers said", "Lo que dicen los clientes"),
    "tab_coaching": ("Coaching log", "Registro de coaching"),
    "tab_wellbeing": ("Wellbeing", "Bienestar"),
}
_SCORECARD = {
    "agent_context": (
        "Team {team} · supervisor {supervisor} · coach {coach} · {where} · {start} to {end} · "
        "{peers} agents on the same queues ({queues})",
        "Equipo {team} · supervisor {supervisor} · coach {coach} · {where} · {start} a {end} · "
        "{peers} agentes en las mismas colas ({queues})",
    ),
    "performance": ("Performance", "Rendimiento"),
    "customer": ("Customer outcome", "Resultado del cliente"),
    "col_kpi": ("KPI", "Indicador"),
    "col_value": ("Agent", "Agente"),
    "col_team_median": ("Team median", "Mediana del equipo"),
    "col_peers": ("Among peers", "Entre sus pares"),
    "col_n": ("Answers", "Respuestas"),
    "better_than": ("better than {pct} %", "mejor que el {pct} %"),
    "above": ("higher than {pct} %", "más alto que el {pct} %"),
    "low_confidence": ("fewer than {min}", "menos de {min}"),
    "better_than_peers": ("Better than % of peers", "Mejor que el % de sus pares"),
    "peers_n": ("{n} peers", "{n} pares"),
    "strengths_gaps": ("Strengths and gaps vs peers", "Fortalezas y brechas frente a sus pares"),
    "trend_kpi": ("Trend of", "Tendencia de"),
    "trend_title": ("{kpi} by week", "{kpi} por semana"),
    "team_median": ("Team median", "Mediana del equipo"),
    "session_marker": ("coaching: {kpi}", "coaching: {kpi}"),
    "export_csv": ("Download scorecard (CSV)", "Descargar cuadro de mando (CSV)"),
    "export_html": ("Printable scorecard (HTML)", "Cuadro de mando imprimible (HTML)"),
    "report_subtitle": ("Team {team} · {start} to {end}", "Equipo {team} · {start} a {end}"),
}
_VOICE = {
    "no_answers": ("No survey answers in this period.", "No hay respuestas de encuesta en este periodo."),
    "csat_filter": ("CSAT score", "Puntuación CSAT"),
    "touchpoint_filter": ("Touchpoint", "Punto de contacto"),
    "answers_count": ("{n} answers, lowest scores first", "{n} respuestas, primero las peores"),
    "col_when": ("Contact", "Contacto"),
    "col_touchpoint": ("Touchpoint", "Punto de contacto"),
    "col_comment": ("Comment", "Comentario"),
    "col_themes": ("Themes", "Temas"),
    "comments": ("Comments", "Comentarios"),
    "themes_title": (
        "Themes in the comments: pains and gains",
        "Temas en los comentarios: dolores y alegrías",
    ),
    "kind_pain": ("Pain", "Dolor"),
    "kind_gain": ("Gain", "Alegría"),
    "lexicon_title": ("Theme lexicon (editable)", "Léxico de temas (editable)"),
    "lexicon_help": (
        "A keyword matches whole words, ignoring accents and case; end it with * to match the start of "
        "a word (esper* finds esperé, esperando).",
        "Una palabra clave coincide con palabras completas, sin importar acentos ni mayúsculas; termínala "
        "en * para buscar el comienzo de una palabra (esper* encuentra esperé, esperando).",
    ),
    "lex_theme": ("Theme", "Tema"),
    "lex_kind": ("Kind", "Tipo"),
    "lex_language": ("Language", "Idioma"),
    "lex_keyword": ("Keyword", "Palabra clave"),
    "lex_add": ("Add keyword", "Añadir palabra clave"),
    "lex_remove": ("Keyword to remove", "Palabra clave a quitar"),
    "lex_remove_button": ("Remove", "Quitar"),
    "lex_err_not_allowed": ("Your role cannot edit the lexicon.", "Tu rol no puede editar el léxico."),
    "lex_err_bad_kind": ("Choose pain or gain.", "Elige dolor o alegría."),
    "lex_err_bad_language": ("Choose es or en.", "Elige es o en."),
    "lex_err_bad_theme": ("The theme needs 1 to 40 characters.", "El tema necesita de 1 a 40 caracteres."),
    "lex_err_bad_keyword": (
        "The keyword needs 1 to 60 characters.",
        "La palabra clave necesita de 1 a 60 caracteres.",
    ),
    "lex_err_kind_conflict": (
        "That theme already exists with the other kind.",
        "Ese tema ya existe con el otro tipo.",
    ),
    "lex_err_duplicate": ("That keyword is already there.", "Esa palabra clave ya está."),
    "lex_err_not_found": ("That keyword no longer exists.", "Esa palabra clave ya no existe."),
}
_LOG = {
    "notes_private": (
        "Coaching notes are visible only to the agent's coach, supervisor and directors.",
        "Las notas de coaching solo las ven el coach del agente, su supervisor y los directores.",
    ),
    "overdue_banner": (
        "{n} commitments are overdue for your agents.",
        "{n} compromisos de tus agentes están vencidos.",
    ),
    "overdue_list": ("Overdue commitments", "Compromisos vencidos"),
    "col_agent": ("Agent", "Agente"),
    "col_commitment": ("Commitment", "Compromiso"),
    "col_owner": ("Owner", "Responsable"),
    "col_due": ("Due", "Vence"),
    "col_days_overdue": ("Days overdue", "Días de retraso"),
    "record_session": ("Record a coaching session", "Registrar una sesión de coaching"),
    "session_date": ("Session date", "Fecha de la sesión"),
    "focus_kpi": ("Focus KPI", "Indicador a mejorar"),
    "notes": ("Notes", "Notas"),
    "commitment_n": ("Commitment {n}", "Compromiso {n}"),
    "commitment": ("Commitment", "Compromiso"),
    "owner": ("Owner", "Responsable"),
    "due_date": ("Due date", "Fecha límite"),
    "due": ("due", "vence"),
    "save_session": ("Save session", "Guardar sesión"),
    "add_commitment": ("Add a commitment to a session", "Añadir un compromiso a una sesión"),
    "add": ("Add", "Añadir"),
    "commitments": ("Commitments", "Compromisos"),
    "no_commitments": ("No commitments yet.", "Aún no hay compromisos."),
    "done": ("Done", "Hecho"),
    "done_on": ("done {day}", "hecho el {day}"),
    "overdue_by": ("overdue by {n} d", "vencido hace {n} d"),
    "effect_title": ("What changed after each session", "Qué cambió tras cada sesión"),
    "effect_help": (
        "The focus KPI over the {days} days before the session and the {days} days after it (the day "
        "itself left out), with sample sizes.",
        "El indicador elegido en los {days} días anteriores a la sesión y los {days} posteriores (sin "
        "contar ese día), con el tamaño de las muestras.",
    ),
    "no_sessions": ("No coaching sessions recorded yet.", "Aún no hay sesiones de coaching registradas."),
    "col_session": ("Session", "Sesión"),
    "col_before": ("Before", "Antes"),
    "col_after": ("After", "Después"),
    "col_change": ("Change", "Cambio"),
    "col_sample": ("Sample", "Muestra"),
    "col_status": ("Status", "Estado"),
    "sample_sizes": ("n {b} → {a} · days {bd} → {ad}", "n {b} → {a} · días {bd} → {ad}"),
    "improved": ("improved", "mejoró"),
    "worsened": ("worsened", "empeoró"),
    "complete": ("4 weeks complete", "4 semanas completas"),
    "in_progress": ("after-window still running", "periodo posterior en curso"),
    "low_sample": ("small sample", "muestra pequeña"),
    "created": ("Written by {who} on {at}", "Escrita por {who} el {at}"),
    "edited": ("last edited by {who} on {at}", "editada por última vez por {who} el {at}"),
    "save_edit": ("Save changes", "Guardar cambios"),
    "show_history": ("Show edit history", "Ver historial de cambios"),
    "saved_session": ("Session saved.", "Sesión guardada."),
    "saved_edit": ("Changes saved.", "Cambios guardados."),
    "saved_commitment": ("Commitment added.", "Compromiso añadido."),
    "saved_done": ("Commitment marked done.", "Compromiso marcado como hecho."),
    "saved_reopened": ("Commitment reopened.", "Compromiso reabierto."),
    "field_notes": ("Notes", "Notas"),
    "field_commitment": ("Commitment", "Compromiso"),
    "field_owner": ("Owner", "Responsable"),
    "field_due_date": ("Due date", "Fecha límite"),
    "field_session_date": ("Session date", "Fecha de la sesión"),
    "field_focus_kpi": ("Focus KPI", "Indicador a mejorar"),
    "field_agent": ("Agent", "Agente"),
    "field_session": ("Session", "Sesión"),
    "field_commitment_id": ("Commitment", "Compromiso"),
    "field_version": ("Entry", "Registro"),
    "err_empty": ("{field} must not be empty.", "{field} no puede estar vacío."),
    "err_too_long": (
        "{field} is too long (at most {limit} characters).",
        "{field} es demasiado largo (máximo {limit} caracteres).",
    ),
    "err_control_chars": ("{field} contains control characters.", "{field} contiene caracteres de control."),
    "err_unknown_kpi": ("{field}: choose a KPI from the list.", "{field}: elige un indicador de la lista."),
    "err_future": ("{field} cannot be in the future.", "{field} no puede estar en el futuro."),
    "err_past": ("{field} cannot be in the past.", "{field} no puede estar en el pasado."),
    "err_bad_date": ("{field} must be a date.", "{field} debe ser una fecha."),
    "err_unknown_agent": ("{field}: unknown agent.", "{field}: agente desconocido."),
    "err_not_found": ("{field} no longer exists.", "{field} ya no existe."),
    "err_stale": (
        "Someone else changed this entry since you opened it: reload and try again.",
        "Otra persona cambió este registro desde que lo abriste: recarga e inténtalo de nuevo.",
    ),
}
_WELLBEING = {
    "wellbeing_intro": (
        "Gentle signals to start a conversation about remote work, not a ranking: no comparison with others.",
        "Señales suaves para iniciar una conversación sobre el trabajo en remoto, no una clasificación: "
        "sin comparar con nadie.",
    ),
    "days": ("{n} days", "{n} días"),
    "wb_coaching": ("Since last coaching touch", "Desde el último coaching"),
    "wb_coaching_help": (
        "Days since the last recorded session or the last day with coaching time.",
        "Días desde la última sesión registrada o el último día con tiempo de coaching.",
    ),
    "wb_breaks": ("Breaks skipped", "Descansos no tomados"),
    "wb_breaks_help": (
        "Scheduled breaks and lunches with less than half of their time taken as a break.",
        "Descansos y comidas planificados en los que se tomó menos de la mitad del tiempo.",
    ),
    "wb_breaks_of": ("of {n} scheduled", "de {n} planificados"),
    "wb_after_hours": ("Beyond the schedule", "Fuera del horario"),
    "wb_after_hours_help": (
        "Logged-in time beyond scheduled time, per 15-minute interval.",
        "Tiempo conectado por encima del tiempo planificado, por intervalo de 15 minutos.",
    ),
    "wb_after_hours_days": ("on {n} days (15 min or more)", "en {n} días (15 min o más)"),
    "wb_connectivity": ("Connectivity drops", "Cortes de conexión"),
    "wb_connectivity_help": (
        "Times the agent went into the 'technical' pause (line, VPN, headset), with their total time.",
        "Veces que el agente entró en la pausa 'técnica' (línea, VPN, auriculares), con su tiempo total.",
    ),
    "wb_long_acw": ("Long after-contact work", "Trabajo posterior largo"),
    "wb_long_acw_help": (
        "Contacts whose after-contact work took long: a sign of hard cases or unclear tools.",
        "Contactos con un trabajo posterior largo: señal de casos difíciles o herramientas poco claras.",
    ),
    "wb_long_acw_of": ("of {n} contacts (≥ {s} s)", "de {n} contactos (≥ {s} s)"),
}
_THEMES = {
    "theme_waiting": ("Waiting", "Esperas"),
    "theme_transfers": ("Transfers", "Transferencias"),
    "theme_repeat_contact": ("Had to contact again", "Tuvo que volver a contactar"),
    "theme_unresolved": ("Not resolved", "Sin resolver"),
    "theme_attitude": ("Attitude", "Actitud"),
    "theme_billing": ("Billing and refunds", "Cobros y reembolsos"),
    "theme_delivery": ("Delivery problems", "Problemas de entrega"),
    "theme_order": ("Order problems", "Problemas con el pedido"),
    "theme_confusing": ("Confusing", "Confuso"),
    "theme_friendly": ("Friendly", "Amabilidad"),
    "theme_fast": ("Fast", "Rapidez"),
    "theme_resolved": ("Resolved", "Resuelto"),
    "theme_clear": ("Clear explanations", "Explicaciones claras"),
}

TEXT: dict[str, dict[str, str]] = {
    key: {"en": en, "es": es}
    for part in (_PAGE, _SCORECARD, _VOICE, _LOG, _WELLBEING, _THEMES)
    for key, (en, es) in part.items()
}
DEFAULT_THEMES = tuple(theme for theme, _kind, _words in DEFAULT_LEXICON)


def t(key: str, locale: str, **values: object) -> str:
    """The string for `key` in `locale` (English when missing), `{placeholders}` filled."""
    entry = TEXT[key]
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    return text.format(**values) if values else text


def theme_label(theme: str, locale: str) -> str:
    """A built-in theme's name in the viewer's language; a theme users added keeps its own name."""
    key = f"theme_{theme}"
    return t(key, locale) if key in TEXT else theme.replace("_", " ")
