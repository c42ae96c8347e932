"""Token counting offline, and trimming a transcript into the context window."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from simulator.core.errors import ModelError
from simulator.core.settings import reset_settings
from simulator.models import tokens
from simulator.models.scripted import plan_message


def test_encodings_load_without_network() -> None:
    """A fresh process with every socket refused still counts with each shipped encoding."""
    code = textwrap.dedent(
        """
        import os, socket, tempfile
        def refuse(*a, **k):
            raise OSError("network refused in this test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.getaddrinfo = refuse
        empty = tempfile.mkdtemp()
        os.environ["TIKTOKEN_CACHE_DIR"] = empty
        from simulator.models import tokens
        counts = [len(tokens.encoding(n).encode("Tell me about a time you disagreed.")) for n in tokens.SHIPPED]
        import json
        print(json.dumps({"counts": counts, "written": os.listdir(empty), "hello": tokens.count("hello world", "openai/gpt-4o-mini")}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert len(got["counts"]) == len(tokens.SHIPPED) and all(7 <= c <= 12 for c in got["counts"])
    assert got["written"] == [], "nothing was fetched into another cache"
    assert got["hello"] == 2


def test_bundled_files_are_the_ones_tiktoken_wants() -> None:
    import hashlib

    for name in tokens.SHIPPED:
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        assert (tokens.cache_dir() / hashlib.sha1(url.encode()).hexdigest()).is_file(), name


def test_count_and_encoding_choice() -> None:
    assert tokens.count("") == 0
    assert tokens.count("hello world") == 2
    assert tokens.encoding_name("openai/gpt-4o-mini") == "o200k_base"
    assert tokens.encoding_name("gpt-4") == "cl100k_base"
    assert tokens.encoding_name("anthropic/claude-3-5-haiku-latest") == "cl100k_base"
    assert tokens.encoding_name("local/scripted") == "cl100k_base"
    assert tokens.encoding_name(None) == "cl100k_base"
    assert tokens.count("<|endoftext|>") > 0, "special tokens in user text are counted as text, not refused"


def test_count_messages_includes_framing() -> None:
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "hello world"}]}]
    body = tokens.count("system") + tokens.count("Be brief.") + tokens.count("user") + tokens.count("hello world")
    assert tokens.count_messages(msgs) == body + 2 * tokens.PER_MESSAGE + tokens.PER_REPLY
    assert tokens.count_messages([]) == 0


def test_context_window() -> None:
    assert tokens.context_window("openai/gpt-4o-mini") == 128000
    assert tokens.context_window("local/scripted") == tokens.DEFAULT_WINDOW
    assert tokens.context_window("openai/no-such-model-anywhere") == tokens.DEFAULT_WINDOW


def test_context_window_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_CONTEXT_WINDOW", "4096")
    reset_settings()
    assert tokens.context_window("openai/gpt-4o-mini") == 4096


def _transcript(turns: int) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": "You are Priya, a product manager. " * 5}]
    for i in range(turns):
        role = "user" if i % 2 == 0 else "assistant"
        msgs.append({"role": role, "content": f"turn {i}: " + "we talked about the migration plan and its risks " * 3})
    return msgs


def test_fit_leaves_a_short_transcript_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    msgs = _transcript(4)
    assert tokens.fit(msgs, "local/scripted", reserve=500) == msgs


def test_fit_trims_the_oldest_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_CONTEXT_WINDOW", "700")
    reset_settings()
    msgs = _transcript(30) + [{"role": "user", "content": "current question: how would you roll back?"}, plan_message({"kind": "persona", "line": "x"})]
    out = tokens.fit(msgs, "local/scripted", reserve=100)
    budget = 700 - 100
    assert tokens.count_messages(out, "local/scripted") <= budget
    assert out[0] == msgs[0], "the system prompt stays first"
    assert out[-2:] == msgs[-2:], "the current turn and the plan stay last"
    assert out[1]["role"] == "system" and out[1]["content"].startswith(tokens.NOTE_PREFIX)
    kept = out[2:-2]
    assert kept and kept == msgs[len(msgs) - 2 - len(kept) : -2], "the newest turns are the ones kept, in order"
    dropped = len(msgs) - 3 - len(kept)  # minus system prompt, current turn, plan
    assert f"{dropped} turn(s) were left out" in out[1]["content"]
    assert tokens.count_messages(out, "local/scripted") <= budget * tokens.TRIM_TARGET + tokens.count_message(out[1]), "trimmed with headroom, so the prefix stays stable"


def test_fit_without_system_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_CONTEXT_WINDOW", "300")
    reset_settings()
    msgs = _transcript(20)[1:]
    out = tokens.fit(msgs, "fake/x", reserve=0)
    assert out[-1] == msgs[-1] and tokens.count_messages(out) <= 300


def test_fit_refuses_when_the_fixed_parts_do_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_CONTEXT_WINDOW", "100")
    reset_settings()
    msgs = [{"role": "system", "content": "rubric " * 200}, {"role": "user", "content": "hi"}]
    with pytest.raises(ModelError, match="context window") as err:
        tokens.fit(msgs, "local/scripted", reserve=10)
    assert "MOCKPANEL_CONTEXT_WINDOW" in err.value.hint
