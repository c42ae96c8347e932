"""Every kind of shipped session runs end to end offline with simulated candidates."""

from __future__ import annotations

import pytest

from simulator.content.library import load_library
from simulator.practice.candidate import simulate

LIB = load_library()


def _one_per_mode() -> list[tuple[str, str | None]]:
    """An item of each kind the director plays differently, and the coding test in both variants."""
    seen: dict[str, tuple[str, str | None]] = {}
    for item in LIB.items.values():
        seen.setdefault(item.kind, (item.id, None))
        for v in item.variants:
            seen.setdefault(f"{item.kind}:{v.id}", (item.id, v.id))
    return sorted(seen.values(), key=lambda x: (x[0], x[1] or ""))


@pytest.mark.parametrize("item_id, variant", _one_per_mode())
@pytest.mark.parametrize("profile", ["strong", "injector"])
def test_shipped_items_play_through(item_id: str, variant: str | None, profile: str) -> None:
    [t] = simulate(item_id, profile, lib=LIB, variant=variant)
    assert t.metadata["status"] == "finished"
    spoken = [x for x in t.turns if x.speaker != "candidate" and x.meta.get("plan")]
    assert spoken
    for x in spoken:
        assert x.text.strip() and x.meta["check"]["ok"], (x.speaker, x.text, x.meta["check"])
    cast = set(LIB.items[item_id].personas)
    for x in spoken:
        assert x.meta["plan"]["persona"] in cast


def test_with_ai_assistant_plants_its_flaws_in_the_transcript() -> None:
    coding = next(i for i in LIB.items.values() if any(v.id == "with_ai" for v in i.variants))
    [t] = simulate(coding.id, "strong", lib=LIB, variant="with_ai")
    assistant = LIB.persona(next(p for p in coding.personas if LIB.persona(p).archetype == "assistant"))
    said = [x.text for x in t.turns if x.channel == "assistant" and x.speaker == assistant.id]
    assert said
    opening_flaws = [ten for ten in assistant.tensions if ten.trigger == "opening"]
    assert any(line in said[0] for ten in opening_flaws for line in ten.lines)
