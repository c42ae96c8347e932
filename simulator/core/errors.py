"""Errors a user can fix: one line naming the file, line and field; the CLI exits 2 on them."""

from __future__ import annotations

import re
from pathlib import Path

_USERINFO = re.compile(r"([A-Za-z][\w+.-]*://)[^/\s@]*@")


def redact(text: str) -> str:
    """Text with the user:password part of every URL in it replaced by `***`
    (`http://user:pass@host` -> `http://***@host`): errors and pages quote URLs, never credentials."""
    return _USERINFO.sub(r"\1***@", text)


class UserError(Exception):
    """Bad input or setup. `str()` is the one line the user sees (URLs in it without credentials)."""

    exit_code = 2

    def __str__(self) -> str:
        return redact(super().__str__())


class InputError(UserError):
    def __init__(self, file: str | Path, line: int | None, field: str | None, message: str,
                 others: list[InputError] | None = None) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = " ".join(str(message).split())
        # The same file's further problems, each its own one line (the message counts them):
        # for screens that can list them all, like the Library's check.
        self.others = list(others or [])
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f" {self.field}:" if self.field else ""
        return redact(f"{where}:{what} {self.message}")


class ModelError(UserError):
    """A model call failed in a way retrying will not fix; says which model and what to do."""

    exit_code = 3

    def __init__(self, model: str, message: str, hint: str = "") -> None:
        self.model = model
        self.hint = redact(hint)
        text = f"model {model}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)
