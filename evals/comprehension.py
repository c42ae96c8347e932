"""How well a persona understands what is asked: the comprehension bars scored on labelled
questions (evals/data/comprehension/: the held-out half of the dev ask cues, and hard negatives).

    python -m evals.comprehension [--grid]

Per persona: accuracy of the piece of knowledge each question is mapped to (or none), hidden
constraints triggered by a question that did not ask for them (leaks; the number that must be 0),
and asks missed. With --grid, the same over a grid of bars, to choose them; the blind probes
(evals/data/probes/) are never used for this.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

DEV = Path(__file__).parent / "data" / "comprehension"
GROUPS = {"jordan-lee": "jordan-lee", "interviewer": "interviewer-behavioural", "panel": "panel-product-manager"}


def labelled() -> list[tuple[str, str, str | None]]:
    """(persona id, question, expected knowledge id or None)."""
    out: list[tuple[str, str, str | None]] = []
    held = yaml.safe_load((DEV / "held_cues.yaml").read_text())
    for group, facts in held.items():
        for kid, qs in facts.items():
            out += [(GROUPS[group], q, kid) for q in qs]
    for row in yaml.safe_load((DEV / "negatives.yaml").read_text()):
        asks = row.get("asks") or []
        out.append(("jordan-lee", row["say"], asks[0] if asks else None))
    return out


def score(bars: Any = None, rows: list[tuple[str, str, str | None]] | None = None) -> dict[str, Any]:
    from simulator.content.library import load_library
    from simulator.dialogue import intent
    from simulator.dialogue.comprehension import Bars, Comprehension
    from simulator.dialogue.intent import Matcher

    lib = load_library()
    comp = Comprehension.trained(Matcher.shared(), bars or Bars())
    rows = rows if rows is not None else labelled()
    out: dict[str, Any] = {}
    for pid in dict.fromkeys(r[0] for r in rows):
        p = lib.personas[pid]
        item = next(i for i in lib.items.values() if pid in i.personas)
        context = f"{item.title} {item.question}"
        hidden = {k.id for k in p.knowledge() if k.hidden}
        right = leaks = missed = n = 0
        wrong: list[str] = []
        for _, q, want in (r for r in rows if r[0] == pid):
            n += 1
            got: set[str] = set()
            for s in intent.sentences(q) or [q]:
                if intent.asks_everything(s):
                    continue
                for clause in intent.clauses(s):
                    k, _, _ = comp.best(p, clause, context, request=intent.asks_for_answer(s), sentence=s)  # as the reader does
                    if k is not None:
                        got.add(k.id)
            ok = (want in got) if want else not got
            right += ok
            leaks += len((got & hidden) - {want})
            missed += bool(want and want not in got)
            if not ok:
                wrong.append(f"{q!r}: want {want}, got {sorted(got)}")
        out[pid] = {"n": n, "accuracy": right / n, "hidden_false_triggers": leaks, "missed": missed, "wrong": wrong}
    return out


HIDDEN_SETS = ("hidden-tuning", "hidden-2")  # tuning sets of messages to Jordan Lee, never trained on


def hidden_tuning(name: str = "hidden-tuning") -> dict[str, int]:
    """On a set of messages to Jordan Lee, each asking about one hidden constraint or none
    (`hidden-tuning.yaml`: 75 asking, 75 close but not; `hidden-2.yaml`, written blind in twelve
    other voices: 149 asking, 167 not): asks found, and hidden constraints triggered by a message
    not asking."""
    from simulator.content.library import load_library
    from simulator.dialogue.comprehension import Bars, Comprehension
    from simulator.dialogue.intent import Matcher

    lib = load_library()
    p = lib.personas["jordan-lee"]
    item = next(i for i in lib.items.values() if p.id in i.personas)
    comp = Comprehension.trained(Matcher.shared(), Bars())
    hidden = {k.id for k in p.knowledge() if k.hidden}
    found = false = asking = 0
    for row in yaml.safe_load((DEV / f"{name}.yaml").read_text(encoding="utf-8")):
        got = set(comp.read(p, row["say"], f"{item.title} {item.question}", []).asks) & hidden
        if row["asks"] != "none":
            asking += 1
            found += row["asks"] in got
            false += len(got - {row["asks"]})
        else:
            false += len(got)
    return {"asking": asking, "found": found, "false_triggers": false}


CARD_PROBES = "blind-11"  # the blind set an encoder's card reports (a look each time it is written)
TUNING_PROBES = ("dev", "reviewed", "reviewed-2", "reviewed-3", "reviewed-4", "reviewed-5", "reviewed-6", "reviewed-7", "dev-2")  # never a `blind` set
REACTS = {"dismissal": "contests", "false_premise": "contests", "vague_metric": "vague"}


def act_rows() -> list[tuple[str, str]]:
    """(line, kind) for every candidate line to Jordan Lee in the tuning probe sets: the kinds she
    reacts to (dismissal, false premise, vague metric) and the rest (questions, proposals, small
    talk...), which must not draw a reaction."""
    out: list[tuple[str, str]] = []
    for split in TUNING_PROBES:
        for f in sorted((Path(__file__).parent / "data" / "probes" / split).glob("*.yaml")):
            for probe in yaml.safe_load(f.read_text(encoding="utf-8"))["probes"]:
                if probe["persona"] != "jordan-lee":
                    continue
                for t in probe["turns"]:
                    kind = t.get("kind") or "question"
                    if kind in REACTS or (kind in ("proposal", "small_talk", "off_topic") and not t.get("asks")):
                        out.append((t["say"], kind))
                    elif kind in ("question", "definition", "repeat_request", "everything", "unrelated"):
                        out.append((t["say"], "question"))  # a real question: no push back
    # and what candidates rated meets or exceeds said to her in the dev transcripts: no reaction due
    for line in (Path(__file__).parent / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["gold"]["rating"] in ("meets", "exceeds") and row["transcript"]["item"] == "ds2-work-sim-ab-test-ai-recs":
            out += [(t["text"], "good_answer") for t in row["transcript"]["turns"] if t["speaker"] == "candidate"]
    return out


def act_scores(bars: Any = None, rows: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Per kind: how many lines draw the reaction Jordan's guidance asks for (a push back for a
    dismissal or false premise, a clarifying question for a vague metric), and how many of the
    other statements draw one anyway (false alarms)."""
    from simulator.content.library import load_library
    from simulator.dialogue.comprehension import Bars, Comprehension
    from simulator.dialogue.intent import Matcher

    lib = load_library()
    p = lib.personas["jordan-lee"]
    item = next(i for i in lib.items.values() if p.id in i.personas)
    comp = Comprehension.trained(Matcher.shared(), bars or Bars())
    out: dict[str, Any] = {"missed": [], "false_alarms": []}
    for say, kind in rows if rows is not None else act_rows():
        r = comp.read(p, say, f"{item.title} {item.question}", [])
        reacted = {"contests": r.contests or bool(r.corrects), "vague": bool(r.vague)}
        cell = out.setdefault(kind, [0, 0])
        cell[1] += 1
        if kind in REACTS:
            cell[0] += reacted[REACTS[kind]]
            if not reacted[REACTS[kind]]:
                out["missed"].append(f"{kind}: {say}")
        else:
            cell[0] += any(reacted.values())
            if any(reacted.values()):
                out["false_alarms"].append(f"{kind}: {say}")
    return out


