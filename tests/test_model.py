"""The seam's failure policy, fault by fault, through litellm with the shipped FakeModel."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from pydantic import BaseModel, Field

from simulator.core.errors import ModelError
from simulator.core.settings import reset_settings
from simulator.models import runtime, seam
from simulator.models.ledger import Ledger
from simulator.models.seam import REPAIR, Reply, achat, astructured, backoff, chat, parse_json, stream, structured
from simulator.testing.recorder import Canned, FakeModel

HI = [{"role": "user", "content": "hi"}]


class Score(BaseModel):
    score: int = Field(ge=0, le=4)
    evidence: str


def test_import_is_cheap() -> None:
    code = "import sys, simulator.models.seam, simulator.models.scripted, simulator.models.tokens, simulator.testing.recorder; print([m for m in ('litellm', 'openai', 'tiktoken') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_plain_reply_and_ledger(fake_model) -> None:
    fake = fake_model(Canned("Hello.", prompt_tokens=11, completion_tokens=2))
    ledger = Ledger()
    reply = chat(HI, purpose="persona", model=fake.model, temperature=0.3, ledger=ledger)
    assert isinstance(reply, Reply)
    assert (reply.text, reply.model, reply.prompt_tokens, reply.completion_tokens, reply.cost, reply.attempts) == ("Hello.", fake.model, 11, 2, 0.0, 1)
    assert fake.calls[0].messages == HI and fake.calls[0].params.get("temperature") == 0.3
    assert ledger.totals()["prompt_tokens"] == 11 and ledger.calls[0].purpose == "persona"


def test_usage_is_counted_when_the_provider_reports_none(fake_model) -> None:
    fake = fake_model(Canned("one two three", prompt_tokens=0, completion_tokens=0))
    reply = chat(HI, model=fake.model)
    assert reply.completion_tokens == 3 and reply.prompt_tokens > 0


@pytest.mark.parametrize("fault", [FakeModel.timeout(), FakeModel.rate_limited(), FakeModel.server_error(500), FakeModel.server_error(502), FakeModel.server_error(503), FakeModel.unreachable()], ids=["timeout", "429", "500", "502", "503", "connection"])
def test_transient_faults_are_retried_then_succeed(fake_model, sleeps: list[float], fault) -> None:
    fake = fake_model(fault, fault, "recovered")
    ledger = Ledger()
    reply = chat(HI, model=fake.model, ledger=ledger)
    assert reply.text == "recovered" and reply.attempts == 3
    assert len(fake.calls) == 3 and len(sleeps) == 2
    assert len(ledger) == 1, "failed attempts are not billed"


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (FakeModel.timeout(), ["no reply within 60s", "MOCKPANEL_TIMEOUT"]),
        (FakeModel.rate_limited(), ["rate limited", "wait"]),
        (FakeModel.server_error(500), ["server error 500", "try again later"]),
        (FakeModel.unreachable(), ["cannot connect", "unreachable", "network"]),
    ],
    ids=["timeout", "429", "500", "connection"],
)
def test_transient_faults_give_up_after_max_retries(fake_model, sleeps: list[float], fault, words: list[str]) -> None:
    fake = fake_model(*[fault] * 10)
    with pytest.raises(ModelError) as err:
        chat(HI, model=fake.model)
    assert len(fake.calls) == 4, "one call and MOCKPANEL_MAX_RETRIES=3 retries"
    assert len(sleeps) == 3
    message = str(err.value)
    assert message.startswith(f"model {fake.model}:") and "after 4 attempts" in message
    for w in words:
        assert w in message


def test_backoff_grows_and_is_capped(sleeps: list[float], fake_model, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seam.random, "uniform", lambda a, b: b)  # no jitter: the schedule itself
    assert [backoff(n) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    monkeypatch.setattr(seam.random, "uniform", lambda a, b: a)
    assert backoff(2) == 1.0, "jitter draws between half and all of the step"
    fake = fake_model(*[FakeModel.rate_limited()] * 3, "ok")
    chat(HI, model=fake.model)
    assert sleeps == [0.25, 0.5, 1.0]


def test_max_retries_setting(fake_model, sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "1")
    reset_settings()
    fake = fake_model(*[FakeModel.server_error()] * 5)
    with pytest.raises(ModelError, match="after 2 attempts"):
        chat(HI, model=fake.model)
    assert len(fake.calls) == 2 and len(sleeps) == 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (FakeModel.auth_error(), ["refused the API key", "MOCKPANEL_API_KEY"]),
        (FakeModel.bad_request("temperature must be <= 2"), ["rejected the request", "temperature must be <= 2"]),
        (FakeModel.not_found("The model `gpt-9` does not exist"), ["unknown model", "MOCKPANEL_MODEL"]),
    ],
    ids=["auth", "bad-request", "not-found"],
)
def test_permanent_faults_are_not_retried(fake_model, sleeps: list[float], fault, words: list[str]) -> None:
    fake = fake_model(fault, "never reached")
    with pytest.raises(ModelError) as err:
        chat(HI, model=fake.model)
    assert len(fake.calls) == 1 and sleeps == []
    assert "attempts" not in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_truncated_reply_is_an_error_not_retried(fake_model, sleeps: list[float]) -> None:
    fake = fake_model(FakeModel.truncated("The answer is that we sh"), "never reached")
    ledger = Ledger()
    with pytest.raises(ModelError, match="cut off at the token limit") as err:
        chat(HI, model=fake.model, ledger=ledger)
    assert "max_tokens" in err.value.hint
    assert len(fake.calls) == 1 and sleeps == []
    assert len(ledger) == 1, "a truncated reply was still billed"


def test_truncation_can_be_allowed(fake_model) -> None:
    fake = fake_model(FakeModel.truncated("The answer is that we sh"))
    reply = chat(HI, model=fake.model, allow_truncated=True)
    assert reply.finish_reason == "length" and reply.text.endswith("sh")


def test_empty_reply_is_retried_then_reported(fake_model, sleeps: list[float]) -> None:
    fake = fake_model(FakeModel.empty(), "  ", "there you go")
    assert chat(HI, model=fake.model).text == "there you go"
    fake.add(*[FakeModel.empty()] * 4)
    with pytest.raises(ModelError, match="empty reply"):
        chat(HI, model=fake.model)
    assert len(fake.calls) == 3 + 4


def test_missing_key_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelError) as err:
        chat(HI, model="openai/gpt-4o-mini")
    assert err.value.model == "openai/gpt-4o-mini"
    assert "OPENAI_API_KEY" in str(err.value) and "MOCKPANEL_API_KEY" in err.value.hint


def test_key_from_settings_is_passed_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("MOCKPANEL_API_KEY", "sk-test-not-real")
    reset_settings()
    reply = chat(HI, model="openai/gpt-4o-mini", mock_response="fine")
    assert reply.text == "fine"
    call = seam._prepare(HI, "persona", "openai/gpt-4o-mini", None, None, {})
    assert call.params["api_key"] == "sk-test-not-real"
    from simulator.core.settings import get_settings

    assert "sk-test-not-real" not in repr(get_settings()) and "sk-test-not-real" not in str(get_settings().model_dump())


def test_unknown_provider(sleeps: list[float]) -> None:
    with pytest.raises(ModelError) as err:
        chat(HI, model="nosuchprovider/some-model")
    assert "unknown model" in str(err.value) and "provider/model" in err.value.hint
    assert sleeps == []


def test_unknown_embedded_model() -> None:
    with pytest.raises(ModelError, match="no such embedded model") as err:
        chat(HI, model="local/nothing")
    assert "local/scripted" in err.value.hint


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_server_on_a_closed_port(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_API_BASE", f"http://127.0.0.1:{_closed_port()}/v1")
    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "2")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    reset_settings()
    with pytest.raises(ModelError) as err:
        chat(HI, model="openai/local-model")
    assert "cannot connect to http://127.0.0.1:" in str(err.value) and "unreachable" in str(err.value) and "after 3 attempts" in str(err.value)
    assert "MOCKPANEL_API_BASE" in err.value.hint and "running" in err.value.hint
    assert len(sleeps) == 2


def test_mock_response_passes_through_with_cost() -> None:
    ledger = Ledger()
    reply = chat(HI, model="openai/gpt-4o-mini", mock_response="ok", ledger=ledger)
    assert reply.text == "ok" and reply.cost > 0, "litellm prices known models from the local cost map"
    assert ledger.cost == reply.cost


# --- streaming ------------------------------------------------------------------------------


def test_stream_yields_deltas_and_records(fake_model) -> None:
    fake = fake_model("one two three four")
    ledger = Ledger()
    s = stream(HI, model=fake.model, ledger=ledger, purpose="interviewer")
    assert len(ledger) == 0, "nothing is recorded before the stream ends"
    parts = list(s)
    assert parts == ["one ", "two ", "three ", "four"]
    assert s.reply is not None and s.reply.text == "one two three four" and s.reply.completion_tokens == 4
    assert ledger.calls[0].purpose == "interviewer" and fake.calls[0].stream


def test_stream_retries_before_the_first_delta(fake_model, sleeps: list[float]) -> None:
    fake = fake_model(FakeModel.rate_limited(), "after a pause")
    assert "".join(stream(HI, model=fake.model)) == "after a pause"
    assert len(sleeps) == 1


def test_stream_truncated_and_empty(fake_model) -> None:
    fake = fake_model(FakeModel.truncated("cut sh"), FakeModel.empty())
    got: list[str] = []
    with pytest.raises(ModelError, match="cut off"):
        for d in stream(HI, model=fake.model):
            got.append(d)
    assert "".join(got) == "cut sh", "the text already shown stays shown"
    with pytest.raises(ModelError, match="empty reply"):
        list(stream(HI, model=fake.model))


def test_stream_auth_error(fake_model, sleeps: list[float]) -> None:
    fake = fake_model(FakeModel.auth_error())
    with pytest.raises(ModelError, match="refused the API key"):
        list(stream(HI, model=fake.model))
    assert sleeps == []


# --- structured output ----------------------------------------------------------------------

GOOD = '{"score": 3, "evidence": "named the index"}'


def test_structured_valid_first_time(fake_model) -> None:
    fake = fake_model(GOOD)
    result = structured([{"role": "system", "content": "You grade."}, {"role": "user", "content": "answer"}], Score, model=fake.model)
    assert result == Score(score=3, evidence="named the index")
    sent = fake.calls[0].messages
    assert sent[0]["content"].startswith("You grade.") and '"evidence"' in sent[0]["content"], "schema instruction joins the first system prompt"
    assert "response_format" not in fake.calls[0].params


@pytest.mark.parametrize("bad", ['{"score": 3, "evidence": "cut', "Sure! Here is my grade: three", '{"score": 9, "evidence": "x"}', '{"score": 2}'], ids=["broken-json", "prose", "out-of-range", "missing-field"])
def test_structured_one_repair_fixes(fake_model, bad: str) -> None:
    fake = fake_model(bad, GOOD)
    ledger = Ledger()
    assert structured(HI, Score, model=fake.model, ledger=ledger).score == 3
    assert len(fake.calls) == 2 and len(ledger) == 2
    repair = fake.calls[1].messages
    assert repair[-2] == {"role": "assistant", "content": bad}
    assert repair[-1]["role"] == "user" and repair[-1]["content"].startswith(REPAIR.split("{error}")[0])


def test_structured_gives_up_after_one_repair(fake_model) -> None:
    fake = fake_model("not json", "still not json", GOOD)
    with pytest.raises(ModelError) as err:
        structured(HI, Score, model=fake.model)
    assert len(fake.calls) == 2, "exactly one repair re-ask"
    assert "not a valid Score even after one repair" in str(err.value) and "MOCKPANEL_GRADER_MODEL" in err.value.hint


def test_structured_accepts_fenced_json(fake_model) -> None:
    fake = fake_model(f"```json\n{GOOD}\n```")
    assert structured(HI, Score, model=fake.model).evidence == "named the index"
    assert len(fake.calls) == 1


@pytest.mark.parametrize("mode", ["json_schema", "json_object"])
def test_structured_response_format_modes(fake_model, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("MOCKPANEL_RESPONSE_FORMAT", mode)
    reset_settings()
    fake = fake_model(GOOD)
    structured(HI, Score, model=fake.model)
    fmt = fake.calls[0].params["response_format"]
    assert fmt["type"] == mode
    schema = fmt["json_schema"]["schema"] if mode == "json_schema" else fmt["schema"]
    assert set(schema["properties"]) == {"score", "evidence"}
    assert (fake.calls[0].messages == HI) == (mode == "json_schema"), "JSON mode still says so in the prompt"


def test_json_schema_is_chosen_for_providers_that_take_it() -> None:
    assert seam.format_mode("openai/gpt-4o-mini") == "json_schema"
    assert seam.format_mode("local/scripted") == "prompt"
    assert seam.format_mode("openai/some-local-server-model") == "prompt"


def test_structured_truncated_is_an_error(fake_model) -> None:
    fake = fake_model(FakeModel.truncated('{"score": 3, "evid'))
    with pytest.raises(ModelError, match="cut off"):
        structured(HI, Score, model=fake.model)
    assert len(fake.calls) == 1


def test_parse_json_messages() -> None:
    with pytest.raises(seam.Invalid, match="not valid JSON"):
        parse_json('{"score": ', Score)
    with pytest.raises(seam.Invalid, match="score"):
        parse_json('{"score": "high", "evidence": "x"}', Score)


# --- async ------------------------------------------------------------------------------------


def test_async_chat_retries_with_async_sleep(fake_model, sleeps: list[float]) -> None:
    fake = fake_model(FakeModel.server_error(503), "async hello")
    reply = asyncio.run(achat(HI, model=fake.model))
    assert reply.text == "async hello" and reply.attempts == 2 and len(sleeps) == 1


def test_async_structured_concurrently(fake_model) -> None:
    def answer(messages: list[dict]) -> str:
        n = int(messages[-1]["content"])
        return f'{{"score": {n}, "evidence": "item {n}"}}'

    fake = fake_model(*[answer] * 4)
    ledger = Ledger()

    async def grade_all() -> list[Score]:
        return await asyncio.gather(*(astructured([{"role": "user", "content": str(n)}], Score, model=fake.model, ledger=ledger) for n in range(4)))

    results = asyncio.run(grade_all())
    assert [r.score for r in results] == [0, 1, 2, 3]
    assert len(ledger) == 4


def test_async_structured_repair_and_give_up(fake_model) -> None:
    fake = fake_model("nope", GOOD, "nope", "nope")
    assert asyncio.run(astructured(HI, Score, model=fake.model)).score == 3
    with pytest.raises(ModelError, match="after one repair"):
        asyncio.run(astructured(HI, Score, model=fake.model))


def test_async_auth_error(fake_model, sleeps: list[float]) -> None:
    fake = fake_model(FakeModel.auth_error())
    with pytest.raises(ModelError, match="refused the API key"):
        asyncio.run(achat(HI, model=fake.model))
    assert sleeps == []


# --- purposes and settings through the seam ---------------------------------------------------


def test_purpose_picks_the_model(fake_model, monkeypatch: pytest.MonkeyPatch) -> None:
    main, grader = fake_model("main", name="main"), fake_model("grader", name="grader")
    monkeypatch.setenv("MOCKPANEL_MODEL", main.model)
    monkeypatch.setenv("MOCKPANEL_GRADER_MODEL", grader.model)
    reset_settings()
    assert chat(HI, purpose="persona").text == "main"
    assert chat(HI, purpose="grader").text == "grader"


def test_a_bug_in_an_embedded_model_is_not_retried(sleeps: list[float]) -> None:
    class Broken:
        def completion(self, *args, **kwargs):
            raise KeyError("persona_line")

    seam.register("local/broken", Broken())
    try:
        with pytest.raises(ModelError, match="embedded model failed: KeyError"):
            chat(HI, model="local/broken")
    finally:
        seam.unregister("local/broken")
    assert sleeps == []


def test_fake_model_without_reply_says_so(fake_model) -> None:
    fake = fake_model()
    with pytest.raises(ModelError, match="no reply queued"):
        chat(HI, model=fake.model)


# --- the network guard itself (checked without sending anything) ------------------------------


def test_network_guard_allows_only_loopback() -> None:
    import conftest

    for ok in [("127.0.0.1", 80), ("127.8.9.10", 1), ("::1", 80, 0, 0), ("localhost", 8000), "/tmp/some.sock"]:
        conftest._check(ok)
    for bad in [("10.0.0.1", 80), ("192.168.1.1", 443), ("8.8.8.8", 53), ("api.openai.com", 443), ("::ffff:8.8.8.8", 53, 0, 0)]:
        with pytest.raises(conftest.NetworkBlocked):
            conftest._check(bad)
    with pytest.raises(conftest.NetworkBlocked):
        socket.getaddrinfo("api.openai.com", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_every_failure_says_its_kind(fake_model, monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers (the UI's advice) branch on ModelError.kind rather than on message words."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cases = {
        "timeout": [FakeModel.timeout()] * 4,
        "rate_limit": [FakeModel.rate_limited()] * 4,
        "server": [FakeModel.server_error()] * 4,
        "unreachable": [FakeModel.unreachable()] * 4,
        "auth": [FakeModel.auth_error()],
        "bad_request": [FakeModel.bad_request()],
        "not_found": [FakeModel.not_found()],
        "truncated": [FakeModel.truncated("x")],
        "empty": [FakeModel.empty()] * 4,
    }
    for kind, replies in cases.items():
        fake = fake_model(*replies, name=f"kind-{kind}")
        with pytest.raises(ModelError) as err:
            chat(HI, model=fake.model)
        assert getattr(err.value, "kind", None) == kind, (kind, str(err.value))
    fake = fake_model("x", "y", name="kind-invalid")
    with pytest.raises(ModelError) as err:
        structured(HI, Score, model=fake.model)
    assert err.value.kind == "invalid_output"
    for model, kind in [("openai/gpt-4o-mini", "missing_key"), ("nosuchprovider/x", "unknown_model"), ("local/none", "not_found")]:
        with pytest.raises(ModelError) as err:
            chat(HI, model=model)
        assert err.value.kind == kind, model


def test_warm_up_loads_litellm_in_the_background() -> None:
    seam.warm_up().join(timeout=120)
    assert runtime._litellm is not None


class _Refused(Exception):
    """Raised under httpx by something that is not the network (as vcrpy does for an unknown request)."""


def test_a_failure_under_httpx_that_is_not_the_network_is_named_not_retried(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    def refuse(self: object, request: object) -> object:
        raise _Refused("the cassette has no such request")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    with pytest.raises(ModelError) as err:
        chat(HI, model="openai/local-model", api_base=f"http://127.0.0.1:{_closed_port()}/v1", api_key="k")
    assert "_Refused: the cassette has no such request" in str(err.value) and "unreachable" not in str(err.value)
    assert err.value.kind == "unexpected" and sleeps == []


# --- the deadline, Retry-After, sync and async alike -----------------------------------------


def _rate_limited(retry_after: str) -> BaseException:
    import httpx
    import litellm

    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(429, request=request, headers={"retry-after": retry_after})
    return litellm.RateLimitError("slow down", llm_provider="fake", model="fake/x", response=response)


class FakeClock:
    """seam.clock and seam.sleep together: a pause or an attempt moves time on, nothing waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        self.paused: list[float] = []
        monkeypatch.setattr(seam, "clock", lambda: self.now)
        monkeypatch.setattr(seam, "sleep", self.pause)

        async def apause(seconds: float) -> None:
            self.pause(seconds)

        monkeypatch.setattr(seam, "asleep", apause)

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)
        self.now += seconds


