"""Interviewer calibration: ratings of sample transcripts, kept to measure agreement over time.

An interviewer rates a sample (each indicator present or not, and the overall rating); we keep
that next to the sample's reference rating and the grader's, in the sessions database (own
table, created on first use), so agreement with the reference and with other interviewers can
be followed across visits. The agreement figures come from `simulator.calibration.agreement`, the same functions
the grader's evals report.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calibration_ratings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rater       TEXT NOT NULL,
    sample_id   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    rating      TEXT NOT NULL,
    indicators  TEXT NOT NULL DEFAULT '{}',
    reference   TEXT,
    grader      TEXT,
    created_at  TEXT NOT NULL
)
"""


@dataclass
class CalibrationRating:
    rater: str
    sample_id: str
    item_id: str
    rating: str
    indicators: dict[str, bool] = field(default_factory=dict)
    reference: str | None = None
    grader: str | None = None
    created_at: str = ""


class CalibrationLog:
    """The ratings table; one connection per thread, like the session store."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as con:
            con.execute(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=10)
            self._local.con = con
        return con

    def add(self, r: CalibrationRating) -> CalibrationRating:
        r.created_at = r.created_at or datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._conn() as con:
            con.execute(
                "INSERT INTO calibration_ratings(rater, sample_id, item_id, rating, indicators, reference, grader, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (r.rater, r.sample_id, r.item_id, r.rating, json.dumps(r.indicators), r.reference, r.grader, r.created_at),
            )
        return r

    def all(self) -> list[CalibrationRating]:
        rows = self._conn().execute(
            "SELECT rater, sample_id, item_id, rating, indicators, reference, grader, created_at"
            " FROM calibration_ratings ORDER BY created_at, id"
        ).fetchall()
        return [CalibrationRating(a, b, c, d, json.loads(e), f, g, h) for a, b, c, d, e, f, g, h in rows]

    def by(self, rater: str) -> list[CalibrationRating]:
        return [r for r in self.all() if r.rater == rater]


def agreement_over_time(ratings: list[CalibrationRating]) -> list[dict[str, Any]]:
    """After each of a rater's ratings: exact agreement and Cohen's kappa with the reference so far."""
    from simulator.calibration.agreement import cohen_kappa, exact_agreement

    out: list[dict[str, Any]] = []
    mine: list[str] = []
    ref: list[str] = []
    for n, r in enumerate(ratings, 1):
        if r.reference is None:
            continue
        mine.append(r.rating)
        ref.append(r.reference)
        out.append({
            "rating #": n,
            "at": r.created_at,
            "exact agreement": exact_agreement(mine, ref),
            "kappa": cohen_kappa(mine, ref),
        })
    return out


def agreement_with_others(rater: str, ratings: list[CalibrationRating]) -> list[dict[str, Any]]:
    """Per other interviewer: agreement on the samples both rated (each one's latest rating)."""
    from simulator.calibration.agreement import cohen_kappa, exact_agreement

    latest: dict[str, dict[str, str]] = {}
    for r in ratings:  # in time order, so later ratings win
        latest.setdefault(r.rater, {})[r.sample_id] = r.rating
    mine = latest.get(rater, {})
    out: list[dict[str, Any]] = []
    for other, theirs in sorted(latest.items()):
        if other == rater:
            continue
        shared = sorted(set(mine) & set(theirs))
        if not shared:
            continue
        a = [mine[s] for s in shared]
        b = [theirs[s] for s in shared]
        out.append({"interviewer": other, "samples": len(shared), "exact agreement": exact_agreement(a, b), "kappa": cohen_kappa(a, b)})
    return out
