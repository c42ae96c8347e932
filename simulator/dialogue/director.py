"""The director: before every persona or interviewer turn it decides *what* may be said (the plan);
the voice decides *how* (scripted offline, an LLM online). After an LLM speaks, the director checks
the reply before the candidate sees it.

Why a plan: the same decisions drive both voices, so offline and online sessions behave alike,
and the plan is saved with the turn so an eval can tell why a persona said what it said.

A plan is a JSON-able dict:

    {"kind": "persona"|"interviewer"|"assistant", "speaker": ..., "persona": ID, "seed": N,
     "turn": N, "channel": "chat"|"command"|"assistant", "item": ID,
     "moves": [{"act": "opening"|"closing"|"disclose"|"tension"|"deflect"|"clarify"|"pushback"|
                       "acknowledge"|"unknown"|"ask"|"follow_up"|"probe"|"hint"|"repeat"|
                       "time_warning"|"options"|"decline", ...}],
     "allowed": [constraint ids the reply may disclose], "instructions": "... for an LLM voice"}

Rules it enforces (from the persona file, never from code): a hidden fact is disclosed only in the
reply to the candidate's question about it; opening tensions in the first reply, topic tensions when
the candidate raises their cues, late ones after a few turns; a deflection when asked to supply the
design or metrics; a clarification request for a vague metric; a gentle push back when a proposal
ignores an engineering constraint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.content.persona import Persona
from simulator.content.rubric import Item
from simulator.core.transcript import Transcript, Turn
from simulator.dialogue import intent
from simulator.dialogue.comprehension import Bars, Comprehension
from simulator.dialogue.intent import Matcher
from simulator.dialogue.plan import STATE_VERSION, Move, Plan, time_in_words, upgrade_state

Evidence = Callable[[Transcript, Item], dict[str, bool]]

APPLICATION_KINDS = ("knockout", "video_response", "resume_criteria")


@dataclass(frozen=True)
class Limits:
    """The director's thresholds in one place, so tests and evals can vary them without patching code."""

    # How a message is read against what the persona knows (ask / near / topic / off-topic bars).
    bars: Bars = Bars()
    intent: bool = True  # score questions with the trained intent encoder when it is installed
    restate: float = 0.36  # similarity of a question to a tension already raised (0.1 clear of the rest): say it again
    trigger: float = 0.6  # similarity to a tension's trigger_cues (besides literal cue phrases)
    leak: float = 0.72  # similarity of an LLM reply sentence to an undisclosed fact that counts as a leak
    late_after: int = 3  # candidate turns before a "late" tension comes up
    max_follow_ups: int = 3
    max_probes: int = 2
    redirect_below: float = 0.3    # an answer less like its own item than this...
    redirect_margin: float = 0.1   # ...and this much more like another question is off-question
    covered: float = 0.42          # a follow-up this close to something the candidate said is not asked (MiniLM, hand check: answered pairs 0.43-0.56, others up to 0.36)
    snippet: float = 0.45  # a request for code this close to a snippet's requests gets that snippet
    walkthrough_share: float = 0.5  # of a presentation's time, for the walkthrough before Q&A
    warn_at: float = 0.8  # share of the time at which the time warning is given


def speaker_for(persona: Persona) -> str:
    return "interviewer" if persona.archetype == "interviewer" else persona.id


def item_time_s(item: Item) -> float | None:
    return item.response_time_minutes * 60.0 if item.response_time_minutes else None


