"""The one base class for content read from YAML: unknown fields are an error, never ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class Content(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=False)


class Problem(ValueError):
    """A validator error that knows which sub-field it is about, so the loader can name its line."""

    def __init__(self, message: str, *loc: str | int) -> None:
        super().__init__(message)
        self.loc = loc
