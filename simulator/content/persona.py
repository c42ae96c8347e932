"""Personas: who the candidate talks to, what they know, and what they must not say.

Seed wording (motivation, constraints, tensions, guidance, do-nots) is verbatim. The `lines` are
what the offline scripted voice says; the director decides which of them may be said when.

A persona's *world* is what a real colleague in that seat would know beyond the seed's hidden
constraints (the team, the product, the decision at stake...), each fact with a disclosure rule:
`free` (says it to anyone who asks, however loosely), `asked` (only to a question about it) or
`never` (declines, politely, and says why). A persona file's `shared_world` is known to every
persona in it (what any interviewer can tell a candidate). `Persona.knowledge()` is the one list the
director matches questions against: the hidden constraints (disclosure `asked`) and the world.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from simulator.content.base import Content, Problem, Slug

Archetype = Literal["informed_partner", "interviewer", "panel_member", "assistant"]
Disclosure = Literal["free", "asked", "never"]


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
    topic: str | None = Field(
        default=None,
        description="What the fact is about, without stating it (for a coach's note or 'there are a few things: ...').",
    )


class WorldFact(Content):
    """Something the persona knows beyond the seed's constraints, and when they say it."""

    id: Slug
    topic: str = Field(description="A short noun phrase: what it is about, without stating it.")
    disclosure: Disclosure
    source: Literal["seed", "authored"] = "authored"
    ask_cues: list[str] = Field(min_length=1, description="Questions that ask about it (semantic intent).")
    says: list[str] = Field(min_length=1, description="In-character lines that tell it (for `never`: that decline).")
    markers: list[str] = Field(
        default_factory=list, description="Phrases whose presence in a reply means it was said (for checks)."
    )
    step_answers: bool = Field(
        default=False,
        description="On an application step, the step's own words and time answer it better than `says`.",
    )
    clock: bool = Field(
        default=False,
        description="Asked in words how long is left, the time on the clock answers it (the persona's `time_left` lines).",
    )


class Snippet(Content):
    """Code an assistant persona writes when asked (with the flaw it plants, if any)."""

    id: Slug
    asks: list[str] = Field(min_length=1, description="Requests it answers (semantic intent).")
    says: str = Field(description="The line before the code.")
    code: str = Field(min_length=1)
    plants: Slug | None = Field(default=None, description="The tension (planted flaw) the code carries.")


@dataclass(frozen=True)
class Knowledge:
    """One thing the persona knows, hidden constraint or world fact, as the director sees it."""

    id: str
    topic: str
    disclosure: Disclosure
    hidden: bool  # a seed constraint the candidate has to uncover
    ask_cues: tuple[str, ...]
    says: tuple[str, ...]
    markers: tuple[str, ...]
    fact: str  # the seed's wording for a constraint; the first line otherwise


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
    pushback: list[str] = Field(default_factory=list, description="A plan that does not account for a concern: push back.")
    pushback_waved: list[str] = Field(
        default_factory=list,
        description="A concern waved away or a premise taken as given: push back (falls back to `pushback`).",
    )
    clarify: list[str] = Field(default_factory=list)
    deflect: list[str] = Field(
        default_factory=list, description="When asked to supply the answer the candidate must find."
    )
    follow_up_lead: list[str] = Field(default_factory=list)
    probe_lead: list[str] = Field(default_factory=list)
    hint_lead: list[str] = Field(default_factory=list)
    time_warning: list[str] = Field(default_factory=list)
    time_left: list[str] = Field(
        default_factory=list,
        description="Asked in words how much time is left: {left} is the time in words ('about 12 minutes').",
    )
    unknown: list[str] = Field(
        default_factory=list, description="When asked something the persona file does not cover."
    )
    small_talk: list[str] = Field(default_factory=list, description="A greeting or how-are-you.")
    thanks: list[str] = Field(
        default_factory=list, description="The candidate thanks them: you're welcome, back to the task (falls back to `acknowledge`)."
    )
    off_topic: list[str] = Field(default_factory=list, description="Brings an unrelated question back to the task.")
    inventory: list[str] = Field(
        default_factory=list,
        description="Asked for everything: names what is still to discuss ({topics}), never the facts.",
    )
    recap: list[str] = Field(
        default_factory=list, description="Asked for everything once all is told: says so ({facts} follows)."
    )
    redirect: list[str] = Field(
        default_factory=list, description="An interviewer bringing an off-question answer back (the question follows)."
    )
    redirect_topic: list[str] = Field(
        default_factory=list,
        description="The same, naming what the question is about ({topic}) instead of saying it again word for word "
        "(falls back to `redirect` and the question).",
    )
    wrap_up: list[str] = Field(default_factory=list, description="Nothing left to ask: anything to add?")
    listen: list[str] = Field(default_factory=list, description="A short go-on while the candidate presents.")
    again: list[str] = Field(default_factory=list, description="Before saying something a second time when asked again.")
    specify: list[str] = Field(
        default_factory=list, description="A question close to something known but not clearly about it: what exactly?"
    )


