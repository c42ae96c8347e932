"""The transcript interchange format: what every command that reads or writes a session uses.

    {"item": ID, "variant": null|"with_ai"|"without_ai",
     "turns": [{"speaker": "candidate"|"interviewer"|PERSONA_ID, "text": ...}, ...],
     "metadata": {...}}

A turn may carry `channel` ("chat", "code" for the coding pane, "assistant" for the with-AI
assistant, "command" for hint/repeat/time/end), `at` (ISO time) and `meta` (the director's plan
and the reply check, so an eval can tell why a persona said what it said).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.core.errors import InputError

CANDIDATE = "candidate"
INTERVIEWER = "interviewer"

# What one transcript may hold: a whole interview is well under these; anything past them is a
# mistake or an attack, refused with a one-line error before it costs minutes and gigabytes.
MAX_TURN_CHARS = 50_000
MAX_TURNS = 2_000
MAX_TRANSCRIPT_BYTES = 10_000_000

Channel = Literal["chat", "code", "assistant", "command"]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=MAX_TURN_CHARS)
    channel: Channel = "chat"
    at: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_candidate(self) -> bool:
        return self.speaker == CANDIDATE


class Transcript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1)
    variant: Literal["with_ai", "without_ai"] | None = None
    turns: list[Turn] = Field(default_factory=list, max_length=MAX_TURNS)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def candidate_turns(self) -> list[tuple[int, Turn]]:
        """(index, turn) for the candidate's own words: the only place evidence may come from."""
        return [(i, t) for i, t in enumerate(self.turns) if t.is_candidate]

    def per_item(self) -> list[Transcript]:
        """A multi-item round split into one transcript per item, so each is graded on its own turns.

        A turn belongs to the item its director plan names (`meta.plan.item`); the candidate's turns
        belong to the item last asked about. A single-item transcript comes back as it is.
        """
        items = self.metadata.get("items") or [self.item]
        if len(items) < 2:
            return [self]
        parts: dict[str, list[Turn]] = {i: [] for i in items}
        current = items[0]
        for turn in self.turns:
            current = (turn.meta.get("plan") or {}).get("item") or current
            parts.setdefault(current, []).append(turn)
        return [
            Transcript(item=i, variant=self.variant, turns=t, metadata={**self.metadata, "items": [i]})
            for i, t in parts.items()
            if any(x.is_candidate for x in t)
        ]

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_defaults=False)

    def to_markdown(self, title: str | None = None) -> str:
        lines = [f"# {title or self.item}", ""]
        if self.variant:
            lines += [f"_variant: {self.variant}_", ""]
        for i, turn in enumerate(self.turns):
            who = turn.speaker if turn.channel == "chat" else f"{turn.speaker} ({turn.channel})"
            body = turn.text
            if turn.channel == "code":
                body = f"```python\n{turn.text}\n```"
            lines += [f"**{i}. {who}:**", "", body, ""]
        return "\n".join(lines).rstrip() + "\n"


def parse_transcript(text: str, source: str | Path = "<transcript>") -> Transcript:
    """Parses interchange JSON; a bad file is one line naming file, line and field."""
    from simulator.core.files import json_line, parse_json

    if len(text) > MAX_TRANSCRIPT_BYTES:
        raise InputError(source, None, None, f"transcript is {len(text):,} characters; the limit is {MAX_TRANSCRIPT_BYTES:,}")
    data = parse_json(text, source)
    try:
        return Transcript.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        raise InputError(source, json_line(text, err["loc"]), field, msg) from None


def load_transcript(path: str | Path) -> Transcript:
    path = Path(path)
    from simulator.core.files import read_text

    return parse_transcript(read_text(path, "a transcript in JSON", MAX_TRANSCRIPT_BYTES), path)
