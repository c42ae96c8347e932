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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.content.persona import Constraint, Persona
from simulator.content.rubric import Item
from simulator.core.transcript import Transcript
from simulator.dialogue import intent
from simulator.dialogue.intent import Matcher
from simulator.dialogue.plan import STATE_VERSION, Move, Plan, upgrade_state

Evidence = Callable[[Transcript, Item], dict[str, bool]]

APPLICATION_KINDS = ("knockout", "video_response", "resume_criteria")


@dataclass(frozen=True)
class Limits:
    """The director's thresholds in one place, so tests and evals can vary them without patching code."""

    # A question asks about a hidden fact when sim(question, ask_cues) + 0.5 * sim(question, fact
    # and its disclosures) reaches `ask` (MiniLM cosine; tuned on Jordan Lee's paraphrases, where
    # unrelated questions score up to 0.65 and real asks from 0.68). A request for the answer
    # ("what metric should we use?") needs `ask_request`; `near` answers a near miss with an
    # acknowledgement rather than "I don't know".
    ask: float = 0.72
    ask_request: float = 0.95
    near: float = 0.55
    topic: float = 0.55  # the same score for a proposal on a fact's subject (push back)
    restate: float = 0.36  # similarity of a question to a tension already raised (0.1 clear of the rest): say it again
    trigger: float = 0.6  # similarity to a tension's trigger_cues (besides literal cue phrases)
    leak: float = 0.72  # similarity of an LLM reply sentence to an undisclosed fact that counts as a leak
    late_after: int = 3  # candidate turns before a "late" tension comes up
    max_follow_ups: int = 3
    max_probes: int = 2
    panel_questions: int = 2  # per panel member
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
        self._anchor_cache: dict[str, dict[str, frozenset[str]]] = {}
        self.state: dict[str, Any] = {
            "turn": 0, "cand": 0, "item": 0, "item_start": 0.0, "opened": False, "finished": False,
            "disclosed": [], "asked": {}, "tensions": [], "pushed": [], "clarified": [],
            "follow": 0, "probed": [], "warned": False, "last_question": "", "panel_next": 0,
            "panel_asked": 0, "walked": False, "outcome": None, "assistant_opened": False,
            "assistant_tensions": [], "version": STATE_VERSION,
        }
        self.state.update(upgrade_state(state))  # a session saved by an older version lacks newer keys

    def warm(self) -> None:
        """Embeds every cue the director compares against, in one batch, so no turn pays for it."""
        texts: list[str] = []
        for p in self.personas.values():
            for c in p.constraints:
                texts += [*c.ask_cues, c.fact, *c.disclosures]
            for t in p.tensions:
                texts += [*t.trigger_cues, t.text, *t.lines]
        self.matcher.warm(texts)

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
        mode = self.mode()
        if mode == "partner":
            return self._partner(text, elapsed)
        if mode == "panel":
            return self._panel(transcript, elapsed)
        if mode == "application":
            return self._application(transcript, text, elapsed)
        return self._interview(transcript, elapsed)

    def command(self, name: str, elapsed: float) -> list[Plan]:
        """hint, repeat, end (time is the session's clock, not a persona's line)."""
        if self.finished and name != "end":
            return []
        lead = self.host()
        if name == "hint":
            moves: list[dict[str, Any]] = [{"act": "hint"}]
            nxt = self._take_follow_up()
            if nxt is not None:  # the hint leads into the next follow-up, which is then asked
                moves[0]["text"] = nxt
            return [self._plan(lead, moves, channel="command")]
        if name == "repeat":
            return [self._plan(lead, [{"act": "repeat", "text": self.state["last_question"] or self.item.prompt_for(self.variant)}], channel="command")]
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
        moves: list[dict[str, Any]] = []
        if not self.state["assistant_opened"]:
            self.state["assistant_opened"] = True
            moves.append({"act": "opening"})
            for t in persona.tensions:
                if t.trigger == "opening" and t.id not in self.state["assistant_tensions"]:
                    self.state["assistant_tensions"].append(t.id)
                    moves.append({"act": "tension", "id": t.id})
        for t in persona.tensions:
            if t.id in self.state["assistant_tensions"] or t.trigger == "opening":
                continue
            if t.trigger == "late" or self._triggered(text, t.trigger_cues):
                self.state["assistant_tensions"].append(t.id)
                moves.append({"act": "tension", "id": t.id})
        if not moves:
            moves.append({"act": "acknowledge"})
        return [self._plan(persona, moves, kind="assistant", channel="assistant")]

    # --- the informed partner (Jordan Lee) -----------------------------------------------------

    def _partner(self, text: str, elapsed: float) -> list[Plan]:
        p = self.lead()
        st = self.state
        sents = intent.sentences(text) or [text]
        questions = [s for s in sents if intent.is_question(s)]
        moves: list[dict[str, Any]] = []

        best_near = 0.0
        anchors = self._anchors(p)
        for c in p.constraints:
            score, need = 0.0, self.limits.ask
            for s in questions:
                bar = self.limits.ask_request if intent.asks_for_answer(s) else self.limits.ask
                for clause in intent.clauses(s):
                    if anchors[c.id] and not (intent.content_words(clause) & anchors[c.id]):
                        continue  # not about this fact's subject, however alike the phrasing
                    value = self._about(clause, c)
                    if value - bar > score - need:
                        score, need = value, bar
            best_near = max(best_near, score)
            if score >= need:
                if c.id not in st["disclosed"]:
                    st["asked"][c.id] = st["cand"]
                    st["disclosed"].append(c.id)
                moves.append({"act": "disclose", "id": c.id, "score": round(score, 3)})

        if p.lines.deflect and any(intent.asks_for_answer(s) for s in sents):
            moves.append(_deflect(p))

        if p.lines.clarify:
            for s in sents:
                terms = [t for t in intent.vague_terms(s) if t not in st["clarified"]]
                if terms:
                    st["clarified"].append(terms[0])
                    moves.append({"act": "clarify", "term": terms[0]})
                    break

        if p.lines.pushback and not any(m["act"] == "disclose" for m in moves):
            pushed = self._pushback(p, [s for s in sents if intent.is_proposal(s)], text)
            if pushed:
                moves.append({"act": "pushback", "id": pushed})

        over = self._time_up(elapsed)
        tension = self._due_tension(p, text, closing=over)
        if tension:
            moves.append(self._tension(tension))
        if over:
            return [self._close(p, moves)]
        self._maybe_warn(moves, elapsed)
        if not moves or all(m["act"] == "time_warning" for m in moves):
            again = self._restated(p, questions)
            if again:
                moves.insert(0, {"act": "tension", "id": again, "again": True})
            elif questions and p.lines.unknown and best_near < self.limits.near:
                moves.insert(0, {"act": "unknown"})
            else:
                moves.insert(0, {"act": "acknowledge"})
        return [self._plan(p, moves)]

    def _anchors(self, p: Persona) -> dict[str, frozenset[str]]:
        """Per hidden fact, the words only it uses (in its cues, fact and disclosures), leaving out
        the other facts' words and the item's own: a question must use one of them to ask about it.
        MiniLM alone rates "what do the recommendations look like?" close to "what does the
        historical data look like?"; the subject words tell them apart."""
        key = f"{p.id}|{self.item.id}"
        cached = self._anchor_cache.get(key)
        if cached is not None:
            return cached
        vocab = {c.id: intent.content_words(" ".join([*c.ask_cues, c.fact, *c.disclosures])) for c in p.constraints}
        common = intent.content_words(f"{self.item.title} {self.item.question}")
        out = {}
        for c in p.constraints:
            others = set().union(*(v for k, v in vocab.items() if k != c.id)) if len(vocab) > 1 else set()
            out[c.id] = vocab[c.id] - others - common
        self._anchor_cache[key] = out
        return out

    def _about(self, sentence: str, c: Any) -> float:
        """How much a sentence is about a hidden fact: its ask cues, and the fact itself."""
        return self.matcher.similarity(sentence, c.ask_cues) + 0.5 * self.matcher.similarity(sentence, [c.fact, *c.disclosures])

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
        constraint into account: the best-matching such fact, if it scores `topic` or more."""
        if not proposals or not p.constraints:
            return None
        anchors = self._anchors(p)
        parts = [clause for s in proposals for clause in intent.clauses(s)]
        scored: list[tuple[float, Constraint]] = []
        for c in p.constraints:
            on_topic = [x for x in parts if not anchors[c.id] or intent.content_words(x) & anchors[c.id]]
            if on_topic:
                scored.append((max(self._about(x, c) for x in on_topic), c))
        if not scored:
            return None
        best, c = max(scored, key=lambda x: x[0])
        if best < self.limits.topic or c.id in self.state["pushed"]:
            return None
        if c.leak_markers and intent.mentions_any(text, c.leak_markers):
            return None  # the candidate's plan already accounts for it
        self.state["pushed"].append(c.id)
        return c.id

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

    def _take_follow_up(self) -> str | None:
        """The next follow-up, now asked: it becomes the question /repeat says."""
        nxt = self._next_follow_up()
        if nxt is not None:
            self.state["follow"] += 1
            self.state["last_question"] = nxt
        return nxt

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
        st = self.state
        lead = self.lead()
        if self._time_up(elapsed):
            return self._next_item(lead, elapsed)
        moves: list[dict[str, Any]] = []
        text = transcript.turns[-1].text if transcript.turns else ""
        if lead.lines.deflect and any(intent.asks_for_answer(x) for x in intent.sentences(text)):
            moves.append(_deflect(lead))
            self._maybe_warn(moves, elapsed)
            return [self._plan(lead, moves)]  # the question stands; nothing else moves on
        follow = self._take_follow_up() if st["follow"] < self.limits.max_follow_ups else None
        if follow is not None:
            moves.append({"act": "follow_up", "text": follow})
        elif len(st["probed"]) < self.limits.max_probes and (missing := self._missing_indicator(transcript)):
            st["probed"].append(missing)
            moves.append({"act": "probe", "indicator": missing})
        else:
            return self._next_item(lead, elapsed)
        self._maybe_warn(moves, elapsed)
        return [self._plan(lead, moves)]

    def _next_item(self, speaker: Persona, elapsed: float, lead_moves: list[dict[str, Any]] | None = None) -> list[Plan]:
        st = self.state
        moves = list(lead_moves or [])
        if st["item"] + 1 >= len(self.items):
            return [self._close(speaker, moves)]
        st.update(item=st["item"] + 1, item_start=elapsed, follow=0, probed=[], warned=False,
                  panel_next=0, panel_asked=0, walked=False)
        nxt = self.lead()
        if nxt.id != speaker.id:
            return [self._plan(speaker, moves + [{"act": "acknowledge"}]), self._plan(nxt, [{"act": "opening"}, *self._ask_item(self.item)])]
        return [self._plan(nxt, moves + [{"act": "acknowledge"}, *self._ask_item(self.item)])]

    def _panel(self, transcript: Transcript, elapsed: float) -> list[Plan]:
        """Presentation: the walkthrough, then each panel member asks in turn."""
        st = self.state
        panel = self.panel()
        budget = self.limits.panel_questions * len(panel)
        if self._time_up(elapsed) or st["panel_asked"] >= budget:
            return self._next_item(panel[0], elapsed)
        st["walked"] = True
        member = panel[st["panel_next"] % len(panel)]
        st["panel_next"] += 1
        st["panel_asked"] += 1
        follow = self._take_follow_up()
        if follow is not None:
            moves: list[dict[str, Any]] = [{"act": "follow_up", "text": follow}]
        elif missing := self._missing_indicator(transcript, repeat=True):
            st["probed"].append(missing)
            moves = [{"act": "probe", "indicator": missing}]
        else:
            return self._next_item(panel[0], elapsed)
        self._maybe_warn(moves, elapsed)
        return [self._plan(member, moves)]

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
        if limit and not self.state["warned"] and elapsed - self.state["item_start"] >= self.limits.warn_at * limit:
            self.state["warned"] = True
            moves.append({"act": "time_warning", "left_s": round(max(0.0, limit - (elapsed - self.state["item_start"])))})

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
            allowed=list(st["disclosed"]) if persona.constraints else [],
        )
        plan.instructions = instructions(plan, persona, self.item)
        return plan

    # --- checking an LLM reply -----------------------------------------------------------------

    def check(self, reply: str, plan: Plan, *, semantic: bool = True) -> dict[str, Any]:
        """Leaks of facts the candidate has not asked about, and broken do-not rules.

        Leak markers always; with `semantic`, also a sentence close in meaning to a hidden fact
        (for LLM replies: the scripted voice only says lines the plan allows)."""
        persona = self.personas[plan.persona]
        allowed = set(plan.allowed)
        leaks: list[str] = []
        for c in persona.constraints:
            if c.id in allowed:
                continue
            if c.leak_markers and intent.mentions_any(reply, c.leak_markers):
                leaks.append(c.id)
            elif semantic and self.matcher.semantic and any(
                self.matcher.similarity(s, [c.fact, *c.disclosures]) >= self.limits.leak for s in intent.sentences(reply)
            ):
                leaks.append(c.id)
        violations = [r.id for r in persona.do_not if r.violation_cues and intent.mentions_any(reply, r.violation_cues)]
        if plan.kind == "interviewer":  # an interviewer who says what a scored answer says gives it away
            item = next((i for i in self.items if i.id == plan.item), self.item)
            for ind in item.indicators_for(self.variant):
                if ind.polarity == "positive" and ind.cues and intent.mentions_any(reply, ind.cues):
                    violations.append(f"gives-away:{ind.id}")
        return {"ok": not leaks and not violations, "leaks": leaks, "violations": violations}


# --- helpers -----------------------------------------------------------------------------------


def _deflect(p: Persona) -> dict[str, Any]:
    return {"act": "deflect", "rules": [r.id for r in p.do_not]}


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
    "acknowledge": "Acknowledge briefly and let the candidate lead.",
    "unknown": "You do not know the answer to that; say so in character and do not invent facts.",
    "decline": "Thank them; the application cannot go further on this answer.",
}


def instructions(plan: Plan, persona: Persona, item: Item) -> str:
    """The plan in words, for an LLM voice. Facts appear here only when the plan allows them."""
    facts = {c.id: c for c in persona.constraints}
    tensions = {t.id: t for t in persona.tensions}
    indicators = {i.id: i for i in item.indicators}
    out: list[str] = []
    for m in plan.moves:
        act = m.act
        if act in FIXED_INSTRUCTIONS:
            out.append(FIXED_INSTRUCTIONS[act])
        elif act == "disclose":
            out.append(f"The candidate asked about this; answer honestly with this fact: {facts[m.id or ''].fact}")
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
    if persona.constraints:
        known = [facts[c].fact for c in plan.allowed if c in facts]
        out.append("Facts you may state: " + ("; ".join(known) if known else "none yet")
                   + ". Do not state or invent any other fact about the project's constraints.")
    return " ".join(out)
