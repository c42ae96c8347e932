"""Rubric items: what a candidate practises and what the grader scores against.

Seed wording (questions, indicators, anchors) is carried character for character, so every
indicator and anchor says where it came from (`source`). Engine code never holds this content:
it lives in YAML under `rubrics/`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from simulator.content.base import Content, Problem, Slug

Kind = Literal[
    "technical",
    "behavioural",
    "competency",
    "attitude",
    "coding_test",
    "presentation",
    "work_simulation",
    "knockout",
    "video_response",
    "resume_criteria",
]
Level = Literal["junior", "mid", "senior", "lead", "principal"]
Source = Literal["seed", "authored"]
Polarity = Literal["positive", "negative"]
Rating = Literal["exceeds", "meets", "below"]
VariantId = Literal["with_ai", "without_ai"]

RATINGS: tuple[Rating, ...] = ("exceeds", "meets", "below")


class Indicator(Content):
    """One observable behaviour; `cues` are candidate-voice phrasings the semantic grader matches."""

    id: Slug
    text: str = Field(min_length=3)
    polarity: Polarity
    source: Source
    variants: list[VariantId] = Field(
        default_factory=list, description="Empty: applies to every variant of the item."
    )
    cues: list[str] = Field(
        default_factory=list,
        description="How a candidate might show this in their own words (authored, for the semantic grader).",
    )

    def applies_to(self, variant: str | None) -> bool:
        return not self.variants or variant is None or variant in self.variants


class Anchor(Content):
    text: str = Field(min_length=3)
    source: Source


class Anchors(Content):
    exceeds: Anchor
    meets: Anchor
    below: Anchor

    def get(self, rating: Rating) -> Anchor:
        anchor: Anchor = getattr(self, rating)
        return anchor


class Variant(Content):
    """A version of an item with its own prompt (the coding test with and without AI)."""

    id: VariantId
    title: str
    instructions: str
    question: str


class Option(Content):
    """A knock-out answer and what it does to the application."""

    answer: str
    outcome: Literal["qualifies", "auto_decline"]


class Brief(Content):
    """What the candidate reads before a presentation or work simulation (never the hidden facts)."""

    scenario: str | None = None
    problem: str | None = None
    format: str | None = None
    audience: str | None = None
    prepare: list[str] = Field(default_factory=list)
    deliverables: list[str] = Field(default_factory=list)
    success_criteria: list[str] = Field(default_factory=list)
    review_beforehand: list[str] = Field(default_factory=list)
    ground_rules: list[str] = Field(default_factory=list)


class Item(Content):
    id: Slug
    kind: Kind
    title: str = Field(min_length=3, description="A short name for lists.")
    question: str = Field(min_length=3, description="The full prompt the candidate answers.")
    topic: str | None = Field(
        None, min_length=3,
        description="What the question is about, as the interviewer says it after 'about' when bringing an "
        "answer back to it ('handling conflict in the team'); default: the title.",
    )
    theme: str | None = Field(None, description="The seed's grouping: a theme, discipline or competency.")
    competency: str | None = Field(None, description="A competency of the progression framework.")
    job_requirement: str | None = None
    round: Slug
    level: Level
    response_time_minutes: float | None = Field(None, gt=0)
    follow_ups: list[str] = Field(default_factory=list)
    indicators: list[Indicator]
    anchors: Anchors
    expected_at_level: str | None = None
    reference_answer: str | None = None
    reference_source: Source | None = None
    difficulty: Literal["easy", "medium", "hard"] | None = None
    rarity: str | None = None
    variants: list[Variant] = Field(default_factory=list)
    personas: list[Slug] = Field(min_length=1, description="Persona ids that play this item.")
    options: list[Option] = Field(default_factory=list, description="Knock-out answers.")
    brief: Brief | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("indicators")
    @classmethod
    def _indicators(cls, value: list[Indicator]) -> list[Indicator]:
        if not value:
            raise ValueError("an item needs at least one indicator")
        if not any(i.polarity == "positive" for i in value):
            raise ValueError("an item needs at least one positive indicator")
        seen: set[str] = set()
        for n, ind in enumerate(value):
            if ind.id in seen:
                raise Problem(f"duplicate indicator id {ind.id!r}", n, "id")
            seen.add(ind.id)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        variant_ids = {v.id for v in self.variants}
        for n, ind in enumerate(self.indicators):
            unknown = set(ind.variants) - variant_ids
            if unknown:
                raise Problem(
                    f"indicator {ind.id!r} names variant(s) {sorted(unknown)} the item does not have",
                    "indicators", n, "variants",
                )
        if self.kind == "knockout" and not self.options:
            raise Problem("a knockout item needs its answer options", "options")
        if (self.reference_answer is None) != (self.reference_source is None):
            raise Problem("reference_answer and reference_source go together", "reference_source")
        return self

    def indicators_for(self, variant: str | None = None) -> list[Indicator]:
        return [i for i in self.indicators if i.applies_to(variant)]

    def subject(self) -> str:
        """What the question is about, to say after "about": the topic, else the title with its
        first letter lowered (not an acronym's: "SQL vs NoSQL")."""
        if self.topic:
            return self.topic
        t = self.title
        return t if t[1:2].isupper() else t[:1].lower() + t[1:]

    def prompt_for(self, variant: str | None = None) -> str:
        for v in self.variants:
            if v.id == variant:
                return v.question
        return self.question


class Bank(Content):
    """Where a file's items come from and who they are for."""

    id: Slug
    title: str
    role: str
    level: Level
    source_document: str = Field(description="Which seed document (or 'authored').")
    description: str = ""


class RubricFile(Content):
    """One YAML file under `rubrics/`: a bank of items."""

    bank: Bank
    items: list[Item]

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[Item]) -> list[Item]:
        if not value:
            raise ValueError("a rubric file needs at least one item")
        return value
