"""Recorded HTTP through the real seam: litellm's OpenAI client against a server on 127.0.0.1.

Replayed from tests/cassettes with recording off; re-record with scripts/record_cassettes
(docs/recording.md). The plain, streamed and structured calls were recorded against llama.cpp
serving SmolLM2 (unless tests/cassettes/SOURCE.txt says otherwise); the malformed-JSON and
server-error cases against the stub in scripts/record_cassettes_stub.py, because a real model
cannot be made to fail on demand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, Field

from simulator.core.settings import reset_settings
from simulator.models.ledger import Ledger
from simulator.models.seam import REPAIR, chat, stream, structured

LLAMA = "http://127.0.0.1:8765/v1"  # llama.cpp server (model alias "smollm2") when recording
STUB = "http://127.0.0.1:8766/v1"  # the stdlib stub when recording
REAL = "openai/smollm2"
CASSETTES = Path(__file__).parent / "cassettes"
NAMES = ("chat_plain", "chat_stream", "structured", "structured_repair", "retry_500")

def played(cas) -> int:
    """Interactions this test used: replayed ones, or (when recording) the ones just recorded."""
    if cas.record_mode == "none":
        assert cas.all_played, "a recorded interaction was not used: re-record"
        return cas.play_count
    return len(cas.requests)


SYSTEM = {"role": "system", "content": "You are a concise technical interviewer. Answer in one short sentence."}


class Verdict(BaseModel):
    score: int = Field(ge=1, le=4)
    reason: str = Field(max_length=120)


def test_plain_chat(cassette) -> None:
    ledger = Ledger()
    with cassette("chat_plain") as cas:
        reply = chat([SYSTEM, {"role": "user", "content": "What does a load balancer do?"}], purpose="interviewer", model=REAL, api_base=LLAMA, max_tokens=120, temperature=0, ledger=ledger)
    assert played(cas) == 1
    assert reply.text.strip() and reply.finish_reason == "stop"
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0 and reply.attempts == 1
    assert ledger.totals()["calls"] == 1
    assert ledger.calls[0].purpose == "interviewer" and ledger.calls[0].model == REAL


def test_streamed_chat(cassette) -> None:
    ledger = Ledger()
    with cassette("chat_stream") as cas:
        s = stream([SYSTEM, {"role": "user", "content": "Name one way to make a cache consistent."}], model=REAL, api_base=LLAMA, max_tokens=120, temperature=0, ledger=ledger)
        deltas = list(s)
    assert played(cas) == 1
    assert len(deltas) > 1, "a stream arrives in pieces"
    assert s.reply is not None and "".join(deltas) == s.reply.text and s.reply.text.strip()
    assert json.loads(cas.requests[0].body)["stream"] is True
    assert ledger.totals()["calls"] == 1 and ledger.completion_tokens > 0


def test_structured_output_in_json_mode(cassette, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_RESPONSE_FORMAT", "json_object")  # llama.cpp's JSON mode takes a schema; litellm cannot know
    reset_settings()
    ledger = Ledger()
    messages = [
        {"role": "system", "content": "You grade interview answers from 1 (poor) to 4 (excellent)."},
        {"role": "user", "content": "Question: why use a queue between services? Answer: so a slow consumer does not block the producer, and bursts are absorbed."},
    ]
    with cassette("structured") as cas:
        verdict = structured(messages, Verdict, model=REAL, api_base=LLAMA, max_tokens=200, temperature=0, ledger=ledger)
    assert isinstance(verdict, Verdict) and 1 <= verdict.score <= 4
    sent = json.loads(cas.requests[0].body)
    assert sent["response_format"]["type"] == "json_object"
    assert sent["response_format"]["schema"]["properties"].keys() == {"score", "reason"}
    assert ledger.totals()["calls"] == played(cas)


def test_malformed_json_is_repaired_once(cassette) -> None:
    ledger = Ledger()
    messages = [{"role": "system", "content": "You grade interview answers."}, {"role": "user", "content": "[stub:malformed] Grade: 'I would add an index.'"}]
    with cassette("structured_repair") as cas:
        verdict = structured(messages, Verdict, model="openai/stub", api_base=STUB, ledger=ledger)
    assert isinstance(verdict, Verdict)
    assert played(cas) == 2
    repair = json.loads(cas.requests[1].body)["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-2]["content"] == json.loads(cas.responses[0]["body"]["string"])["choices"][0]["message"]["content"]
    assert repair[-1]["content"].startswith(REPAIR.split("{error}")[0]) and "not valid JSON" in repair[-1]["content"]
    assert ledger.totals()["calls"] == 2


def test_server_error_is_retried(cassette, sleeps: list[float]) -> None:
    ledger = Ledger()
    with cassette("retry_500") as cas:
        reply = chat([{"role": "user", "content": "[stub:flaky] Tell me about your last project."}], model="openai/stub", api_base=STUB, ledger=ledger)
    assert [r["status"]["code"] for r in cas.responses] == [500, 200]
    assert played(cas) == 2
    assert reply.attempts == 2 and reply.text.strip()
    assert len(sleeps) == 1 and sleeps[0] > 0
    assert ledger.totals()["calls"] == 1  # the 500 was not billed


# --- no secrets in cassettes ------------------------------------------------------------------

SECRET_HEADER_NAMES = {"authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie", "set-cookie", "anthropic-api-key", "x-goog-api-key", "proxy-authorization"}
SECRET_VALUES = [
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE),
    re.compile(r"\b(?:api[_-]?key|access[_-]?token|secret)\b[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._-]{8,}", re.IGNORECASE),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abp]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),
]


def secrets_in(text: str) -> list[str]:
    """Secret-looking headers and values in one cassette's YAML text."""
    found: list[str] = []
    data = yaml.safe_load(text) or {}
    for interaction in data.get("interactions", []):
        for side in ("request", "response"):
            headers = interaction.get(side, {}).get("headers", {}) or {}
            found += [f"{side} header {name}" for name in headers if name.lower() in SECRET_HEADER_NAMES]
    for pattern in SECRET_VALUES:
        found += [f"value {m.group(0)[:12]}…" for m in pattern.finditer(text)]
    return found


