"""Loads and validates the YAML under `rubrics/` and `personas/` (and a user's own directories).

Every problem becomes one `InputError` naming the file, the line and the field, because
interviewers and candidates write these files by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simulator.content.base import Problem
from simulator.content.persona import Persona, PersonaFile
from simulator.content.round import Competency, QuestionType, Round, RoundsFile
from simulator.content.rubric import Bank, Item, RubricFile
from simulator.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
RUBRICS_DIR = ROOT / "rubrics"
PERSONAS_DIR = ROOT / "personas"
CONTENT_DIRS_ENV = "MOCKPANEL_CONTENT_DIRS"

SCHEMAS: dict[str, type[BaseModel]] = {
    "rubric": RubricFile,
    "persona": PersonaFile,
    "rounds": RoundsFile,
}


# --- YAML with line numbers ------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader (libyaml's when present: ~25x faster) that refuses duplicate keys.

    PyYAML silently keeps the last of two equal keys; a hand-written file deserves an error.
    """


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        seen.add(key)
    mapping: dict[Any, Any] = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int) -> None:
        self.key, self.line = key, line


# What a hand-written content file may hold, checked before anything is built from it: anchors
# and aliases count each time they are used, so a small file cannot expand into gigabytes.
MAX_FILE_BYTES = 4_000_000
MAX_DEPTH = 50
MAX_STRING = 100_000
MAX_LIST = 10_000
MAX_EXPANDED_CHARS = 10_000_000
MAX_EXPANDED_NODES = 500_000


def read_yaml(path: Path, text: str | None = None) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers), within the limits above."""
    if text is None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InputError(path, None, None, f"file is {path.stat().st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(path, None, None, "not UTF-8 text; expected YAML") from None
        except OSError as exc:
            raise InputError(path, None, None, f"cannot read: {exc.strerror or exc}") from None
    if len(text) > MAX_FILE_BYTES:
        raise InputError(path, None, None, f"file is {len(text):,} characters; the limit is {MAX_FILE_BYTES:,}")
    try:
        _check_depth(path, text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_size(path, node)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _DuplicateKey as exc:
        raise InputError(path, exc.line, str(exc.key), "duplicate key") from None
    except RecursionError:
        raise InputError(path, None, None, f"nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(path, line, None, f"bad YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(path, None, None, f"bad YAML: {exc}") from None
    return data, node


def _check_depth(path: Path, text: str) -> None:
    """Nesting, from the parser's events (no recursion), before a node tree is built at all."""
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(path, event.start_mark.line + 1, None, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _check_size(path: Path, root: yaml.Node) -> None:
    """String and list lengths, plain mapping keys, and the size the tree expands to with every
    alias followed (an anchor that contains itself is refused). Iterative: no recursion limit."""
    done: dict[int, tuple[int, int]] = {}  # node -> (characters, nodes) once expanded
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]

    def fail(node: yaml.Node, message: str) -> InputError:
        return InputError(path, node.start_mark.line + 1, None, message)

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return [n for pair in node.value for n in pair]

    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > MAX_STRING:
                raise fail(node, f"a string of {len(node.value):,} characters; the limit is {MAX_STRING:,}")
            done[key] = (len(node.value), 1)
            continue
        if leaving:
            active.discard(key)
            kids = [done[id(c)] for c in children(node)]
            chars, nodes = sum(k[0] for k in kids), 1 + sum(k[1] for k in kids)
            if chars > MAX_EXPANDED_CHARS or nodes > MAX_EXPANDED_NODES:
                raise fail(node, f"expands to {chars:,} characters in {nodes:,} values (anchors count each time they are used); "
                                 f"the limit is {MAX_EXPANDED_CHARS:,} characters and {MAX_EXPANDED_NODES:,} values")
            done[key] = (chars, nodes)
            continue
        if key in done:
            continue
        if key in active:
            raise fail(node, "an alias refers to the anchor that contains it")
        if isinstance(node, yaml.SequenceNode) and len(node.value) > MAX_LIST:
            raise fail(node, f"a list of {len(node.value):,} entries; the limit is {MAX_LIST:,}")
        if isinstance(node, yaml.MappingNode):
            if len(node.value) > MAX_LIST:
                raise fail(node, f"a mapping of {len(node.value):,} keys; the limit is {MAX_LIST:,}")
            for k, _ in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    raise fail(k, "a mapping key must be a plain value, not a list or a mapping")
        active.add(key)
        if len(active) > MAX_DEPTH:
            raise fail(node, f"nested more than {MAX_DEPTH} levels deep")
        stack.append((node, True))
        stack.extend((c, False) for c in children(node))


