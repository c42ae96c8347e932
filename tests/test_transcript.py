"""The interchange format: parsing errors and splitting a round into its items."""

from __future__ import annotations

import pytest

from simulator.core.errors import InputError
from simulator.core.transcript import Transcript, Turn, parse_transcript


def plan(item: str) -> dict:
    return {"plan": {"item": item}}


def test_a_round_splits_into_one_transcript_per_item() -> None:
    t = Transcript(
        item="a",
        turns=[
            Turn(speaker="interviewer", text="Question A?", meta=plan("a")),
            Turn(speaker="candidate", text="Answer A."),
            Turn(speaker="interviewer", text="Question B?", meta=plan("b")),
            Turn(speaker="candidate", text="Answer B."),
            Turn(speaker="interviewer", text="Question C?", meta=plan("c")),
        ],
        metadata={"items": ["a", "b", "c"]},
    )
    parts = t.per_item()
    assert [p.item for p in parts] == ["a", "b"]  # c was never answered
    assert [x.text for x in parts[1].turns] == ["Question B?", "Answer B."]


def test_a_single_item_transcript_is_itself() -> None:
    t = Transcript(item="a", turns=[Turn(speaker="candidate", text="x")])
    assert t.per_item() == [t]


@pytest.mark.parametrize(
    "text,where",
    [
        ('{"item": "a", "turns": [', "t.json:1: not valid JSON"),
        ('{"item": "a",\n "turns": [{"speaker": "candidate"}]}', "t.json:2: turns.0.text:"),
        ('{"item": "a",\n "colour": 1}', "t.json:2: colour:"),
    ],
)
def test_bad_transcripts_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_transcript(text, "t.json")
    assert str(exc.value).startswith(where), str(exc.value)
