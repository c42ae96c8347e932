"""Files the user names on the command line: read or written with one-line errors, never a traceback.

Every command that takes a path (`--script`, a transcript, `--out`) goes through here, so a missing,
binary or unwritable path reads the same everywhere: `mockpanel: PATH: --out: Permission denied`.
"""

from __future__ import annotations

from pathlib import Path

from simulator.core.errors import InputError


def read_text(path: Path, expected: str) -> str:
    """A file the user named, as text; `expected` says what it should hold when it is binary."""
    try:
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
