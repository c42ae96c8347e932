"""The director's decision for one turn, typed and versioned: who speaks, on which channel, and
the moves to make (open, ask, disclose a fact, push back, hint, close...).

A plan is saved with every persona turn (`turn.meta["plan"]`) and, while not yet spoken, in the
session's `pending` list; so it carries `version`. Plans saved before versioning (plain dicts
without `version`) are upgraded on read by `Plan.load`; a plan from a newer mockpanel is refused.
The director's state carries `STATE_VERSION` the same way (`upgrade_state`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulator.core.errors import InputError

PLAN_VERSION = 4  # 1: the untyped dicts of mockpanel 0.1; 3 adds `ids` and the world's acts (tell, withhold...); 4 `topic`
STATE_VERSION = 3  # 3: `told` (world facts said)


def time_in_words(seconds: float) -> str:
    """Time left as an interviewer says it: "under a minute", "about a minute", "about 12 minutes"."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    return "about a minute" if minutes <= 1 else f"about {minutes} minutes"


class Move(BaseModel):
    """One thing the speaker does this turn; which fields are set depends on `act`."""

    model_config = ConfigDict(extra="forbid")

    act: str = Field(min_length=1)
    id: str | None = None           # disclose / tension: which fact or tension
    text: str | None = None         # ask / repeat / follow_up / hint: the words to use
    term: str | None = None         # clarify: the term asked about
    topic: str | None = None        # redirect: what the question is about (Item.subject)
    item: str | None = None         # ask / decline: which item
    indicator: str | None = None    # probe: the positive indicator not yet shown
    options: list[str] | None = None
    minutes: float | None = None    # timed
    left_s: float | None = None     # time_warning / time_left: seconds left on the item
    again: bool | None = None       # tension raised a second time
    answer: str | None = None       # decline: the option that declined
    rules: list[str] | None = None  # deflect: the do-not rules in force
    score: float | None = None      # disclose / tell: how sure the director was it was asked for
    ids: list[str] | None = None    # inventory / recap / note: the pieces of knowledge concerned
    waved: bool | None = None       # pushback: at a concern waved away or a premise assumed, not at a plan


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = PLAN_VERSION
    kind: str                        # persona | interviewer | assistant
    speaker: str
    persona: str
    seed: int = 0
    turn: int = 0
    channel: str = "chat"
    item: str
    moves: list[Move] = Field(default_factory=list)
    allowed: list[str] = Field(default_factory=list)  # hidden facts the candidate has asked for
    instructions: str = ""           # what an LLM voice is told; not saved with the turn

    @classmethod
    def load(cls, data: Any, where: str = "<session>") -> Plan:
        """A saved plan, upgraded from an older version when needed."""
        if isinstance(data, Plan):
            return data
        if not isinstance(data, dict):
            raise InputError(where, None, "plan", f"a plan must be an object, not {type(data).__name__}")
        version = data.get("version", 1)
        if not isinstance(version, int) or version > PLAN_VERSION:
            raise InputError(where, None, "plan.version", f"plan version {version!r} is newer than this mockpanel ({PLAN_VERSION}); upgrade mockpanel")
        data = {**data, "version": PLAN_VERSION}
        return cls.model_validate(data)

    def saved(self) -> dict[str, Any]:
        """The plan as saved with its turn (without the LLM instructions)."""
        return self.model_dump(mode="json", exclude={"instructions"}, exclude_none=True)

    def acts(self) -> list[str]:
        return [m.act for m in self.moves]


def upgrade_state(state: dict[str, Any] | None, where: str = "<session>") -> dict[str, Any]:
    """A saved director state, upgraded: version 1 (unversioned) gains the keys added since by the
    director's defaults, so only the version needs stamping here."""
    state = dict(state or {})
    version = state.get("version", 1)
    if not isinstance(version, int) or version > STATE_VERSION:
        raise InputError(where, None, "state.version", f"director state version {version!r} is newer than this mockpanel ({STATE_VERSION}); upgrade mockpanel")
    state["version"] = STATE_VERSION
    return state
