"""The transcript interchange format: what every command that reads or writes a session uses.

    {"item": ID, "variant": null|"with_ai"|"without_ai",
     "turns": [{"speaker": "candidate"|"interviewer"|PERSONA_ID, "text": ...}, ...],
     "metadata": {...}}

A turn may carry `channel` ("chat", "code" for the coding pane, "assistant" for the with-AI
assistant, "command" for hint/repeat/time/end), `at` (ISO time) and `meta` (the director's plan
and the reply check, so an eval can tell why a persona said what it said).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import InputError

CANDIDATE = "candidate"
INTERVIEWER = "interviewer"

Channel = Literal["chat", "code", "assistant", "command"]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str = Field(min_length=1)
    text: str
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
    turns: list[Turn] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def candidate_turns(self) -> list[tuple[int, Turn]]:
        """(index, turn) for the candidate's own words: the only place evidence may come from."""
        return [(i, t) for i, t in enumerate(self.turns) if t.is_candidate]

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
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, exc.lineno, None, f"not valid JSON: {exc.msg}") from None
    try:
        return Transcript.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(source, _json_line(text, err["loc"]), field, err["msg"]) from None


def load_transcript(path: str | Path) -> Transcript:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, None, exc.strerror or str(exc)) from None
    return parse_transcript(text, path)


def _json_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of a JSON path: the line of the last key named in it."""
    keys = [p for p in loc if isinstance(p, str)]
    if not keys:
        return 1
    needle = f'"{keys[-1]}"'
    pos = text.find(needle)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1
