"""The arrows of DESIGN.md, checked by parsing the code: pages -> ui -> models, jobs -> models,
dashboard -> jobs only for the scheduler; SQL only in models/, no KPI math in pages.

Every rule checks whatever files exist, so a folder still being written is not a failure; the
checkers themselves are tested on small snippets so that each rule is known to be able to fail.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# App code that must hold no SQL (bench/ administers databases, tests/ build fixtures).
APP_OUTSIDE_MODELS = ("dashboard.py", "pages", "ui", "jobs")
PAGE_THIRD_PARTY = {"streamlit", "plotly", "pandas"}
PAGE_MODELS_ALLOWED = {"models.settings", "models.access"}
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "union", "join", "literal_column"}
SQL_LIBRARIES = ("sqlalchemy", "sqlmodel", "psycopg", "sqlite3")
SESSION_CALLS = {"exec", "execute", "exec_driver_sql", "executemany", "scalars", "scalar"}
PAGE_SQL_CALLS = {"select", "text"}
PAGE_KPI_METHODS = {"groupby", "mean", "sum"}
SQL_TEXT = re.compile(
    r"\bSELECT\s|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|ALTER|DROP)\s+TABLE\b"
)


# --- Parsing helpers ------------------------------------------------------------------------------


def python_files(relative: str) -> list[Path]:
    """Every .py file under a folder (or the one file) of the repo; empty if it does not exist yet."""
    target = ROOT / relative
    if target.is_file():
        return [target]
    if not target.is_dir():
        return []
    return sorted(p for p in target.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts)


def module_name(path: Path) -> str:
    """Dotted name of a file; a package's __init__ keeps its "__init__" so relative imports resolve."""
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imported_modules(tree: ast.AST, importer: str) -> set[str]:
    """Absolute names of every module imported anywhere in the tree (lazy imports included).

    `from pkg import name` on a top-level package counts as pkg.name (so `from models import
    queries` is models.queries); relative imports are resolved against `importer`.
    """
    found: set[str] = set()
    package_parts = importer.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package_parts[: len(package_parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [alias.name for alias in node.names if alias.name != "*"]
            if not names or ("." in base and not (node.level and not node.module)):
                found.add(base)
            else:
                found.update(f"{base}.{name}" for name in names)
    return found


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def top(module: str) -> str:
    return module.split(".", 1)[0]


def docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


# --- Rule checkers (each returns human-readable violations) ---------------------------------------


def forbidden_imports(tree: ast.AST, importer: str, forbidden_tops: set[str]) -> list[str]:
    return sorted(m for m in imported_modules(tree, importer) if top(m) in forbidden_tops)


def page_import_violations(tree: ast.AST, importer: str) -> list[str]:
    """Pages import the standard library, streamlit/plotly/pandas, ui, and from models only the
    settings and access types."""
    bad = []
    for module in imported_modules(tree, importer):
        first = top(module)
        if first in sys.stdlib_module_names or first == "__future__" or first in PAGE_THIRD_PARTY:
            continue
        if first == "ui" or any(module == ok or module.startswith(ok + ".") for ok in PAGE_MODELS_ALLOWED):
            continue
        bad.append(module)
    return sorted(bad)


def called_names(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """(name, line, is_method) for every call: f(...) gives (f, line, False), x.m(...) (m, line, True)."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                calls.append((node.func.id, node.lineno, False))
            elif isinstance(node.func, ast.Attribute):
                calls.append((node.func.attr, node.lineno, True))
    return calls


def page_code_violations(tree: ast.AST) -> list[str]:
    """No query building or execution and no KPI math (group-by, mean, sum) in a page."""
    bad = []
    for name, line, is_method in called_names(tree):
        if not is_method and name in PAGE_SQL_CALLS:
            bad.append(f"line {line}: {name}(...) builds SQL")
        if is_method and name in SESSION_CALLS:
            bad.append(f"line {line}: .{name}(...) runs SQL")
        if is_method and name in PAGE_KPI_METHODS:
            bad.append(f"line {line}: .{name}(...) is KPI math (use models.metrics)")
    return bad


def sql_code_violations(tree: ast.AST, importer: str) -> list[str]:
    """Outside models/: no SQL statement builders imported, no session/connection execute calls."""
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if top(node.module) in SQL_LIBRARIES:
                names = sorted(a.name for a in node.names if a.name in SQL_BUILDERS)
                if names:
                    bad.append(f"line {node.lineno}: imports {names} from {node.module}")
    for module in imported_modules(tree, importer):
        if top(module) == "sqlite3" or module.startswith("sqlalchemy.dialects"):
            bad.append(f"imports {module}")
    bad.extend(
        f"line {line}: .{name}(...) runs SQL"
        for name, line, m in called_names(tree)
        if m and name in SESSION_CALLS
    )
    return bad


def sql_text_violations(tree: ast.AST) -> list[str]:
    """String literals (docstrings aside) that read like SQL statements."""
    docstrings = docstring_nodes(tree)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if SQL_TEXT.search(node.value):
                bad.append(f"line {node.lineno}: {node.value[:60]!r}")
    return bad


def navigation_pages(tree: ast.AST) -> list[str]:
    """Every "pages/....py" string in dashboard.py (the explicit st.navigation list)."""
    return sorted(
        {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"pages/[\w./-]+\.py", node.value)
        }
    )


# --- The checkers can fail (synthetic snippets) ---------------------------------------------------


def test_forbidden_imports_sees_lazy_relative_and_from_imports() -> None:
    source = (
        "import os\ndef f():\n    import streamlit as st\n"
        "from jobs.refresh import run\nfrom ..ui import charts\n"
    )
    found = forbidden_imports(ast.parse(source), "models.sub.mod", {"streamlit", "jobs", "ui"})
    assert found == ["jobs.refresh", "streamlit"]
    relative = imported_modules(ast.parse("from ..ui import charts\nfrom . import x\n"), "models.sub.mod")
    assert relative == {"models.ui", "models.sub.x"}
    assert forbidden_imports(ast.parse("import os\nimport pandas\n"), "models.x", {"streamlit"}) == []


def test_page_import_rule_allows_settings_and_access_only() -> None:
    good = (
        "from __future__ import annotations\nimport datetime\nimport streamlit as st\n"
        "import plotly.express as px\nimport pandas as pd\nfrom ui import charts\n"
        "from models.settings import get_settings\nfrom models import access\n"
    )
    assert page_import_violations(ast.parse(good), "pages.live_team") == []
    bad = "from models.queries import kpis\nimport sqlalchemy\nfrom jobs import refresh\nimport models\n"
    assert page_import_violations(ast.parse(bad), "pages.live_team") == [
        "jobs.refresh",
        "models",
        "models.queries",
        "sqlalchemy",
    ]


def test_page_code_rule_flags_sql_and_kpi_math_but_not_widgets() -> None:
    good = "import streamlit as st\nchoice = st.multiselect('q', [])\nst.text('x')\nst.selectbox('a', [])\n"
    assert page_code_violations(ast.parse(good)) == []
    bad = "rows = session.exec(select(Contact))\nsl = df.groupby('q').sum()\nm = df.x.mean()\n"
    assert len(page_code_violations(ast.parse(bad))) == 5


def test_sql_rules_flag_statements_and_builders_not_prose() -> None:
    assert (
        sql_text_violations(ast.parse("q = 'SELECT id FROM contact'\nw = 'INSERT INTO x VALUES (1)'\n")) != []
    )
    prose = '"""Builds the SELECT used by models."""\nlabel = "Select a team"\nmsg = "update the filters"\n'
    assert sql_text_violations(ast.parse(prose)) == []
    code = "from sqlalchemy import select, func\nfrom sqlalchemy.engine import Engine\nconn.execute(x)\n"
    assert len(sql_code_violations(ast.parse(code), "jobs.x")) == 2
    assert sql_code_violations(ast.parse("from sqlalchemy.engine import Engine\n"), "jobs.x") == []


def test_navigation_pages_reads_page_paths() -> None:
    source = (
        "st.navigation([st.Page('pages/live_team.py'), st.Page(\"pages/data_health.py\")])\nx = 'ui/a.py'\n"
    )
    assert navigation_pages(ast.parse(source)) == ["pages/data_health.py", "pages/live_team.py"]


# --- The rules on the real code -------------------------------------------------------------------


def _violations(files: list[Path], check) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for path in files:
        tree = parse(path)
        found.extend(f"{path.relative_to(ROOT)}: {v}" for v in check(tree, module_name(path)))
    return found


def test_models_import_neither_streamlit_nor_jobs_nor_ui_nor_pages() -> None:
    forbidden = {"streamlit", "jobs", "ui", "pages", "dashboard"}
    assert _violations(python_files("models"), lambda t, m: forbidden_imports(t, m, forbidden)) == []


# The one exception: the upload page loads files through jobs.sources.files, the loader behind
# `mirador ingest` and the scheduled source jobs, so an upload is deduplicated, quarantined and
# refreshed exactly like any other load (a page-only copy of that path would drift from it).
UI_JOB_IMPORTS = {"ui.upload": {"jobs.sources.files"}}


def test_ui_imports_neither_jobs_nor_pages() -> None:
    forbidden = {"jobs", "pages", "dashboard"}

    def check(tree: ast.AST, module: str) -> list[str]:
        allowed = UI_JOB_IMPORTS.get(module, set())
        return [m for m in forbidden_imports(tree, module, forbidden) if m not in allowed]

    assert _violations(python_files("ui"), check) == []


def test_jobs_import_neither_streamlit_nor_ui_nor_pages() -> None:
    forbidden = {"streamlit", "ui", "pages", "dashboard"}
    assert _violations(python_files("jobs"), lambda t, m: forbidden_imports(t, m, forbidden)) == []


def test_pages_import_only_streamlit_plotly_pandas_ui_and_model_types() -> None:
    assert _violations(python_files("pages"), page_import_violations) == []


def test_pages_hold_no_sql_and_no_kpi_math() -> None:
    assert _violations(python_files("pages"), lambda t, _m: page_code_violations(t)) == []


def test_dashboard_imports_jobs_only_to_start_the_scheduler() -> None:
    allowed = {"jobs", "jobs.scheduler"}

    def check(tree: ast.AST, module: str) -> list[str]:
        return sorted(
            m
            for m in imported_modules(tree, module)
            if top(m) == "jobs" and m not in allowed and not m.startswith("jobs.scheduler.")
        )

    assert _violations(python_files("dashboard.py"), check) == []


def test_no_sql_outside_models() -> None:
    files = [p for rel in APP_OUTSIDE_MODELS for p in python_files(rel)]
    assert _violations(files, sql_code_violations) == []


def test_no_sql_text_outside_models() -> None:
    files = [p for rel in (*APP_OUTSIDE_MODELS, "bench") for p in python_files(rel)]
    assert _violations(files, lambda t, _m: sql_text_violations(t)) == []


def test_dashboard_navigation_lists_every_page_and_only_real_ones() -> None:
    dashboard = ROOT / "dashboard.py"
    pages = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")
    if not dashboard.is_file():
        if pages:
            pytest.skip("dashboard.py not written yet")
        return
    listed = navigation_pages(parse(dashboard))
    assert [p for p in listed if not (ROOT / p).is_file()] == [], "listed in dashboard.py but missing"
    assert [p for p in pages if p not in listed] == [], "pages/ files missing from st.navigation"
