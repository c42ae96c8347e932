"""Personas: who the candidate talks to, what they know, and what they must not say.

Seed wording (motivation, constraints, tensions, guidance, do-nots) is verbatim. The `lines` are
what the offline scripted voice says; the director decides which of them may be said when.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.content.base import Content, Problem, Slug

Archetype = Literal["informed_partner", "interviewer", "panel_member", "assistant"]


class Constraint(Content):
    """A hidden fact: disclosed only once the candidate asks about it."""

    id: Slug
    fact: str = Field(description="The seed's wording of the fact.")
    disclose_when: str = Field(description="The condition under which it may be disclosed.")
    ask_cues: list[str] = Field(
        min_length=1, description="Candidate questions that ask about this fact (semantic intent)."
    )
    disclosures: list[str] = Field(min_length=1, description="In-character lines that disclose it.")
    leak_markers: list[str] = Field(
        default_factory=list,
        description="Phrases whose presence in a reply means the fact was disclosed (for checks).",
    )


class Tension(Content):
    """Something the persona brings up to test the candidate."""

    id: Slug
    text: str = Field(description="The seed's wording.")
    trigger: Literal["opening", "topic", "late"] = Field(
        description="opening: in the first reply; topic: when the candidate raises the cues; late: if never triggered, before the close."
    )
    trigger_cues: list[str] = Field(default_factory=list)
    lines: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _cues(self) -> Tension:
        if self.trigger == "topic" and not self.trigger_cues:
            raise Problem("a topic tension needs trigger_cues", "trigger_cues")
        return self


class Rule(Content):
    """A do-not rule, with phrasings that would break it (for checking an LLM reply)."""

    id: Slug
    text: str = Field(description="The seed's wording.")
    violation_cues: list[str] = Field(default_factory=list)


class Lines(Content):
    """What the scripted voice can say, several phrasings each."""

    opening: list[str] = Field(min_length=1)
    closing: list[str] = Field(min_length=1)
    acknowledge: list[str] = Field(default_factory=list)
    pushback: list[str] = Field(default_factory=list)
    clarify: list[str] = Field(default_factory=list)
    deflect: list[str] = Field(
        default_factory=list, description="When asked to supply the answer the candidate must find."
    )
    follow_up_lead: list[str] = Field(default_factory=list)
    probe_lead: list[str] = Field(default_factory=list)
    hint_lead: list[str] = Field(default_factory=list)
    time_warning: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(
        default_factory=list, description="When asked something the persona file does not cover."
    )


class Persona(Content):
    id: Slug
    name: str
    title: str
    archetype: Archetype
    played_by: str | None = None
    motivation: str
    voice: str = Field(description="How they speak, for an LLM voice.")
    constraints: list[Constraint] = Field(default_factory=list)
    tensions: list[Tension] = Field(default_factory=list)
    guidance: list[str] = Field(default_factory=list)
    do_not: list[Rule] = Field(default_factory=list)
    lines: Lines
    source: Literal["seed", "authored"]

    @model_validator(mode="after")
    def _unique(self) -> Persona:
        for group in ("constraints", "tensions", "do_not"):
            ids = [x.id for x in getattr(self, group)]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise Problem(f"duplicate {group} id(s) {sorted(dup)}", group)
        return self


class PersonaFile(Content):
    """One YAML file under `personas/`: one or more personas."""

    personas: list[Persona] = Field(min_length=1)
