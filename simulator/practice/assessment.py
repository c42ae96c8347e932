"""A session's grades, stored: graded item by item once, read back after that.

A grade is kept per (session, item, engine, versions). Feedback, Progress and the terminal read
the stored grade; a session is graded again only when its rubric or the engine (code,
thresholds, prompt, model) has changed since, or when its transcript has grown since the grade
(an unfinished session graded, then resumed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.content.library import Library
from simulator.content.rubric import Item
from simulator.core.transcript import Transcript
from simulator.grading import grader
from simulator.grading.verdict import Grade
from simulator.storage import GradeRecord, Store


@dataclass
class Assessed:
    """One item of a session: its part of the transcript, its grade, and whether it was stored already."""

    item: Item
    transcript: Transcript
    grade: Grade
    stored: bool


def assess(store: Store, session_id: str, lib: Library, *, user_id: str | None = None, engine: str | None = None,
           ledger: Any = None, regrade: bool = False) -> list[Assessed]:
    """Every item of the session, graded (from the store when the stored grade is current)."""
    row = store.get(session_id, user_id)
    transcript = store.transcript(session_id)
    out: list[Assessed] = []
    for part in transcript.per_item():
        item = lib.item(part.item)
        name, versions = grader.grade_key(item, part.variant, engine)
        versions = f"{versions}|turns={row.turns}"
        record = None if regrade else store.grade(session_id, item.id, name, versions)
        if record is not None:
            out.append(Assessed(item, part, Grade.model_validate(record.grade), True))
            continue
        g = grader.grade(part, item, engine=name, ledger=ledger, library=lib)
        store.put_grade(GradeRecord(session_id=session_id, item_id=item.id, engine=name, versions=versions,
                                    rating=g.rating, grade=g.model_dump(mode="json"), user_id=row.user_id))
        out.append(Assessed(item, part, g, False))
    return out


def stored_grades(store: Store, user_id: str | None) -> dict[tuple[str, str], dict[str, Any]]:
    """(session id, item id) -> the newest stored grade as its JSON (rating, indicators with id,
    text, polarity and present...), for the Progress page: no grading and no model validation, so
    thousands of sessions load in a blink."""
    return {(r.session_id, r.item_id): r.grade for r in store.grades(user_id)}
