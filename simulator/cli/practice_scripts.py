"""`mockpanel play` (a session from a script of the candidate's lines) and `mockpanel simulate`
(sample transcripts from a simulated candidate)."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulator.core.errors import InputError
from simulator.core.files import out_dir, write_text
from simulator.practice.candidate import simulate
from simulator.practice.session import play, read_script, reproducible


def cmd_play(args: argparse.Namespace) -> int:
    """Prints the `reproducible` transcript, so the same script and seed give byte-identical output."""
    lines = read_script(args.script)
    s = play(args.item, lines, variant=args.variant, seed=args.seed, source=Path(args.script))
    t = reproducible(s.transcript())
    if args.json:
        print(t.to_json())
    else:
        print(t.to_markdown(), end="")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise InputError("<args>", None, "-n", "must be at least 1")
    out = out_dir(args.out)
    variant = getattr(args, "variant", None)
    for k, t in enumerate(simulate(args.item, args.candidate, n=args.n, seed=args.seed, variant=variant)):
        print(write_text(out / f"{args.item}-{args.candidate}-{args.seed + k:03d}.json", t.to_json() + "\n"))
    return 0
