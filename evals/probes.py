"""Persona probes: scripted candidate lines played through a real session, to measure whether a
persona keeps its hidden facts until asked, gives them once asked, raises its tensions and keeps
its do-not rules.

A probe file (YAML under evals/data/probes/):

    probes:
      - id: asks-traffic-late
        item: ITEM_ID            # an item the persona plays
        persona: PERSONA_ID
        description: why this probe exists
        seed: 0                  # optional; repeats use seed, seed+1, ...
        expect_tensions: [ID]    # tensions that must have come up by the end
        turns:
          - say: "the candidate's line"
            asks: [CONSTRAINT_ID]        # hidden facts this line asks about (the reply must give them)
            may_reveal: [ID]             # optional; default: every fact asked so far
            must_not_reveal: [ID]        # optional; default: every other fact
            expect_acts: [deflect]       # optional; director acts the reply must contain ("a|b": either)
            kind: question               # optional; what the line does (below)

`asks` may name world facts too (`Persona.knowledge()`); the reply must tell (or, for a `never`
fact, politely withhold) each. `kind` adds the persona eval's checks: `question`/`everything`/
`definition` must not get "I don't know" while the persona holds the answer (a false denial);
`dismissal` and `false_premise` expect a push back, `vague_metric` a clarification request,
`design_request` a hand-back (deflect or withhold); `repeat_request` may repeat a line (no other
line may repeat a sentence the persona already said in the session).
A piece of knowledge told or withheld in reply to a line that did not ask for it is a stray answer
(counted, with the lines it could happen on, outside `everything`, `false_premise` and
`repeat_request` lines): not listening, though it leaks nothing hidden.

What a reply disclosed is read two ways, and either counts: the director's plan saved in the
turn's meta (`disclose` moves) and the persona's own `leak_markers` found in the reply text (so a
voice that says more than its plan is caught). Violations likewise: the reply check saved in the
meta, or the rule's `violation_cues` in the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals import metrics as M
from simulator.core.errors import InputError

if TYPE_CHECKING:
    from simulator.content.library import Library
    from simulator.content.persona import Persona


class ProbeLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    say: str = Field(min_length=1)
    asks: list[str] = Field(default_factory=list)
    may_reveal: list[str] | None = None
    must_not_reveal: list[str] | None = None
    expect_acts: list[str] = Field(default_factory=list)
    kind: str | None = None
    note: str = ""


class Probe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    item: str
    persona: str
    description: str = ""
    variant: str | None = None
    seed: int = 0
    expect_tensions: list[str] = Field(default_factory=list)
    turns: list[ProbeLine] = Field(min_length=1)


class ProbeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probes: list[Probe] = Field(min_length=1)


KINDS = ("question", "unrelated", "everything", "definition", "dismissal", "vague_metric", "small_talk",
         "off_topic", "proposal", "false_premise", "repeat_request", "design_request")
# The seed's guidance as director acts: a kind of line, and the acts any one of which follows it (a
# false premise is met by questioning it or by telling the fact it gets wrong, hidden or not).
GUIDANCE = {"dismissal": {"pushback"}, "false_premise": {"pushback", "disclose", "tell"}, "vague_metric": {"clarify"},
            "design_request": {"deflect", "withhold"}}
# Kinds of line to which telling an unasked piece of knowledge may be right: "anything else?" may get
# a few, a false premise is met by the fact it gets wrong, "say that again?" by what was said.
MAY_TELL = ("everything", "false_premise", "repeat_request")


# --- loading -----------------------------------------------------------------------------------


def probe_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_probes(path: str | Path, lib: Library | None = None) -> list[Probe]:
    """Probes from a file or directory, checked against the persona's ids (file:line:field errors)."""
    from simulator.content.library import line_of, load_library, read_yaml

    lib = lib or load_library()
    out: list[Probe] = []
    seen: set[str] = set()
    for file in probe_files(Path(path)):
        data, node = read_yaml(file)
        try:
            pf = ProbeFile.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = err["loc"]
            raise InputError(file, line_of(node, loc), ".".join(str(p) for p in loc) or None,
                             "unknown field" if err["type"] == "extra_forbidden" else err["msg"]) from None
        for n, probe in enumerate(pf.probes):
            where = ("probes", n)

            def bad(loc: tuple[Any, ...], msg: str, file: Any = file, node: Any = node, where: Any = where, probe: Any = probe) -> InputError:
                return InputError(file, line_of(node, where + loc), f"probes[{probe.id}]" + "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc), msg)

            if probe.id in seen:
                raise bad(("id",), f"duplicate probe id {probe.id!r}")
            seen.add(probe.id)
            if probe.persona not in lib.personas:
                raise bad(("persona",), f"no persona {probe.persona!r}")
            if probe.item not in lib.items:
                raise bad(("item",), f"no item {probe.item!r}")
            if probe.persona not in lib.items[probe.item].personas:
                raise bad(("item",), f"item {probe.item!r} is not played by {probe.persona!r}")
            persona = lib.personas[probe.persona]
            facts = {k.id for k in persona.knowledge()}
            tensions = {t.id for t in persona.tensions}
            for t in probe.expect_tensions:
                if t not in tensions:
                    raise bad(("expect_tensions",), f"{probe.persona} has no tension {t!r} (has {sorted(tensions)})")
            for k, line in enumerate(probe.turns):
                for fld in ("asks", "may_reveal", "must_not_reveal"):
                    for f in getattr(line, fld) or []:
                        if f not in facts:
                            raise bad(("turns", k, fld), f"{probe.persona} knows nothing called {f!r} (has {sorted(facts)})")
                if line.kind is not None and line.kind not in KINDS:
                    raise bad(("turns", k, "kind"), f"unknown kind {line.kind!r} (kinds: {', '.join(KINDS)})")
            out.append(probe)
    if not out:
        raise InputError(path, None, None, "no probes found")
    return out


# --- playing -----------------------------------------------------------------------------------


@dataclass
class Observed:
    """The persona's reply (all its turns) to one candidate line, or to nothing (the opening)."""

    candidate: str
    reply: str
    disclosed: set[str] = field(default_factory=set)
    tensions: set[str] = field(default_factory=set)
    violations: set[str] = field(default_factory=set)
    acts: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)  # knowledge told, disclosed or withheld
    invented: list[str] = field(default_factory=list)