class Director:
    """One per session. `state` is plain JSON so the session store can save and restore it."""

    def __init__(
        self,
        items: list[Item],
        personas: dict[str, Persona],
        *,
        variant: str | None = None,
        seed: int = 0,
        state: dict[str, Any] | None = None,
        matcher: Matcher | None = None,
        evidence: Evidence | None = None,
        limits: Limits = Limits(),
        elsewhere: list[str] | None = None,
    ) -> None:
        if not items:
            raise ValueError("a session needs at least one item")
        self.items = items
        self.personas = personas
        self.variant = variant
        self.seed = seed
        self.matcher = matcher or Matcher.shared()
        self.evidence = evidence  # injected by the practice session (the grader's live view); None: probe in order
        self.limits = limits
        self.comprehension = Comprehension.trained(self.matcher, limits.bars) if limits.intent else Comprehension(self.matcher, limits.bars)
        self._heard = ""  # what the candidate has said (a reply may repeat their figures)
        self._turns_seen = 0
        self.elsewhere = list(elsewhere or [])  # the library's other questions: an answer closer to one of them is off-question
        self.state: dict[str, Any] = {
            "turn": 0, "cand": 0, "item": 0, "item_start": 0.0, "opened": False, "finished": False,
            "disclosed": [], "asked": {}, "tensions": [], "pushed": [], "clarified": [],
            "follow": 0, "probed": [], "warned": False, "last_question": "", "panel_next": 0,
            "walked": False, "outcome": None, "assistant_opened": False, "redirected": False,
            "assistant_tensions": [], "told": [], "wrapped": False, "item_turn": 0, "version": STATE_VERSION,
        }
        self.state.update(upgrade_state(state))  # a session saved by an older version lacks newer keys

    def warm(self) -> None:
        """Embeds every cue the director compares against, in one batch, so no turn pays for it."""
        texts: list[str] = []
        for p in self.personas.values():
            texts += self.comprehension.warm_texts(p)
            for t in p.tensions:
                texts += [*t.trigger_cues, t.text, *t.lines]
        self.matcher.warm(texts)
        if self.comprehension.knows is not self.matcher:
            self.comprehension.knows.warm([c for p in self.personas.values() for k in p.knowledge() for c in k.ask_cues])

    # --- who is in the room --------------------------------------------------------------------

    @property
    def item(self) -> Item:
        idx: int = min(self.state["item"], len(self.items) - 1)
        return self.items[idx]

    def cast(self, item: Item | None = None) -> list[Persona]:
        item = item or self.item
        return [self.personas[p] for p in item.personas if p in self.personas]

    def lead(self, item: Item | None = None) -> Persona:
        people = [p for p in self.cast(item) if p.archetype != "assistant"]
        if not people:
            raise ValueError(f"item {(item or self.item).id!r} has no persona to play it")
        return people[0]

    def panel(self) -> list[Persona]:
        members = [p for p in self.cast() if p.archetype == "panel_member"]
        return members or [self.lead()]

    def host(self) -> Persona:
        """Who answers for the room (greets, hints, tells the time): the panel's first member or the lead."""
        return self.panel()[0] if self.mode() == "panel" else self.lead()

    def assistant_persona(self) -> Persona | None:
        if self.variant != "with_ai":
            return None
        for p in [*self.cast(), *self.personas.values()]:
            if p.archetype == "assistant":
                return p
        return None

    def mode(self, item: Item | None = None) -> str:
        item = item or self.item
        if item.kind in APPLICATION_KINDS:
            return "application"
        if item.kind == "presentation":
            return "panel"
        return "partner" if self.lead(item).archetype == "informed_partner" else "interview"

    @property
    def finished(self) -> bool:
        return bool(self.state["finished"])

    def time_limit(self) -> float | None:
        return item_time_s(self.item)

    def _time_up(self, elapsed: float) -> bool:
        limit = self.time_limit()
        return limit is not None and elapsed - self.state["item_start"] >= limit

    # --- planning ------------------------------------------------------------------------------

    def opening(self, elapsed: float = 0.0) -> list[Plan]:
        """The first turn(s) of the session: a greeting, the question, any opening tensions."""
        if self.state["opened"]:
            return []
        self.state["opened"] = True
        self.state["item_start"] = elapsed
        lead = self.host()
        moves: list[dict[str, Any]] = [{"act": "opening"}]
        if self.mode() == "partner":
            for t in lead.tensions:
                if t.trigger == "opening":
                    moves.append(self._tension(t.id))
        else:
            moves += self._ask_item(self.item)
        return [self._plan(lead, moves)]

    def react(self, transcript: Transcript, text: str, elapsed: float) -> list[Plan]:
        """The persona turn(s) that answer the candidate's latest chat message."""
        if self.finished:
            return []
        if not self.state["opened"]:
            self.opening(elapsed)
        self.state["cand"] += 1
        self._heard = " ".join(t.text for t in transcript.turns if t.is_candidate)
        self._turns_seen = len(transcript.turns)
        mode = self.mode()
        if mode == "partner":
            return self._partner(text, elapsed, _last_line(transcript), _said_before(transcript))
        if mode == "panel":
            return self._panel(transcript, elapsed)
        if mode == "application":
            return self._application(transcript, text, elapsed)
        return self._interview(transcript, elapsed)

    def coach_note(self) -> str:
        """/hint where the persona has nothing to hint (a work simulation): a coach's note, outside
        the persona's voice, on what is still unexplored (subjects only, never the facts): the
        hidden constraints first, then what else the persona tells only when asked."""
        p = self.lead()
        st = self.state
        known = p.knowledge()
        hidden = [k.topic for k in known if k.hidden and k.id not in st["disclosed"]]
        other = [k.topic for k in known if not k.hidden and k.disclosure == "asked" and k.id not in st["told"]]
        head = f"Coach's note ({p.name} does not hear this): "
        if hidden:
            note = head + f"you have not asked about {intent.listed(hidden)} yet."
            return note + (f" Also worth asking: {intent.listed(other)}." if other else "")
        if other:
            return head + f"you have uncovered what {p.name} holds back; also worth asking: {intent.listed(other)}."
        return head + f"you have asked about everything {p.name} knows; pull it together into your plan."

    def command(self, name: str, elapsed: float, last_said: str = "") -> list[Plan]:
        """hint, repeat, end (time is the session's clock, not a persona's line). `last_said`: the
        persona's last line, which /repeat says again where there is no interview question."""
        if self.finished and name != "end":
            return []
        lead = self.host()
        if name == "repeat" and self.mode() == "partner" and last_said:
            return [self._plan(lead, [{"act": "repeat", "text": last_said}], channel="command")]
        if name == "hint":
            moves: list[dict[str, Any]] = [{"act": "hint"}]
            nxt = self._take_follow_up()
            if nxt is not None:  # the hint leads into the next follow-up, which is then asked
                moves[0]["text"] = nxt
            return [self._plan(lead, moves, channel="command")]
        if name == "repeat":
            return [self._plan(lead, [{"act": "repeat", "text": self._question_now()}], channel="command")]
        if name == "end":
            if self.finished:
                return []
            return [self._close(lead, [])]
        raise ValueError(f"unknown command {name!r}")

    def assistant(self, text: str) -> list[Plan]:
        """The with-AI assistant's reply: its planted suggestions come from its persona's tensions."""
        persona = self.assistant_persona()
        if persona is None:
            return []
        self._heard += " " + text
        moves: list[dict[str, Any]] = []
        if not self.state["assistant_opened"]:
            self.state["assistant_opened"] = True
            moves.append({"act": "opening"})
            for t in persona.tensions:
                if t.trigger == "opening" and t.id not in self.state["assistant_tensions"]:
                    self.state["assistant_tensions"].append(t.id)
                    moves.append({"act": "tension", "id": t.id})
        snippet = self._snippet(persona, text)
        if snippet is not None:  # asked for code, it writes code (never "Done." without any)
            moves.append({"act": "code", "id": snippet.id})
            self.state.setdefault("snippets", []).append(snippet.id)
            if snippet.plants and snippet.plants not in self.state["assistant_tensions"]:
                self.state["assistant_tensions"].append(snippet.plants)
        for t in persona.tensions:
            if t.id in self.state["assistant_tensions"] or t.trigger == "opening":
                continue
            if t.trigger == "late" or self._triggered(text, t.trigger_cues):
                self.state["assistant_tensions"].append(t.id)
                moves.append({"act": "tension", "id": t.id})
        if not moves:
            moves.append({"act": "acknowledge"})
        return [self._plan(persona, moves, kind="assistant", channel="assistant")]

    def _snippet(self, persona: Persona, text: str) -> Any:
        """The code an assistant writes for a request for code: the snippet whose requests are most
        like it (the first one not yet written when none is close)."""
        if not persona.snippets or not intent.asks_for_code(text):
            return None
        scored = sorted(((self.matcher.similarity(text, sn.asks), n) for n, sn in enumerate(persona.snippets)), reverse=True)
        best, n = scored[0]
        if best >= self.limits.snippet:
            return persona.snippets[n]
        given = set(self.state.setdefault("snippets", []))
        fresh = [sn for sn in persona.snippets if sn.id not in given]
        return (fresh or persona.snippets)[0]

    # --- the informed partner (Jordan Lee) -----------------------------------------------------

    def _partner(self, text: str, elapsed: float, last: Turn | None = None, before: str = "") -> list[Plan]:
        p = self.lead()
        st = self.state
        if last is not None and intent.asks_bare_again(text) and not self._time_up(elapsed):
            # "Again?", "Sorry?": what she told in her last line, told again ("Like I said, ..."), or
            # the line itself once more, as /repeat says it
            said = [m for m in (last.meta.get("plan") or {}).get("moves", [])
                    if m.get("act") in ("tell", "disclose", "withhold") and m.get("id") in {k.id for k in p.knowledge()}]
            if said:
                return [self._plan(p, [self._tell(p, str(m["id"]), 1.0) for m in said])]
            return [self._plan(p, [{"act": "repeat", "text": last.text}])]
        r = self.comprehension.read(p, text, self._context(), self._scenario(p), set(st["disclosed"]) | set(st["told"]), before)
        moves: list[dict[str, Any]] = [self._tell(p, kid, score) for kid, score in self._fresh(r.asks, text).items()]

        if p.lines.deflect and r.asks_for_answer and not any(m["act"] == "withhold" for m in moves):
            moves.append(self._decline(p, text))
        if r.everything:
            moves.append(self._inventory(p))

        if p.lines.clarify:
            terms = [t for t in r.vague if t not in st["clarified"]]
            if terms:
                st["clarified"].append(terms[0])
                moves.append({"act": "clarify", "term": terms[0]})

        premise = next((k for k in p.knowledge() if r.dismisses and k.id == r.dismisses[0]), None)
        confirm = intent.asks_to_be_corrected(text) or (intent.checks_premise(text) and not r.tagged)  # a bare tag on a dismissal asks nothing
        if (premise is not None and confirm and not any(m["act"] == "disclose" for m in moves)
                and self.comprehension.about(text, premise) >= self.limits.bars.ask):
            # "since we can put half the users in, that works, right?": asked to confirm a premise
            # about a constraint, she answers honestly with the fact
            moves.insert(0, self._tell(p, r.dismisses[0], 0.0))
        answered = {m.get("id") for m in moves}
        for kid in r.corrects:  # "as your users are mostly students...": she sets the record straight
            if kid not in answered:
                moves.append(self._tell(p, kid, 0.0))
        if p.lines.pushback and not r.corrects and not any(m["act"] == "disclose" for m in moves):
            pushed = r.dismisses[0] if r.dismisses else self._pushback(p, r.proposals, text)
            if pushed:
                if pushed not in st["pushed"]:
                    st["pushed"].append(pushed)
                moves.append({"act": "pushback", "id": pushed, **({"waved": True} if r.dismisses else {})})
            elif r.contests:
                moves.append({"act": "pushback", "waved": True})  # waved away or assumed, on no subject she can name

        over = self._time_up(elapsed)
        tension = self._due_tension(p, text, closing=over)
        if tension:
            moves.append(self._tension(tension))
        if over:
            return [self._close(p, moves)]
        self._maybe_warn(moves, elapsed)
        if not moves or all(m["act"] == "time_warning" for m in moves):
            again = self._restated(p, r.questions)
            if again:
                moves.insert(0, {"act": "tension", "id": again, "again": True})
            elif r.near and p.lines.specify:
                moves.insert(0, {"act": "specify"})
            elif r.small_talk and p.lines.small_talk:
                moves.insert(0, _small_talk(text))
            elif r.off_topic and p.lines.off_topic:
                moves.insert(0, {"act": "off_topic"})
            elif (r.unknown or r.near) and p.lines.unknown:
                moves.insert(0, {"act": "unknown"})
            else:
                moves.insert(0, {"act": "acknowledge"})
        return [self._plan(p, moves)]

    def _context(self) -> str:
        return f"{self.item.title} {self.item.question}"

    def _scenario(self, p: Persona) -> list[str]:
        """What the session is about, in words: a question like none of these is off-topic."""
        item = self.item
        out = [item.title, item.question, p.motivation, *(k.topic for k in p.knowledge()), *(t.text for t in p.tensions)]
        if item.brief is not None:
            out += [x for x in (item.brief.scenario, item.brief.problem) if x]
        return out

    def _tell(self, p: Persona, kid: str, score: float) -> dict[str, Any]:
        """The move that answers a question about one piece of knowledge, by its disclosure rule."""
        st = self.state
        k = next(k for k in p.knowledge() if k.id == kid)
        if k.disclosure == "never":
            return {"act": "withhold", "id": kid}
        if k.hidden:
            again = kid in st["disclosed"]
            if not again:
                st["asked"][kid] = st["cand"]
                st["disclosed"].append(kid)
            move: dict[str, Any] = {"act": "disclose", "id": kid, "score": round(score, 3)}
        else:
            again = kid in st["told"]
            if not again:
                st["told"].append(kid)
            move = {"act": "tell", "id": kid, "score": round(score, 3)}
        if again:
            move["again"] = True
        return move

    def _fresh(self, asks: dict[str, float], text: str) -> dict[str, float]:
        """What to answer: a world fact already told is told again only when the candidate asks to
        hear it again or asks about it as plainly as a hidden fact must be asked (a loose match to
        something already said is not worth saying twice); a hidden constraint asked about again
        is answered again."""
        if any(intent.asks_again(s) for s in intent.sentences(text) or [text]):
            return asks
        told = set(self.state["told"])
        return {kid: v for kid, v in asks.items() if kid not in told or v >= self.limits.bars.ask}

    def _decline(self, p: Persona, text: str) -> dict[str, Any]:
        """A request for the answer: the persona's `never` fact nearest to it, declined in that
        fact's own words ("what the right design is": "I'd rather hear your take"), so the plan says
        what was asked; a persona without one hands it back in general words."""
        never = [k for k in p.knowledge() if k.disclosure == "never"]
        if not never:
            return _deflect(p)
        return self._tell(p, max(never, key=lambda k: self.comprehension.about(text, k)).id, 0.0)

    def _inventory(self, p: Persona) -> dict[str, Any]:
        """Asked for everything: the subjects of what is still hidden (never the facts), or, when
        all is told, a recap of it. Never a denial."""
        hidden = [k for k in p.knowledge() if k.hidden]
        untold = [k.id for k in hidden if k.id not in self.state["disclosed"]]
        if untold and p.lines.inventory:
            return {"act": "inventory", "ids": untold}
        return {"act": "recap", "ids": [k.id for k in hidden if k.id in self.state["disclosed"]]}

    def _restated(self, p: Persona, questions: list[str]) -> str | None:
        """A question about a view the persona already voiced ("what does success look like?")."""
        if not questions:
            return None
        scores = sorted(((max(self.matcher.similarity(q, [t.text, *t.lines]) for q in questions), t.id) for t in p.tensions), reverse=True)
        best, which = scores[0]
        runner_up = scores[1][0] if len(scores) > 1 else 0.0
        if which in self.state["tensions"] and best >= self.limits.restate and best - runner_up >= 0.1:
            return which
        return None

    def _pushback(self, p: Persona, proposals: list[str], text: str) -> str | None:
        """A proposal about a constraint's subject (its anchor words) that does not take the
        constraint into account: the best-matching such fact, if it scores `topic` or more (once
        per constraint; a dismissal of it is pushed back on every time)."""
        if not proposals:
            return None
        k, best = self.comprehension.on_subject(p, proposals, self._context())
        if k is None or best < self.limits.bars.topic or k.id in self.state["pushed"]:
            return None
        if k.markers and intent.mentions_any(text, list(k.markers)):
            return None  # the candidate's plan already accounts for it
        return k.id

    def _triggered(self, text: str, cues: list[str]) -> bool:
        if not cues:
            return False
        if intent.mentions_any(text, cues):
            return True
        return any(self.matcher.similarity(s, cues) >= self.limits.trigger for s in intent.sentences(text))

    def _due_tension(self, p: Persona, text: str, *, closing: bool = False) -> str | None:
        """At most one tension per reply: a topic one the candidate just raised, else a late one."""
        pending = [t for t in p.tensions if t.id not in self.state["tensions"]]
        for t in pending:
            if t.trigger == "topic" and self._triggered(text, t.trigger_cues):
                return t.id
        cand = self.state["cand"]
        for t in pending:
            if t.trigger == "late" and (cand >= self.limits.late_after or closing):
                return t.id
        for t in pending:  # a topic never raised still gets raised before the end
            if t.trigger == "topic" and (cand >= 2 * self.limits.late_after or closing):
                return t.id
        for t in pending:
            if t.trigger == "opening":
                return t.id
        return None

    def _tension(self, tension_id: str) -> dict[str, Any]:
        if tension_id not in self.state["tensions"]:
            self.state["tensions"].append(tension_id)
        return {"act": "tension", "id": tension_id}

    # --- interviewers --------------------------------------------------------------------------

    def _ask_item(self, item: Item) -> list[dict[str, Any]]:
        question = item.prompt_for(self.variant)
        self.state["last_question"] = question
        moves: list[dict[str, Any]] = [{"act": "ask", "item": item.id, "text": question}]
        if item.kind == "knockout":
            moves.append({"act": "options", "options": [o.answer for o in item.options]})
        if item.kind == "video_response" and item.response_time_minutes:
            moves.append({"act": "timed", "minutes": item.response_time_minutes})
        return moves

    def _next_follow_up(self) -> str | None:
        fus = self.item.follow_ups
        k = self.state["follow"]
        return fus[k] if k < len(fus) else None

    def _take_follow_up(self, transcript: Transcript | None = None) -> str | None:
        """The next follow-up the candidate has not already answered in this item, now asked: it
        becomes the question /repeat says."""
        while (nxt := self._next_follow_up()) is not None:
            self.state["follow"] += 1
            if transcript is not None and self._covered(transcript, nxt):
                continue
            self.state["last_question"] = nxt
            return nxt
        return None

    def _covered(self, transcript: Transcript, question: str) -> bool:
        """Whether something the candidate said during this item already answers a follow-up."""
        said = [x for t in transcript.turns[self.state["item_turn"]:] if t.is_candidate and t.channel != "command"
                for x in intent.sentences(t.text) if len(intent.words(x)) >= 4]
        return bool(said) and max(self.matcher.similarity(question, [x]) for x in said[-12:]) >= self.limits.covered

    def _missing_indicator(self, transcript: Transcript, *, repeat: bool = False) -> str | None:
        """The first positive indicator the candidate has not shown yet and was not probed on
        (with `repeat`, the least-probed one: a panel of three has more questions than indicators)."""
        shown = self._shown(transcript, self.item) or {}  # no evidence: probe in order
        missing = [i.id for i in self.item.indicators_for(self.variant) if i.polarity == "positive" and not shown.get(i.id)]
        for ind in missing:
            if ind not in self.state["probed"]:
                return ind
        if repeat and missing:
            return min(missing, key=lambda i: (self.state["probed"].count(i), missing.index(i)))
        return None

    def _interview(self, transcript: Transcript, elapsed: float) -> list[Plan]:
        """One question (with its follow-ups and probes) until its time is up or the candidate
        says they are done; never ended by a count of turns."""
        lead = self.lead()
        if self._time_up(elapsed):
            return self._next_item(lead, elapsed)
        text = transcript.turns[-1].text if transcript.turns else ""
        asked = self._asked_of_interviewer(lead, text, transcript, elapsed)
        if asked:
            self._maybe_warn(asked, elapsed)
            return [self._plan(lead, asked)]  # the question stands; nothing else moves on
        moves = self._next_question(transcript, text)
        if moves is None:
            return self._next_item(lead, elapsed)
        self._maybe_warn(moves, elapsed)
        return [self._plan(lead, moves)]

    def _next_question(self, transcript: Transcript, text: str, *, repeat: bool = False) -> list[dict[str, Any]] | None:
        """What the interviewer says after an answer: back to the question if the answer is about
        something else; else the next follow-up the candidate has not already covered, a probe for
        an indicator not yet shown, and when none is left, "anything to add?". None: the candidate
        said they are done (after the wrap-up, or in so many words), so the item ends."""
        st = self.state
        if st["wrapped"] and (intent.is_done(text) or _declines(text)):
            return None
        if intent.is_done(text) and st["follow"] + len(st["probed"]) > 0:
            return None
        if self._off_question(text):
            # the first time, a pointer back that names what the question is about (or, for a
            # persona without such lines, the question again); after that a bare pointer. The
            # question is never said again word for word unasked (/repeat says it)
            again, st["redirected"] = st["redirected"], True
            if again:
                return [{"act": "redirect"}]
            return [{"act": "redirect", "text": self.item.prompt_for(self.variant), "topic": self.item.subject()}]
        follow = self._take_follow_up(transcript) if st["follow"] < self.limits.max_follow_ups else None
        if follow is not None:
            return [{"act": "follow_up", "text": follow}]
        if len(st["probed"]) < self.limits.max_probes or repeat:
            missing = self._missing_indicator(transcript, repeat=repeat and len(st["probed"]) < 2 * self.limits.max_probes)
            if missing:
                st["probed"].append(missing)
                return [{"act": "probe", "indicator": missing}]
        if not st["wrapped"]:
            st["wrapped"] = True
            return [{"act": "acknowledge"}, {"act": "wrap_up"}]
        return [{"act": "acknowledge"}]

    def _off_question(self, text: str) -> bool:
        """An answer about something else: unlike the item (its question, follow-ups, indicators,
        reference answer) and clearly closer to another question of the library. Tuned on the
        grading blind set's answers: 4 of 257 real answers fall below (vague ones)."""
        if not self.elsewhere or intent.is_question(text.strip()):
            return False
        sents = [x for x in intent.sentences(text) if len(intent.words(x)) >= 4]
        if not sents:
            return False
        item = self.item
        refs = [item.question, *item.follow_ups, *(i.text for i in item.indicators)]
        if item.reference_answer:
            refs += intent.sentences(item.reference_answer)[:12]
        own = max(self.matcher.similarity(x, refs) for x in sents)
        if own >= self.limits.redirect_below:
            return False
        others = [q for q in self.elsewhere if q != item.question]
        return max(self.matcher.similarity(x, others) for x in sents) - own >= self.limits.redirect_margin

    def _question_now(self) -> str:
        """The question on the table: the last one asked, else the item's."""
        return str(self.state["last_question"] or self.item.prompt_for(self.variant))

    def _asked_of_interviewer(self, p: Persona, text: str, transcript: Transcript, elapsed: float = 0.0) -> list[dict[str, Any]]:
        """A candidate's question to the interviewer (the format, an assumption, the team...) or a
        request for the answer: answered from the interviewer's world, and the question stands.
        "Could you repeat the question?" gets the question again, "Sorry, say that again?" the
        interviewer's last line, "How long have I got?" the time on the clock. An answer to the
        question (no question in it) gives nothing here."""
        if intent.asks_for_the_question(text):
            return [{"act": "repeat", "text": self._question_now()}]
        last = _last_line(transcript) if intent.asks_bare_again(text) else None
        if last is not None:
            return [{"act": "repeat", "text": last.text}]
        sents = intent.sentences(text) or [text]
        questions = [x for x in sents if intent.is_question(x)]
        limit = self.time_limit()
        clock: list[dict[str, Any]] = []
        timed = next((w.id for w in p.world if w.clock), None)  # the world fact the clock answers ("how this part works")
        if limit is not None and timed is not None and p.lines.time_left and intent.asks_time_left(text):
            clock = [{"act": "time_left", "id": timed, "left_s": self._left_s(limit, elapsed)}]
            # "how long do I have, and will you ask along the way?": the rest of the question still asks
            questions = [c for x in questions for c in ([x] if not intent.asks_time_left(x) else intent.clauses(x))
                         if not intent.asks_time_left(c)]
            if not questions:
                return clock
        if not questions:
            if (p.lines.small_talk and len(intent.words(text)) <= 12 and not intent.is_done(text)
                    and intent.is_pleasantry(text)):
                return [_small_talk(text)]  # "Hi Hannah, lovely to meet you.": no answer yet
            return []
        r = self.comprehension.read(p, " ".join(questions), self._context(), self._scenario(p))
        moves = [self._tell(p, kid, score) for kid, score in self._fresh(r.asks, text).items()]
        if p.lines.deflect and r.asks_for_answer and not any(m["act"] == "withhold" for m in moves):
            moves.append(self._decline(p, text))
        if not moves and len(questions) == len(sents):  # a message that only asks
            if r.small_talk and p.lines.small_talk:
                moves.append(_small_talk(text))
            elif r.off_topic and p.lines.off_topic and not (r.unknown or r.near) and not intent.about_the_speaker(text):
                # "is there parking at the office?" is no question about the problem; "am I doing
                # alright?" is about the candidate, and is handed back
                moves.append({"act": "off_topic"})
            elif (r.unknown or r.near or r.off_topic) and p.lines.deflect:
                # a question about the problem itself ("how do people normally monitor drift?",
                # "which metric do you want?"): the interviewer hands it back, never answers it
                moves.append(_deflect(p))
        return moves + clock

    def _next_item(self, speaker: Persona, elapsed: float, lead_moves: list[dict[str, Any]] | None = None) -> list[Plan]:
        st = self.state
        moves = list(lead_moves or [])
        if st["item"] + 1 >= len(self.items):
            return [self._close(speaker, moves)]
        st.update(item=st["item"] + 1, item_start=elapsed, follow=0, probed=[], warned=False,
                  panel_next=0, walked=False, wrapped=False, item_turn=self._turns_seen)
        nxt = self.lead()
        if nxt.id != speaker.id:
            return [self._plan(speaker, moves + [{"act": "acknowledge"}]), self._plan(nxt, [{"act": "opening"}, *self._ask_item(self.item)])]
        return [self._plan(nxt, moves + [{"act": "acknowledge"}, *self._ask_item(self.item)])]

    def _panel(self, transcript: Transcript, elapsed: float) -> list[Plan]:
        """Presentation: the walkthrough, uninterrupted until the candidate says they are done or
        its share of the time is up, then each panel member asks in turn until time is up or the
        candidate has nothing to add."""
        st = self.state
        panel = self.panel()
        if self._time_up(elapsed):
            return self._next_item(panel[0], elapsed)
        text = transcript.turns[-1].text if transcript.turns else ""
        asked = self._asked_of_interviewer(panel[0], text, transcript, elapsed)
        if asked:
            self._maybe_warn(asked, elapsed)
            return [self._plan(panel[0], asked)]
        limit = self.time_limit() or 0.0
        if not st["walked"]:
            if not intent.is_done(text) and elapsed - st["item_start"] < self.limits.walkthrough_share * limit:
                moves: list[dict[str, Any]] = [{"act": "listen"}]
                self._maybe_warn(moves, elapsed)
                return [self._plan(panel[0], moves)]
            st["walked"] = True
            text = ""  # "that's my presentation" ends the walkthrough, not the Q&A
        member = panel[st["panel_next"] % len(panel)]
        nxt = self._next_question(transcript, text, repeat=True)
        if nxt is None:
            return self._next_item(panel[0], elapsed)
        if any(m["act"] in ("follow_up", "probe") for m in nxt):
            st["panel_next"] += 1
        else:
            member = panel[0]
        self._maybe_warn(nxt, elapsed)
        return [self._plan(member, nxt)]

    def _application(self, transcript: Transcript, text: str, elapsed: float) -> list[Plan]:
        """Knock-out (auto-decline applied), timed video response, pasted resume."""
        st = self.state
        item = self.item
        lead = self.lead()
        if item.kind == "knockout":
            option = match_option(text, [o.answer for o in item.options])
            if option is None:
                return [self._plan(lead, [{"act": "clarify"}, {"act": "options", "options": [o.answer for o in item.options]}])]
            outcome = next(o.outcome for o in item.options if o.answer == option)
            st.setdefault("answers", {})[item.id] = {"answer": option, "outcome": outcome}
            if outcome == "auto_decline":
                st["outcome"] = "auto_decline"
                return [self._close(lead, [{"act": "decline", "item": item.id, "answer": option}])]
            return self._next_item(lead, elapsed)
        if item.kind in ("video_response", "resume_criteria") and len(intent.words(text)) <= 40:
            # "Before I record, could you clarify the format?" is a question, not the answer
            asked = self._asked_before_answering(lead, text)
            if asked:
                return [self._plan(lead, asked)]
        if item.kind == "video_response":
            # a recorded answer's own length when it was spoken, else the time saying the text takes
            last = transcript.turns[-1] if transcript.turns and transcript.turns[-1].is_candidate else None
            recorded = (last.meta.get("speech") or {}).get("duration_s") if last is not None else None
            spoken = float(recorded) if recorded else speaking_seconds(text)
            limit = item_time_s(item)
            st.setdefault("answers", {})[item.id] = {"spoken_s": round(spoken, 1), "limit_s": limit,
                                                    "over": bool(limit and spoken > limit), "recorded": bool(recorded)}
            return self._next_item(lead, elapsed)
        answer: dict[str, Any] = {"chars": len(text)}
        if item.kind == "resume_criteria":  # the pasted resume read against the criteria (graded properly later)
            criteria = self._shown(transcript, item)
            if criteria is not None:
                answer["criteria"] = criteria
        st.setdefault("answers", {})[item.id] = answer
        return self._next_item(lead, elapsed)

    def _asked_before_answering(self, p: Persona, text: str) -> list[dict[str, Any]]:
        """A short message that only asks about what the persona knows (how this step works, what
        comes next): the moves that answer it, the step's own words and time for what the step
        answers (`WorldFact.step_answers`); [] for anything else, which is the answer."""
        sents = intent.sentences(text) or [text]
        if not all(intent.is_question(s) for s in sents):
            return []
        r = self.comprehension.read(p, text, self._context(), self._scenario(p), set(self.state["told"]))
        by_step = {w.id for w in p.world if w.step_answers} & r.asks.keys()
        moves = [self._tell(p, kid, score) for kid, score in r.asks.items() if kid not in by_step]
        return (self._ask_item(self.item) + moves) if by_step else moves

    # --- shared --------------------------------------------------------------------------------

    def _shown(self, transcript: Transcript, item: Item) -> dict[str, bool] | None:
        """The grader's live view of which indicators are shown; advisory, so a failure is None."""
        if self.evidence is None:
            return None
        try:
            return self.evidence(transcript, item)
        except Exception:
            return None

    def _maybe_warn(self, moves: list[dict[str, Any]], elapsed: float) -> None:
        limit = self.time_limit()
        told = any(m["act"] == "time_left" for m in moves)  # the time was just said: no warning on top of it
        if limit and not told and not self.state["warned"] and elapsed - self.state["item_start"] >= self.limits.warn_at * limit:
            self.state["warned"] = True
            moves.append({"act": "time_warning", "left_s": self._left_s(limit, elapsed)})

    def _left_s(self, limit: float, elapsed: float) -> float:
        """Seconds left on the item, whole."""
        return float(round(max(0.0, limit - (elapsed - float(self.state["item_start"])))))

    def _close(self, speaker: Persona, moves: list[dict[str, Any]]) -> Plan:
        self.state["finished"] = True
        return self._plan(speaker, [*moves, {"act": "closing"}])

    def _plan(self, persona: Persona, moves: list[dict[str, Any]], *, kind: str | None = None, channel: str = "chat") -> Plan:
        st = self.state
        st["turn"] += 1
        kind = kind or ("interviewer" if persona.archetype in ("interviewer", "panel_member") else "persona")
        plan = Plan(
            kind=kind,
            speaker=speaker_for(persona),
            persona=persona.id,
            seed=self.seed,
            turn=st["turn"],
            channel=channel,
            item=self.item.id,
            moves=[Move(**m) for m in moves],
            allowed=self._allowed(persona),
        )
        plan.instructions = instructions(plan, persona, self.item)
        return plan

    def _allowed(self, persona: Persona) -> list[str]:
        """What a reply may state: hidden facts asked for, world facts told or free to tell."""
        st = self.state
        out = [k.id for k in persona.knowledge()
               if (k.hidden and k.id in st["disclosed"]) or (not k.hidden and k.disclosure == "free") or k.id in st["told"]]
        return out

    # --- checking an LLM reply -----------------------------------------------------------------

    def check(self, reply: str, plan: Plan, *, semantic: bool = True) -> dict[str, Any]:
        """Leaks of facts the candidate has not asked about, and broken do-not rules.

        Leak markers always; with `semantic`, also a sentence close in meaning to a hidden fact
        (for LLM replies: the scripted voice only says lines the plan allows)."""
        persona = self.personas[plan.persona]
        allowed = set(plan.allowed)
        leaks: list[str] = []
        for k in persona.knowledge():
            if k.id in allowed or (k.disclosure == "never" and not k.markers):
                continue
            if k.markers and intent.mentions_any(reply, list(k.markers)):
                leaks.append(k.id)
            elif k.hidden and semantic and self.matcher.semantic and any(
                self.matcher.similarity(s, [k.fact, *k.says]) >= self.limits.leak for s in intent.sentences(reply)
            ):
                leaks.append(k.id)
        invented = invented_numbers(reply, self._known_text(persona, plan)) if semantic else []
        violations = [r.id for r in persona.do_not if r.violation_cues and intent.mentions_any(reply, r.violation_cues)]
        if plan.kind == "interviewer":  # an interviewer who says what a scored answer says gives it away
            item = next((i for i in self.items if i.id == plan.item), self.item)
            for ind in item.indicators_for(self.variant):
                if ind.polarity == "positive" and ind.cues and intent.mentions_any(reply, ind.cues):
                    violations.append(f"gives-away:{ind.id}")
        out: dict[str, Any] = {"ok": not leaks and not violations and not invented, "leaks": leaks, "violations": violations}
        if invented:
            out["invented"] = invented
        return out

    def _known_text(self, persona: Persona, plan: Plan) -> str:
        """Everything a reply may draw figures from: the persona's allowed knowledge and lines, the
        item, and what the candidate said."""
        allowed = set(plan.allowed)
        parts = [" ".join(k.says) + " " + k.fact for k in persona.knowledge() if k.id in allowed]
        parts += [" ".join(t.lines) + " " + t.text for t in persona.tensions]
        parts += [" ".join(v) for v in persona.lines.model_dump().values()]
        item = next((i for i in self.items if i.id == plan.item), self.item)
        parts += [item.question, item.title, *item.follow_ups, *(m.text or "" for m in plan.moves)]
        parts += [m.term or "" for m in plan.moves]
        # the clock's figures a time move says ("about 12 minutes", "3 minutes remain", "5 minutes for your answer")
        parts += [f"{time_in_words(m.left_s)} {int(m.left_s // 60)}" for m in plan.moves if m.left_s is not None]
        parts += [f"{m.minutes:g}" for m in plan.moves if m.minutes is not None]
        parts.append(self._heard)
        return " ".join(parts)


