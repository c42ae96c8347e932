"""The calibration library: sample transcripts with reference ratings, for interviewers to rate.

Samples live in `evals/data/calibration/*.jsonl` in the dataset row format (so the eval runner can
grade them too): the transcript came from a simulated candidate and the `gold` labels were
reviewed by reading the transcript as an interviewer would. Interviewer ratings are kept in the
sessions database (the `calibration_ratings` table of `simulator.calibration.log`), and agreement is
computed with `evals.metrics`, the same code that measures the grader.

    samples(item_id=None) -> list[Sample]
    record_rating(interviewer, sample_id, indicators, rating)
    agreement(interviewer=None) -> {"with_reference": {...}, "between": [...]}
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from evals import metrics as M
from simulator.content.rubric import RATINGS
from simulator.core.errors import InputError
from simulator.core.transcript import Transcript

CALIBRATION_DIR = Path(__file__).resolve().parent / "data" / "calibration"


class Reference(BaseModel):
    model_config = ConfigDict(extra="allow")

    indicators: dict[str, bool]
    rating: str


class Sample(BaseModel):
    """One sample transcript and its reviewed reference labels."""

    model_config = ConfigDict(extra="allow")

    id: str
    item: str
    level: str | None = None
    family: str | None = None
    profile: str | None = None
    transcript: Transcript
    reference: Reference
    notes: str = ""


def samples(item_id: str | None = None, *, root: str | Path | None = None) -> list[Sample]:
    """Every sample (of one item, if given), weakest reference first within an item."""
    from evals.runner import load_rows

    root = Path(root) if root is not None else CALIBRATION_DIR
    if not root.exists() or not any(root.glob("*.jsonl")):
        return []
    out: list[Sample] = []
    for row in load_rows(root):
        extra = row.model_extra or {}
        profile = extra.get("profile") or row.transcript.metadata.get("candidate")
        s = Sample(id=row.id, item=row.transcript.item, level=row.level, family=row.family,
                   profile=profile, transcript=row.transcript,
                   reference=Reference(indicators=row.gold.indicators, rating=row.gold.rating),
                   notes=str(extra.get("note") or extra.get("notes") or ""))
        if item_id is None or s.item == item_id:
            out.append(s)
    order = {r: n for n, r in enumerate(M.RATING_ORDER)}
    out.sort(key=lambda s: (s.item, order.get(s.reference.rating, 9), s.id))
    return out


def sample(sample_id: str, *, root: str | Path | None = None) -> Sample:
    for s in samples(root=root):
        if s.id == sample_id:
            return s
    raise InputError("<calibration>", None, "sample", f"no calibration sample {sample_id!r}")


def _log(db: str | Path | None) -> Any:
    """The store that keeps the ratings (the sessions database unless `db` names another)."""
    from simulator.storage import open_store

    return open_store(str(db) if db is not None else None)


def record_rating(interviewer: str, sample_id: str, indicators: dict[str, bool], rating: str, *,
                  db: str | Path | None = None, root: str | Path | None = None) -> Any:
    """Stores an interviewer's rating of a sample (a later rating of the same sample replaces it
    in the agreement figures; all are kept)."""
    from simulator.storage import CalibrationRating

    who = interviewer.strip()
    if not who:
        raise InputError("<calibration>", None, "interviewer", "give your name or initials")
    if rating not in RATINGS:
        raise InputError("<calibration>", None, "rating", f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
    s = sample(sample_id, root=root)
    unknown = set(indicators) - set(s.reference.indicators)
    if unknown:
        raise InputError("<calibration>", None, "indicators", f"indicator(s) {sorted(unknown)} are not rated on {s.item!r}")
    return _log(db).add_rating(CalibrationRating(rater=who, sample_id=s.id, item_id=s.item, rating=rating,
                                          indicators={k: bool(v) for k, v in indicators.items()},
                                          reference=s.reference.rating))


def latest(db: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """interviewer -> sample id -> their latest rating record."""
    out: dict[str, dict[str, Any]] = {}
    for r in _log(db).ratings():  # oldest first, so later ratings win
        out.setdefault(r.rater, {})[r.sample_id] = r
    return out


def _pair_stats(a: Sequence[str], b: Sequence[str]) -> dict[str, Any]:
    return {"samples": len(a), "exact": M.exact_agreement(a, b), "kappa": M.cohen_kappa(a, b),
            "qwk": M.quadratic_kappa(a, b)}


def _indicator_stats(pairs: Sequence[tuple[str, bool, bool]]) -> dict[str, Any]:
    """Agreement on indicators, treating the first side as the reference."""
    if not pairs:
        return {"indicators": 0, "agreement": None, "kappa": None, "f1": None}
    ref = [g for _, g, _ in pairs]
    mine = [p for _, _, p in pairs]
    return {
        "indicators": len(pairs),
        "agreement": M.exact_agreement(ref, mine),
        "kappa": M.cohen_kappa(ref, mine, labels=[False, True]),
        "f1": M.macro_f1(M.per_key_prf(pairs)),
    }


def agreement(interviewer: str | None = None, *, db: str | Path | None = None,
              root: str | Path | None = None) -> dict[str, Any]:
    """Per interviewer, agreement with the reference (rating: exact, kappa, QWK; indicators:
    agreement, kappa, macro-F1 against the reference), and per pair of interviewers on the
    samples both rated. With `interviewer`, only their figures and the pairs they are in."""
    refs = {s.id: s for s in samples(root=root)}
    rated = latest(db)
    with_ref: dict[str, dict[str, Any]] = {}
    for who, mine in sorted(rated.items()):
        if interviewer is not None and who != interviewer:
            continue
        shared = sorted(sid for sid in mine if sid in refs)
        stats = _pair_stats([refs[s].reference.rating for s in shared], [mine[s].rating for s in shared])
        pairs = [(f"{refs[s].item}/{k}", refs[s].reference.indicators[k], bool(v))
                 for s in shared for k, v in mine[s].indicators.items() if k in refs[s].reference.indicators]
        stats["indicator"] = _indicator_stats(pairs)
        with_ref[who] = stats
    between: list[dict[str, Any]] = []
    for a, b in combinations(sorted(rated), 2):
        if interviewer is not None and interviewer not in (a, b):
            continue
        shared = sorted(set(rated[a]) & set(rated[b]))
        if not shared:
            continue
        stats = _pair_stats([rated[a][s].rating for s in shared], [rated[b][s].rating for s in shared])
        between.append({"a": a, "b": b, **stats})
    return {"with_reference": with_ref, "between": between}