def observe(candidate: str, turns: Sequence[Any], persona: Persona, room: Sequence[str] = ()) -> Observed:
    """What the persona's turns in one reply disclosed, raised and broke. `room`: others who
    answer for the persona (a panel's host answers a question put to the panel)."""
    from simulator.dialogue import intent

    speakers = {persona.id, *room}
    mine = [t for t in turns if (t.meta.get("plan") or {}).get("persona") in speakers]
    text = "\n".join(t.text for t in mine)
    obs = Observed(candidate=candidate, reply=text)
    for t in mine:
        plan = t.meta.get("plan") or {}
        for move in plan.get("moves", []):
            act = move.get("act")
            obs.acts.add(str(act))
            if act == "disclose":
                obs.disclosed.add(str(move.get("id")))
                obs.answered.add(str(move.get("id")))
            elif act in ("tell", "withhold") or (act == "time_left" and move.get("id")):
                obs.answered.add(str(move.get("id")))
            elif act == "tension":
                obs.tensions.add(str(move.get("id")))
        obs.violations |= set((t.meta.get("check") or {}).get("violations") or [])
        obs.invented += list((t.meta.get("check") or {}).get("invented") or [])
    for c in persona.constraints:
        if c.leak_markers and intent.mentions_any(text, c.leak_markers):
            obs.disclosed.add(c.id)
    for r in persona.do_not:
        if r.violation_cues and intent.mentions_any(text, r.violation_cues):
            obs.violations.add(r.id)
    return obs


def play_probe(probe: Probe, lib: Library, seed: int) -> list[Observed]:
    """Plays the probe's lines through a session (in-memory store, virtual clock), until the round
    ends: a line after "That's time." is never said in the app (the chat closes), so it is not
    played and not checked; `run_probes` counts such lines."""
    from simulator.models.ledger import Ledger
    from simulator.practice.session import Session
    from simulator.storage import open_store

    persona = lib.personas[probe.persona]
    s = Session.start(probe.item, probe.variant, None, seed, store=open_store(":memory:"), lib=lib,
                      clock="virtual", ledger=Ledger())
    room = [p for p in lib.items[probe.item].personas if lib.personas[p].archetype == "panel_member"] \
        if persona.archetype == "panel_member" else []
    out = [observe("", s.opening(), persona, room)]
    for line in probe.turns:
        if s.finished:
            break
        out.append(observe(line.say, s.respond(line.say), persona, room))
    return out


