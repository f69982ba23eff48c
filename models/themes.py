"""Themes in customer comments: an editable Spanish and English keyword lexicon (pains and gains of
an empathy map), matched accent- and case-insensitively, counted per theme.

Matching rule (documented for users who edit the lexicon): a keyword matches whole words
("wait" finds "wait" but not "awaited"); a trailing "*" makes it a prefix ("esper*" finds
"esperé", "esperando"). Where keywords overlap, the longest one found at a position wins and
consumes that text, so "not resolved" counts as a pain and does not also count the gain "resolved".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session, func, select

from models import audit
from models.access import Viewer
from models.coaching import current_role
from models.tables import ThemeKeyword

KINDS = ("pain", "gain")
LANGUAGES = ("es", "en")
KEYWORD_MAX = 60
THEME_MAX = 40
EDITOR_ROLES = frozenset({"admin", "director", "supervisor", "coach"})
_WORD = re.compile(r"\w+")
_WORD_START = re.compile(r"\w")

# (theme, kind, {language: keywords}): the seed written when the table is empty.
DEFAULT_LEXICON: tuple[tuple[str, str, dict[str, tuple[str, ...]]], ...] = (
    ("waiting", "pain", {
        "en": ("wait*", "on hold", "long time", "forever", "slow", "took ages"),
        "es": ("esper*", "tarda", "tardan", "tardaron", "tardó", "demor*", "lento", "lenta",
               "mucho tiempo", "eterna", "eterno"),
    }),
    ("transfers", "pain", {
        "en": ("transfer*", "passed around", "bounced"),
        "es": ("transfer*", "transfir*", "me pasaron", "me pasan", "de un lado a otro"),
    }),
    ("repeat_contact", "pain", {
        "en": ("called again", "call again", "second time", "third time", "call back", "already called",
               "explain everything again"),
        "es": ("otra vez", "de nuevo", "volver a llamar", "segunda vez", "tercera vez", "ya había contactado",
               "repetir*"),
    }),
    ("unresolved", "pain", {
        "en": ("not resolved", "unresolved", "not solved", "not fixed", "still not fixed",
               "still not working", "still does not work", "no solution", "nobody can fix"),
        "es": ("no resolv*", "no lo resolv*", "no me lo resolv*", "no me resolv*", "sin resolver",
               "no solucion*", "no me solucion*", "no lo solucion*", "sin solución", "sigue igual",
               "sigue sin", "sigo sin", "nadie me da una solución", "ninguna solución"),
    }),
    ("attitude", "pain", {
        "en": ("rude", "unfriendly", "impolite", "didn't listen", "did not listen"),
        "es": ("grosero", "grosera", "maleducad*", "borde", "antipátic*", "no escuch*"),
    }),
    ("billing", "pain", {
        "en": ("charge*", "overcharg*", "bill*", "refund*"),
        "es": ("cobr*", "factura*", "reembolso", "devolución"),
    }),
    ("delivery", "pain", {
        "en": ("late", "never showed up", "never arrived", "courier", "where it is"),
        "es": ("llega tarde", "nunca vino", "nunca llegó", "repartidor", "dónde está"),
    }),
    ("order", "pain", {
        "en": ("wrong item", "could not change", "couldn't change"),
        "es": ("artículo equivocado", "no pude modificar", "no pude cambiar"),
    }),
    ("confusing", "pain", {
        "en": ("confus*", "didn't understand", "did not understand", "unclear", "hassle"),
        "es": ("confus*", "no entend*", "no me explic*", "no quedó claro", "un lío"),
    }),
    ("friendly", "gain", {
        "en": ("friendly", "very kind", "polite", "nice", "patient", "lovely", "great service"),
        "es": ("amable", "simpátic*", "educad*", "atent*", "paciente", "buena atención", "trato excelente"),
    }),
    ("fast", "gain", {
        "en": ("quick*", "fast", "no wait", "right away", "few minutes"),
        "es": ("rápid*", "enseguida", "al momento", "sin esperar", "pocos minutos"),
    }),
    ("resolved", "gain", {
        "en": ("resolved", "solved", "fixed", "sorted out", "first time"),
        "es": ("resolv*", "resuelt*", "solucion*", "arreglad*", "a la primera"),
    }),
    ("clear", "gain", {
        "en": ("clear*", "explained", "understood"),
        "es": ("muy claro", "muy clara", "claridad", "explic*", "entend*"),
    }),
)  # fmt: skip


class LexiconError(ValueError):
    """A lexicon edit that cannot be saved; `code` names the reason for the interface."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise(text: str) -> str:
    """Lower case without accents or diacritics (é→e, ñ→n, ü→u), spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _body(keyword: str) -> str:
    """The normalised words of a keyword (without its prefix star)."""
    return normalise(keyword.rstrip("*"))


def _pattern(keyword: str) -> str:
    """Tried only where a word starts; a prefix keyword may run on to the end of the word."""
    body = r"\s+".join(re.escape(word) for word in _body(keyword).split())
    return body + (r"\w*" if keyword.endswith("*") else r"(?!\w)")


@dataclass(frozen=True)
class Lexicon:
    """Compiled keywords, immutable and hashable by their entries (cache-friendly). Keywords are
    grouped by first letter, so a comment costs one short regex attempt per word."""

    entries: tuple[tuple[str, str, str, str], ...]  # (theme, kind, language, keyword)
    kinds: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    _by_initial: dict[str, re.Pattern[str]] = field(
        default_factory=dict, hash=False, compare=False, repr=False
    )
    _groups: dict[str, str] = field(default_factory=dict, hash=False, compare=False, repr=False)


def build_lexicon(entries: Iterable[tuple[str, str, str, str]]) -> Lexicon:
    """Compile (theme, kind, language, keyword) rows; at one position longer keywords win. Keywords
    that do not start with a letter or digit can never match a word start and are left out."""
    rows = tuple(sorted({tuple(e) for e in entries if _WORD_START.match(_body(str(e[3])))}))  # type: ignore[misc]
    kinds = {theme: kind for theme, kind, _lang, _kw in rows}
    by_length = sorted(rows, key=lambda e: (-len(_body(e[3])), e[3]))
    groups: dict[str, str] = {}
    parts: dict[str, list[str]] = {}
    for number, (theme, _kind, _lang, keyword) in enumerate(by_length):
        groups[f"k{number}"] = theme
        parts.setdefault(_body(keyword)[0], []).append(f"(?P<k{number}>{_pattern(keyword)})")
    compiled = {initial: re.compile("|".join(p)) for initial, p in parts.items()}
    return Lexicon(entries=rows, kinds=kinds, _by_initial=compiled, _groups=groups)  # type: ignore[arg-type]


def default_lexicon() -> Lexicon:
    """The built-in lexicon (what an empty table is seeded with)."""
    return build_lexicon(_default_rows())


def _default_rows() -> list[tuple[str, str, str, str]]:
    return [
        (theme, kind, language, keyword)
        for theme, kind, words in DEFAULT_LEXICON
        for language, keywords in words.items()
        for keyword in keywords
    ]


def themes_for(text: str | None, lexicon: Lexicon) -> set[str]:
    """The themes a comment mentions (empty for no text); accents and case do not matter."""
    if not isinstance(text, str) or not text or not lexicon._by_initial:
        return set()
    found, clean, consumed = set(), normalise(text), 0
    for word in _WORD.finditer(clean):
        start = word.start()
        pattern = lexicon._by_initial.get(clean[start]) if start >= consumed else None
        match = pattern.match(clean, start) if pattern is not None else None
        if match is not None:
            found.add(lexicon._groups[match.lastgroup or ""])
            consumed = match.end()
    return found


def theme_counts(texts: Iterable[str | None], lexicon: Lexicon) -> pd.DataFrame:
    """Comments mentioning each theme (a comment counts once per theme): columns theme, kind,
    comments; every lexicon theme is listed, pains first, then by count."""
    counts = dict.fromkeys(lexicon.kinds, 0)
    for text in texts:
        for theme in themes_for(text, lexicon):
            counts[theme] += 1
    frame = pd.DataFrame(
        {
            "theme": list(counts),
            "kind": [lexicon.kinds[t] for t in counts],
            "comments": [int(c) for c in counts.values()],
        }
    )
    frame["kind_order"] = frame["kind"].map(KINDS.index)
    frame = frame.sort_values(["kind_order", "comments", "theme"], ascending=[True, False, True])
    return frame.drop(columns="kind_order").reset_index(drop=True)


# --- The stored lexicon -----------------------------------------------------------------------------


def ensure_default_lexicon(*, session: Session) -> int:
    """Seed the built-in lexicon when the table is empty (never touches an edited one); rows added."""
    if session.exec(select(func.count()).select_from(ThemeKeyword)).one():
        return 0
    rows = _default_rows()
    session.add_all(ThemeKeyword(theme=t, kind=k, language=lang, keyword=kw) for t, k, lang, kw in rows)
    session.flush()
    return len(rows)


def load_lexicon(*, session: Session) -> Lexicon:
    """The lexicon as stored (the built-in one when the table is still empty)."""
    rows = session.exec(
        select(ThemeKeyword.theme, ThemeKeyword.kind, ThemeKeyword.language, ThemeKeyword.keyword)
    ).all()
    return build_lexicon(tuple(r) for r in rows) if rows else default_lexicon()


def lexicon_rows(*, session: Session) -> pd.DataFrame:
    """Every stored keyword with its id (for the editor), by kind, theme, language, keyword."""
    rows = session.exec(select(ThemeKeyword)).all()
    frame = pd.DataFrame(
        [r.model_dump() for r in rows], columns=["id", "theme", "kind", "language", "keyword"]
    )
    return frame.sort_values(["kind", "theme", "language", "keyword"]).reset_index(drop=True)


def can_edit_lexicon(*, session: Session, viewer: Viewer) -> bool:
    """Leaders edit the lexicon (admins, directors, supervisors, coaches); agents do not."""
    return current_role(session=session, viewer=viewer) in EDITOR_ROLES


def _check_editor(session: Session, viewer: Viewer) -> None:
    if not can_edit_lexicon(session=session, viewer=viewer):
        raise LexiconError("not_allowed", f"{viewer.email} may not edit the lexicon")


def add_keyword(
    *, session: Session, viewer: Viewer, theme: str, kind: str, language: str, keyword: str
) -> int:
    """Add one keyword (validated, stored lower case; audited); returns its id."""
    _check_editor(session, viewer)
    theme = "_".join(normalise(theme).split())
    keyword = " ".join(keyword.strip().casefold().split())
    if kind not in KINDS:
        raise LexiconError("bad_kind", f"kind must be one of {KINDS}")
    if language not in LANGUAGES:
        raise LexiconError("bad_language", f"language must be one of {LANGUAGES}")
    if not theme or len(theme) > THEME_MAX:
        raise LexiconError("bad_theme", f"theme must have 1 to {THEME_MAX} characters")
    if not _WORD_START.match(_body(keyword)) or len(keyword) > KEYWORD_MAX:
        raise LexiconError("bad_keyword", f"keyword must have 1 to {KEYWORD_MAX} characters")
    existing_kind = session.exec(select(ThemeKeyword.kind).where(ThemeKeyword.theme == theme)).first()
    if existing_kind is not None and existing_kind != kind:
        raise LexiconError("kind_conflict", f"theme {theme!r} is a {existing_kind}")
    duplicate = session.exec(
        select(ThemeKeyword.id).where(
            ThemeKeyword.theme == theme, ThemeKeyword.language == language, ThemeKeyword.keyword == keyword
        )
    ).first()
    if duplicate is not None:
        raise LexiconError("duplicate", f"{keyword!r} is already in theme {theme!r} ({language})")
    row = ThemeKeyword(theme=theme, kind=kind, language=language, keyword=keyword)
    session.add(row)
    session.flush()
    _audit(session, viewer.email, "lexicon.add", f"{theme}/{language}/{keyword}")
    assert row.id is not None
    return row.id


def remove_keyword(*, session: Session, viewer: Viewer, keyword_id: int) -> None:
    """Delete one keyword (audited); removing the last one of a theme removes the theme."""
    _check_editor(session, viewer)
    row = session.get(ThemeKeyword, keyword_id)
    if row is None:
        raise LexiconError("not_found", f"no keyword {keyword_id}")
    _audit(session, viewer.email, "lexicon.remove", f"{row.theme}/{row.language}/{row.keyword}")
    session.delete(row)
    session.flush()


def _audit(session: Session, actor: str, action: str, target: str) -> None:
    audit.record(session=session, actor=actor, action=action, target=target)
