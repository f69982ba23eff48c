"""The theme matcher: accent- and case-insensitive, whole words or prefixes, longest keyword wins,
and per-theme comment counts (pains and gains)."""

from __future__ import annotations

import math

import pytest

from models.themes import (
    DEFAULT_LEXICON,
    KINDS,
    LANGUAGES,
    build_lexicon,
    default_lexicon,
    normalise,
    theme_counts,
    themes_for,
)

SMALL = build_lexicon(
    [
        ("waiting", "pain", "en", "wait*"),
        ("waiting", "pain", "es", "esper*"),
        ("waiting", "pain", "en", "on hold"),
        ("unresolved", "pain", "en", "not resolved"),
        ("resolved", "gain", "en", "resolved"),
        ("fast", "gain", "es", "rápid*"),
        ("fast", "gain", "es", "sin esperar"),
        ("friendly", "gain", "en", "kind"),
        ("confusing", "pain", "en", "didn't understand"),
    ]
)


def test_normalise_drops_accents_case_and_extra_spaces() -> None:
    assert normalise("  Esperé  MUCHÍSIMO, ñandú Über ") == "espere muchisimo, nandu uber"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ESPERÉ media hora", {"waiting"}),  # accents and case do not matter
        ("Lo resolvió RAPIDÍSIMO", {"fast"}),  # prefix keyword with an accent, text without
        ("I was kept on   hold", {"waiting"}),  # a phrase across several spaces
        ("I waited and waited", {"waiting"}),
        ("My issue was awaited", set()),  # whole words only: "wait*" is not inside "awaited"
        ("What kind of service is this", {"friendly"}),  # the matcher is literal; the lexicon decides
        ("Kindly ignore", set()),  # a non-prefix keyword needs the whole word
        ("It is not resolved", {"unresolved"}),  # the longer keyword consumes "resolved"
        ("Resolved, thanks", {"resolved"}),
        ("Atendieron sin esperar", {"fast"}),  # "sin esperar" beats "esper*"
        ("I didn’t understand a thing", {"confusing"}),  # curly apostrophe
        ("", set()),
        (None, set()),
    ],
)
def test_themes_for(text: str | None, expected: set[str]) -> None:
    assert themes_for(text, SMALL) == expected


def test_themes_for_ignores_missing_values_from_dataframes() -> None:
    assert themes_for(math.nan, SMALL) == set()  # type: ignore[arg-type]


def test_theme_counts_count_each_comment_once_per_theme_and_list_every_theme() -> None:
    texts = ["wait, wait and wait", "esperé, pero rápido", None, "not resolved", "resolved"]
    counts = theme_counts(texts, SMALL)
    by_theme = dict(zip(counts["theme"], counts["comments"], strict=True))
    assert by_theme == {
        "waiting": 2,  # the first comment counts once although it says "wait" three times
        "unresolved": 1,
        "confusing": 0,
        "fast": 1,
        "resolved": 1,
        "friendly": 0,
    }
    assert list(counts["kind"]) == ["pain"] * 3 + ["gain"] * 3  # pains first, then by count
    assert list(counts["theme"][:3]) == ["waiting", "unresolved", "confusing"]


def test_empty_lexicon_finds_nothing() -> None:
    empty = build_lexicon([])
    assert themes_for("wait", empty) == set()
    assert theme_counts(["wait"], empty).empty


def test_default_lexicon_has_both_languages_for_every_theme() -> None:
    for theme, kind, words in DEFAULT_LEXICON:
        assert kind in KINDS, theme
        assert set(words) == set(LANGUAGES), theme
        assert all(words[lang] for lang in LANGUAGES), theme
    lexicon = default_lexicon()
    assert themes_for("Me tuvieron esperando y no lo resolvieron", lexicon) == {"waiting", "unresolved"}
    assert themes_for("Very friendly agent, solved it quickly", lexicon) == {"friendly", "resolved", "fast"}
    assert themes_for("Buenas tardes", lexicon) == set()  # "tardes" is a greeting, not a delay


def test_lexicon_is_hashable_and_equal_by_entries() -> None:
    again = build_lexicon(reversed(SMALL.entries))
    assert again == SMALL and hash(again) == hash(SMALL)
