"""The per-session ledger of tokens, cost and latency."""

from __future__ import annotations

import json
import threading

from simulator.models.ledger import Ledger


def test_totals_and_breakdown() -> None:
    ledger = Ledger()
    ledger.record("persona", "local/scripted", 100, 20, 0.0, 0.01)
    ledger.record("grader", "openai/gpt-4o-mini", 1000, 200, 0.0003, 1.5)
    ledger.record("grader", "openai/gpt-4o-mini", 500, 100, 0.00015, 0.5)
    assert len(ledger) == 3
    assert (ledger.prompt_tokens, ledger.completion_tokens, ledger.total_tokens) == (1600, 320, 1920)
    assert abs(ledger.cost - 0.00045) < 1e-12 and abs(ledger.latency_s - 2.01) < 1e-9
    totals = ledger.totals()
    assert totals == {"calls": 3, "prompt_tokens": 1600, "completion_tokens": 320, "total_tokens": 1920, "cost": 0.00045, "latency_s": 2.01}
    assert ledger.by_purpose()["grader"]["calls"] == 2 and ledger.by_purpose()["persona"]["total_tokens"] == 120


def test_to_dict_is_json_and_round_trips() -> None:
    ledger = Ledger()
    ledger.record("persona", "local/scripted", 10, 5, 0.0, 0.002)
    data = json.loads(json.dumps(ledger.to_dict()))
    assert data["totals"]["calls"] == 1 and data["calls"][0]["model"] == "local/scripted"
    assert Ledger.from_dict(data).totals() == ledger.totals()


def test_empty_ledger() -> None:
    assert Ledger().totals() == {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": 0.0, "latency_s": 0.0}


def test_thread_safe() -> None:
    ledger = Ledger()

    def work() -> None:
        for _ in range(500):
            ledger.record("grader", "fake/x", 1, 1, 0.0, 0.0)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ledger) == 4000 and ledger.total_tokens == 8000
