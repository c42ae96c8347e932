"""Writes one Markdown card per item: what a data author may see (no cues, no thresholds).

    python scripts/item_cards.py OUT_DIR [ITEM_ID ...]

A card holds the item's question, variants, follow-ups, indicators (id, text, polarity),
anchors, reference answer and, for items with personas, each persona's public role and any
hidden facts. It is the brief given to the authors of the judge's training data and of the
blind evaluation split, so neither learns the grader's cue wording.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from simulator.content.library import load_library


def card(lib, item) -> str:
    out = [f"# {item.id}: {item.title}", "", f"kind: {item.kind}; level: {item.level}", "",
           f"Question: {item.question}", ""]
    for v in item.variants or []:
        out += [f"Variant `{v.id}` ({v.title}): {v.question}", f"  instructions: {v.instructions}", ""]
    if item.follow_ups:
        out += ["Follow-ups:"] + [f"- {f}" for f in item.follow_ups] + [""]
    out += ["Indicators (id | polarity | text | variants it applies to):"]
    for ind in item.indicators:
        vs = ",".join(ind.variants) if getattr(ind, "variants", None) else "all"
        out.append(f"- `{ind.id}` | {ind.polarity} | {ind.text} | {vs}")
    out.append("")
    a = item.anchors
    out += ["Anchors:", f"- exceeds: {a.exceeds.text}", f"- meets: {a.meets.text}", f"- below: {a.below.text}", ""]
    if item.reference_answer:
        out += ["Reference answer:", item.reference_answer, ""]
    if item.brief:
        out += ["Brief:", yaml.safe_dump(item.brief.model_dump(mode="json", exclude_none=True), sort_keys=False, width=100), ""]
    for pid in item.personas or []:
        p = lib.persona(pid)
        out += [f"Persona `{p.id}`: {p.name}, {p.title}. {getattr(p, 'motivation', '') or ''}"]
        for c in getattr(p, "constraints", None) or []:
            out.append(f"  hidden fact `{c.id}`: {c.fact}")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    lib = load_library()
    wanted = set(argv[1:])
    items = lib.items.values() if isinstance(lib.items, dict) else lib.items
    for item in items:
        if wanted and item.id not in wanted:
            continue
        (out / f"{item.id}.md").write_text(card(lib, item), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