class Acts(Content):
    """Examples of what a candidate *does* in a statement, for a persona whose seed guidance reacts to
    it (push back when a constraint is waved away, question a premise, ask what a vague metric
    means). The intent encoder is trained on them and a statement is read as the kind whose
    examples it is closest to; `concrete` and `acknowledge` are the near misses that ask for no
    reaction (a plan that respects a constraint, a defined metric, "got it, 5% it is")."""

    dismissal: list[str] = Field(min_length=1, description="Waves a constraint or concern away.")
    premise: list[str] = Field(min_length=1, description="States something about the persona's world as given, unasked.")
    vague_metric: list[str] = Field(min_length=1, description="Proposes to measure something it does not define.")
    concrete: list[str] = Field(min_length=1, description="Near misses: concrete plans, defined metrics, assumptions offered as such.")
    acknowledge: list[str] = Field(min_length=1, description="Near misses: thanks, okays, accurate restatements.")

    def kinds(self) -> dict[str, list[str]]:
        return {k: list(getattr(self, k)) for k in ACT_KINDS}


ACT_KINDS = ("dismissal", "premise", "vague_metric", "concrete", "acknowledge")
REACTIONS = ("dismissal", "premise", "vague_metric")  # the kinds a persona reacts to; the rest are near misses


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
    world: list[WorldFact] = Field(default_factory=list)
    snippets: list[Snippet] = Field(default_factory=list)
    acts: Acts | None = Field(default=None, description="What a candidate does in a statement, by example (see `Acts`).")
    near_misses: list[str] = Field(
        default_factory=list,
        description="Questions close to the hidden constraints that ask about something else: the intent encoder "
        "learns them as a class of their own, so they lie apart from the constraints' asks.",
    )
    chatter: list[str] = Field(
        default_factory=list,
        description="Small talk and off-topic questions that ask for nothing the persona knows (\"get up to anything "
        "fun?\", \"how's your week been?\"): the intent encoder learns them as a class of their own, so a how-are-you "
        "lies apart from \"how am I doing?\".",
    )
    lines: Lines
    source: Literal["seed", "authored"]

    @model_validator(mode="after")
    def _unique(self) -> Persona:
        for group in ("constraints", "tensions", "do_not", "world", "snippets"):
            ids = [x.id for x in getattr(self, group)]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise Problem(f"duplicate {group} id(s) {sorted(dup)}", group)
        tensions = {t.id for t in self.tensions}
        for n, sn in enumerate(self.snippets):
            if sn.plants and sn.plants not in tensions:
                raise Problem(f"snippet {sn.id!r} plants {sn.plants!r}, which is not a tension of this persona", "snippets", n, "plants")
        clash = {c.id for c in self.constraints} & {w.id for w in self.world}
        if clash:
            raise Problem(f"world fact id(s) {sorted(clash)} also name a constraint", "world")
        return self

    def knowledge(self) -> list[Knowledge]:
        """Every hidden constraint (disclosed only when asked) and every world fact."""
        out = [Knowledge(c.id, c.topic or c.fact, "asked", True, tuple(c.ask_cues), tuple(c.disclosures),
                         tuple(c.leak_markers), c.fact) for c in self.constraints]
        out += [Knowledge(w.id, w.topic, w.disclosure, False, tuple(w.ask_cues), tuple(w.says), tuple(w.markers),
                          w.says[0]) for w in self.world]
        return out


class PersonaFile(Content):
    """One YAML file under `personas/`: one or more personas, and what all of them know."""

    shared_world: list[WorldFact] = Field(
        default_factory=list, description="World facts every persona in this file knows (a persona's own fact of the same id wins)."
    )
    shared_lines: dict[str, list[str]] = Field(
        default_factory=dict, description="Lines (by group of `lines`) for every persona in this file that has none of its own."
    )
    personas: list[Persona] = Field(min_length=1)

    @model_validator(mode="after")
    def _share(self) -> PersonaFile:
        unknown = sorted(set(self.shared_lines) - set(Lines.model_fields))
        if unknown:
            raise Problem(f"no line group(s) {unknown} (groups: {', '.join(Lines.model_fields)})", "shared_lines")
        for p in self.personas:
            own = {w.id for w in p.world} | {c.id for c in p.constraints}
            p.world = [*p.world, *(w.model_copy() for w in self.shared_world if w.id not in own)]
            for group, lines in self.shared_lines.items():
                if not getattr(p.lines, group):
                    setattr(p.lines, group, list(lines))
        return self