def test_retry_after_is_honoured(fake_model, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(monkeypatch)
    fake = fake_model(_rate_limited("7"), "ok")
    assert chat(HI, model=fake.model).text == "ok"
    assert clock.paused == [7.0]


def test_retry_after_past_the_deadline_is_said_not_waited(fake_model, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(monkeypatch)
    fake = fake_model(_rate_limited("120"), "ok")
    with pytest.raises(ModelError, match=r"retry after 120s, past the 30s deadline"):
        chat(HI, model=fake.model, timeout=30)
    assert clock.paused == [] and len(fake.calls) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_timeout_is_a_deadline_for_the_whole_call_retries_included(fake_model, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """Each attempt takes 4 s and fails with a 500; with a 10 s timeout and 10 retries allowed the
    call gives up by the deadline, not after 11 attempts, and each attempt gets only what is left."""
    clock = FakeClock(monkeypatch)
    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "10")
    reset_settings()

    def slow_failure(messages: object) -> None:
        clock.now += 4.0
        raise FakeModel.server_error(500).exception("fake/x")

    fake = fake_model(default=slow_failure)
    with pytest.raises(ModelError) as caught:
        chat(HI, model=fake.model, timeout=10) if mode == "sync" else asyncio.run(achat(HI, model=fake.model, timeout=10))
    assert clock.now - 1000.0 <= 10.0 + 4.0  # the last attempt started before the deadline
    assert len(fake.calls) < 4
    timeouts = [c.params.get("timeout") for c in fake.calls]
    assert all(t is None or t <= 10 for t in timeouts)
    assert caught.value.kind in ("server", "timeout")  # type: ignore[attr-defined]


@contextlib.contextmanager
def loopback_server(handle: Callable[[socket.socket], None], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A server on 127.0.0.1 that hands each connection to `handle` (in its own thread), with
    MOCKPANEL_API_BASE pointing at it for the duration."""
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setenv("MOCKPANEL_API_BASE", f"http://127.0.0.1:{srv.getsockname()[1]}/v1")
    reset_settings()
    try:
        yield
    finally:
        srv.close()


def test_sync_and_async_fail_alike_on_a_dropped_connection(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    """A server on loopback that reads the request and closes the socket: both paths retry, both
    report the same one-line error (the async one used to say 'no running event loop')."""
    def drop(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.close()

    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "2")
    with loopback_server(drop, monkeypatch):
        with pytest.raises(ModelError) as sync_err:
            chat(HI, model="openai/x")
        sync_pauses = len(sleeps)
        with pytest.raises(ModelError) as async_err:
            asyncio.run(achat(HI, model="openai/x"))
    assert str(sync_err.value) == str(async_err.value)
    assert "still after 3 attempts" in str(async_err.value) and "event loop" not in str(async_err.value)
    assert sync_pauses == 2 and len(sleeps) == 4


def test_a_server_trickling_bytes_cannot_hold_a_call_past_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every 50 ms never trips a per-read timeout; the 0.3 s deadline still ends the call.
    (Real time passes here, 0.3 s: the deadline is wall-clock by nature.)"""
    import threading

    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(100):  # 5 s at most, then the connection closes: a call the deadline did
                if stop.wait(0.05):  # not end fails with another error, never hangs the suite
                    break
                conn.sendall(b" ")
        except OSError:
            pass
        finally:
            conn.close()

    seam.litellm_module()
    with loopback_server(trickle, monkeypatch):
        try:
            with pytest.raises(ModelError, match=r"no reply within 0.3s"):
                chat(HI, model="openai/x", timeout=0.3)
        finally:
            stop.set()


def test_async_calls_in_new_event_loops_fail_like_sync_on_a_dropped_connection(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first call is answered on a kept-alive connection, then the server drops everything.
    Each later asyncio.run is a new loop: litellm's cached client of the closed loop used to be
    handed out again (the call hung, or said 'no running event loop'); now it retries and reports
    the dropped connection exactly as the sync path does."""
    body = (b'{"id":"x","object":"chat.completion","created":1,"model":"x","choices":[{"index":0,"message":'
            b'{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}')
    served = {"n": 0}

    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        served["n"] += 1
        if served["n"] == 1:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            try:
                conn.recv(65536)  # a later request on the kept-alive connection: dropped too
            except OSError:
                pass
        conn.close()

    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "2")
    with loopback_server(answer, monkeypatch):
        assert asyncio.run(achat(HI, model="openai/x", timeout=10)).text == "hi"
        errors = []
        for _ in range(2):
            with pytest.raises(ModelError) as caught:
                asyncio.run(achat(HI, model="openai/x", timeout=10))
            errors.append(str(caught.value))
        with pytest.raises(ModelError) as sync_err:
            chat(HI, model="openai/x", timeout=10)
    assert all("cannot connect" in e and "still after 3 attempts" in e for e in errors), errors
    assert errors[0] == str(sync_err.value)


def test_litellm_clients_cached_for_a_closed_event_loop_are_never_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """litellm keys its async clients by id(loop), and a new loop can get a closed loop's id:
    every new loop starts from an empty client cache; calls within one loop share it."""
    litellm = seam.litellm_module()
    flushed: list[int] = []
    monkeypatch.setattr(litellm.in_memory_llm_clients_cache, "flush_cache", lambda: flushed.append(1))
    monkeypatch.setattr(seam, "_loop_seen", None)

    async def twice() -> None:
        seam._clients_for_this_loop()
        seam._clients_for_this_loop()

    asyncio.run(twice())
    assert flushed == []  # the first loop seen: nothing stale yet
    asyncio.run(twice())
    asyncio.run(twice())
    assert flushed == [1, 1]  # once per new loop, not per call
