"""The Progress page over many stored sessions: grades are read from the store, never recomputed.

Builds a SQLite database with N finished sessions, each with a stored grade (one real Grade of a
dev-set transcript, copied), then times the Progress page cold and warm through Streamlit's
AppTest. Prints figures; asserts nothing.

    .venv/bin/python -m benchmarks.bench_progress [N ...]     (default: 1000 5000)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(path: Path, n: int) -> None:
    from evals import devset
    from simulator.content.library import load_library
    from simulator.core.transcript import Turn
    from simulator.grading.grader import grade_key
    from simulator.storage import GradeRecord, SessionRow, open_store
    from simulator.storage.sql import SQLStore

    lib = load_library()
    dev, _ = devset.load_all(lib)
    rows = [r for r in dev if r.transcript.item in lib.items][:20]
    store = open_store(str(path))
    assert isinstance(store, SQLStore)
    from simulator.grading.grader import grade

    graded = []
    for r in rows:
        item = lib.items[r.transcript.item]
        g = grade(r.transcript, item, engine="semantic", library=lib)
        graded.append((r, item, g))
    for k in range(n):
        r, item, g = graded[k % len(graded)]
        sid = f"bench{k:06d}"
        store.create(SessionRow(id=sid, item_id=item.id, items=[item.id], variant=r.transcript.variant, status="finished",
                                created_at=f"2026-{1 + k % 12:02d}-{1 + k % 28:02d}T10:{k % 60:02d}:00.000+00:00"))
        store.add_turn(sid, Turn(speaker="candidate", text="(bench)"))
        engine, versions = grade_key(item, r.transcript.variant, "semantic")
        store.put_grade(GradeRecord(session_id=sid, item_id=item.id, engine=engine, versions=f"{versions}|turns=1",
                                    rating=g.rating, grade=g.model_dump(mode="json")))
    store.close()


def time_page(db: Path) -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["MOCKPANEL_DB"] = str(db)
    os.environ["MOCKPANEL_GRADER_MODEL"] = ""
    from simulator.core.settings import reset_settings

    reset_settings()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    # The first page starts background warm-up (litellm import, model load); let it finish so the
    # figure is the Progress page's own cost, not the two sharing 2 cores.
    import threading

    for t in threading.enumerate():
        if t.name.startswith("mockpanel-warm"):
            t.join(timeout=120)
    started = time.perf_counter()
    at.switch_page("simulator/app/pages/progress.py").run()
    cold = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"progress page failed: {[e.value for e in at.exception]}")
    started = time.perf_counter()
    at.run()
    warm = time.perf_counter() - started
    return cold, warm


def main(argv: list[str] | None = None) -> None:
    sizes = [int(a) for a in (argv if argv is not None else sys.argv[1:]) if a.isdigit()] or [1000, 5000]
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            t0 = time.perf_counter()
            build(db, n)
            built = time.perf_counter() - t0
            cold, warm = time_page(db)
            print(f"progress page, {n} stored sessions: first load {cold:.2f}s, reload {warm:.2f}s (database built in {built:.1f}s)")


if __name__ == "__main__":
    main()
