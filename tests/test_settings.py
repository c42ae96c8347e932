"""Settings: where each knob comes from, and which model each purpose gets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from simulator.core.settings import DEFAULT_MODEL, Settings, get_settings, reset_settings


def test_defaults_are_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKPANEL_DB")
    s = Settings(_env_file=None)
    assert s.model == DEFAULT_MODEL == "local/scripted"
    for purpose in ("persona", "interviewer", "grader", "candidate"):
        assert s.model_for(purpose) == "local/scripted" and s.is_embedded(purpose)
    assert s.api_base is None and s.api_key is None and s.content_dirs == []
    assert Path(s.db).name == "mockpanel.db" and Path(s.db).parent.name == "mockpanel"
    assert s.timeout > 0 and s.max_retries >= 1


def test_one_env_var_points_every_purpose_at_a_real_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_MODEL", "openai/gpt-4o-mini")
    s = Settings(_env_file=None)
    assert {s.model_for(p) for p in ("persona", "interviewer", "grader", "candidate")} == {"openai/gpt-4o-mini"}
    assert not s.is_embedded("grader")


def test_per_purpose_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_MODEL", "ollama/llama3")
    monkeypatch.setenv("MOCKPANEL_GRADER_MODEL", "openai/gpt-4o")
    s = Settings(_env_file=None)
    assert s.model_for("grader") == "openai/gpt-4o"
    assert s.model_for("persona") == "ollama/llama3"
    assert s.model_for("something-new") == "ollama/llama3", "unknown purposes share the main model"


def test_precedence_kwargs_env_dotenv_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "MOCKPANEL_MODEL=anthropic/from-dotenv\n"
        "MOCKPANEL_GRADER_MODEL=anthropic/grader-from-dotenv\n"
        "MOCKPANEL_TIMEOUT=11\n"
        "MOCKPANEL_API_KEY=sk-from-dotenv\n",
        encoding="utf-8",
    )
    # .env beats defaults
    s = Settings(_env_file=env_file)
    assert (s.model, s.grader_model, s.timeout, s.max_retries) == ("anthropic/from-dotenv", "anthropic/grader-from-dotenv", 11.0, Settings.model_fields["max_retries"].default)
    assert s.secret() == "sk-from-dotenv"
    # env beats .env
    monkeypatch.setenv("MOCKPANEL_MODEL", "openai/from-env")
    monkeypatch.setenv("MOCKPANEL_TIMEOUT", "22")
    s = Settings(_env_file=env_file)
    assert (s.model, s.grader_model, s.timeout) == ("openai/from-env", "anthropic/grader-from-dotenv", 22.0)
    # kwargs beat env
    s = Settings(_env_file=env_file, model="ollama/from-kwargs", timeout=33)
    assert (s.model, s.grader_model, s.timeout) == ("ollama/from-kwargs", "anthropic/grader-from-dotenv", 33.0)


def test_get_settings_reads_the_env_file_named_by_mockpanel_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("MOCKPANEL_MODEL=openai/from-file\n", encoding="utf-8")
    monkeypatch.setenv("MOCKPANEL_ENV_FILE", str(env_file))
    reset_settings()
    assert get_settings().model == "openai/from-file"


def test_get_settings_is_cached_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("MOCKPANEL_MODEL", "openai/changed")
    assert get_settings() is first and first.model == DEFAULT_MODEL
    reset_settings()
    assert get_settings().model == "openai/changed"


def test_blank_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_MODEL", "")
    monkeypatch.setenv("MOCKPANEL_GRADER_MODEL", "  ")
    s = Settings(_env_file=None)
    assert s.model == DEFAULT_MODEL and s.model_for("grader") == DEFAULT_MODEL


def test_key_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_API_KEY", "sk-very-secret-value")
    s = Settings(_env_file=None)
    assert isinstance(s.api_key, SecretStr) and s.secret() == "sk-very-secret-value"
    assert "sk-very-secret-value" not in repr(s) and "sk-very-secret-value" not in s.model_dump_json()


def test_content_dirs_keep_the_pathsep_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("MOCKPANEL_CONTENT_DIRS", f"{a}{os.pathsep}{os.pathsep}{b}")
    assert Settings(_env_file=None).content_dirs == [a, b]
    assert Settings(_env_file=None, content_dirs=[str(a)]).content_dirs == [a]


def test_db_env_and_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOCKPANEL_DB", f"sqlite:///{tmp_path}/x.db")
    assert Settings(_env_file=None).db == f"sqlite:///{tmp_path}/x.db"


def test_tests_never_use_the_user_data_dir() -> None:
    assert "pytest" in get_settings().db or "tmp" in get_settings().db


@pytest.mark.parametrize(("name", "value"), [("MOCKPANEL_TIMEOUT", "0"), ("MOCKPANEL_MAX_RETRIES", "-1"), ("MOCKPANEL_RESPONSE_FORMAT", "xml")])
def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_a_bad_value_from_the_environment_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli.main import main
    from simulator.core.errors import InputError

    monkeypatch.setenv("MOCKPANEL_TIMEOUT", "soon")
    reset_settings()
    with pytest.raises(InputError, match="MOCKPANEL_TIMEOUT: .*number.*'soon'"):
        get_settings()
    assert main(["sessions", "list"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "MOCKPANEL_TIMEOUT" in err


def test_content_dirs_from_a_dotenv_file_reach_the_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The README promises every setting works from .env; the content loader reads it through settings."""
    from simulator.content.library import default_dirs

    env = tmp_path / "my.env"
    env.write_text(f"MOCKPANEL_CONTENT_DIRS={tmp_path / 'mine'}\n", encoding="utf-8")
    monkeypatch.setenv("MOCKPANEL_ENV_FILE", str(env))
    reset_settings()
    assert default_dirs()[-1] == tmp_path / "mine"


def test_a_password_in_the_api_base_is_never_shown(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """In a model error (CLI and app print it), on the Settings page, and in a database error."""
    from streamlit.testing.v1 import AppTest

    from simulator.cli.main import main
    from simulator.content.library import ROOT
    from simulator.core.errors import ModelError, redact
    from simulator.core.settings import reset_settings
    from simulator.models.seam import chat

    assert redact("see http://user:pw@host:1/v1 and postgresql://a:b@db/x") == "see http://***@host:1/v1 and postgresql://***@db/x"
    secret = "s3cret-Passw0rd"
    monkeypatch.setenv("MOCKPANEL_API_BASE", f"http://mock:{secret}@127.0.0.1:1/v1")
    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "0")
    reset_settings()
    with pytest.raises(ModelError) as caught:
        chat([{"role": "user", "content": "hi"}], model="openai/x")
    assert secret not in str(caught.value) and secret not in caught.value.hint and "127.0.0.1:1" in str(caught.value)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("simulator/app/pages/settings.py").run()
    shown = " ".join(str(getattr(e, "value", "")) for kind in ("caption", "markdown", "error", "info") for e in getattr(at, kind))
    assert secret not in shown and "127" in shown

    monkeypatch.setenv("MOCKPANEL_DB", f"postgresql://mock:{secret}@127.0.0.1:1/mockpanel")
    reset_settings()
    assert main(["sessions", "list"]) != 0
    err = capsys.readouterr().err
    assert secret not in err
