"""What a session's model calls cost: tokens, money and time, per call and in total.

One Ledger per session; the seam (simulator.models.seam) records every call into the ledger it is given,
including retries that reached the provider and structured-output repair re-asks, so the totals are
what the provider bills. Thread-safe, because the LLM grader runs calls concurrently.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """One billed model call; frozen, because the ledger is shared across grader threads."""

    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float
    latency_s: float


class Ledger:
    """The calls in the order they finished; totals are derived, never stored, so they cannot drift."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def record(
        self,
        purpose: str,
        model: str,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: float = 0.0,
        latency_s: float = 0.0,
    ) -> Call:
        call = Call(purpose, model, int(prompt_tokens), int(completion_tokens), float(cost or 0.0), float(latency_s))
        with self._lock:
            self._calls.append(call)
        return call

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.calls)

    @property
    def latency_s(self) -> float:
        return sum(c.latency_s for c in self.calls)

    def totals(self) -> dict[str, Any]:
        return _sum(self.calls)

    def by_purpose(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[Call]] = {}
        for c in self.calls:
            groups.setdefault(c.purpose, []).append(c)
        return {p: _sum(cs) for p, cs in sorted(groups.items())}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: saved with the session and shown in the report."""
        calls = self.calls
        return {"totals": _sum(calls), "by_purpose": self.by_purpose(), "calls": [asdict(c) for c in calls]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ledger:
        ledger = cls()
        for c in data.get("calls", []):
            ledger.record(**{k: c[k] for k in Call.__dataclass_fields__ if k in c})
        return ledger


def _sum(calls: list[Call]) -> dict[str, Any]:
    prompt = sum(c.prompt_tokens for c in calls)
    completion = sum(c.completion_tokens for c in calls)
    return {
        "calls": len(calls),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": round(sum(c.cost for c in calls), 8),
        "latency_s": round(sum(c.latency_s for c in calls), 6),
    }