# --- helpers -----------------------------------------------------------------------------------


def _last_line(transcript: Transcript) -> Turn | None:
    """The persona's last line in the chat (what "say that again?" asks for)."""
    return next((t for t in reversed(transcript.turns) if not t.is_candidate and t.channel == "chat"), None)


def _said_before(transcript: Transcript) -> str:
    """The candidate's chat message before the latest one ("" when there is none)."""
    said = [t for t in transcript.turns if t.is_candidate and t.channel == "chat"]
    return said[-2].text if len(said) >= 2 else ""


def _small_talk(text: str) -> dict[str, Any]:
    """A greeting is met with a greeting; thanks with a you're-welcome ("Thanks, that's helpful." is
    no "Hi! Good to see you." halfway through a session)."""
    return {"act": "thanks" if intent.is_thanks(text) else "small_talk"}


def _deflect(p: Persona) -> dict[str, Any]:
    return {"act": "deflect", "rules": [r.id for r in p.do_not]}


def _declines(text: str) -> bool:
    """"No", "nope, that's all", "nothing": an answer to "anything to add?"."""
    words = intent.words(text)
    return bool(words) and len(words) <= 6 and words[0] in ("no", "nope", "nothing", "not", "that's", "nah")


_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:%|percent\b|ms\b|k\b|x\b)?", re.I)
_NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "fifteen",
                 "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "dozen", "half")


