"""What the candidate uncovered of a work simulation's scenario: each hidden constraint a persona
holds, whether it was disclosed, and the candidate's question that drew it out.

Read from the transcript alone: every persona turn carries the director's plan
(`turn.meta["plan"]`), and a `disclose` move there names the constraint told in reply to the
candidate's message just before it. So this works on any saved session, and on a grade stored
before it existed: it is shown beside the grade, never part of it (the rating stays the rubric's).

Turns are cited twice: `turn` is the index in the transcript (as a grade's Evidence names it);
`number` is the turn as the candidate saw it in the conversation (`Transcript.shown_numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from simulator.content.persona import Constraint, Persona
from simulator.core.transcript import SHOWN_CHANNELS, Transcript
from simulator.grading.verdict import _SENTENCE, _stem, normalise

if TYPE_CHECKING:
    from simulator.content.library import Library
    from simulator.content.rubric import Item

SCENARIO_VERSION = 1
_WORDS = re.compile(r"[a-z0-9%]+")
_STOP = frozenset("a an the is are was were do does did can could would will to of for in on at and or we you i it "
                  "this that what how which there any our your be have has with about".split())


class HiddenFact(BaseModel):
    """One hidden constraint and how (or whether) the candidate uncovered it."""

    id: str
    persona: str
    persona_name: str
    topic: str | None = Field(None, description="What it is about, without stating it: what to ask next time.")
    ask: str = Field(description="A question that asks for it (the persona's first ask cue).")
    fact: str = Field(description="The seed's wording of the fact.")
    uncovered: bool
    question: str | None = Field(None, description="The candidate's words that drew it out (verbatim).")
    turn: int | None = Field(None, ge=0, description="Index of that candidate turn in the transcript.")
    number: int | None = Field(None, ge=1, description="That turn's number as the candidate saw it.")
    reply_turn: int | None = Field(None, ge=0, description="Index of the persona turn that disclosed it.")


class Scenario(BaseModel):
    """The hidden constraints of a work simulation, uncovered or not ("2 of 3")."""

    version: int = SCENARIO_VERSION
    item: str
    facts: list[HiddenFact]

    @property
    def uncovered(self) -> list[HiddenFact]:
        return [f for f in self.facts if f.uncovered]

    @property
    def missed(self) -> list[HiddenFact]:
        return [f for f in self.facts if not f.uncovered]

    @property
    def headline(self) -> str:
        return f"Hidden constraints uncovered: {len(self.uncovered)} of {len(self.facts)}"

    def cite(self, fact: HiddenFact) -> str:
        """"turn 4" as the candidate saw it ("" when not uncovered or not in the conversation)."""
        return f"turn {fact.number}" if fact.number is not None else ""


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORDS.findall(text.lower()) if w not in _STOP}


def _question(text: str, constraint: Constraint) -> str:
    """The sentence of the candidate's turn that asks about the constraint (the whole turn when
    it is one sentence): the one sharing most words with the constraint's questions and topic."""
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) <= 1:
        return normalise(text)
    cues = _words(" ".join([*constraint.ask_cues, constraint.topic or ""]))
    best = max(sentences, key=lambda s: (len(_words(s) & cues), s.endswith("?")))
    return normalise(best)


def _asker(transcript: Transcript, reply: int) -> int | None:
    """The candidate's conversation turn the reply at `reply` answers: the nearest one before it."""
    for i in range(reply - 1, -1, -1):
        turn = transcript.turns[i]
        if turn.is_candidate and turn.channel in SHOWN_CHANNELS and turn.text.strip():
            return i
    return None


def scenario_of(transcript: Transcript, personas: Iterable[Persona], item: str | None = None) -> Scenario | None:
    """Which of the personas' hidden constraints the candidate uncovered, and by which question;
    None when no persona holds one (only a work simulation's informed partner does)."""
    held = [(p, c) for p in personas for c in p.constraints]
    if not held:
        return None
    disclosed: dict[tuple[str, str], int] = {}  # (persona, constraint) -> the first turn that told it
    for i, turn in enumerate(transcript.turns):
        plan = turn.meta.get("plan")
        if turn.is_candidate or not isinstance(plan, dict):
            continue
        who = str(plan.get("persona") or turn.speaker)
        for move in plan.get("moves") or []:
            if isinstance(move, dict) and move.get("act") == "disclose" and isinstance(move.get("id"), str):
                disclosed.setdefault((who, move["id"]), i)
    numbers = transcript.shown_numbers()
    facts: list[HiddenFact] = []
    for p, c in held:
        reply = disclosed.get((p.id, c.id))
        asked = _asker(transcript, reply) if reply is not None else None
        facts.append(HiddenFact(
            id=c.id, persona=p.id, persona_name=p.name, topic=c.topic, ask=c.ask_cues[0], fact=c.fact, uncovered=reply is not None,
            question=_question(transcript.turns[asked].text, c) if asked is not None else None,
            turn=asked, number=numbers.get(asked) if asked is not None else None, reply_turn=reply,
        ))
    return Scenario(item=item or transcript.item, facts=facts)


def item_scenario(transcript: Transcript, item: Item, library: Library) -> Scenario | None:
    """`scenario_of` for an item's own personas (those the library knows)."""
    return scenario_of(transcript, [library.personas[p] for p in item.personas if p in library.personas], item.id)
