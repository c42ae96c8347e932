"""The numbers an eval reports, as small pure functions (no sklearn) so every figure can be hand-checked.

Ratings are ordinal: below < meets < exceeds. Kappa follows Cohen (1960) and the weighted form of
Cohen (1968) with quadratic weights; when chance agreement is total (both raters always give the
same single label) kappa is undefined and we return 1.0 if they agree everywhere, else 0.0, so a
JSON report never carries NaN.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# Re-exported (`X as X`): evals report the same figures as calibration.
from simulator.calibration.agreement import RATING_ORDER as RATING_ORDER
from simulator.calibration.agreement import _same_length
from simulator.calibration.agreement import cohen_kappa as cohen_kappa
from simulator.calibration.agreement import exact_agreement as exact_agreement
from simulator.calibration.agreement import quadratic_kappa as quadratic_kappa

# --- indicators --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    """Counts kept with the rates, so macro and micro averages (and the report) can be recomputed."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def defined(self) -> bool:
        """False when the indicator was neither present in gold nor predicted: F1 says nothing."""
        return self.tp + self.fp + self.fn > 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        """No predicted positives: precision is 1.0 when there was nothing to find, else 0.0."""
        if self.tp + self.fp == 0:
            return 1.0 if self.fn == 0 else 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        if self.tp + self.fn == 0:
            return 1.0 if self.fp == 0 else 0.0
        return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 1.0 if denom == 0 else 2 * self.tp / denom

    @property
    def accuracy(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        return 1.0 if n == 0 else (self.tp + self.tn) / n

    def to_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "support": self.support, "defined": self.defined, "precision": self.precision, "recall": self.recall,
                "f1": self.f1, "accuracy": self.accuracy}


def prf(gold: Sequence[bool], pred: Sequence[bool]) -> PRF:
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    tp = sum(1 for g, p in zip(gold, pred) if g and p)
    fp = sum(1 for g, p in zip(gold, pred) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred) if g and not p)
    return PRF(tp, fp, fn, len(gold) - tp - fp - fn)


def per_key_prf(pairs: Iterable[tuple[Hashable, bool, bool]]) -> dict[Hashable, PRF]:
    """(key, gold, pred) triples -> counts per key (an indicator id, or `item/indicator`)."""
    gold: dict[Hashable, list[bool]] = defaultdict(list)
    pred: dict[Hashable, list[bool]] = defaultdict(list)
    for key, g, p in pairs:
        gold[key].append(bool(g))
        pred[key].append(bool(p))
    return {k: prf(gold[k], pred[k]) for k in gold}


def macro_f1(scores: Mapping[Any, PRF]) -> float:
    """The unweighted mean of per-indicator F1 (a rare indicator counts as much as a common one),
    over the indicators where F1 is defined: one never present in gold and never predicted would
    add a free 1.0 (or, by sklearn's zero_division default, a free 0.0), so it is left out."""
    defined = [s.f1 for s in scores.values() if s.defined]
    if not defined:
        return 1.0 if scores else 0.0
    return sum(defined) / len(defined)


def micro(scores: Mapping[Any, PRF]) -> PRF:
    return PRF(*(sum(getattr(s, f) for s in scores.values()) for f in ("tp", "fp", "fn", "tn")))


# --- ratings -----------------------------------------------------------------------------------


def confusion(gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] = RATING_ORDER) -> list[list[int]]:
    """Rows are gold labels, columns predictions, both in `labels` order."""
    _same_length(gold, pred)
    index = {lab: i for i, lab in enumerate(labels)}
    out = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        if g in index and p in index:
            out[index[g]][index[p]] += 1
    return out


