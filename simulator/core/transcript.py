"""The transcript interchange format: what every command that reads or writes a session uses.

    {"item": ID, "variant": null|"with_ai"|"without_ai",
     "turns": [{"speaker": "candidate"|"interviewer"|PERSONA_ID, "text": ...}, ...],
     "metadata": {...}}

A turn may carry `channel` ("chat", "code" for the coding pane, "assistant" for the with-AI
assistant, "command" for hint/repeat/time/end), `at` (ISO time) and `meta` (the director's plan
and the reply check, so an eval can tell why a persona said what it said).

Turn numbers a candidate reads (`Transcript.shown_numbers`): stored data (a grade's evidence, a
plan) names a turn by its index in `turns`; anything shown to the candidate numbers a turn by its
place in the conversation as the chat showed it: from 1, counting the chat and code turns with
text, never the with-AI assistant's side pane or a command and its note. A round's part
(`per_item`) keeps the round's numbers.
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
#: The channels of the conversation the candidate reads (the ones turn numbers count).
SHOWN_CHANNELS = ("chat", "code")
#: A round's part carries the round's turn numbers here, so its feedback cites the numbers the
#: candidate saw in the round's one conversation.
SHOWN_KEY = "shown_numbers"


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

    def shown_numbers(self) -> dict[int, int]:
        """Turn index -> its number as the candidate saw it in the conversation (see the module's
        docstring); assistant-channel, command and empty turns have none."""
        given = self.metadata.get(SHOWN_KEY)
        if isinstance(given, list) and len(given) == len(self.turns):  # a round's part: the round's numbers
            return {i: n for i, n in enumerate(given) if isinstance(n, int) and not isinstance(n, bool)}
        out: dict[int, int] = {}
        for i, turn in enumerate(self.turns):
            if turn.channel in SHOWN_CHANNELS and turn.text.strip():
                out[i] = len(out) + 1
        return out

    def turn_label(self, index: int, numbers: dict[int, int] | None = None) -> str:
        """How feedback cites a turn: "turn 3" as the candidate saw it; a turn outside the
        conversation (a command, the assistant pane) by its channel instead."""
        numbers = self.shown_numbers() if numbers is None else numbers
        if index in numbers:
            return f"turn {numbers[index]}"
        if 0 <= index < len(self.turns):
            return {"assistant": "in the assistant pane", "command": "a command"}.get(self.turns[index].channel, "an empty turn")
        return f"turn #{index} (not in this transcript)"

    def per_item(self) -> list[Transcript]:
        """A multi-item round split into one transcript per item, so each is graded on its own turns.

        A turn belongs to the item its director plan names (`meta.plan.item`); the candidate's turns
        belong to the item last asked about. A single-item transcript comes back as it is.
        """
        items = self.metadata.get("items") or [self.item]
        if len(items) < 2:
            return [self]
        parts: dict[str, list[Turn]] = {i: [] for i in items}
        shown: dict[str, list[int | None]] = {i: [] for i in items}
        numbers = self.shown_numbers()
        current = items[0]
        for n, turn in enumerate(self.turns):
            current = (turn.meta.get("plan") or {}).get("item") or current
            parts.setdefault(current, []).append(turn)
            shown.setdefault(current, []).append(numbers.get(n))
        return [
            Transcript(item=i, variant=self.variant, turns=t, metadata={**self.metadata, "items": [i], SHOWN_KEY: shown[i]})
            for i, t in parts.items()
            if any(x.is_candidate for x in t)
        ]

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_defaults=False)

    def to_markdown(self, title: str | None = None) -> str:
        lines = [f"# {title or self.item}", ""]
        if self.variant:
            lines += [f"_variant: {self.variant}_", ""]
        numbers = self.shown_numbers()
        for i, turn in enumerate(self.turns):
            who = turn.speaker if turn.channel == "chat" else f"{turn.speaker} ({turn.channel})"
            body = turn.text
            if turn.channel == "code":
                body = f"```python\n{turn.text}\n```"
            lines += [f"**{numbers[i]}. {who}:**" if i in numbers else f"**{who}:**", "", body, ""]
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
