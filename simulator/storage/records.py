"""What crosses the storage boundary, and the Protocol every backend implements.

A backend (`simulator.storage.sqlite`, `simulator.storage.postgres`) stores four things, each
owned by a user: sessions, their turns, grades (one per session, item, engine and versions) and
interviewers' calibration ratings. `open_store(url)` in `simulator.storage` picks the backend.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from simulator.core.errors import UserError
from simulator.core.transcript import Transcript, Turn

#: The one profile of a laptop install: no login, everything is this user's.
LOCAL_USER = "local"


class StoreError(UserError):
    """The session database cannot be used; the message says which database and what to do."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class SessionRow:
    """A session's row: everything needed to rebuild the director and finish the pending replies."""

    id: str
    item_id: str
    round_id: str | None = None
    items: list[str] = field(default_factory=list)
    variant: str | None = None
    level: str | None = None
    seed: int = 0
    status: str = "active"
    created_at: str = ""
    updated_at: str = ""
    elapsed_s: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    user_id: str = LOCAL_USER
    turns: int = 0


@dataclass
class GradeRecord:
    """A stored grade: `grade` is the Grade as JSON; `versions` is the key that changes when the
    rubric, the engine, its prompt or its model changes (then the session is graded again)."""

    session_id: str
    item_id: str
    engine: str
    versions: str
    rating: str
    grade: dict[str, Any]
    user_id: str = LOCAL_USER
    created_at: str = ""


@dataclass
class CalibrationRating:
    """An interviewer's rating of a calibration sample, next to the reference and the grader's."""

    rater: str
    sample_id: str
    item_id: str
    rating: str
    indicators: dict[str, bool] = field(default_factory=dict)
    reference: str | None = None
    grader: str | None = None
    created_at: str = ""
    user_id: str = LOCAL_USER


def versions_key(versions: dict[str, str]) -> str:
    """A stable key for a grade's version stamp (engine, model, prompt, rubric)."""
    return json.dumps(versions, sort_keys=True, separators=(",", ":"))


class Store(Protocol):
    """The storage seam. Every method that lists takes a `user_id` and sees only that user's rows."""

    url: str

    # sessions and turns
    def create(self, row: SessionRow) -> SessionRow: ...
    def get(self, session_id: str, user_id: str | None = None) -> SessionRow: ...
    def find(self, prefix: str, user_id: str | None = None) -> SessionRow: ...
    def list(self, user_id: str | None = None) -> list[SessionRow]: ...
    def damaged(self, user_id: str | None = None) -> Sequence[StoreError]: ...
    def delete(self, session_id: str) -> None: ...
    def update(self, session_id: str, **fields: Any) -> None: ...
    def add_turn(self, session_id: str, turn: Turn, **fields: Any) -> int: ...
    def acquire(self, session_id: str, holder: str, ttl_s: float = ...) -> None: ...
    def release(self, session_id: str, holder: str) -> None: ...
    def turns(self, session_id: str) -> builtins.list[Turn]: ...
    def transcript(self, session_id: str) -> Transcript: ...

    # grades
    def put_grade(self, record: GradeRecord) -> GradeRecord: ...
    def grade(self, session_id: str, item_id: str, engine: str, versions: str) -> GradeRecord | None: ...
    def grades(self, user_id: str | None = None, session_id: str | None = None) -> builtins.list[GradeRecord]: ...

    # calibration
    def add_rating(self, rating: CalibrationRating) -> CalibrationRating: ...
    def ratings(self, user_id: str | None = None) -> builtins.list[CalibrationRating]: ...

    def version(self) -> int: ...
    def close(self) -> None: ...