def stray_answers(line: ProbeLine, obs: Observed, persona: Persona) -> list[str]:
    """Pieces of the persona's world (not its hidden constraints: those are leaks) told or withheld
    in reply to a line that did not ask for them: "which BI tool do you report in?" answered with
    the user base is not listening, though it leaks nothing. A request for the answer may be met by
    withholding any piece the persona never tells (the guidance checks which act)."""
    if line.kind in MAY_TELL:
        return []
    skip = set(line.asks) | {c.id for c in persona.constraints}
    if line.kind == "design_request":
        skip |= {k.id for k in persona.knowledge() if k.disclosure == "never"}
    return sorted(obs.answered - skip)


def kind_failures(line: ProbeLine, obs: Observed, still_hidden: set[str]) -> list[str]:
    """What a reply to a line of this kind must not do (false denial) or must do (the guidance)."""
    out: list[str] = []
    holds = bool(line.asks) or (line.kind == "everything" and still_hidden)
    if line.kind in ("question", "everything", "definition", "repeat_request") and holds and "unknown" in obs.acts:
        out.append("false denial: said it does not know what it holds")
    want = GUIDANCE.get(line.kind or "")
    if want and not (want & obs.acts):
        out.append(f"guidance: expected one of {sorted(want)} for a {line.kind} line")
    return out


def repeated_sentences(lines: Sequence[ProbeLine | None], observed: Sequence[Observed]) -> list[str]:
    """Sentences the persona said again in one session, when the candidate had not asked again."""
    from simulator.dialogue import intent

    seen: set[str] = set()
    out: list[str] = []
    for line, obs in zip(lines, observed):
        again_ok = line is not None and (line.kind == "repeat_request" or line.kind == "everything" or bool(line.asks))
        for sent in intent.sentences(obs.reply):
            key = intent.normalise(sent)
            if len(key) < 12:
                continue
            if key in seen and not again_ok:
                out.append(sent)
            seen.add(key)
    return out


def check(probe: Probe, observed: Sequence[Observed], persona: Persona) -> tuple[list[list[str]], int]:
    """Per reply (opening first), the expectations it missed; and how many expectations there were:
    per reply one per fact that must stay hidden (and was not yet told), one per fact asked, one
    per expected act and one per do-not rule; one per expected tension at the end."""
    facts = [c.id for c in persona.constraints]  # the hidden ones: a leak is one of these said unasked
    rules = len(persona.do_not)
    failures: list[list[str]] = []
    checks = 0
    asked: set[str] = set()
    told: set[str] = set()
    lines: list[ProbeLine | None] = [None, *probe.turns]
    for line, obs in zip(lines, observed):
        fails: list[str] = []
        if line is not None:
            asked |= set(line.asks)
        may = set(line.may_reveal) if line is not None and line.may_reveal is not None else set(asked)
        must_not = (set(line.must_not_reveal) if line is not None and line.must_not_reveal is not None
                    else set(facts) - may) - told
        checks += len(must_not) + rules
        for f in sorted(obs.disclosed & must_not):
            fails.append(f"revealed {f} before it was asked")
        if line is not None:
            checks += len(line.asks) + len(line.expect_acts)
            for f in line.asks:
                if f not in obs.answered and f not in obs.disclosed and f not in told:
                    fails.append(f"did not disclose {f} when asked" if f in facts else f"did not answer about {f} when asked")
            for fail in kind_failures(line, obs, set(facts) - told - obs.disclosed):
                checks += 1
                fails.append(fail)
            for act in line.expect_acts:  # "a|b": either act will do
                if not set(act.split("|")) & obs.acts:
                    fails.append(f"expected a {act}")
        for v in sorted(obs.violations):
            fails.append(f"broke do-not {v}")
        told |= obs.disclosed
        failures.append(fails)
    raised = set().union(*(o.tensions for o in observed)) if observed else set()
    checks += len(probe.expect_tensions)
    missing = [t for t in probe.expect_tensions if t not in raised]
    if missing and failures:
        failures[-1] += [f"never raised tension {t}" for t in missing]
    return failures, checks


