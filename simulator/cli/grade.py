"""`mockpanel grade FILE`: grade a transcript file and print the report (or the Grade as JSON)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.content.rubric import Item
from simulator.core.errors import InputError
from simulator.grading.grader import grade
from simulator.grading.report import missed_advice
from simulator.grading.verdict import Grade

if TYPE_CHECKING:
    from simulator.content.library import Library
    from simulator.core.transcript import Transcript
    from simulator.grading.scenario import Scenario


def cmd_grade(args: argparse.Namespace) -> int:
    """`mockpanel grade FILE [--item ID] [--engine semantic|llm] [--json]`."""
    from simulator.content.library import load_library
    from simulator.core.transcript import load_transcript

    transcript = load_transcript(args.file)
    library = load_library()
    item_id = getattr(args, "item", None) or transcript.item
    if item_id not in library.items:
        raise InputError(args.file, None, "item", f"no item {item_id!r}; see 'mockpanel rubrics list'")
    item = library.items[item_id]
    if transcript.variant and transcript.variant not in {v.id for v in item.variants}:
        raise InputError(args.file, None, "variant", f"item {item_id!r} has no variant {transcript.variant!r}")
    _check_speakers(args.file, transcript, library, item_id)
    result = grade(transcript, item, engine=getattr(args, "engine", None), library=library)
    if getattr(args, "json", False):
        print(result.model_dump_json())
    else:
        from simulator.grading.scenario import item_scenario

        print_report(result, item, transcript, item_scenario(transcript, item, library))
    return 0


def _check_speakers(path: str, transcript: Transcript, library: Library, item_id: str) -> None:
    """A speaker who is neither the candidate, the interviewer nor a persona of the item is a
    mistake (a typo in `candidate` would silently drop the candidate's evidence)."""
    items = transcript.metadata.get("items") if isinstance(transcript.metadata.get("items"), list) else None
    allowed = library.speakers([item_id, *[str(i) for i in items or []]])
    for n, turn in enumerate(transcript.turns):
        if turn.speaker not in allowed:
            from simulator.core.files import json_line, read_text

            line = json_line(read_text(Path(path), "a transcript in JSON"), ["turns", n, "speaker"])
            raise InputError(path, line, f"turns.{n}.speaker",
                             f"{turn.speaker!r} is neither candidate, interviewer nor a persona of the item "
                             f"(here: {', '.join(sorted(allowed - {'candidate', 'interviewer'})) or 'none'})")


def print_report(result: Grade, item: Item, transcript: Transcript | None = None, scenario: Scenario | None = None) -> None:
    """A readable report for the terminal; with the transcript, turns are cited by their number
    as the candidate saw them (without it, by transcript index)."""
    from rich.console import Console
    from rich.markup import escape

    from simulator.grading.report import SCENARIO_SECTIONS, scenario_lines

    con = Console(highlight=False)
    colour = {"exceeds": "green", "meets": "yellow", "below": "red"}[result.rating]
    title = item.title + (f" ({result.variant})" if result.variant else "")
    con.print(f"[bold]{escape(title)}[/bold]  rating: [bold {colour}]{result.rating.upper()}[/]")
    con.print(escape(result.reason))
    if result.level_reading:
        con.print(f"[dim]{escape(result.level_reading)}[/dim]")
    if result.flags:
        con.print(f"[bold red]flags:[/] {', '.join(result.flags)}")
    con.print()
    sc = scenario_lines(scenario)
    if sc["headline"]:
        con.print(f"[bold]{escape(sc['headline'][0])}[/bold]")
        for key, title in SCENARIO_SECTIONS:
            if sc[key]:
                con.print(f" {title}:")
                for line in sc[key]:
                    con.print(f"  - {escape(line)}")
        con.print()
    numbers = transcript.shown_numbers() if transcript is not None else {}
    for v in result.indicators:
        # one mark per verdict, the words beside it: never the same sign for two meanings
        if v.polarity == "positive":
            mark = {True: "[green]✓ met    [/]", False: "[yellow]○ missed [/]", None: "[yellow]? unsure [/]"}[v.present]
        else:
            mark = {True: "[red]✗ fired  [/]", False: "[dim]· avoided[/]", None: "[yellow]? unsure [/]"}[v.present]
        con.print(f" {mark} {escape(v.text)}")
        for ev in v.evidence[:2]:
            where = transcript.turn_label(ev.turn, numbers) if transcript is not None else f"turn #{ev.turn}"
            con.print(f"     [dim]{escape(where)}:[/] “{escape(ev.quote)}”")
    fb = result.feedback
    if fb.missed:
        con.print("\n[bold]What it would have taken[/bold]")
        for m in fb.missed:
            con.print(f" - {escape(m.text)}: {escape(missed_advice(m, transcript))}")
    if fb.practise_next:
        con.print("\n[bold]Practise next[/bold]")
        for p in fb.practise_next:
            con.print(f" - {escape(p)}")
    con.print(f"\n[dim]engine {result.engine} · model {result.model} · "
              + " · ".join(f"{k} {v}" for k, v in result.versions.items() if k != "model") + "[/dim]")
