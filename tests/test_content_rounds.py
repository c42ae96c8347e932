"""Every round the guide and the kit describe can be practised."""

from __future__ import annotations

from simulator.content.library import load_library


def test_every_round_has_an_item_to_practise() -> None:
    lib = load_library()
    empty = [r.id for r in lib.rounds.values() if not lib.items_in_round(r.id)]
    assert empty == []


def test_guide_stage_items_are_played_by_their_round_interviewer() -> None:
    lib = load_library()
    for item_id, round_id in (("stage-recruiter-motivation", "recruiter-screen"), ("stage-case-study-readout", "case-study")):
        item = lib.item(item_id)
        assert item.round == round_id
        assert set(item.personas) <= set(lib.rounds[round_id].personas) or lib.rounds[round_id].personas == []
        assert all(i.source == "authored" for i in item.indicators)
        assert all(len(i.cues) >= 3 for i in item.indicators)