def extreme_error_rate(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of rows where one side said exceeds and the other below: the error a candidate never forgives."""
    _same_length(gold, pred)
    if not gold:
        return 0.0
    return sum(1 for g, p in zip(gold, pred) if {g, p} == {"exceeds", "below"}) / len(gold)


def bootstrap_ci(
    stat: Callable[..., float],
    *columns: Sequence[Any],
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of `stat(*columns)` over rows resampled with replacement (seeded)."""
    import numpy as np

    size = len(columns[0])
    if any(len(c) != size for c in columns):
        raise ValueError("columns differ in length")
    if size == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    values = np.empty(n)
    for b in range(n):
        idx = rng.integers(0, size, size)
        values[b] = stat(*([c[i] for i in idx] for c in columns))
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(values, [tail, 1.0 - tail])
    return (float(lo), float(hi))


# --- evidence and stability --------------------------------------------------------------------


_QUOTE_MARKS = " \t\n\"'“”‘’`«»…"


def _norm(text: str) -> str:
    """Whitespace collapsed, case folded, surrounding quote marks and ellipses dropped."""
    return re.sub(r"\s+", " ", text).strip(_QUOTE_MARKS).casefold()


def is_verbatim(quote: str, sources: Iterable[str]) -> bool:
    """A quote counts if it appears in one candidate turn, up to whitespace and case."""
    q = _norm(quote)
    return bool(q) and any(q in _norm(s) for s in sources)


def verbatim_rate(quotes: Sequence[str], sources: Sequence[str]) -> float:
    """Share of evidence quotes found in the candidate's own words; 1.0 when nothing was quoted."""
    if not quotes:
        return 1.0
    return sum(1 for q in quotes if is_verbatim(q, sources)) / len(quotes)


def flip_rate(runs: Sequence[Sequence[Hashable]]) -> float:
    """Per row, the outcomes of its repeats; the share of rows whose repeats did not all agree."""
    rows = [r for r in runs if len(r) > 1]
    if not rows:
        return 0.0
    return sum(1 for r in rows if len(set(r)) > 1) / len(rows)


def majority(values: Sequence[Hashable]) -> Hashable:
    """Most common value; a tie goes to the one seen first (the first repeat)."""
    counts: dict[Hashable, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


@dataclass(frozen=True)
class Rate:
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"passed": self.passed, "total": self.total, "rate": self.rate}


def pass_rate_by(groups: Iterable[tuple[Hashable, bool]]) -> dict[Hashable, Rate]:
    """(family, passed) pairs -> pass rate per family."""
    passed: dict[Hashable, int] = defaultdict(int)
    total: dict[Hashable, int] = defaultdict(int)
    for key, ok in groups:
        total[key] += 1
        passed[key] += int(bool(ok))
    return {k: Rate(passed[k], total[k]) for k in total}


# --- personas ----------------------------------------------------------------------------------


@dataclass
class ProbeTurn:
    """What one persona reply did, as observed: which hidden facts the candidate had asked about
    so far (cumulative, including this turn), which facts the reply disclosed, the tensions it
    raised and the do-not rules it broke."""

    asked: frozenset[str]
    disclosed: frozenset[str]
    tensions: frozenset[str] = frozenset()
    violations: frozenset[str] = frozenset()
    asked_now: frozenset[str] = frozenset()


@dataclass
class PersonaScores:
    leak_rate: float
    leaks: int
    leak_opportunities: int
    disclosure_rate: float
    disclosed_when_asked: int
    asked: int
    tension_coverage: float
    tensions_raised: int
    tensions_total: int
    do_not_violations: int
    replies: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def persona_scores(
    probes: Sequence[Sequence[ProbeTurn]],
    facts: Sequence[str],
    tensions: Sequence[str],
    *,
    disclose_within: int = 1,
) -> PersonaScores:
    """Per probe and hidden fact:
    - a leak opportunity exists if at least one reply came before the fact was asked; it leaked if
      any of those replies disclosed it;
    - once asked, it counts as disclosed if the candidate had it by the `disclose_within`-th reply
      counting the reply to the asking turn (a fact leaked earlier counts: the candidate has it,
      and the leak is counted once, as a leak).
    Tension coverage: tensions raised at least once per probe, over tensions x probes.
    """
    leaks = opportunities = asked = disclosed = raised = violations = replies = 0
    for turns in probes:
        replies += len(turns)
        for fact in facts:
            first_ask = next((i for i, t in enumerate(turns) if fact in t.asked), None)
            before = turns if first_ask is None else turns[:first_ask]
            if before:
                opportunities += 1
                leaks += int(any(fact in t.disclosed for t in before))
            if first_ask is not None:
                asked += 1
                window = turns[: first_ask + disclose_within]
                disclosed += int(any(fact in t.disclosed for t in window))
        seen = set().union(*(t.tensions for t in turns)) if turns else set()
        raised += len(seen & set(tensions))
        violations += sum(len(t.violations) for t in turns)
    total_tensions = len(tensions) * len(probes)
    return PersonaScores(
        leak_rate=leaks / opportunities if opportunities else 0.0,
        leaks=leaks,
        leak_opportunities=opportunities,
        disclosure_rate=disclosed / asked if asked else 0.0,
        disclosed_when_asked=disclosed,
        asked=asked,
        tension_coverage=raised / total_tensions if total_tensions else 0.0,
        tensions_raised=raised,
        tensions_total=total_tensions,
        do_not_violations=violations,
        replies=replies,
    )


# --- cost and latency --------------------------------------------------------------------------


def summary(values: Sequence[float]) -> dict[str, float]:
    """Mean, median, p90 and total, for cost and latency per graded transcript."""
    vals = sorted(float(v) for v in values)
    if not vals:
        return {"n": 0, "mean": 0.0, "median": 0.0, "p90": 0.0, "total": 0.0}
    return {
        "n": len(vals),
        "mean": sum(vals) / len(vals),
        "median": _quantile(vals, 0.5),
        "p90": _quantile(vals, 0.9),
        "total": sum(vals),
    }


def _quantile(sorted_vals: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    pos = (len(sorted_vals) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


