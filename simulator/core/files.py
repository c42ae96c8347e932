"""Files the user names on the command line: read or written with one-line errors, never a traceback.

Every command that takes a path (`--script`, a transcript, `--out`) goes through here, so a missing,
binary or unwritable path reads the same everywhere: `mockpanel: PATH: --out: Permission denied`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from simulator.core.errors import InputError

MAX_JSON_DEPTH = 64
MAX_DIGITS = 100  # a number longer than this is not a value anyone meant


def read_text(path: Path, expected: str, max_bytes: int | None = None) -> str:
    """A file the user named, as text; `expected` says what it should hold when it is binary; a
    file over `max_bytes` is refused before it is read."""
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise InputError(path, None, None, f"file is {path.stat().st_size:,} bytes; the limit is {max_bytes:,}")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, None, exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise InputError(path, None, None, f"not UTF-8 text; expected {expected}") from None


def out_dir(path: str | Path, flag: str = "--out") -> Path:
    """A directory to write into, made if missing; a file or an unwritable place is the user's to fix."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(path, None, flag, "is a file; give a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, None, flag, exc.strerror or str(exc)) from None
    return path


def write_text(path: str | Path, text: str, flag: str = "--out") -> Path:
    """Writes one output file (its directory made if missing)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, flag, exc.strerror or str(exc)) from None
    return path


class _JsonProblem(Exception):
    def __init__(self, message: str, needle: str | None = None, nth: int = 1) -> None:
        self.message, self.needle, self.nth = message, needle, nth


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonProblem(f"duplicate key {key!r}", json.dumps(key), 2)
        out[key] = value
    return out


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise _JsonProblem(f"a number of {len(digits.lstrip('-')):,} digits; the limit is {MAX_DIGITS}", digits[:MAX_DIGITS])
    return int(digits)


def _float(digits: str) -> float:
    if len(digits) > MAX_DIGITS + 20:
        raise _JsonProblem(f"a number of {len(digits):,} characters; the limit is {MAX_DIGITS}", digits[:MAX_DIGITS])
    return float(digits)


def _deep_at(text: str, limit: int) -> int:
    """Where the text first opens more than `limit` brackets (outside strings), as an offset; -1 if never."""
    depth = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif tok in "]}":
            depth -= 1
    return -1


def _depth(value: Any) -> int:
    """Nesting of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if d <= MAX_JSON_DEPTH:
                stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


def parse_json(text: str, source: str | Path) -> Any:
    """JSON the user wrote: malformed, nested over MAX_JSON_DEPTH, a number of absurd length or a
    duplicate key is one InputError naming the file and line, never a traceback."""

    def line(offset: int) -> int:
        return text.count("\n", 0, max(offset, 0)) + 1

    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise InputError(source, exc.lineno, None, f"not valid JSON: {exc.msg}") from None
    except _JsonProblem as exc:
        at = -1
        for _ in range(exc.nth):
            at = text.find(exc.needle, at + 1) if exc.needle else -1
        raise InputError(source, line(at) if at >= 0 else None, None, exc.message) from None
    except RecursionError:
        raise InputError(source, line(_deep_at(text, MAX_JSON_DEPTH)), None, f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise InputError(source, line(_deep_at(text, MAX_JSON_DEPTH)), None, f"nested more than {MAX_JSON_DEPTH} levels deep")
    return data


def json_line(text: str, loc: tuple[Any, ...] | list[Any]) -> int:
    """The line of a path (keys and list indexes) into JSON text; where the path cannot be
    followed, the line of the deepest value it reached."""
    decoder = json.JSONDecoder()
    pos = 0

    def skip(at: int, chars: str = " \t\r\n") -> int:
        while at < len(text) and text[at] in chars:
            at += 1
        return at

    try:
        for part in loc:
            pos = skip(pos)
            if text[pos] == "{" and isinstance(part, str):
                at = pos + 1
                while True:
                    at = skip(at, " \t\r\n,")
                    if text[at] == "}":
                        raise LookupError
                    key, at = decoder.raw_decode(text, at)
                    at = skip(at, " \t\r\n:")
                    if key == part:
                        pos = at
                        break
                    _, at = decoder.raw_decode(text, at)
            elif text[pos] == "[" and isinstance(part, int):
                at = pos + 1
                for _ in range(part):
                    at = skip(at, " \t\r\n,")
                    _, at = decoder.raw_decode(text, at)
                pos = skip(at, " \t\r\n,")
                if text[pos] == "]":
                    raise LookupError
            else:
                break
    except (LookupError, ValueError):
        pass
    return text.count("\n", 0, pos) + 1