def line_of(node: yaml.Node | None, loc: Iterable[Any]) -> int | None:
    """The line of the deepest node a pydantic error location reaches."""
    if node is None:
        return None
    line: int = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key_node, value_node in node.value:
                if key_node.value == part:
                    nxt = value_node
                    line = key_node.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _field_name(loc: tuple[Any, ...], data: Any) -> str:
    """`items[3].indicators[0].text`, with the item's id where it has one: `items[id=x]...`."""
    out: list[str] = []
    cur = data
    for part in loc:
        if isinstance(part, int):
            ident = cur[part].get("id") if isinstance(cur, list) and part < len(cur) and isinstance(cur[part], dict) else None
            out.append(f"[{part}]" if ident is None else f"[{ident}]")
            cur = cur[part] if isinstance(cur, list) and part < len(cur) else None
        else:
            out.append(("." if out else "") + str(part))
            cur = cur.get(part) if isinstance(cur, dict) else None
    return "".join(out)


def validate_data(path: Path, data: Any, node: yaml.Node | None) -> BaseModel:
    """Picks the schema from the top-level keys and validates; one line per problem."""
    if not isinstance(data, dict):
        raise InputError(path, line_of(node, []), None, "expected a mapping with 'bank'+'items', 'personas' or 'rounds'")
    if "personas" in data:
        schema: type[BaseModel] = PersonaFile
    elif "rounds" in data:
        schema = RoundsFile
    elif "items" in data or "bank" in data:
        schema = RubricFile
    else:
        raise InputError(path, line_of(node, []), None, "unknown file: expected top-level 'bank'+'items', 'personas' or 'rounds'")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first, *rest = [_problem(path, node, data, err) for err in exc.errors()]
        msg = first.message
        if rest:
            msg += f" (and {len(rest)} more problem{'s' if len(rest) > 1 else ''})"
        raise InputError(first.file, first.line, first.field, msg, others=rest) from None


def _problem(path: Path, node: yaml.Node | None, data: Any, err: Any) -> InputError:
    """One pydantic error as a one-line InputError naming the file, line and field."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = err["msg"]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, Problem):
        loc += cause.loc
        msg = str(cause)
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    elif err["type"] == "missing":
        msg = "required field missing"
    return InputError(path, line_of(node, loc), _field_name(loc, data) or None, msg)


# --- The library -----------------------------------------------------------------------------


@dataclass
class Library:
    """Everything practisable, with where each thing came from (for errors and the UI)."""

    items: dict[str, Item] = field(default_factory=dict)
    banks: dict[str, Bank] = field(default_factory=dict)
    item_bank: dict[str, str] = field(default_factory=dict)
    personas: dict[str, Persona] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)
    progression: dict[str, Competency] = field(default_factory=dict)
    question_types: dict[str, QuestionType] = field(default_factory=dict)
    origin: dict[tuple[str, str], tuple[Path, int | None]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def item(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except KeyError:
            raise InputError("<library>", None, "item", f"no item {item_id!r}; see 'mockpanel rubrics list'") from None

    def persona(self, persona_id: str) -> Persona:
        try:
            return self.personas[persona_id]
        except KeyError:
            raise InputError("<library>", None, "persona", f"no persona {persona_id!r}; see 'mockpanel personas list'") from None

    def speakers(self, item_ids: Iterable[str]) -> set[str]:
        """Who may speak in a transcript of these items: the candidate, the interviewer, their
        personas, and the coding test's AI assistant (a session adds it when an item does not name it)."""
        out = {"candidate", "interviewer"}
        for item_id in item_ids:
            if item_id in self.items:
                out.update(self.items[item_id].personas)
        out.update(p.id for p in self.personas.values() if p.archetype == "assistant")
        return out

    def items_in_round(self, round_id: str) -> list[Item]:
        return [i for i in self.items.values() if i.round == round_id]


