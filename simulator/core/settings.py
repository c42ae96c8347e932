"""Where the product's knobs come from: keyword arguments, then `MOCKPANEL_*` env vars, then `.env`.

With nothing configured every purpose uses the embedded default (`local/scripted`), so a fresh
install runs offline. One variable, `MOCKPANEL_MODEL`, points every purpose at a real model
(`openai/gpt-4o-mini`, `anthropic/claude-3-5-haiku-latest`, `ollama/llama3`, or `openai/<name>` with
`MOCKPANEL_API_BASE` for any OpenAI-compatible server); `MOCKPANEL_<PURPOSE>_MODEL` overrides one.

The `.env` file is `./.env` unless `MOCKPANEL_ENV_FILE` names another (tests point it at nothing).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from simulator.core.errors import InputError

EMBEDDED_PREFIX = "local/"
DEFAULT_MODEL = "local/scripted"
PURPOSES = ("persona", "interviewer", "grader", "candidate", "assistant")
ENV_FILE_ENV = "MOCKPANEL_ENV_FILE"
MAX_TIMEOUT_S = 600.0  # a model call that may take longer than ten minutes is a hang, not a setting


def default_db() -> str:
    """The user's data dir, so sessions survive upgrades and never land in the working tree."""
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("mockpanel")) / "mockpanel.db")


def default_cache_dir() -> Path:
    """Beside the default database: files the product can always rebuild (e.g. embeddings)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("mockpanel")) / "cache"


class Settings(BaseSettings):
    """Every knob in one validated place, so a typo in an env var fails at start, not mid-session."""

    model_config = SettingsConfigDict(
        env_prefix="MOCKPANEL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        validate_default=True,
    )

    model: str = DEFAULT_MODEL
    persona_model: str | None = None
    interviewer_model: str | None = None
    grader_model: str | None = None
    candidate_model: str | None = None
    assistant_model: str | None = None

    api_base: str | None = None
    api_key: SecretStr | None = None

    db: str = Field(default_factory=default_db)
    # Who the terminal acts as (a team's shared database keeps each user's sessions apart); the
    # app takes the signed-in user instead. Alone on a laptop: the one local profile.
    user: str = Field(default="local", min_length=1, max_length=200)
    content_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # Rebuildable files (the embeddings of rubric and persona text); deleting it only costs time.
    cache_dir: Path = Field(default_factory=default_cache_dir)

    # Seconds for a whole model call, retries and their pauses included (a deadline, not a per-read limit).
    timeout: float = Field(default=60.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    max_retries: int = Field(default=3, ge=0, le=10)
    # How structured output is asked for. auto: a JSON schema where litellm says the provider takes
    # one, else instructions in the prompt. json_schema / json_object (OpenAI-style JSON mode, with
    # the schema attached as llama.cpp's server takes it) / prompt: for servers litellm cannot know.
    response_format: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    # None: litellm's model info, else a safe default; set it for local servers litellm does not know.
    context_window: int | None = Field(default=None, gt=0)

    @field_validator("content_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: Any) -> Any:
        """os.pathsep-separated (like PATH), blanks ignored, ~ expanded; simulator.content.library reads it here."""
        if isinstance(value, str):
            return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]
        return value

    @field_validator("model", "persona_model", "interviewer_model", "grader_model", "candidate_model", "assistant_model", "api_base", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """`model=""` means "not set", not "a model called ''"."""
        if isinstance(value, str) and not value.strip():
            return DEFAULT_MODEL if info.field_name == "model" else None
        return value.strip() if isinstance(value, str) else value

    def model_for(self, purpose: str) -> str:
        """The model string for one purpose; unknown purposes share the main model."""
        specific = getattr(self, f"{purpose}_model", None) if purpose in PURPOSES else None
        return specific or self.model

    def is_embedded(self, purpose: str) -> bool:
        return is_embedded(self.model_for(purpose))

    def secret(self) -> str | None:
        """The key as text, only at the moment it is sent (SecretStr keeps it out of logs and reprs)."""
        return self.api_key.get_secret_value() if self.api_key else None


def is_embedded(model: str) -> bool:
    """`local/...` runs in-process: no key, no network, no cost."""
    return model.startswith(EMBEDDED_PREFIX)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """One Settings per process; call reset_settings() after changing the environment.

    A bad value is the user's to fix, so it is one line naming the variable, not a traceback."""
    env_file = os.environ.get(ENV_FILE_ENV, ".env") or None
    _check_blank_db(env_file)
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except UnicodeDecodeError as exc:
        line = _bad_byte_line(env_file, exc)
        raise InputError(env_file or ".env", line, None, "not UTF-8 text; save it as UTF-8 (KEY=value lines)") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        name = f"MOCKPANEL_{str(err['loc'][0]).upper()}" if err["loc"] else "MOCKPANEL_*"
        source = f"the environment or {env_file}" if env_file else "the environment"
        shown = "" if "KEY" in name else f" (got {err.get('input')!r})"
        raise InputError(source, None, name, f"{err['msg']}{shown}") from None


def _bad_byte_line(env_file: str | None, exc: UnicodeDecodeError) -> int | None:
    try:
        raw = Path(env_file or ".env").read_bytes()
    except OSError:
        return None
    at = raw.find(exc.object[exc.start:exc.end]) if isinstance(exc.object, bytes) else -1
    return raw.count(b"\n", 0, at) + 1 if at >= 0 else None


def _check_blank_db(env_file: str | None) -> None:
    """`MOCKPANEL_DB=""` is a mistake, not a request for the default database (blanks elsewhere are unset)."""
    if "MOCKPANEL_DB" in os.environ and not os.environ["MOCKPANEL_DB"].strip():
        raise InputError("the environment", None, "MOCKPANEL_DB", "is empty; name a SQLite file or a postgresql:// URL, or unset it for the default")
    if env_file and Path(env_file).is_file() and "MOCKPANEL_DB" not in os.environ:
        try:
            lines = Path(env_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return  # reported by the settings themselves
        for n, line in enumerate(lines, 1):
            name, eq, value = line.strip().removeprefix("export ").partition("=")
            if eq and name.strip() == "MOCKPANEL_DB" and not value.strip().strip("'\"").strip():
                raise InputError(env_file, n, "MOCKPANEL_DB", "is empty; name a SQLite file or a postgresql:// URL, or remove the line for the default")


def reset_settings() -> None:
    """Forget the cached settings, so the next call reads the environment again."""
    get_settings.cache_clear()
