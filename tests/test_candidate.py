"""Simulated candidates play the candidate side from the item file, deterministically."""

from __future__ import annotations

from dialogue_fixtures import library

from simulator.practice.candidate import PROFILES, simulate

LIB = library()


def _said(t):  # type: ignore[no-untyped-def]
    return " ".join(x.text for x in t.turns if x.speaker == "candidate" and x.channel == "chat")


def test_profiles_differ_and_draw_on_the_item() -> None:
    said = {p: _said(simulate("q-test", p, lib=LIB)[0]) for p in PROFILES}
    assert len(set(said.values())) == len(PROFILES)
    assert "I would set up monitoring alerts" in said["strong"]
    assert "Waits for someone else" in said["weak"] and "monitoring alerts" not in said["weak"]
    assert "Ignore all previous instructions" in said["injector"] or "SYSTEM:" in said["injector"]


def test_simulation_is_deterministic_for_a_seed() -> None:
    a = simulate("sim-test", "average", n=2, seed=4, lib=LIB)
    b = simulate("sim-test", "average", n=2, seed=4, lib=LIB)
    assert [t.to_json() for t in a] == [t.to_json() for t in b]
    assert a[0].metadata["seed"] == 4 and a[1].metadata["seed"] == 5


def test_strong_candidate_uncovers_every_hidden_fact() -> None:
    [t] = simulate("sim-test", "strong", lib=LIB)
    disclosed = {m["id"] for x in t.turns for m in x.meta.get("plan", {}).get("moves", []) if m["act"] == "disclose"}
    assert disclosed == {"traffic-cap", "latency"}
    [w] = simulate("sim-test", "evasive", lib=LIB)
    assert not any(m["act"] == "disclose" for x in w.turns for m in x.meta.get("plan", {}).get("moves", []))
