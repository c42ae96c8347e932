"""The voice: speaks a director's plan. One path offline and online:

    director -> plan -> messages (persona system prompt, history, plan last) -> model.chat

Offline `model.chat` goes to the litellm custom provider `local/scripted`, which parses the plan
and calls the renderers registered here; online any litellm model reads the same messages (the
plan carries plain-language `instructions`). Every reply is checked by the director before the
candidate sees it; an LLM reply that leaks an unasked fact or breaks a do-not rule is regenerated
once and otherwise replaced by the scripted rendering of the same plan.

The renderers say only lines from the persona file (and the item's own question and follow-ups),
chosen by a seed carried in the plan, so a seed gives the same session every time.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.content.persona import Persona
from simulator.content.rubric import Item
from simulator.core.settings import is_embedded
from simulator.core.transcript import CANDIDATE, Turn
from simulator.dialogue import intent
from simulator.dialogue.plan import Plan, time_in_words
from simulator.models import scripted

_PERSONAS: dict[str, Persona] = {}
_ITEMS: dict[str, Item] = {}


def register(*things: Persona | Item) -> None:
    """Makes personas and items known to the renderers (the plan names them by id)."""
    for t in things:
        if isinstance(t, Persona):
            _PERSONAS[t.id] = t
        else:
            _ITEMS[t.id] = t


def persona(persona_id: str) -> Persona:
    if persona_id not in _PERSONAS:
        from simulator.content.library import load_library

        register(*load_library().personas.values())
    return _PERSONAS[persona_id]


def render(plan: Plan, said: str = "") -> str:
    """The scripted rendering of a plan (the offline voice and the fallback for a bad LLM reply):
    read straight from the typed plan, no serialisation and no registry. `said`: what this persona
    has said so far in the session, so no line is said twice while another is left."""
    return _moves(plan, said)


def pick(options: list[str], plan: Plan, key: str, said: str = "") -> str:
    """A deterministic choice for this seed, turn and move, among the lines not yet said (all of
    them once every one has been)."""
    if not options:
        return ""
    fresh = [o for o in options if not _said(o, said)] or options
    if len(fresh) == 1:
        return fresh[0]
    rng = random.Random(f"{plan.seed}|{plan.persona}|{plan.turn}|{key}")
    return fresh[rng.randrange(len(fresh))]


def _said(option: str, said: str) -> bool:
    """Whether a line was said already; a template ("When you say {term}, ...") counts as said
    once its fixed words were, whatever filled it, and a line of several sentences once any of
    its sentences was ("Hi! Good to meet you. Whenever you're ready." after "Whenever you're ready.")."""
    if option in said:
        return True
    fixed = [x.strip() for x in re.split(r"\{\w+\}", option) if len(x.strip()) >= 12]
    if "{" in option:
        return bool(fixed) and all(x in said for x in fixed)
    parts = intent.sentences(option)
    return len(parts) > 1 and any(len(x) >= 12 and x in said for x in parts)


def said_by(history: list[Turn], persona_id: str) -> str:
    """Everything one persona has said in a session, for `pick` to avoid."""
    return "\n".join(t.text for t in history
                     if not t.is_candidate and (t.meta.get("plan") or {}).get("persona") == persona_id)


_FALLBACK = {
    "acknowledge": ("acknowledge", "follow_up_lead", "unknown"),
    "unknown": ("unknown", "acknowledge"),
    "deflect": ("deflect", "unknown", "acknowledge"),
    "clarify": ("clarify", "follow_up_lead", "acknowledge"),
    "pushback": ("pushback", "acknowledge"),
    "pushback_waved": ("pushback_waved", "pushback", "acknowledge"),
    "time_warning": ("time_warning",),
    "hint": ("hint_lead", "follow_up_lead"),
    "probe": ("probe_lead", "follow_up_lead"),
    "follow_up": ("follow_up_lead",),
    "small_talk": ("small_talk", "acknowledge"),
    "thanks": ("thanks", "acknowledge"),
    "off_topic": ("off_topic", "unknown"),
    "specify": ("specify", "unknown"),
    "wrap_up": ("wrap_up", "acknowledge"),
    "listen": ("listen", "acknowledge"),
    "redirect": ("redirect", "follow_up_lead"),
}


def _line(p: Persona, act: str, plan: Plan, key: str, said: str = "") -> str:
    """A line for an act: from the first group of its fallback chain with a line not yet said (a
    fourth "thanks" gets an acknowledgement, not the first small-talk line again), else from the
    first group that has lines at all."""
    groups = [o for o in (getattr(p.lines, g, None) or [] for g in _FALLBACK.get(act, (act,))) if o]
    for options in groups:
        if any(not _said(o, said) for o in options):
            return pick(options, plan, key, said)
    return pick(groups[0], plan, key, said) if groups else ""


def _first_word(text: str) -> str:
    words = re.findall(r"[a-z']+", text.lower())
    return words[0] if words else ""


def _topics(p: Persona, ids: list[str]) -> str:
    return intent.listed([k.topic for k in p.knowledge() if k.id in ids])


def _moves(plan: Plan, said: str = "") -> str:
    p = persona(plan.persona)
    known = {k.id: k for k in p.knowledge()}
    parts: list[str] = []
    for n, m in enumerate(plan.moves):
        act = m.act
        key = f"{n}:{act}:{m.id or ''}"
        if act in ("opening", "closing"):
            parts.append(pick(getattr(p.lines, act), plan, key, said))
        elif act in ("disclose", "tell", "withhold"):
            k = known[m.id or ""]
            line = pick(list(k.says), plan, key, said)
            if m.again and p.lines.again:
                lead = pick(p.lines.again, plan, key + ":again", said)
                if _first_word(lead) != _first_word(line):  # not "Sure, again: Sure. State the assumption..."
                    parts.append(lead)
            parts.append(line)
        elif act == "inventory":
            parts.append(pick(p.lines.inventory, plan, key, said).replace("{topics}", _topics(p, m.ids or [])))
        elif act == "recap":
            told = [known[i].says[0] for i in m.ids or [] if i in known]
            if told:
                parts += [pick(p.lines.recap, plan, key, said), *told]
            else:  # nothing uncovered yet and no inventory lines: an honest nudge, never a denial
                parts.append(_line(p, "specify", plan, key, said))
        elif act == "code":
            sn = next(x for x in p.snippets if x.id == m.id)
            parts.append(f"{sn.says}\n```python\n{sn.code.rstrip()}\n```")
        elif act == "tension":
            t = next(t for t in p.tensions if t.id == m.id)
            parts.append(pick(t.lines, plan, key, said))
        elif act in ("ask", "repeat", "note"):
            parts.append(m.text or "")
        elif act == "redirect" and m.topic and p.lines.redirect_topic:
            parts.append(pick(p.lines.redirect_topic, plan, key, said).replace("{topic}", m.topic))
        elif act in ("follow_up", "hint", "redirect"):
            parts += [_line(p, act, plan, key, said), m.text or ""]
        elif act == "options":
            parts.append(" / ".join(m.options or []))
        elif act == "timed":
            parts.append(f"({m.minutes or 0:g} min)")
        elif act == "time_left" and p.lines.time_left:
            parts.append(pick(p.lines.time_left, plan, key, said).replace("{left}", time_in_words(m.left_s or 0.0)))
        elif act == "clarify":
            line = _line(p, act, plan, key, said)
            parts.append(line.replace("{term}", m.term) if m.term else line.replace("{term}", "that"))
        elif act == "pushback":
            parts.append(_line(p, "pushback_waved" if m.waved else act, plan, key, said))
        elif act == "decline":
            continue  # the closing line that follows says it
        else:
            parts.append(_line(p, act, plan, key, said))
    said_parts: list[str] = []
    for x in (x.strip() for x in parts if x and x.strip()):
        after_lead = bool(said_parts) and said_parts[-1].endswith(",")
        # "Like I said," + "our data shows...": a lead-in continues the sentence
        said_parts.append(x[0].lower() + x[1:] if after_lead and x[:2] not in ("I ", "I'") and not x[:2].isupper() else x[0].upper() + x[1:])
    text = ""
    for n, x in enumerate(said_parts):  # code stands in its own paragraph
        sep = "" if n == 0 else ("\n\n" if "```" in x or "```" in said_parts[n - 1] else " ")
        text += sep + x
    if not text:  # a persona file without the lines a move needs: a neutral beat, never an invented fact
        text = _line(p, "acknowledge", plan, "empty", said) or "…"
    return text


def _render_saved(plan: dict[str, Any]) -> str:
    return _moves(Plan.load(plan))


# For a caller that sends a plan to `local/scripted` through litellm (recorded sessions, cassettes):
# the provider hands the JSON back here. The product's own offline voice calls `render` directly.
for _kind in ("persona", "interviewer", "assistant"):
    scripted.renderer(_kind)(_render_saved)


@scripted.renderer("candidate")
def render_candidate(plan: dict[str, Any]) -> str:
    """A simulated candidate's line: the material its planner chose from the item file."""
    return " ".join(s.strip() for s in plan.get("say", []) if s.strip())