def write_card() -> None:
    """The intent encoder's figures into its card: the tuning set, and the blind persona probes."""
    import json

    from evals.probes import run_probes
    from simulator.models.embedding import INTENT_PATH

    card_path = INTENT_PATH.parent / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    m = run_probes(Path(__file__).parent / "data" / "probes" / CARD_PROBES)["metrics"]
    keys = ("leaks", "leak_opportunities", "disclosed_when_asked", "asked", "answered", "asked_known", "false_denials",
            "guidance_followed", "guidance_lines", "repeated_lines", "invented_facts", "do_not_violations", "replies")
    card["figures"] = {**{n.replace("-", "_"): hidden_tuning(n) for n in HIDDEN_SETS},
                       "blind_probes": {"set": CARD_PROBES, **{k: m[k] for k in keys}}}
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card["figures"], indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--show", action="store_true", help="list the questions mapped wrongly")
    ap.add_argument("--card", action="store_true", help="measure the intent encoder and write its card's figures")
    ap.add_argument("--acts", action="store_true", help="the act bars on the tuning probes' statements (with --grid: a grid)")
    args = ap.parse_args()
    if args.card:
        write_card()
        return
    from simulator.dialogue.comprehension import Bars

    if args.acts:
        act_data = act_rows()
        grid = itertools.product((0.7, 0.75, 0.8, 0.85), (0.01, 0.02, 0.03, 0.04)) if args.grid else [(Bars().act, Bars().act_margin)]
        for bar, margin in grid:
            res = act_scores(replace(Bars(), act=bar, act_margin=margin), act_data)
            cells = "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in res.items() if k not in ("missed", "false_alarms"))
            print(f"act {bar:.2f} margin {margin:.2f}  {cells}")
            if args.show:
                for line in res["missed"] + res["false_alarms"]:
                    print("   ", line)
        return

    rows = labelled()
    if args.grid:
        for ask, world, unanchored in itertools.product((0.72, 0.78), (0.5, 0.55, 0.6, 0.65), (0.1, 0.2)):
            res = score(replace(Bars(), ask=ask, ask_world=world, unanchored=unanchored), rows)
            cells = "  ".join(f"{pid[:12]} acc {r['accuracy']:.3f} leaks {r['hidden_false_triggers']} missed {r['missed']}" for pid, r in res.items())
            print(f"ask {ask:.2f} world {world:.2f} unanchored {unanchored:.1f}  {cells}")
        return
    for pid, r in score(None, rows).items():
        print(f"{pid}: {r['n']} questions, accuracy {r['accuracy']:.3f}, hidden constraints triggered unasked {r['hidden_false_triggers']}, asks missed {r['missed']}")
        if args.show:
            for w in r["wrong"]:
                print("   ", w)
    for name in HIDDEN_SETS:
        h = hidden_tuning(name)
        print(f"{name}: {h['found']} of {h['asking']} asks found, {h['false_triggers']} hidden constraints triggered unasked")


if __name__ == "__main__":
    main()
