"""Strings of the upload page in English and Spanish. Pure: no Streamlit."""

from __future__ import annotations

from ui.i18n import DEFAULT_LOCALE

TEXT: dict[str, dict[str, str]] = {
    "page_upload": {"en": "Upload data", "es": "Subir datos"},
    "intro": {
        "en": "Load exports from your contact-center platform and survey tool. Loading a file twice "
        "changes nothing; rows that cannot be read are kept aside with their line and reason.",
        "es": "Carga exportaciones de tu plataforma de contact center y de tu herramienta de encuestas. "
        "Cargar dos veces un archivo no cambia nada; las filas ilegibles se apartan con su línea y motivo.",
    },
    "kind_asterisk": {"en": "Asterisk queue_log", "es": "Asterisk queue_log"},
    "kind_connect": {"en": "Amazon Connect", "es": "Amazon Connect"},
    "kind_surveys": {"en": "Surveys", "es": "Encuestas"},
    "kind_contacts": {"en": "Contacts (CSV)", "es": "Contactos (CSV)"},
    "kind_states": {"en": "Agent states (CSV)", "es": "Estados de agentes (CSV)"},
    "kind_schedules": {"en": "Schedules (CSV)", "es": "Turnos (CSV)"},
    "help_asterisk": {
        "en": "The queue_log file written by app_queue, or a CSV export of the realtime queue_log table.",
        "es": "El archivo queue_log de app_queue, o una exportación CSV de la tabla queue_log "
        "en tiempo real.",
    },
    "help_connect": {
        "en": "Contact records (CTR) and agent events: JSON lines, arrays or Firehose files (.gz too).",
        "es": "Registros de contacto (CTR) y eventos de agente: líneas JSON, listas o archivos de Firehose "
        "(también .gz).",
    },
    "help_surveys": {
        "en": "Qualtrics, SurveyMonkey or any CSV with one header row.",
        "es": "Qualtrics, SurveyMonkey o cualquier CSV con una fila de cabecera.",
    },
    "help_csv": {
        "en": "One header row with the column names of the README's generic CSV schema.",
        "es": "Una fila de cabecera con los nombres de columna del esquema CSV genérico del README.",
    },
    "files": {"en": "Files", "es": "Archivos"},
    "mapping": {"en": "Column mapping (JSON, optional)", "es": "Mapeo de columnas (JSON, opcional)"},
    "mapping_help": {
        "en": 'Mirador field -> header of your export, e.g. {"csat": "Q1", "verbatim": "Q2"}. '
        "Empty: the usual names and the server's setting.",
        "es": 'Campo de Mirador -> cabecera de tu exportación, p. ej. {"csat": "Q1", "verbatim": "Q2"}. '
        "Vacío: los nombres habituales y la configuración del servidor.",
    },
    "load": {"en": "Load", "es": "Cargar"},
    "choose_files": {"en": "Choose one or more files first.", "es": "Elige antes uno o más archivos."},
    "loading": {"en": "Loading {name}", "es": "Cargando {name}"},
    "refreshing": {"en": "Refreshing the dashboards", "es": "Actualizando los paneles"},
    "rows_loaded": {"en": "Rows loaded", "es": "Filas cargadas"},
    "duplicates": {"en": "Duplicates skipped", "es": "Duplicados omitidos"},
    "quarantined": {"en": "Rows quarantined", "es": "Filas en cuarentena"},
    "done": {
        "en": "Loaded {files} file(s): {loaded} row(s) new or changed.",
        "es": "Cargados {files} archivo(s): {loaded} fila(s) nuevas o cambiadas.",
    },
    "nothing_read": {
        "en": "Nothing could be read from these files: see the reasons below.",
        "es": "No se pudo leer nada de estos archivos: mira los motivos abajo.",
    },
    "by_table": {"en": "By table: {tables}", "es": "Por tabla: {tables}"},
    "skipped": {"en": "Read but not loaded", "es": "Leídas pero no cargadas"},
    "reasons": {"en": "Quarantined rows and why", "es": "Filas en cuarentena y motivo"},
    "bad_mapping": {"en": "Column mapping: {error}", "es": "Mapeo de columnas: {error}"},
    "failed": {"en": "The load failed: {error}", "es": "La carga falló: {error}"},
}


def t(key: str, locale: str, **values: object) -> str:
    """The string for `key` in `locale` (English when missing), with `{placeholders}` filled."""
    entry = TEXT[key]
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    return text.format(**values) if values else text