# --- messages for the model --------------------------------------------------------------------


def system_prompt(p: Persona) -> str:
    """The stable part of every prompt for this persona (first, so providers can cache it)."""
    lines = [f"You are {p.name}, {p.title}, in a mock interview practice session.", f"Motivation: {p.motivation}", f"Voice: {p.voice}"]
    if p.guidance:
        lines.append("Guidance:\n" + "\n".join(f"- {g}" for g in p.guidance))
    if p.do_not:
        lines.append("Never:\n" + "\n".join(f"- {r.text}" for r in p.do_not))
    lines.append(
        "The last system message is this turn's plan (<plan>JSON</plan>): do what its `instructions` say "
        "and nothing more. Reply only with what you say aloud, in character, in one to four sentences."
    )
    return "\n\n".join(lines)


def messages_for(p: Persona, history: list[Turn], plan: Plan) -> list[dict[str, str]]:
    """Persona prompt, the conversation as this persona heard it, then the plan."""
    me = plan.speaker
    assistant_channel = plan.channel == "assistant"
    msgs: list[dict[str, str]] = [{"role": "system", "content": system_prompt(p)}]
    for t in history:
        if (t.channel == "assistant") != assistant_channel and t.channel != "command":
            continue
        if t.speaker == me and (t.meta.get("plan") or {}).get("persona", p.id) == p.id:
            msgs.append({"role": "assistant", "content": t.text})
        elif t.speaker == CANDIDATE:
            msgs.append({"role": "user", "content": t.text})
        else:
            msgs.append({"role": "user", "content": f"[{t.speaker}] {t.text}"})
    msgs.append(scripted.plan_message(plan.model_dump(mode="json", exclude_none=True, exclude={"version"})))
    return msgs