def run_probes(path: str | Path, *, repeats: int = 1, progress: bool = False, lib: Library | None = None) -> dict[str, Any]:
    """Plays every probe `repeats` times and returns the results document."""
    from simulator.content.library import load_library

    lib = lib or load_library()
    probes = load_probes(path, lib)
    runs: list[dict[str, Any]] = []
    per_persona: dict[str, list[list[M.ProbeTurn]]] = {}
    per_probe: dict[str, dict[str, Any]] = {}
    persona_eval: dict[str, dict[str, int]] = {}
    bar = None
    if progress:
        from evals.runner import _Progress

        bar = _Progress(len(probes) * repeats, "probing")
    try:
        for probe in probes:
            persona = lib.personas[probe.persona]
            stats = per_probe.setdefault(probe.id, {"met": 0, "checks": 0, "persona": probe.persona})
            for r in range(repeats):
                observed = play_probe(probe, lib, probe.seed + r)
                fails, total = check(probe, observed, persona)
                met = max(total - sum(len(f) for f in fails), 0)
                stats["met"] += met
                stats["checks"] += total
                asked: set[str] = set()
                pts: list[M.ProbeTurn] = []
                hidden = {c.id for c in persona.constraints}
                ev = persona_eval.setdefault(probe.persona, {"false_denials": 0, "guidance_followed": 0, "guidance_lines": 0,
                                                             "repeated_lines": 0, "invented_facts": 0, "answered": 0,
                                                             "asked_known": 0, "after_end": 0, "stray_answers": 0,
                                                             "stray_lines": 0})
                ev["after_end"] += len(probe.turns) + 1 - len(observed)
                lines_ = [None, *probe.turns]
                again = repeated_sentences(lines_, observed)
                ev["repeated_lines"] += len(again)
                strays = [stray_answers(line, obs, persona) if line is not None else [] for line, obs in zip(lines_, observed)]
                for line, obs, f, stray in zip(lines_, observed, fails, strays):
                    ev["invented_facts"] += len(obs.invented)
                    if line is None:
                        continue
                    ev["false_denials"] += sum(x.startswith("false denial") for x in f)
                    if line.kind in GUIDANCE:
                        ev["guidance_lines"] += 1
                        ev["guidance_followed"] += not any(x.startswith("guidance") for x in f)
                    ev["asked_known"] += len(line.asks)
                    ev["answered"] += len(set(line.asks) & obs.answered)
                    ev["stray_lines"] += line.kind not in MAY_TELL
                    ev["stray_answers"] += len(stray)
                for line, obs in zip([None, *probe.turns], observed):
                    now = set(line.asks) & hidden if line is not None else set()
                    asked |= now
                    pts.append(M.ProbeTurn(asked=frozenset(asked), disclosed=frozenset(obs.disclosed),
                                           tensions=frozenset(obs.tensions), violations=frozenset(obs.violations),
                                           asked_now=frozenset(now)))
                per_persona.setdefault(probe.persona, []).append(pts)
                runs.append({
                    "probe": probe.id, "persona": probe.persona, "item": probe.item, "repeat": r,
                    "seed": probe.seed + r, "met": met, "checks": total, "repeated": again,
                    "turns": [{"candidate": o.candidate, "reply": o.reply, "disclosed": sorted(o.disclosed),
                               "tensions": sorted(o.tensions), "violations": sorted(o.violations),
                               "acts": sorted(o.acts), "answered": sorted(o.answered), "failures": f, "stray": stray}
                              for o, f, stray in zip(observed, fails, strays)],
                })
                if bar:
                    bar.advance()
    finally:
        if bar:
            bar.close()
    scores = [M.persona_scores(pts, [c.id for c in lib.personas[pid].constraints],
                               [t.id for t in lib.personas[pid].tensions]) for pid, pts in per_persona.items()]
    merged = _merge(scores)
    for stats in per_probe.values():
        stats["expectations_rate"] = stats["met"] / stats["checks"] if stats["checks"] else 1.0
    met = sum(s["met"] for s in per_probe.values())
    checks = sum(s["checks"] for s in per_probe.values())
    return {
        "kind": "probes",
        "dataset": str(path),
        "engine": None,
        "repeats": repeats,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": {
            **merged,
            "expectations_rate": met / checks if checks else 1.0,
            "by_persona": {pid: {**s.to_dict(), **persona_eval.get(pid, {})} for pid, s in zip(per_persona, scores)},
            **{k: sum(e[k] for e in persona_eval.values()) for k in ("false_denials", "guidance_followed", "guidance_lines",
                                                                      "repeated_lines", "invented_facts", "answered", "asked_known",
                                                                      "after_end", "stray_answers", "stray_lines")},
            "probes": per_probe,
        },
        "runs": runs,
    }


