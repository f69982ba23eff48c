"""Users (admins): every account with its role, state and assignments; add people, change a role,
(de)activate, unlock, set a password, and choose the teams and agents each person sees."""

from __future__ import annotations

import streamlit as st

from ui import state, users_admin
from ui.i18n import t as t_app
from ui.i18n_admin import t

ctx = state.page_context()  # admins only: anyone else is stopped there
locale = ctx.locale
viewer = ctx.viewer
assert viewer is not None
st.title(t_app("page_users", locale))
st.caption(t("users_intro", locale))
users_admin.flash()

frame = users_admin.load_users(ctx.settings, viewer)
people, add, edit = st.tabs([t("tab_people", locale), t("tab_add", locale), t("tab_edit", locale)])
with people:
    users_admin.users_table(frame, ctx.settings, locale)
with add:
    users_admin.add_form(ctx.settings, viewer, locale)
with edit:
    users_admin.editor(ctx.settings, viewer, frame, locale)
