"""Translation completeness (issue 7): every catalogue module ui/i18n*.py has every key in English
and Spanish with the same {placeholders}; the KPI registry is labelled in both; the keys the app
builds from names (roles, pages, sign-in notices) exist; and no page hard-codes a visible string."""

from __future__ import annotations

import ast
import importlib
import re
import string
from pathlib import Path

import pytest

from models.access import PAGES_BY_ROLE, ROLES
from models.kpis import KPIS
from ui import i18n

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(p.stem for p in (ROOT / "ui").glob("i18n*.py"))
LANGUAGES = ("en", "es")
# Streamlit calls whose first argument is shown to people (labels, titles, messages).
SHOWN = {
    "title", "header", "subheader", "caption", "markdown", "write", "text", "info", "warning", "error",
    "success", "button", "toggle", "checkbox", "radio", "selectbox", "multiselect", "text_input",
    "number_input", "date_input", "slider", "metric", "download_button", "form_submit_button", "tabs",
    "expander", "popover", "badge", "segmented_control", "pills", "link_button", "page_link", "toast",
}  # fmt: skip
LETTERS = re.compile(r"[A-Za-zÁÉÍÓÚáéíóúñÑ]{2,}")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_there_are_catalogues_to_check() -> None:
    assert "i18n" in CATALOGUES and len(CATALOGUES) >= 2


@pytest.mark.parametrize("module", CATALOGUES)
def test_every_key_is_in_both_languages_with_the_same_placeholders(module: str) -> None:
    text = importlib.import_module(f"ui.{module}").TEXT
    assert text, module
    problems = []
    for key, entry in text.items():
        for language in LANGUAGES:
            if not str(entry.get(language) or "").strip():
                problems.append(f"{key}: no {language}")
        if set(entry) - set(LANGUAGES):
            problems.append(f"{key}: unknown language(s) {sorted(set(entry) - set(LANGUAGES))}")
        if all(entry.get(lang) for lang in LANGUAGES) and placeholders(entry["en"]) != placeholders(
            entry["es"]
        ):
            problems.append(
                f"{key}: placeholders differ {placeholders(entry['en'])} vs {placeholders(entry['es'])}"
            )
    assert problems == [], module


def test_the_kpi_registry_is_labelled_in_both_languages() -> None:
    missing = [key for key, kpi in KPIS.items() if not (kpi.label("en").strip() and kpi.label("es").strip())]
    assert missing == []


def test_keys_built_from_names_exist() -> None:
    needed = {f"role_{role}" for role in ROLES}
    needed |= {f"page_{page}" for pages in PAGES_BY_ROLE.values() for page in pages}
    needed |= {f"notice_{n}" for n in ("session_expired", "signed_out", "account_closed")}
    needed |= {f"first_run_{n}" for n in ("no_accounts", "no_admin")}
    assert sorted(needed - set(i18n.TEXT)) == []


def test_a_missing_language_falls_back_to_english_only_at_run_time() -> None:
    assert i18n.t("signin_title", "es") == "Iniciar sesión en Mirador"
    assert i18n.t("signin_title", "fr") == "Sign in to Mirador"


# --- No visible string hard-coded in a page ----------------------------------------------------------


def hard_coded(source: str) -> list[str]:
    """Visible strings written straight into a Streamlit call: a literal (or an f-string's literal
    parts) with words in it as the first argument or as label=/help=/placeholder=."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or getattr(node.func, "attr", None) not in SHOWN:
            continue
        shown = node.args[:1] + [k.value for k in node.keywords if k.arg in ("label", "help", "placeholder")]
        parts = [p for a in shown for p in ([a] if isinstance(a, ast.Constant) else getattr(a, "values", []))]
        words = "".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
        if LETTERS.search(words):
            found.append(f"line {node.lineno}: {words[:40]!r}")
    return found


def test_the_hard_coded_string_check_can_fail() -> None:
    bad = 'st.title("Weekly trends")\nst.button(f"Save {n} rows")\nst.metric(label="Calls", value=3)\n'
    assert len(hard_coded(bad)) == 3
    good = (
        'st.title(t("page", locale))\nst.caption(f"{a} · {b}")\nst.markdown("**" + x + "**")\nst.write(42)\n'
    )
    assert hard_coded(good) == []


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py")) + ["../dashboard.py"])
def test_pages_take_every_visible_string_from_a_catalogue(page: str) -> None:
    assert hard_coded((ROOT / "pages" / page).read_text(encoding="utf-8")) == []


def test_data_in_markdown_is_escaped_or_fenced() -> None:
    assert i18n.plain("*Ana* [x](y) :red[z] <b>") == "\\*Ana\\* \\[x\\]\\(y\\) \\:red\\[z\\] \\<b\\>"
    assert i18n.code("ana@example.com") == "` ana@example.com `"
    assert i18n.code("a`b``c") == "``` a`b``c ```"  # a fence longer than any backtick run inside
    assert i18n.code("two\nlines") == "` two lines `"
