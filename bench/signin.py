"""Benchmarks run pages as the seeded demo director: AppTest sessions are signed in like the tests do."""

from __future__ import annotations

from typing import Any


def signed_in(at: Any, database_url: str) -> Any:
    """Put a signed-in session record for the demo director into an AppTest's session state."""
    from models.access import demo_viewer
    from models.db import make_engine, session_factory
    from ui.auth import SESSION_KEY, session_record

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            viewer = demo_viewer(session=session)
    finally:
        engine.dispose()
    if viewer is None or viewer.user_id is None:
        raise RuntimeError("no demo director in the benchmark database")
    at.session_state[SESSION_KEY] = session_record(viewer.user_id, "bench")
    return at