def default_dirs() -> list[Path]:
    """The shipped content, then the user's own: MOCKPANEL_CONTENT_DIRS from the environment or
    `.env`, read by settings like every other knob."""
    from simulator.core.settings import get_settings

    return [RUBRICS_DIR, PERSONAS_DIR, *get_settings().content_dirs]


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file())
        elif p.exists():
            out.append(p)
        else:
            raise InputError(p, None, None, "no such file or directory")
    return out


def load_library(paths: Iterable[Path] | None = None) -> Library:
    """Reads every YAML file, validates each, then checks the references between them."""
    lib = Library()
    for path in yaml_files(default_dirs() if paths is None else paths):
        data, node = read_yaml(path)
        model = validate_data(path, data, node)
        lib.files.append(path)
        _add(lib, path, model, data, node)
    _check_references(lib)
    return lib


def _add(lib: Library, path: Path, model: BaseModel, data: Any, node: yaml.Node | None) -> None:
    def claim(kind: str, ident: str, loc: tuple[Any, ...]) -> None:
        line = line_of(node, loc)
        if (kind, ident) in lib.origin:
            first, first_line = lib.origin[(kind, ident)]
            where = f"{first}:{first_line}" if first_line else str(first)
            raise InputError(path, line, f"{loc[0]}[{ident}].id", f"duplicate {kind} id {ident!r} (first at {where})")
        lib.origin[(kind, ident)] = (path, line)

    if isinstance(model, RubricFile):
        claim("bank", model.bank.id, ("bank", "id"))
        lib.banks[model.bank.id] = model.bank
        for n, item in enumerate(model.items):
            claim("item", item.id, ("items", n, "id"))
            lib.items[item.id] = item
            lib.item_bank[item.id] = model.bank.id
    elif isinstance(model, PersonaFile):
        for n, persona in enumerate(model.personas):
            claim("persona", persona.id, ("personas", n, "id"))
            lib.personas[persona.id] = persona
    elif isinstance(model, RoundsFile):
        for n, rnd in enumerate(model.rounds):
            claim("round", rnd.id, ("rounds", n, "id"))
            lib.rounds[rnd.id] = rnd
        for n, comp in enumerate(model.progression):
            claim("competency", comp.id, ("progression", n, "id"))
            lib.progression[comp.id] = comp
        for n, qt in enumerate(model.question_types):
            claim("question type", qt.id, ("question_types", n, "id"))
            lib.question_types[qt.id] = qt


def _check_references(lib: Library) -> None:
    """A persona, round or competency named but defined nowhere is an error at the naming line."""
    competency_names = {c.name for c in lib.progression.values()} | set(lib.progression)
    for item in lib.items.values():
        path, line = lib.origin[("item", item.id)]
        for pid in item.personas:
            if pid not in lib.personas:
                raise InputError(path, line, f"items[{item.id}].personas", f"persona {pid!r} is not defined in any persona file")
        if lib.rounds and item.round not in lib.rounds:
            raise InputError(path, line, f"items[{item.id}].round", f"round {item.round!r} is not defined in rounds.yaml")
        if item.competency and lib.progression and item.competency not in competency_names:
            raise InputError(path, line, f"items[{item.id}].competency", f"competency {item.competency!r} is not in the progression framework")
    for rnd in lib.rounds.values():
        path, line = lib.origin[("round", rnd.id)]
        for pid in rnd.personas:
            if pid not in lib.personas:
                raise InputError(path, line, f"rounds[{rnd.id}].personas", f"persona {pid!r} is not defined in any persona file")


def validate_paths(paths: Iterable[Path]) -> list[Path]:
    """`mockpanel validate`: the user's files checked against the shipped library's references."""
    user_files = yaml_files(paths)
    theirs = {u.resolve() for u in user_files}
    shipped = [p for p in yaml_files([RUBRICS_DIR, PERSONAS_DIR]) if p.resolve() not in theirs]
    load_library(shipped + user_files)
    return user_files


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema for each file type, so an editor can check a user's own file."""
    return {name: schema.model_json_schema() for name, schema in SCHEMAS.items()}
