"""Strings of the directors' weekly trends page, in English and Spanish. Pure (no Streamlit), so the
figure builders and the report use it too; KPI names come from the metrics registry instead."""

from __future__ import annotations

LOCALES = ("en", "es")

TEXT: dict[str, dict[str, str]] = {
    "page_title": {"en": "Weekly trends", "es": "Tendencias semanales"},
    "page_caption": {
        "en": "Are we improving, where does customer effort come from, who owns each touchpoint, "
        "and were we staffed right?",
        "es": "¿Mejoramos?, ¿de dónde viene el esfuerzo del cliente?, ¿quién es responsable de cada "
        "punto de contacto? y ¿tuvimos el personal adecuado?",
    },
    "filters": {"en": "Filters", "es": "Filtros"},
    "weeks": {"en": "Weeks", "es": "Semanas"},
    "end_week": {"en": "Latest week", "es": "Última semana"},
    "week_of": {"en": "Week of {day}", "es": "Semana del {day}"},
    "sites": {"en": "Sites", "es": "Sedes"},
    "teams": {"en": "Teams", "es": "Equipos"},
    "channels": {"en": "Channels", "es": "Canales"},
    "touchpoints": {"en": "Touchpoints", "es": "Puntos de contacto"},
    "all": {"en": "All", "es": "Todos"},
    "section": {"en": "Section", "es": "Sección"},
    "section_overview": {"en": "Scorecard & trends", "es": "Cuadro de mando y tendencias"},
    "section_effort": {"en": "Effort drivers", "es": "Causas del esfuerzo"},
    "section_touchpoints": {"en": "Touchpoints", "es": "Puntos de contacto"},
    "section_staffing": {"en": "Staffing", "es": "Dotación de personal"},
    "section_report": {"en": "Export & report", "es": "Exportar e informe"},
    "no_data": {
        "en": "There is no data for the viewer yet. Load the demo data set with `mirador demo`.",
        "es": "Aún no hay datos visibles. Carga los datos de demostración con `mirador demo`.",
    },
    # Scorecard
    "scorecard": {"en": "Weekly scorecard", "es": "Cuadro de mando semanal"},
    "performance": {"en": "Performance", "es": "Rendimiento"},
    "customer": {"en": "Customer", "es": "Cliente"},
    "col_kpi": {"en": "KPI", "es": "Indicador"},
    "col_this_week": {"en": "This week", "es": "Esta semana"},
    "col_last_week": {"en": "Last week", "es": "Semana anterior"},
    "col_change": {"en": "Change", "es": "Cambio"},
    "col_trend": {"en": "Trend", "es": "Tendencia"},
    "col_target": {"en": "Target", "es": "Objetivo"},
    "col_n": {"en": "n", "es": "n"},
    "col_flag": {"en": "Note", "es": "Nota"},
    "better": {"en": "better", "es": "mejor"},
    "worse": {"en": "worse", "es": "peor"},
    "low_confidence": {"en": "⚠ under {min} answers", "es": "⚠ menos de {min} respuestas"},
    "partial_week": {
        "en": "This week has data up to {day} (a partial week compares with a full one).",
        "es": "Esta semana tiene datos hasta el {day} (una semana parcial se compara con una completa).",
    },
    "sl_formula": {"en": "Service level formula: {name}", "es": "Fórmula del nivel de servicio: {name}"},
    "agent_all_channels": {
        "en": "Occupancy, utilization, adherence, conformance and shrinkage cover every channel and "
        "touchpoint of the chosen teams: agent time is not split by channel.",
        "es": "Ocupación, utilización, adherencia, conformidad y reducciones cubren todos los canales y "
        "puntos de contacto de los equipos elegidos: el tiempo del agente no se divide por canal.",
    },
    # Trends
    "trends": {"en": "Trends", "es": "Tendencias"},
    "trend_by": {"en": "Lines by", "es": "Líneas por"},
    "by_team": {"en": "Team", "es": "Equipo"},
    "by_channel": {"en": "Channel", "es": "Canal"},
    "grain": {"en": "Grain", "es": "Detalle"},
    "grain_week": {"en": "Weekly", "es": "Semanal"},
    "grain_day": {"en": "Daily", "es": "Diario"},
    "vs": {"en": "{left} vs. {right}", "es": "{left} vs. {right}"},
    "no_trend": {"en": "No contacts for these filters.", "es": "No hay contactos con estos filtros."},
    "hover_n": {"en": "n = {n}", "es": "n = {n}"},
    # Effort drivers
    "effort_intro": {
        "en": "Contacts with a CES answer (1-7, higher = easier). Raw: difference in mean CES with and "
        "without the factor, 95 % confidence interval by Welch. Adjusted: the same difference with "
        "every other factor held fixed (least squares; CI robust to each agent's own manner), since "
        "factors come together. Effort cost = CES points lost (adjusted) × contacts touched, "
        "largest first.",
        "es": "Contactos con respuesta CES (1-7, más alto = más fácil). Bruta: diferencia de CES medio con "
        "y sin el factor, intervalo de confianza del 95 % de Welch. Ajustada: la misma diferencia con "
        "los demás factores fijos (mínimos cuadrados; IC robusto al estilo propio de cada agente), "
        "porque los factores vienen juntos. Coste de esfuerzo = puntos de CES perdidos (ajustados) × "
        "contactos afectados, de mayor a menor.",
    },
    "effort_answers": {"en": "{n} CES answers", "es": "{n} respuestas CES"},
    "no_answers": {
        "en": "No CES answers for these filters and weeks.",
        "es": "No hay respuestas CES con estos filtros y semanas.",
    },
    "factor_wait_above_threshold": {
        "en": "Waited beyond the SL threshold",
        "es": "Esperó más que el umbral de NS",
    },
    "factor_transfer": {"en": "Transferred", "es": "Transferido"},
    "factor_hold": {"en": "Put on hold", "es": "Puesto en espera"},
    "factor_repeat_contact": {"en": "Repeat contact", "es": "Contacto repetido"},
    "factor_channel_switch": {"en": "Switched channel", "es": "Cambió de canal"},
    "factor_after_hours": {
        "en": "After hours (before {start}:00 or from {end}:00)",
        "es": "Fuera de horario (antes de las {start}:00 o desde las {end}:00)",
    },
    "factor_unresolved": {
        "en": "Customer says not resolved",
        "es": "El cliente dice que no se resolvió",
    },
    "factor_tenure_band": {"en": "Agent tenure {level}", "es": "Antigüedad del agente {level}"},
    "factor_touchpoint": {"en": "Touchpoint: {level}", "es": "Punto de contacto: {level}"},
    "tenure_lt_3m": {"en": "< 3 months", "es": "< 3 meses"},
    "tenure_3_12m": {"en": "3-12 months", "es": "3-12 meses"},
    "tenure_1_3y": {"en": "1-3 years", "es": "1-3 años"},
    "tenure_3y_plus": {"en": "3+ years", "es": "3+ años"},
    "col_factor": {"en": "Factor", "es": "Factor"},
    "col_touched": {"en": "Contacts touched", "es": "Contactos afectados"},
    "col_share": {"en": "Share", "es": "Proporción"},
    "col_ces_with": {"en": "CES with", "es": "CES con"},
    "col_ces_without": {"en": "CES without", "es": "CES sin"},
    "col_difference": {"en": "Raw difference", "es": "Diferencia bruta"},
    "col_ci": {"en": "95 % CI (Welch)", "es": "IC 95 % (Welch)"},
    "col_adjusted": {"en": "Adjusted difference", "es": "Diferencia ajustada"},
    "col_adjusted_ci": {"en": "95 % CI (adjusted)", "es": "IC 95 % (ajustada)"},
    "raw_difference": {"en": "Raw difference", "es": "Diferencia bruta"},
    "adjusted_difference": {"en": "Adjusted for the other factors", "es": "Ajustada por los demás factores"},
    "col_cost": {"en": "Effort cost", "es": "Coste de esfuerzo"},
    "col_significant": {"en": "Significant", "es": "Significativo"},
    "yes": {"en": "yes", "es": "sí"},
    "no": {"en": "no", "es": "no"},
    "effort_chart": {"en": "Change in mean CES (95 % CI)", "es": "Cambio en el CES medio (IC 95 %)"},
    # Touchpoints
    "touchpoint_map": {"en": "Touchpoint map", "es": "Mapa de puntos de contacto"},
    "col_touchpoint": {"en": "Touchpoint", "es": "Punto de contacto"},
    "col_owner": {"en": "Owner", "es": "Responsable"},
    "col_contacts": {"en": "Contacts", "es": "Contactos"},
    "col_channels": {"en": "Channels", "es": "Canales"},
    "col_ces": {"en": "CES", "es": "CES"},
    "col_repeat": {"en": "Repeat rate", "es": "Tasa de recontacto"},
    "col_pains": {"en": "Top pains (comments)", "es": "Principales quejas (comentarios)"},
    "no_owner": {"en": "no owner", "es": "sin responsable"},
    "edit_owner": {"en": "Change an owner", "es": "Cambiar un responsable"},
    "owner": {"en": "Owner", "es": "Responsable"},
    "save": {"en": "Save", "es": "Guardar"},
    "owner_saved": {"en": "Owner saved.", "es": "Responsable guardado."},
    "owner_unchanged": {"en": "Nothing changed.", "es": "No hay cambios."},
    "owner_not_allowed": {
        "en": "Only directors and admins can change owners.",
        "es": "Solo los directores y administradores pueden cambiar responsables.",
    },
    "owner_too_long": {"en": "The owner is too long.", "es": "El responsable es demasiado largo."},
    "owner_bad_characters": {
        "en": "The owner contains characters that are not allowed.",
        "es": "El responsable contiene caracteres no permitidos.",
    },
    "owner_not_found": {
        "en": "That touchpoint no longer exists.",
        "es": "Ese punto de contacto ya no existe.",
    },
    "moves": {
        "en": "Where customers go when they come back (next contact within {days} days)",
        "es": "A dónde van los clientes cuando vuelven (siguiente contacto en {days} días)",
    },
    "nodes": {"en": "Show moves between", "es": "Mostrar movimientos entre"},
    "node_touchpoint": {"en": "Touchpoints", "es": "Puntos de contacto"},
    "node_channel": {"en": "Channels", "es": "Canales"},
    "node_both": {"en": "Touchpoint and channel", "es": "Punto de contacto y canal"},
    "no_moves": {
        "en": "No customer came back in these weeks.",
        "es": "Ningún cliente volvió en estas semanas.",
    },
    "theme_waiting": {"en": "waiting", "es": "espera"},
    "theme_transfers": {"en": "transfers", "es": "transferencias"},
    "theme_repeat_contact": {"en": "had to contact again", "es": "tuvo que volver a contactar"},
    "theme_unresolved": {"en": "not resolved", "es": "no resuelto"},
    "theme_attitude": {"en": "attitude", "es": "trato"},
    "theme_billing": {"en": "billing", "es": "facturación"},
    # Staffing
    "staffing_day": {"en": "Day", "es": "Día"},
    "staffing_intro": {
        "en": "Required agents per interval by Erlang C and Erlang A (patience estimated from abandoned "
        "waits) for each channel's contacts, AHT, threshold and target, summed over channels, against "
        "agents logged in.",
        "es": "Agentes necesarios por intervalo según Erlang C y Erlang A (paciencia estimada con las "
        "esperas abandonadas) para los contactos, TMO, umbral y objetivo de cada canal, sumados, frente "
        "a los agentes conectados.",
    },
    "staffing_all_channels": {
        "en": "Agents serve every channel of their team: staffing ignores the channel and touchpoint "
        "filters.",
        "es": "Los agentes atienden todos los canales de su equipo: la dotación no aplica los filtros de "
        "canal y punto de contacto.",
    },
    "required_c": {"en": "Required (Erlang C)", "es": "Necesarios (Erlang C)"},
    "required_a": {"en": "Required (Erlang A)", "es": "Necesarios (Erlang A)"},
    "staffed": {"en": "Logged in", "es": "Conectados"},
    "status_under": {"en": "▼ under-staffed", "es": "▼ falta personal"},
    "status_over": {"en": "▲ over-staffed", "es": "▲ exceso de personal"},
    "status_ok": {"en": "ok", "es": "correcto"},
    "col_interval": {"en": "Interval", "es": "Intervalo"},
    "col_offered": {"en": "Offered", "es": "Ofrecidos"},
    "col_status": {"en": "Staffing", "es": "Dotación"},
    "col_sl": {"en": "Service level", "es": "Nivel de servicio"},
    "agents": {"en": "Agents", "es": "Agentes"},
    "staffing_summary": {
        "en": "{under} h under-staffed · {over} h over-staffed · {ok} h right",
        "es": "{under} h con falta de personal · {over} h con exceso · {ok} h correctas",
    },
    "patience": {
        "en": "Mean caller patience (Erlang A), estimated over the weeks shown: {values}",
        "es": "Paciencia media del cliente (Erlang A), estimada en las semanas mostradas: {values}",
    },
    "no_patience": {"en": "no abandons: Erlang A = Erlang C", "es": "sin abandonos: Erlang A = Erlang C"},
    "no_intervals": {"en": "No intervals on this day.", "es": "No hay intervalos en este día."},
    "deferred": {
        "en": "Left out as deferred work (threshold of an hour or more): {channels}.",
        "es": "Excluidos por ser trabajo diferido (umbral de una hora o más): {channels}.",
    },
    # Export and report
    "download_csv": {"en": "CSV", "es": "CSV"},
    "download_excel": {"en": "Excel", "es": "Excel"},
    "report": {"en": "Weekly report", "es": "Informe semanal"},
    "report_subtitle": {
        "en": "{weeks} weeks to the week of {day} · {scope} · generated {now}",
        "es": "{weeks} semanas hasta la semana del {day} · {scope} · generado {now}",
    },
    "report_help": {
        "en": "Open the report in a browser and print it (A4 landscape) or save it as PDF.",
        "es": "Abre el informe en un navegador e imprímelo (A4 horizontal) o guárdalo como PDF.",
    },
    "download_report": {"en": "Printable report (HTML)", "es": "Informe imprimible (HTML)"},
    "download_workbook": {"en": "All tables (Excel)", "es": "Todas las tablas (Excel)"},
    "scope_all": {"en": "all teams", "es": "todos los equipos"},
}


def t(key: str, locale: str, **values: object) -> str:
    """The string for `key` in `locale` (English when the locale is unknown), placeholders filled."""
    entry = TEXT[key]
    text = entry.get(locale) or entry["en"]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in TEXT