def invented_numbers(reply: str, known: str) -> list[str]:
    """Figures in a reply (digits, or number words) that nothing the persona may say contains:
    an LLM voice making up a fact. Offline lines come from the persona file, so they never do."""
    have = {m.group(0).strip().lower().replace(" ", "") for m in _NUMBER.finditer(known)}
    have_words = set(intent.words(known))
    out = [m.group(0).strip() for m in _NUMBER.finditer(reply) if m.group(0).strip().lower().replace(" ", "") not in have]
    out += [w for w in intent.words(reply) if w in _NUMBER_WORDS and w not in have_words]
    return list(dict.fromkeys(out))


def speaking_seconds(text: str, wpm: float = 150.0) -> float:
    """How long saying this takes; the video response and the virtual clock use it."""
    return len(intent.words(text)) * 60.0 / wpm


def match_option(text: str, options: list[str]) -> str | None:
    """The knock-out option a free-text answer picks: exact, a 1-based number, or containment."""
    norm = intent.normalise(text)
    for o in options:
        if intent.normalise(o) == norm:
            return o
    if norm.isdigit() and 1 <= int(norm) <= len(options):
        return options[int(norm) - 1]
    hits = [o for o in options if intent.contains_phrase(text, o)]
    if len(hits) == 1:
        return hits[0]
    hits = [o for o in options if norm and norm in intent.normalise(o)]
    return hits[0] if len(hits) == 1 else None


