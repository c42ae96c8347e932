"""Rounds (interview stages) and the progression framework, as content from `rubrics/`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.content.base import Content, Slug
from simulator.content.rubric import Kind, Level


class Round(Content):
    id: Slug
    name: str
    source: Literal["guide", "hiring_kit", "authored"]
    stage: int | None = Field(None, ge=1, le=7, description="Position in the guide's seven stages.")
    duration: str = Field(description="As the seed writes it, e.g. '45-60 min'.")
    duration_minutes: float = Field(gt=0, description="The practice length used for timing.")
    focus: str
    kinds: list[Kind] = Field(default_factory=list, description="Item kinds this round runs.")
    personas: list[Slug] = Field(default_factory=list, description="Who runs this round.")


class LevelCell(Content):
    junior: str
    mid: str
    senior: str
    principal: str

    def at(self, level: Level) -> str:
        """Lead sits between senior and principal; the framework has no column for it."""
        cell: str = getattr(self, "senior" if level == "lead" else level)
        return cell


class Competency(Content):
    id: Slug
    name: str
    discipline: str
    levels: LevelCell


class QuestionType(Content):
    """The guide's common question types for a technical viva."""

    id: Slug
    name: str
    example: str


class RoundsFile(Content):
    """`rubrics/rounds.yaml`: the rounds, the progression framework and the guide's question types."""

    rounds: list[Round] = Field(min_length=1)
    progression: list[Competency] = Field(default_factory=list)
    question_types: list[QuestionType] = Field(default_factory=list)
