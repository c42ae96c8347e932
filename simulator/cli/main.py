"""`mockpanel`: the command line. Parsing is cheap; each command imports what it needs when it runs.

Commands are declared here as inert data (name, help, arguments, "module:function" handler), so
`mockpanel --help` never imports litellm, onnxruntime or streamlit.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Arg = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: str
    args: list[Arg] = field(default_factory=list)
    sub: list[Command] = field(default_factory=list)


def a(*flags: str, **kw: Any) -> Arg:
    """An argparse argument as data, so the table above reads like the help it makes."""
    return flags, kw


JSON = a("--json", action="store_true", help="print JSON instead of a readable report")
ENGINE = a("--engine", default=None, metavar="NAME", help="grader engine: semantic, trained, blend, llm or a plugin (default: the offline default, llm when MOCKPANEL_GRADER_MODEL/MOCKPANEL_MODEL names a real model)")
SEED = a("--seed", type=int, default=0, help="random seed for the offline voice (deterministic runs)")

COMMANDS: list[Command] = [
    Command("rubrics", "browse the rubric items", "", sub=[
        Command("list", "list items", "simulator.cli.catalog:cmd_rubrics_list", [
            JSON,
            a("--kind", help="only items of this kind"),
            a("--level", help="only items at this level"),
            a("--round", dest="round_id", help="only items of this round"),
            a("--bank", help="only items of this bank"),
        ]),
        Command("show", "show one item", "simulator.cli.catalog:cmd_rubrics_show", [a("id"), JSON]),
    ]),
    Command("personas", "browse the personas", "", sub=[
        Command("list", "list personas", "simulator.cli.catalog:cmd_personas_list", [JSON]),
        Command("show", "show one persona (with its hidden facts: for interviewers)", "simulator.cli.catalog:cmd_personas_show", [a("id"), JSON]),
    ]),
    Command("rounds", "list the interview rounds", "simulator.cli.catalog:cmd_rounds_list", [JSON]),
    Command("validate", "check rubric and persona YAML files you wrote", "simulator.cli.catalog:cmd_validate", [
        a("paths", nargs="*", help="files or directories (default: the shipped content)"),
    ]),
    Command("schema", "write JSON Schema files for rubric, persona and rounds YAML", "simulator.cli.catalog:cmd_schema", [
        a("--out", default=None, help="directory to write *.schema.json into (default: print)"),
    ]),
    Command("grade", "grade a transcript against its item's indicators", "simulator.cli.grade:cmd_grade", [
        a("file", help="transcript in the interchange format (JSON)"),
        a("--item", default=None, help="item id (default: the transcript's own)"),
        ENGINE, JSON,
    ]),
    Command("practice", "practise a round in the terminal", "simulator.cli.terminal:cmd_practice", [
        a("--item", default=None), a("--round", dest="round_id", default=None),
        a("--level", default=None), a("--variant", default=None, choices=["with_ai", "without_ai"]), SEED,
    ]),
    Command("play", "run a session with the candidate's lines from a file", "simulator.cli.practice_scripts:cmd_play", [
        a("--item", required=True), a("--script", required=True, help="JSON array of the candidate's lines"),
        a("--variant", default=None, choices=["with_ai", "without_ai"]), SEED, JSON,
    ]),
    Command("simulate", "produce sample transcripts with a simulated candidate", "simulator.cli.practice_scripts:cmd_simulate", [
        a("--item", required=True), a("--candidate", required=True, help="profile: strong, average, weak, buzzword, evasive, injector"),
        a("--variant", default=None, choices=["with_ai", "without_ai"]),
        a("-n", type=int, default=1), a("--out", required=True), SEED,
    ]),
    Command("transcribe", "transcribe a recorded answer (WAV; MP3/WebM with ffmpeg) and report its delivery", "simulator.cli.speech:cmd_transcribe", [
        a("audio", help="the recording"), a("--item", default=None, help="item id: compare the length with its response time"), JSON,
    ]),
    Command("sessions", "saved practice sessions", "", sub=[
        Command("list", "list sessions", "simulator.cli.sessions:cmd_sessions_list", [JSON]),
        Command("show", "show a session", "simulator.cli.sessions:cmd_sessions_show", [a("id"), JSON]),
        Command("export", "export a session", "simulator.cli.sessions:cmd_sessions_export", [
            a("id"), a("--format", choices=["json", "md"], default="json"), a("--out", default=None)]),
        Command("resume", "continue an unfinished session", "simulator.cli.terminal:cmd_resume", [a("id")]),
        Command("delete", "delete a session", "simulator.cli.sessions:cmd_sessions_delete", [a("id")]),
    ]),
    Command("eval", "measure the grader and the personas", "", sub=[
        Command("run", "run a dataset", "evals.command:cmd_run", [
            a("dataset"), ENGINE, a("--repeats", type=int, default=1), a("--out", default=None),
            a("--concurrency", type=int, default=4),
            a("--failures", action=argparse.BooleanOptionalAction, default=None,
              help="print each failed probe check (default: yes, but never for a blind set)")]),
        Command("compare", "compare two runs; exit 1 on a regression", "evals.command:cmd_compare", [
            a("run_a"), a("run_b"), a("--margin", type=float, default=0.02)]),
        Command("attacks", "rubric-paste and injection suites: upgrades over the clean twin, share flagged", "evals.attacks:cmd_attacks", [
            ENGINE, a("--out", default=None)]),
    ]),
    Command("app", "start the Streamlit practice app", "simulator.cli.catalog:cmd_app", [
        a("--port", type=int, default=None)]),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockpanel",
        description="Rehearse interview rounds against AI personas; get feedback grounded in your own words.",
    )
    _add(parser, COMMANDS)
    return parser


def _add(parser: argparse.ArgumentParser, commands: Sequence[Command]) -> None:
    subs = parser.add_subparsers(dest=f"cmd_{id(parser)}", metavar="COMMAND", required=True)
    for cmd in commands:
        p = subs.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.sub:
            _add(p, cmd.sub)
        else:
            for flags, kw in cmd.args:
                p.add_argument(*flags, **kw)
            p.set_defaults(handler=cmd.handler)


def resolve(handler: str) -> Callable[[argparse.Namespace], int | None]:
    """Imports a handler's module only when its command runs (keeps --help instant)."""
    module, _, func = handler.partition(":")
    fn: Callable[[argparse.Namespace], int | None] = getattr(importlib.import_module(module), func)
    return fn


def main(argv: Sequence[str] | None = None) -> int:
    """The exit code: a UserError is its one line on stderr and its code (2 for bad input), never a traceback."""
    from simulator.core.errors import UserError

    args = build_parser().parse_args(argv)
    try:
        code = resolve(args.handler)(args)
    except UserError as exc:
        print(f"mockpanel: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mockpanel: interrupted; what was saved is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
