"""`mockpanel sessions list | show | export | delete` (resume is in `simulator.cli.terminal`)."""

from __future__ import annotations

import argparse
import json
import sys

from simulator.core.files import write_text
from simulator.core.transcript import Transcript
from simulator.storage import SessionRow, open_store
from simulator.storage.users import current_user


def cmd_sessions_list(args: argparse.Namespace) -> int:
    store = open_store()
    rows = store.list(current_user())
    for problem in store.damaged(current_user()):  # the rest are listed; each damaged one is said
        print(f"mockpanel: {problem}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps([
            {"id": r.id, "item": r.item_id, "round": r.round_id, "variant": r.variant, "level": r.level,
             "status": r.status, "turns": r.turns, "created_at": r.created_at, "updated_at": r.updated_at}
            for r in rows
        ], indent=2))
        return 0
    if not rows:
        print("no saved sessions; start one with 'mockpanel practice'")
        return 0
    titles = _titles()
    ratings: dict[str, list[str]] = {}
    for g in store.grades(current_user()):
        ratings.setdefault(g.session_id, []).append(g.rating)
    for r in rows:
        what = titles.get(r.item_id, r.item_id) if len(r.items) <= 1 else f"{r.round_id or r.item_id} ({len(r.items)} questions)"
        variant = f" [{r.variant}]" if r.variant else ""
        rating = "/".join(ratings.get(r.id, [])) or "-"
        print(f"{r.id}  {r.status:<8} {rating:<8} {r.turns:>3} turn(s)  {r.updated_at[:16].replace('T', ' ')}  {what}{variant}")
    return 0


def _titles() -> dict[str, str]:
    """Item id -> title, for lists people read (a content error never stops the listing)."""
    from simulator.content.library import load_library

    try:
        return {i.id: i.title for i in load_library().items.values()}
    except Exception:
        return {}


def _found(session_id: str) -> tuple[SessionRow, Transcript]:
    """A saved session by id or prefix, with its transcript (show and export)."""
    store = open_store()
    row = store.find(session_id, current_user())
    return row, store.transcript(row.id)


def cmd_sessions_show(args: argparse.Namespace) -> int:
    row, transcript = _found(args.id)
    if getattr(args, "json", False):
        print(transcript.to_json())
    else:
        print(transcript.to_markdown(title=f"{row.round_id or row.item_id} ({row.id}, {row.status})"), end="")
    return 0


def cmd_sessions_export(args: argparse.Namespace) -> int:
    _, transcript = _found(args.id)
    text = transcript.to_json() + "\n" if args.format == "json" else transcript.to_markdown()
    if args.out:
        print(write_text(args.out, text))
    else:
        print(text, end="")
    return 0


def cmd_sessions_delete(args: argparse.Namespace) -> int:
    from simulator.storage.sql import DamagedRow

    store = open_store()
    try:
        session_id = store.find(args.id, current_user()).id
    except DamagedRow as exc:  # a damaged session can still be deleted
        session_id = exc.session_id
    store.delete(session_id)
    print(f"deleted {session_id}")
    return 0
