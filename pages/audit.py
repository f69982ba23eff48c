"""Audit trail (admins): who signed in or failed to, who exported what, which accounts and coaching
notes changed; filter by period, person, action and subject, and download the result."""

from __future__ import annotations

import streamlit as st

from ui import audit_log, state
from ui.i18n import t as t_app
from ui.i18n_admin import t

ctx = state.page_context()  # admins only: anyone else is stopped there
locale = ctx.locale
viewer = ctx.viewer
assert viewer is not None
st.title(t_app("page_audit", locale))
st.caption(t("audit_intro", locale))

chosen = audit_log.filters(ctx.settings, viewer, locale)
events = audit_log.load_events(ctx.settings, viewer, chosen)
audit_log.events_table(events, locale)
audit_log.download(ctx.settings, viewer, events, locale)
