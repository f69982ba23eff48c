"""Upload data: load exports from the contact-center platform and survey tools by hand, and see at
once what was loaded, what was already there and what was quarantined (and why)."""

from __future__ import annotations

import streamlit as st

from ui import state, upload
from ui.i18n_upload import t

ctx = state.page_context()
st.title(t("page_upload", ctx.locale))
st.caption(t("intro", ctx.locale))
tabs = st.tabs([t(f"kind_{kind}", ctx.locale) for kind in upload.KINDS])
for tab, kind in zip(tabs, upload.KINDS, strict=True):
    with tab:
        upload.kind_tab(ctx.settings, kind, ctx.locale)