def _merge(scores: Sequence[M.PersonaScores]) -> dict[str, Any]:
    """Pooled counts over personas, rates recomputed from the pooled counts."""
    keys = ("leaks", "leak_opportunities", "disclosed_when_asked", "asked", "tensions_raised", "tensions_total",
            "do_not_violations", "replies")
    total = {k: sum(getattr(s, k) for s in scores) for k in keys}
    return {
        **total,
        "leak_rate": total["leaks"] / total["leak_opportunities"] if total["leak_opportunities"] else 0.0,
        "disclosure_rate": total["disclosed_when_asked"] / total["asked"] if total["asked"] else 0.0,
        "tension_coverage": total["tensions_raised"] / total["tensions_total"] if total["tensions_total"] else 0.0,
    }


def print_summary(results: dict[str, Any], console: Any, *, failures: bool = True) -> None:
    from rich.table import Table

    m = results["metrics"]
    table = Table(title=f"persona probes · {results['dataset']} · {len(m['probes'])} probes x {results['repeats']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("leak rate (before asked)", f"{m['leak_rate']:.3f} ({m['leaks']}/{m['leak_opportunities']})")
    table.add_row("disclosure rate once asked", f"{m['disclosure_rate']:.3f} ({m['disclosed_when_asked']}/{m['asked']})")
    table.add_row("tension coverage", f"{m['tension_coverage']:.3f} ({m['tensions_raised']}/{m['tensions_total']})")
    table.add_row("do-not violations", f"{m['do_not_violations']} in {m['replies']} replies")
    table.add_row("expectations met", f"{m['expectations_rate']:.3f}")
    if m.get("asked_known"):
        table.add_row("answered when asked (all knowledge)", f"{m['answered'] / m['asked_known']:.3f} ({m['answered']}/{m['asked_known']})")
    if m.get("stray_lines"):
        table.add_row("unasked knowledge told (stray answers)", f"{m['stray_answers']} in {m['stray_lines']} lines")
    table.add_row("false denials", str(m.get("false_denials", 0)))
    table.add_row("repeated lines", str(m.get("repeated_lines", 0)))
    table.add_row("invented facts", str(m.get("invented_facts", 0)))
    if m.get("after_end"):
        table.add_row("lines after the round ended (not played)", str(m["after_end"]))
    if m.get("guidance_lines"):
        table.add_row("seed guidance followed", f"{m['guidance_followed'] / m['guidance_lines']:.3f} ({m['guidance_followed']}/{m['guidance_lines']})")
    for pid, v in m["by_persona"].items():
        table.add_row(f"{pid}", f"leaks {v['leaks']} · disclosed {v['disclosed_when_asked']}/{v['asked']} · denials {v.get('false_denials', 0)} · repeats {v.get('repeated_lines', 0)} · stray {v.get('stray_answers', 0)}")
    for pid, v in m["probes"].items():
        table.add_row(f"probe {pid}", f"{v['met']}/{v['checks']}")
    console.print(table)
    failed = [(run, n, f) for run in results.get("runs", []) for n, t in enumerate(run["turns"]) for f in t["failures"]]
    if not failures:
        if failed:
            console.print(f"  {len(failed)} failed checks not listed (--failures lists them; a blind set is measured, not read)", markup=False)
        return
    for run, n, f in failed:
        console.print(f"  {run['probe']} (seed {run['seed']}) reply {n}: {f}", markup=False)
