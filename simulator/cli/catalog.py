"""CLI handlers for browsing and checking content: rubrics, personas, rounds, validate, schema, app."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from simulator.content.library import MAX_FILE_BYTES, ROOT, Library, json_schemas, load_library, validate_paths
from simulator.content.rubric import Item
from simulator.core.errors import InputError
from simulator.core.files import out_dir, write_text


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def item_summary(item: Item, bank: str | None = None) -> dict[str, Any]:
    """The `rubrics list --json` element: enough to practise or grade without another lookup."""
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "question": item.question,
        "bank": bank,
        "round": item.round,
        "level": item.level,
        "difficulty": item.difficulty,
        "response_time_minutes": item.response_time_minutes,
        "variants": [v.id for v in item.variants],
        "personas": list(item.personas),
        "indicators": [
            {"id": i.id, "text": i.text, "polarity": i.polarity, "source": i.source, "variants": list(i.variants)}
            for i in item.indicators
        ],
    }


def _filtered(lib: Library, args: argparse.Namespace) -> list[Item]:
    out = []
    for item in lib.items.values():
        if args.kind and item.kind != args.kind:
            continue
        if args.level and item.level != args.level:
            continue
        if args.round_id and item.round != args.round_id:
            continue
        if args.bank and lib.item_bank.get(item.id) != args.bank:
            continue
        out.append(item)
    return out


def cmd_rubrics_list(args: argparse.Namespace) -> int:
    lib = load_library()
    items = _filtered(lib, args)
    if args.json:
        _print_json([item_summary(i, lib.item_bank.get(i.id)) for i in items])
        return 0
    width = max((len(i.id) for i in items), default=10)
    for i in items:
        extra = f" [{', '.join(v.id for v in i.variants)}]" if i.variants else ""
        print(f"{i.id:<{width}}  {i.kind:<16} {i.level:<9} {i.title}{extra}")
    print(f"\n{len(items)} item(s). 'mockpanel rubrics show ID' for the indicators and anchors.")
    return 0


def cmd_rubrics_show(args: argparse.Namespace) -> int:
    lib = load_library()
    item = lib.item(args.id)
    if args.json:
        data = item.model_dump(mode="json")
        data["bank"] = lib.item_bank.get(item.id)
        _print_json(data)
        return 0
    print(f"{item.title}  ({item.id}; {item.kind}, {item.level}, round {item.round})\n")
    print(item.question)
    for v in item.variants:
        print(f"\n[{v.id}] {v.title}: {v.instructions}\n  {v.question}")
    if item.response_time_minutes:
        print(f"\nTime: {item.response_time_minutes:g} min")
    for polarity in ("positive", "negative"):
        print(f"\n{polarity.capitalize()} indicators:")
        for ind in item.indicators:
            if ind.polarity == polarity:
                only = f" (only {', '.join(ind.variants)})" if ind.variants else ""
                print(f"  - {ind.text}{only}  [{ind.id}, {ind.source}]")
    print("\nScoring anchors:")
    for rating in ("exceeds", "meets", "below"):
        anchor = item.anchors.get(rating)
        print(f"  {rating.capitalize()}: {anchor.text}  [{anchor.source}]")
    _bullets("Follow-ups", list(item.follow_ups))
    return 0


def cmd_personas_list(args: argparse.Namespace) -> int:
    lib = load_library()
    if args.json:
        _print_json([{"id": p.id, "name": p.name, "title": p.title, "archetype": p.archetype} for p in lib.personas.values()])
        return 0
    width = max((len(p) for p in lib.personas), default=10)
    for p in lib.personas.values():
        print(f"{p.id:<{width}}  {p.archetype:<16} {p.name}, {p.title}")
    return 0


def cmd_personas_show(args: argparse.Namespace) -> int:
    lib = load_library()
    p = lib.persona(args.id)
    if args.json:
        _print_json(p.model_dump(mode="json"))
        return 0
    print(f"{p.name}, {p.title}  ({p.id}; {p.archetype})\n\nMotivation. {p.motivation}\nVoice. {p.voice}")
    _bullets("Hidden facts (disclosed only when asked)", [f"{c.fact}  [when: {c.disclose_when}]" for c in p.constraints])
    _bullets("Their world (free: said to anyone who asks; asked: only when asked; never)", [f"{w.topic}  [{w.disclosure}]" for w in p.world])
    _bullets("Tensions to introduce", [f"{t.text}  [{t.trigger}]" for t in p.tensions])
    _bullets("In-character guidance", list(p.guidance))
    _bullets("Do not", [r.text for r in p.do_not])
    return 0


def _bullets(title: str, lines: list[str]) -> None:
    """A titled list, left out when empty."""
    if lines:
        print(f"\n{title}:")
        for line in lines:
            print(f"  - {line}")


def cmd_rounds_list(args: argparse.Namespace) -> int:
    lib = load_library()
    if args.json:
        _print_json([r.model_dump(mode="json") | {"items": [i.id for i in lib.items_in_round(r.id)]} for r in lib.rounds.values()])
        return 0
    for r in lib.rounds.values():
        stage = f"stage {r.stage}" if r.stage else r.source
        print(f"{r.id:<26} {stage:<11} {r.duration:<12} {len(lib.items_in_round(r.id)):>3} item(s)  {r.name}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    if not args.paths:
        lib = load_library()
        print(f"ok: {len(lib.files)} file(s), {len(lib.items)} item(s), {len(lib.personas)} persona(s), {len(lib.rounds)} round(s)")
        return 0
    files = validate_paths([Path(p) for p in args.paths])
    for f in files:
        print(f"ok: {f}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    schemas = json_schemas()
    if not args.out:
        _print_json(schemas)
        return 0
    out = out_dir(args.out)
    for name, schema in schemas.items():
        print(write_text(out / f"{name}.schema.json", json.dumps(schema, indent=2) + "\n"))
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    app = ROOT / "app.py"
    if not app.exists():
        raise InputError(app, None, None, "the app is not installed with this copy of mockpanel")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app),
           "--browser.gatherUsageStats", "false", "--server.showEmailPrompt", "false",
           "--server.maxUploadSize", str(max(1, MAX_FILE_BYTES // 1_000_000))]
    if args.port is not None and not 0 < args.port < 65536:
        raise InputError("<args>", None, "--port", f"{args.port} is not a TCP port (1-65535)")
    if args.port:
        cmd += ["--server.port", str(args.port)]
    return subprocess.call(cmd, env=os.environ.copy())
