"""Strings of the admin pages (users, audit trail) in English and Spanish; same shape as ui/i18n.py."""

from __future__ import annotations

from ui.i18n import DEFAULT_LOCALE

TEXT: dict[str, dict[str, str]] = {
    "users_intro": {
        "en": "Accounts, roles and what each person may see. Every change here is written to the audit "
        "trail.",
        "es": "Cuentas, roles y lo que cada persona puede ver. Cada cambio queda en el registro de "
        "auditoría.",
    },
    "tab_people": {"en": "People", "es": "Personas"},
    "tab_add": {"en": "Add a person", "es": "Añadir persona"},
    "tab_edit": {"en": "Change an account", "es": "Modificar una cuenta"},
    "col_email": {"en": "E-mail", "es": "Correo"},
    "col_name": {"en": "Name", "es": "Nombre"},
    "col_role": {"en": "Role", "es": "Rol"},
    "col_active": {"en": "Active", "es": "Activa"},
    "col_locale": {"en": "Language", "es": "Idioma"},
    "col_has_password": {"en": "Password set", "es": "Con contraseña"},
    "col_failed": {"en": "Failed sign-ins", "es": "Intentos fallidos"},
    "col_locked_until": {"en": "Locked until", "es": "Bloqueada hasta"},
    "col_teams": {"en": "Teams", "es": "Equipos"},
    "col_agents": {"en": "Agents", "es": "Agentes"},
    "field_email": {"en": "E-mail", "es": "Correo electrónico"},
    "field_name": {"en": "Full name", "es": "Nombre completo"},
    "field_role": {"en": "Role", "es": "Rol"},
    "field_locale": {"en": "Language", "es": "Idioma"},
    "field_password": {
        "en": "Password (leave empty for single sign-on accounts)",
        "es": "Contraseña (vacía para cuentas con inicio de sesión único)",
    },
    "password_help": {
        "en": "At least 12 characters; a short sentence is easy to remember and hard to guess.",
        "es": "Al menos 12 caracteres; una frase corta es fácil de recordar y difícil de adivinar.",
    },
    "add_button": {"en": "Add", "es": "Añadir"},
    "pick_user": {"en": "Account", "es": "Cuenta"},
    "save_role": {"en": "Save role", "es": "Guardar rol"},
    "active_toggle": {"en": "Account active", "es": "Cuenta activa"},
    "unlock_button": {"en": "Unlock now", "es": "Desbloquear ahora"},
    "locked_note": {
        "en": "Locked after repeated failed sign-ins until {until}.",
        "es": "Bloqueada por intentos fallidos hasta las {until}.",
    },
    "new_password": {"en": "New password", "es": "Nueva contraseña"},
    "set_password": {"en": "Set password", "es": "Establecer contraseña"},
    "teams_pick": {"en": "Teams this person sees", "es": "Equipos que ve esta persona"},
    "agents_pick": {
        "en": "Agents (a coach's agents; for the agent role, their own record)",
        "es": "Agentes (los de un coach; para el rol agente, su propia ficha)",
    },
    "save_assignments": {"en": "Save assignments", "es": "Guardar asignaciones"},
    "saved": {"en": "Saved: {what}.", "es": "Guardado: {what}."},
    "added": {"en": "Added {email}.", "es": "Añadida la cuenta {email}."},
    "error_bad_email": {"en": "That is not an e-mail address.", "es": "No es una dirección de correo."},
    "error_taken": {"en": "That e-mail already has an account.", "es": "Ese correo ya tiene cuenta."},
    "error_bad_name": {"en": "Enter a name (up to 100 characters).", "es": "Escribe un nombre (hasta 100)."},
    "error_bad_locale": {"en": "Unknown language.", "es": "Idioma desconocido."},
    "error_unknown_role": {"en": "Unknown role.", "es": "Rol desconocido."},
    "error_too_short": {
        "en": "The password needs at least 12 characters.",
        "es": "La contraseña necesita al menos 12 caracteres.",
    },
    "error_too_long": {
        "en": "The password is too long (256 characters at most).",
        "es": "La contraseña es demasiado larga (256 caracteres como máximo).",
    },
    "error_is_email": {
        "en": "The password must not be the e-mail address.",
        "es": "La contraseña no puede ser la dirección de correo.",
    },
    "error_last_admin": {
        "en": "The last active admin must stay an active admin.",
        "es": "La última cuenta de administración activa debe seguir activa y con ese rol.",
    },
    "error_one_agent": {
        "en": "An agent-role account is linked to one agent record.",
        "es": "Una cuenta con rol agente se vincula a una sola ficha de agente.",
    },
    "error_unknown": {"en": "Unknown team or agent.", "es": "Equipo o agente desconocido."},
    "error_unknown_user": {"en": "Unknown account.", "es": "Cuenta desconocida."},
    "audit_intro": {
        "en": "Sign-ins, failed sign-ins, exports, account changes and coaching-note edits, newest first.",
        "es": "Inicios de sesión, intentos fallidos, exportaciones, cambios de cuentas y de notas de "
        "coaching, de más reciente a más antiguo.",
    },
    "filter_days": {"en": "Days", "es": "Días"},
    "filter_actor": {"en": "Who (contains)", "es": "Quién (contiene)"},
    "filter_actions": {"en": "Actions", "es": "Acciones"},
    "all_actions": {"en": "All actions", "es": "Todas las acciones"},
    "none_assigned": {"en": "None assigned", "es": "Ninguno asignado"},
    "filter_target": {"en": "What (contains)", "es": "Sobre qué (contiene)"},
    "col_at": {"en": "When", "es": "Cuándo"},
    "col_actor": {"en": "Who", "es": "Quién"},
    "col_action": {"en": "Action", "es": "Acción"},
    "col_target": {"en": "What", "es": "Sobre qué"},
    "col_detail": {"en": "Detail", "es": "Detalle"},
    "audit_count": {
        "en": "{n} events (at most {limit} shown)",
        "es": "{n} eventos (se muestran {limit} como máximo)",
    },
    "audit_empty": {"en": "No event matches these filters.", "es": "Ningún evento coincide con los filtros."},
    "download_csv": {"en": "Download CSV", "es": "Descargar CSV"},
}


def t(key: str, locale: str, **values: object) -> str:
    """The string for `key` in `locale` (English when missing), with `{placeholders}` filled."""
    entry = TEXT[key]
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    return text.format(**values) if values else text