def test_every_cassette_is_there() -> None:
    assert sorted(p.stem for p in CASSETTES.glob("*.yaml")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_cassette_holds_no_secret(name: str) -> None:
    assert secrets_in((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8")) == []


def test_secret_check_catches_leaks() -> None:
    leaky = yaml.safe_dump({"interactions": [{
        "request": {"headers": {"Authorization": ["Bearer abcdefghijkl"]}, "body": '{"api_key": "sk-live-1234567890abcdef"}'},
        "response": {"headers": {"Set-Cookie": ["session=1"]}, "body": {"string": "ok"}},
    }]})
    found = secrets_in(leaky)
    assert "request header Authorization" in found and "response header Set-Cookie" in found
    assert any(f.startswith("value sk-live") for f in found) and any(f.lower().startswith("value bearer") for f in found)


def test_the_recorder_scrubs_every_planted_secret(tmp_path: Path) -> None:
    """Each kind planted in a real recording (to a loopback server): headers, proxy credentials,
    user:password in the URL, key=/api_key= query parameters, api_key in a JSON body and echoed back."""
    import http.server
    import threading

    import httpx

    from simulator.testing.recorder import recorder

    planted = {
        "authorization": "Bearer sk-planted-authorization-0001",
        "proxy": "Basic planted-proxy-credential-0002",
        "userinfo": "planted-password-0003",
        "key_param": "planted-query-key-0004",
        "api_key_param": "planted-query-api-key-0005",
        "body": "sk-planted-body-key-0006",
        "nested": "planted-nested-token-0007",
    }

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # echoes the body back, as some servers echo a key
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "session=planted-cookie-0008")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        rec = recorder("all", lambda r1, r2: None, cassette_library_dir=str(tmp_path))
        with rec.use_cassette("planted.yaml"):
            httpx.post(
                f"http://user:{planted['userinfo']}@127.0.0.1:{port}/v1/chat?key={planted['key_param']}&api_key={planted['api_key_param']}&model=x",
                headers={"Authorization": planted["authorization"], "Proxy-Authorization": planted["proxy"]},
                json={"model": "x", "api_key": planted["body"], "extra": {"token": planted["nested"]}},
            )
    finally:
        server.shutdown()
    text = (tmp_path / "planted.yaml").read_text(encoding="utf-8")
    for kind, value in planted.items():
        assert value not in text, f"{kind} leaked into the cassette"
    assert "planted-cookie" not in text
    assert secrets_in(text) == []
    assert "model=x" in text and "/v1/chat" in text  # what is not secret is kept
