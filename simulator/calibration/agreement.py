"""Agreement between two raters (an interviewer and the reference, two interviewers, the grader
and the gold labels): exact agreement and Cohen's kappa, plain or weighted. The calibration pages
and the evals report the same figures from these functions.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from simulator.storage.records import CalibrationRating

RATING_ORDER: tuple[str, ...] = ("below", "meets", "exceeds")


def exact_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    _same_length(a, b)
    if not a:
        return 0.0
    return sum(1 for x, y in zip(a, b) if x == y) / len(a)


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    labels: Sequence[Hashable] = RATING_ORDER,
    weights: str | None = None,
) -> float:
    """Cohen's kappa; `weights` "linear" or "quadratic" for the ordinal form (labels in order)."""
    _same_length(a, b)
    if not a:
        return 0.0
    index = {lab: i for i, lab in enumerate(labels)}
    for x in (*a, *b):
        if x not in index:
            raise ValueError(f"label {x!r} is not one of {list(labels)}")
    k = len(labels)
    n = len(a)
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        observed[index[x]][index[y]] += 1.0
    row = [sum(observed[i]) for i in range(k)]
    col = [sum(observed[i][j] for i in range(k)) for j in range(k)]

    def w(i: int, j: int) -> float:
        if weights is None:
            return 0.0 if i == j else 1.0
        d = abs(i - j) / (k - 1) if k > 1 else 0.0
        if weights == "linear":
            return d
        if weights == "quadratic":
            return d * d
        raise ValueError(f"unknown weights {weights!r}")

    disagree_obs = sum(w(i, j) * observed[i][j] for i in range(k) for j in range(k)) / n
    disagree_exp = sum(w(i, j) * row[i] * col[j] for i in range(k) for j in range(k)) / (n * n)
    if disagree_exp == 0:
        return 1.0 if disagree_obs == 0 else 0.0
    return 1.0 - disagree_obs / disagree_exp


def quadratic_kappa(a: Sequence[Hashable], b: Sequence[Hashable], labels: Sequence[Hashable] = RATING_ORDER) -> float:
    return cohen_kappa(a, b, labels, weights="quadratic")


def _same_length(a: Sequence[Any], b: Sequence[Any]) -> None:
    if len(a) != len(b):
        raise ValueError(f"sequences differ in length ({len(a)} vs {len(b)})")


def agreement_over_time(ratings: list[CalibrationRating]) -> list[dict[str, Any]]:
    """After each of a rater's ratings: exact agreement and Cohen's kappa with the reference so far."""
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