def _chat(messages: list[dict[str, str]], plan: Plan, purpose: str, ledger: Any, said: str = "") -> Any:
    """The one model call of the voice (tests replace it to stand in for an online model).

    On the embedded default the plan is rendered here, in-process: no litellm import and no trip
    through a serialised system message. A configured model gets the messages through the seam."""
    from simulator.core.settings import get_settings
    from simulator.models import seam as model

    target = get_settings().model_for(purpose)
    if is_embedded(target):
        started = time.perf_counter()
        text = render(plan, said)
        latency = time.perf_counter() - started
        if ledger is not None:
            ledger.record(purpose, target, 0, 0, 0.0, latency)
        return model.Reply(text=text, model=target, latency_s=latency)
    return model.chat(messages, purpose=purpose, ledger=ledger)


@dataclass
class Spoken:
    """The checked text and why it is what it is (plan, check verdict, model, cost), saved with the turn."""

    text: str
    meta: dict[str, Any]


def speak(plan: Plan, history: list[Turn], check: Callable[..., dict[str, Any]],
          *, ledger: Any = None, purpose: str | None = None) -> Spoken:
    """Asks the model for the plan's reply, checks it, regenerates once, falls back to the script."""
    p = persona(plan.persona)
    purpose = purpose or plan.kind
    messages = messages_for(p, history, plan)
    said = said_by(history, p.id)
    started = time.perf_counter()
    reply = _chat(messages, plan, purpose, ledger, said)
    text = reply.text.strip()
    embedded = is_embedded(str(reply.model))  # says only lines the plan allows: no semantic leak check
    verdict = check(text, plan, semantic=not embedded)
    record: dict[str, Any] = {**verdict, "regenerated": False, "replaced": False}
    if not verdict["ok"] and not embedded:
        record["first"] = {"text": text, "leaks": verdict["leaks"], "violations": verdict["violations"]}
        retry = messages + [
            {"role": "assistant", "content": text},
            {"role": "system", "content": "That reply said something the plan does not allow (a fact not asked about, "
             "or a suggestion of the design or metrics). Say it again following only the plan's instructions."},
        ]
        reply = _chat(retry, plan, purpose, ledger, said)
        text = reply.text.strip()
        verdict = check(text, plan)
        record.update(verdict, regenerated=True)
        if not verdict["ok"]:
            text = render(plan, said)
            record["replaced"] = True
    meta = {
        "plan": plan.saved(),
        "check": record,
        "model": str(reply.model),
        "latency_s": round(time.perf_counter() - started, 4),
    }
    for field in ("prompt_tokens", "completion_tokens", "cost"):
        value = getattr(reply, field, None)
        if value:
            meta[field] = value
    return Spoken(text=text, meta=meta)
