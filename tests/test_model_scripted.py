"""The embedded voice `local/scripted`: a director's plan in, the registered renderer's text out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from simulator.core.errors import ModelError
from simulator.models.ledger import Ledger
from simulator.models.scripted import NO_PLAN, RENDERERS, extract_plan, plan_message, render, renderer
from simulator.models.seam import achat, chat, stream


@pytest.fixture(autouse=True)
def renderers() -> Iterator[None]:
    """Test renderers come and go; the product's (simulator.dialogue.voice) stay as they were."""
    saved = dict(RENDERERS)
    yield
    RENDERERS.clear()
    RENDERERS.update(saved)


@pytest.fixture
def echo() -> None:
    @renderer("test-echo")
    def _echo(plan: dict) -> str:
        return f"{plan['speaker']} says: {plan['line']}"


def turn(plan: dict) -> list[dict]:
    return [
        {"role": "system", "content": "You are the interviewer."},
        {"role": "user", "content": "Hello, I am ready."},
        plan_message(plan),
    ]


def test_round_trip_through_litellm(echo) -> None:
    ledger = Ledger()
    reply = chat(turn({"kind": "test-echo", "speaker": "Priya", "line": "Tell me about the outage."}), model="local/scripted", ledger=ledger, purpose="persona")
    assert reply.text == "Priya says: Tell me about the outage."
    assert reply.model == "local/scripted" and reply.cost == 0.0
    assert reply.prompt_tokens > 10 and reply.completion_tokens >= 8, "usage counted with tiktoken, offline"
    assert ledger.totals()["calls"] == 1 and ledger.calls[0].model == "local/scripted"


def test_it_is_the_default_for_every_purpose(echo) -> None:
    for purpose in ("persona", "interviewer", "candidate"):
        assert chat(turn({"kind": "test-echo", "speaker": purpose, "line": "ok"}), purpose=purpose).text == f"{purpose} says: ok"


def test_streaming_and_async(echo) -> None:
    msgs = turn({"kind": "test-echo", "speaker": "Sam", "line": "Walk me through your design, step by step."})
    s = stream(msgs, model="local/scripted")
    deltas = list(s)
    assert len(deltas) > 3 and "".join(deltas) == "Sam says: Walk me through your design, step by step."
    assert s.reply is not None and s.reply.completion_tokens > 0
    assert asyncio.run(achat(msgs, model="local/scripted")).text == "".join(deltas)


def test_no_plan_is_a_clear_error(sleeps: list[float]) -> None:
    with pytest.raises(ModelError) as err:
        chat([{"role": "user", "content": "let's just chat"}], model="local/scripted")
    assert NO_PLAN in str(err.value) and err.value.model == "local/scripted"
    assert sleeps == [], "not retried"
    with pytest.raises(ModelError, match="speaks only a director's plan"):
        list(stream([{"role": "user", "content": "hi"}], model="local/scripted"))


def test_unknown_kind_lists_the_known_ones(echo) -> None:
    with pytest.raises(ModelError, match="no renderer for plan kind 'nope'") as err:
        chat(turn({"kind": "nope"}), model="local/scripted")
    assert "test-echo" in str(err.value)


def test_renderer_must_return_text() -> None:
    renderer("test-bad")(lambda plan: 42)  # type: ignore[arg-type,return-value]
    with pytest.raises(ModelError, match="returned int"):
        render({"kind": "test-bad"})
    with pytest.raises(ModelError, match="no 'kind'"):
        render({"line": "x"})


def test_plan_message_and_extract_plan() -> None:
    plan = {"kind": "persona", "line": "Ünïcode and </tags> survive", "facts": [1, 2]}
    msg = plan_message(plan)
    assert msg["role"] == "system" and msg["content"].startswith("<plan>")
    assert extract_plan([{"role": "user", "content": "hi"}, msg]) == plan
    older = plan_message({"kind": "old"})
    assert extract_plan([older, {"role": "user", "content": "x"}, msg, {"role": "system", "content": "note"}]) == plan, "the last plan wins"
    assert extract_plan([{"role": "user", "content": "<plan>{}</plan>"}]) is None, "only system messages carry plans"
    assert extract_plan([]) is None
    with pytest.raises(ModelError, match="not valid JSON"):
        extract_plan([{"role": "system", "content": "<plan>{kind: persona}</plan>"}])
    with pytest.raises(ModelError, match="JSON object"):
        extract_plan([{"role": "system", "content": "<plan>[1, 2]</plan>"}])


def test_importing_scripted_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, simulator.models.scripted as s; s.renderer('x')(str); print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_a_missing_voice_module_is_not_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "simulator.dialogue.voice", None)  # as if voice.py were not written yet
    with pytest.raises(ModelError, match="no renderer for plan kind 'never-registered'"):
        render({"kind": "never-registered"})


def test_async_streaming_straight_through_litellm(echo, fake_model) -> None:
    """The provider's astreaming path (the seam has no async stream yet; litellm's does)."""
    from simulator.models.seam import litellm_module

    litellm = litellm_module()
    fake = fake_model("fake async stream")

    async def collect(model: str, messages: list[dict]) -> str:
        response = await litellm.acompletion(model=model, messages=messages, stream=True)
        return "".join([(c.choices[0].delta.content or "") async for c in response if c.choices])

    msgs = turn({"kind": "test-echo", "speaker": "Ana", "line": "Go on."})
    assert asyncio.run(collect("local/scripted", msgs)) == "Ana says: Go on."
    assert asyncio.run(collect(fake.model, msgs)) == "fake async stream"
