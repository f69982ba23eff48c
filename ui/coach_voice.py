"""What customers said, on the coach's page: the agent's survey answers (lowest scores first,
filterable by CSAT and touchpoint), the themes of their comments (pains and gains) and the editor of
the keyword lexicon. Comments are shown with st.dataframe only (plain text, never HTML)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from models import themes, voice
from ui import charts_coach, coach
from ui.i18n_coach import t, theme_label
from ui.state import PageContext

CHART_CONFIG = {"displaylogo": False}


def _answers_display(answers: pd.DataFrame, locale: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("col_when", locale): [a.strftime("%Y-%m-%d %H:%M") for a in answers["offered_at"]],
            t("col_touchpoint", locale): answers["touchpoint"].fillna("—"),
            "CSAT": answers["csat"],
            "CES": answers["ces"],
            "NPS": answers["nps"],
            t("col_comment", locale): answers["verbatim"].fillna(""),
            t("col_themes", locale): [
                ", ".join(theme_label(x, locale) for x in th) for th in answers["themes"]
            ],
        }
    )


def voice_section(ctx: PageContext, agent: pd.Series, start: date, end: date) -> None:
    """The agent's survey answers, lowest scores first, filterable by CSAT and touchpoint, and the
    themes of their comments (pains and gains)."""
    locale, agent_id = ctx.locale, int(agent["id"])
    everything = coach.load_answers(ctx.settings, ctx.viewer, agent_id, start, end, (), (), ctx.version)
    if everything.empty:
        st.caption(t("no_answers", locale))
    else:
        options = voice.touchpoint_options(everything)
        names = dict(zip(options["touchpoint_id"].astype(int), options["touchpoint"], strict=True))
        csat_col, tp_col = st.columns(2)
        csat = csat_col.multiselect(t("csat_filter", locale), [1, 2, 3, 4, 5], key="coach_csat")
        tps = tp_col.multiselect(
            t("touchpoint_filter", locale), list(names), key="coach_touchpoints", format_func=names.get
        )
        answers = everything
        if csat or tps:
            answers = coach.load_answers(
                ctx.settings,
                ctx.viewer,
                agent_id,
                start,
                end,
                tuple(sorted(csat)),
                tuple(sorted(tps)),
                ctx.version,
            )
        st.caption(t("answers_count", locale, n=len(answers)))
        st.dataframe(_answers_display(answers, locale), hide_index=True, key="coach_answers")
        lexicon = coach.load_lexicon(ctx.settings, ctx.version)
        counts = voice.answer_themes(answers, lexicon)
        labels = {theme: theme_label(theme, locale) for theme in counts["theme"]}
        st.plotly_chart(
            charts_coach.themes_figure(counts, labels=labels, locale=locale),
            key="coach_themes",
            config=CHART_CONFIG,
        )
    with st.expander(t("lexicon_title", locale)):
        lexicon_editor(ctx)


def lexicon_editor(ctx: PageContext) -> None:
    """The keyword lexicon: list, add, remove (validated and audited in models.themes)."""
    locale = ctx.locale
    st.caption(t("lexicon_help", locale))
    problem = st.session_state.pop("coach_lex_error", None)
    if problem:
        st.error(t(f"lex_err_{problem}", locale))
    rows = coach.load_lexicon_rows(ctx.settings)
    if rows.empty:
        rows = pd.DataFrame(
            themes.default_lexicon().entries, columns=["theme", "kind", "language", "keyword"]
        )
    st.dataframe(rows.drop(columns=["id"], errors="ignore"), hide_index=True, key="coach_lexicon")
    with st.form("coach_lexicon_add", clear_on_submit=True):
        theme_col, kind_col, lang_col, word_col = st.columns(4)
        theme_col.text_input(t("lex_theme", locale), key="coach_lex_theme")
        kind_col.selectbox(
            t("lex_kind", locale),
            themes.KINDS,
            key="coach_lex_kind",
            format_func=lambda k: t(f"kind_{k}", locale),
        )
        lang_col.selectbox(t("lex_language", locale), themes.LANGUAGES, key="coach_lex_language")
        word_col.text_input(t("lex_keyword", locale), key="coach_lex_keyword")
        st.form_submit_button(t("lex_add", locale), key="coach_lex_add", on_click=_add_keyword, args=(ctx,))
    if "id" in rows.columns and not rows.empty:
        label = {int(r.id): f"{r.theme} · {r.language} · {r.keyword}" for r in rows.itertuples()}
        st.selectbox(
            t("lex_remove", locale), list(label), index=None, key="coach_lex_remove", format_func=label.get
        )
        st.button(
            t("lex_remove_button", locale),
            key="coach_lex_remove_button",
            on_click=_remove_keyword,
            args=(ctx,),
        )


def _add_keyword(ctx: PageContext) -> None:
    state = st.session_state
    _lexicon_write(
        ctx,
        theme=state.get("coach_lex_theme", ""),
        kind=state.get("coach_lex_kind", "pain"),
        language=state.get("coach_lex_language", "es"),
        keyword=state.get("coach_lex_keyword", ""),
    )


def _remove_keyword(ctx: PageContext) -> None:
    chosen = st.session_state.get("coach_lex_remove")
    if chosen is not None:
        _lexicon_write(ctx, remove_id=int(chosen))
        st.session_state["coach_lex_remove"] = None


def _lexicon_write(ctx: PageContext, **change: Any) -> None:
    """Callbacks run before the script, so the page reads the lexicon after the edit."""
    try:
        coach.edit_lexicon(ctx.settings, ctx.viewer, **change)
    except themes.LexiconError as exc:
        st.session_state["coach_lex_error"] = exc.code
