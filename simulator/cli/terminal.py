"""`mockpanel practice` and `mockpanel sessions resume`: a session in the terminal, with rich.

Replies are shown word by word as they arrive. They are checked by the director before they are
shown, so the stream starts after the check, never before (an unchecked LLM reply could leak a
hidden fact that would then be on screen).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from simulator.core.errors import UserError
from simulator.core.transcript import CANDIDATE, Turn

if TYPE_CHECKING:  # rich and the session (director, embedding) load only when a command runs
    from rich.console import Console

    from simulator.practice.session import Session

Reader = Callable[[], str]

HELP = "Commands: /hint  /repeat  /time  /end  /say FILE (a recorded answer)  /ai <request> (with-AI coding test)  /retry  /help"


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _name(turn: Turn, names: dict[str, str]) -> str:
    if turn.speaker == CANDIDATE:
        return "You"
    pid = (turn.meta.get("plan") or {}).get("persona") or turn.meta.get("persona") or turn.speaker
    return names.get(pid, turn.speaker)


def show(console: Console, turns: Iterable[Turn], names: dict[str, str], *, stream: bool = True) -> None:
    """Candidate lines at once, replies word by word: they are already checked, so streaming is safe."""
    from rich.markup import escape

    for turn in turns:
        style = "bold cyan" if turn.speaker == CANDIDATE else ("bold magenta" if turn.channel == "assistant" else "bold green")
        console.print(f"[{style}]{escape(_name(turn, names))}:[/] ", end="")
        if stream and turn.speaker != CANDIDATE:
            from simulator.models.scripted import chunks

            for piece in chunks(turn.text):
                console.print(escape(piece), end="")
            console.print()
        else:
            console.print(escape(turn.text))


def run(session: Session, console: Console, *, reader: Reader | None = None) -> int:
    """The read-respond loop; every turn is already saved when it is shown."""
    names = session.names()
    read = reader or (lambda: console.input("[bold cyan]> [/]"))
    while not session.finished:
        try:
            text = read()
        except EOFError:
            console.print(f"\n[dim]Saved. Continue with: mockpanel sessions resume {session.id}[/]")
            return 0
        text = text.strip()
        if not text:
            continue
        if text in ("/help", "/?"):
            console.print(HELP)
            continue
        if text == "/retry":
            say(session, console, session.resume, names)
            continue
        meta = None
        if text.split(" ", 1)[0].lower() == "/say":
            try:
                text, meta = hear_file(session, console, text[4:].strip())
            except UserError as exc:
                from rich.markup import escape

                console.print(f"[yellow]{escape(str(exc))}[/]")
                continue
        say(session, console, partial(session.stream_respond, text, meta=meta), names)
    console.print(f"[dim]Session {session.id} finished. Export: mockpanel sessions export {session.id} --format md[/]")
    feedback(session, console)
    return 0


def say(session: Session, console: Console, turns: Callable[[], Iterable[Turn]], names: dict[str, str]) -> None:
    """Shows the replies; a failure is its line in yellow and, when a reply is owed, what is saved."""
    from rich.markup import escape

    try:
        show(console, turns(), names)
    except UserError as exc:
        console.print(f"[yellow]{escape(str(exc))}[/]")
        owed = session.owed()
        if owed:
            console.print(f"[yellow]{escape(owed)}: send your next answer, or type /retry.[/]")


def hear_file(session: Session, console: Console, path: str) -> tuple[str, dict[str, Any]]:
    """`/say FILE`: the recording transcribed (shown with its delivery figures) becomes the answer.
    Bad audio is a UserError: the loop shows it and nothing is sent or lost."""
    from rich.markup import escape

    from simulator.cli.speech import print_delivery
    from simulator.practice.recording import hear

    if not path:
        raise UserError("say which recording: /say FILE (a WAV; MP3/WebM with ffmpeg)")
    from pathlib import Path

    file = Path(path).expanduser()
    from simulator.grading.delivery import target_for

    item = session.director.item
    heard = hear(file, target_minutes=target_for(item), question=item.question)
    console.print(f"[bold cyan]You (spoken):[/] {escape(heard.transcription.text)}")
    print_delivery(console, heard)
    return heard.transcription.text, heard.meta(str(file.resolve()))


def feedback(session: Session, console: Console) -> None:
    """The grade of each item the candidate answered, as `mockpanel grade` prints it; stored, so
    the app's Feedback and Progress read the same grades without grading again."""
    from simulator.cli.grade import print_report
    from simulator.grading.scenario import item_scenario
    from simulator.practice.assessment import assess

    for a in assess(session.store, session.id, session.lib, ledger=session.ledger):
        if not any(t.is_candidate and t.channel != "command" for t in a.transcript.turns):
            continue
        console.rule(f"[bold]Feedback: {a.item.title}[/]")
        print_report(a.grade, a.item, a.transcript, item_scenario(a.transcript, a.item, session.lib))


def cmd_practice(args: argparse.Namespace) -> int:
    from simulator.practice.session import Session

    if not args.item and not args.round_id:
        raise UserError("choose what to practise: --item ID or --round ID (see 'mockpanel rubrics list', 'mockpanel rounds')")
    session = Session.start(args.item, args.variant, args.level, args.seed, round_id=args.round_id)
    console = _console()
    items = session.items
    title = items[0].title if len(items) == 1 else f"round {session.row.round_id} ({len(items)} items)"
    console.rule(f"[bold]{title}[/]")
    if items[0].brief and items[0].brief.scenario:
        console.print(f"[dim]{items[0].brief.scenario}[/]")
    console.print(f"[dim]Session {session.id}. {HELP}[/]")
    say(session, console, session.opening, session.names())
    try:
        return run(session, console, reader=_stdin_reader())
    finally:
        session.close()  # another terminal may continue it now


def cmd_resume(args: argparse.Namespace) -> int:
    from simulator.practice.session import Session
    from simulator.storage.users import current_user

    session = Session.open(args.id, user_id=current_user())
    console = _console()
    names = session.names()
    console.rule(f"[bold]Resuming {session.id}[/]")
    show(console, session.transcript().turns, names, stream=False)
    if session.finished:
        console.print("[dim]This session has finished.[/]")
        return 0
    say(session, console, session.opening, names)  # on a started session: the replies lost in a crash
    try:
        return run(session, console, reader=_stdin_reader())
    finally:
        session.close()


def _stdin_reader() -> Reader | None:
    """Piped input (tests, scripts): one line per turn, EOF ends the run; None on a terminal,
    where rich's prompt reads instead."""
    if sys.stdin.isatty():
        return None

    def read() -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    return read
