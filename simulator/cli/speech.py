"""`mockpanel transcribe AUDIO [--item ID] [--json]`: a recording's words and delivery figures."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from simulator.core.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from simulator.practice.recording import Heard


def cmd_transcribe(args: argparse.Namespace) -> int:
    import json

    from simulator.practice.recording import hear

    minutes = question = None
    if getattr(args, "item", None):
        from simulator.content.library import load_library

        lib = load_library()
        if args.item not in lib.items:
            raise InputError(args.audio, None, "--item", f"no item {args.item!r}; see 'mockpanel rubrics list'")
        from simulator.grading.delivery import target_for

        minutes = target_for(lib.items[args.item])
        question = lib.items[args.item].question
    heard = hear(args.audio, target_minutes=minutes, question=question)
    if args.json:
        print(json.dumps({"transcription": heard.transcription.model_dump(), "delivery": heard.delivery.model_dump()}, indent=2))
        return 0
    from rich.console import Console

    con = Console(highlight=False, soft_wrap=True)
    from rich.markup import escape

    con.print(escape(heard.transcription.text))
    con.print()
    print_delivery(con, heard)
    return 0


def print_delivery(con: Console, heard: Heard) -> None:
    from rich.markup import escape

    t = heard.transcription
    for line in heard.delivery.lines():
        con.print(escape(line))
    for note in heard.delivery.notes:
        con.print(f"[yellow]· {escape(note)}[/]")
    con.print(f"[dim]model {t.model} · {t.duration_s:.1f} s of audio transcribed in {t.seconds_to_transcribe:.2f} s[/]")