# What an LLM voice is told for each act that needs nothing from the move itself.
FIXED_INSTRUCTIONS = {
    "opening": "Greet the candidate briefly and in character.",
    "closing": "Close the conversation politely; do not evaluate the candidate.",
    "deflect": "The candidate asked you to supply the design or the metrics. Do not; hand the question back to them.",
    "pushback": "Push back gently: their plan does not account for an engineering concern. Do not state any fact they have not asked about.",
    "pushback_waved": "Push back gently: they waved away an engineering concern or took something as given. Do not state any fact they have not asked about.",
    "acknowledge": "Acknowledge briefly and let the candidate lead.",
    "unknown": "You do not know the answer to that; say so in character and do not invent facts.",
    "decline": "Thank them; the application cannot go further on this answer.",
    "small_talk": "Reply to the small talk briefly and warmly, then invite them back to the task.",
    "thanks": "They thanked you: say you're welcome briefly and let them carry on with the task.",
    "off_topic": "That is off the topic of this session; say so lightly and bring them back to the task.",
    "specify": "You are not sure what they are asking; ask them to be more specific. Do not guess or state any fact.",
    "wrap_up": "Ask whether they have anything to add before moving on.",
    "listen": "Say a short go-on; they are presenting and you do not interrupt.",
}


def instructions(plan: Plan, persona: Persona, item: Item) -> str:
    """The plan in words, for an LLM voice. Facts appear here only when the plan allows them."""
    facts = {c.id: c for c in persona.constraints}
    known = {k.id: k for k in persona.knowledge()}
    tensions = {t.id: t for t in persona.tensions}
    indicators = {i.id: i for i in item.indicators}
    out: list[str] = []
    for m in plan.moves:
        act = m.act
        if act in FIXED_INSTRUCTIONS:
            out.append(FIXED_INSTRUCTIONS["pushback_waved" if act == "pushback" and m.waved else act])
        elif act == "disclose":
            out.append(f"The candidate asked about this; answer honestly with this fact: {facts[m.id or ''].fact}")
        elif act == "tell":
            k = known.get(m.id or "")
            if k is not None:
                out.append(f"The candidate asked about {k.topic}; answer with what you know: {k.says[0]}")
        elif act == "withhold":
            k = known.get(m.id or "")
            if k is not None:
                out.append(f"They asked about {k.topic}, which you never discuss; decline politely, like: {k.says[0]}")
        elif act == "inventory":
            topics = "; ".join(known[i].topic for i in m.ids or [] if i in known)
            out.append(f"They asked for everything you know. Name only these subjects, without stating any fact, and ask which they want: {topics}")
        elif act == "recap":
            told = " ".join(known[i].says[0] for i in m.ids or [] if i in known)
            out.append(f"They asked for everything; they have heard it all. Recap briefly: {told}" if told else "Ask them to be more specific.")
        elif act == "redirect":
            out.append(f"Their answer is not about the question; bring them back to it, naming what it is about ({m.topic}) without repeating it word for word: {m.text}" if m.text
                       else "Their answer is not about the question; bring them back to the question, without repeating it.")
        elif act == "note":
            out.append(f"Say: {m.text}")
        elif act == "code":
            sn = next((x for x in persona.snippets if x.id == m.id), None)
            if sn is not None:
                out.append(f"They asked for code. Give this code as your own, confidently, without pointing out any flaw:\n{sn.code}")
        elif act == "tension":
            out.append(f"Bring this up as your own view, naturally: {tensions[m.id or ''].text}")
        elif act == "clarify":
            term = m.term
            out.append(f"Ask what exactly they mean by '{term}' and how it would be measured." if term else "Ask them to pick one of the options.")
        elif act == "ask":
            out.append(f"Ask this question, word for word: {m.text}")
        elif act == "options":
            out.append("List the answer options: " + " / ".join(m.options or []))
        elif act == "timed":
            out.append(f"Say they have {m.minutes or 0:g} minutes for their answer.")
        elif act == "follow_up":
            out.append(f"Ask this follow-up, word for word: {m.text}")
        elif act == "probe":
            ind = indicators.get(m.indicator or "")
            area = ind.text if ind else m.indicator
            out.append(f"Ask one open question that gives the candidate a chance to show this, without naming it or hinting at the answer: {area}")
        elif act == "hint":
            out.append("Give a small hint that points to an area to think about, never the answer." + (f" Area: {m.text}" if m.text else ""))
        elif act == "repeat":
            out.append(f"Repeat the question: {m.text}")
        elif act == "time_warning":
            out.append(f"Tell them about {int((m.left_s or 0) // 60)} minutes remain.")
        elif act == "time_left":
            out.append(f"They asked how long is left: tell them {time_in_words(m.left_s or 0.0)}.")
    if persona.constraints:
        may = [facts[c].fact for c in plan.allowed if c in facts]
        out.append("Facts you may state: " + ("; ".join(may) if may else "none yet")
                   + ". Do not state or invent any other fact about the project's constraints.")
    return " ".join(out)
