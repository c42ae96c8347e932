"""A scripted fake model for tests and benchmarks, shipped with the library.

`FakeModel` serves `fake/<name>` through the same seam as every real model (a litellm custom
provider), so code under test runs its real retry, parsing and ledger paths. It answers from a
queue of canned replies: text, a `Canned` reply with a finish reason (e.g. "length"), a fault
(`FakeModel.rate_limited()`, `server_error()`, `timeout()`, `unreachable()`, `auth_error()`, ...),
any exception, or a function of the messages (handy with asyncio.gather, where order is not fixed).
It records every call it got. Latency is simulated only when asked (benchmarks), never in tests.

    fake = FakeModel(FakeModel.rate_limited(), '{"score": 2}', name="grader")
    result = structured(messages, Score, model=fake.model)
    assert len(fake.calls) == 2
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simulator.models.scripted import UsageCounts, stream_chunks, usage

FAULTS = ("rate_limit", "server_error", "unavailable", "timeout", "unreachable", "auth", "bad_request", "not_found")


@dataclass(frozen=True)
class Canned:
    """A scripted reply; token counts set here stand in for a provider's usage figures."""

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Fault:
    """A provider failure, raised as the litellm exception a real provider would cause."""

    kind: str
    status: int | None = None
    message: str = ""

    def exception(self, model: str) -> BaseException:
        import httpx
        from litellm import exceptions

        msg = self.message or f"simulated {self.kind}"
        request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")

        def response(status: int) -> httpx.Response:
            return httpx.Response(status, request=request)

        provider = "fake"
        if self.kind == "rate_limit":
            return exceptions.RateLimitError(msg, llm_provider=provider, model=model, response=response(429))
        if self.kind == "server_error":
            status = self.status or 500
            if status == 503:
                return exceptions.ServiceUnavailableError(msg, llm_provider=provider, model=model, response=response(503))
            if status == 502:
                return exceptions.BadGatewayError(msg, llm_provider=provider, model=model, response=response(502))
            return exceptions.InternalServerError(msg, llm_provider=provider, model=model, response=response(status))
        if self.kind == "unavailable":
            return exceptions.ServiceUnavailableError(msg, llm_provider=provider, model=model, response=response(503))
        if self.kind == "timeout":
            return exceptions.Timeout(msg, model=model, llm_provider=provider)
        if self.kind == "unreachable":
            return exceptions.APIConnectionError(f"Connection error. {msg}", llm_provider=provider, model=model, request=request)
        if self.kind == "auth":
            return exceptions.AuthenticationError(msg, llm_provider=provider, model=model, response=response(401))
        if self.kind == "bad_request":
            return exceptions.BadRequestError(msg, model=model, llm_provider=provider, response=response(400))
        if self.kind == "not_found":
            return exceptions.NotFoundError(msg, model=model, llm_provider=provider, response=response(404))
        raise ValueError(f"unknown fault {self.kind!r}; one of {', '.join(FAULTS)}")


Scripted = str | Canned | Fault | BaseException | Callable[[list[dict[str, Any]]], Any]


@dataclass
class FakeCall:
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    stream: bool = False


@dataclass
class FakeModel:
    """`fake/<name>`: registered with the seam on creation, unregistered by close() or `with`."""

    replies: deque[Scripted] = field(default_factory=deque)
    name: str = "test"
    latency_s: float = 0.0
    default: str | None = None
    calls: list[FakeCall] = field(default_factory=list)

    def __init__(self, *replies: Scripted, name: str = "test", latency_s: float = 0.0, default: str | None = None) -> None:
        self.replies = deque(replies)
        self.name = name
        self.latency_s = latency_s
        self.default = default
        self.calls = []
        self._lock = threading.Lock()
        from simulator.models import seam as model

        model.register(self.model, self)

    @property
    def model(self) -> str:
        return f"fake/{self.name}"

    def add(self, *replies: Scripted) -> FakeModel:
        with self._lock:
            self.replies.extend(replies)
        return self

    def close(self) -> None:
        from simulator.models import seam as model

        model.unregister(self.model)

    def __enter__(self) -> FakeModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- faults and special replies, named for readable tests --
    @staticmethod
    def rate_limited(message: str = "") -> Fault:
        return Fault("rate_limit", 429, message)

    @staticmethod
    def server_error(status: int = 500, message: str = "") -> Fault:
        return Fault("server_error", status, message)

    @staticmethod
    def timeout(message: str = "") -> Fault:
        return Fault("timeout", 408, message)

    @staticmethod
    def unreachable(message: str = "") -> Fault:
        return Fault("unreachable", None, message)

    @staticmethod
    def auth_error(message: str = "invalid api key") -> Fault:
        return Fault("auth", 401, message)

    @staticmethod
    def bad_request(message: str = "bad request") -> Fault:
        return Fault("bad_request", 400, message)

    @staticmethod
    def not_found(message: str = "model not found") -> Fault:
        return Fault("not_found", 404, message)

    @staticmethod
    def truncated(text: str) -> Canned:
        return Canned(text, finish_reason="length")

    @staticmethod
    def empty() -> Canned:
        return Canned("")

    # -- the provider side (called by litellm through simulator.models.seam's router) --
    def _next(self, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> Canned:
        with self._lock:
            self.calls.append(FakeCall([dict(m) for m in messages], dict(params), stream))
            item: Scripted | None = self.replies.popleft() if self.replies else None
        if item is None:
            if self.default is None:
                raise AssertionError(f"{self.model} got call {len(self.calls)} with no reply queued")
            item = self.default
        if callable(item) and not isinstance(item, (Fault, Canned, BaseException)):
            item = item(messages)
        if isinstance(item, Fault):
            raise item.exception(self.model)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item()
        return item if isinstance(item, Canned) else Canned(str(item))

    def _fill(self, canned: Canned, messages: list[dict[str, Any]], model_response: Any) -> Any:
        from litellm.types.utils import Usage

        model_response.choices[0].message.content = canned.text
        model_response.choices[0].finish_reason = canned.finish_reason
        model_response.model = self.model
        model_response.created = int(time.time())
        model_response.usage = Usage(**_usage(canned, messages))
        return model_response

    def completion(self, *args: Any, **kwargs: Any) -> Any:
        canned = self._next(kwargs["messages"], kwargs.get("optional_params") or {}, False)
        if self.latency_s:
            time.sleep(self.latency_s)
        return self._fill(canned, kwargs["messages"], kwargs["model_response"])

    async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
        canned = self._next(kwargs["messages"], kwargs.get("optional_params") or {}, False)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return self._fill(canned, kwargs["messages"], kwargs["model_response"])

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        canned = self._next(kwargs["messages"], kwargs.get("optional_params") or {}, True)
        if self.latency_s:
            time.sleep(self.latency_s)
        return stream_chunks(canned.text, canned.finish_reason, _usage(canned, kwargs["messages"]))

    async def astreaming(self, *args: Any, **kwargs: Any) -> Any:
        canned = self._next(kwargs["messages"], kwargs.get("optional_params") or {}, True)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        for chunk in stream_chunks(canned.text, canned.finish_reason, _usage(canned, kwargs["messages"])):
            yield chunk


def _usage(canned: Canned, messages: list[dict[str, Any]]) -> UsageCounts:
    """The canned figures where a test set them, else counted like the embedded provider counts."""
    return usage(messages, canned.text, canned.prompt_tokens, canned.completion_tokens)


# --- recorded HTTP: what never goes into a cassette ----------------------------------------------

SECRET_HEADERS = ("authorization", "proxy-authorization", "api-key", "x-api-key", "openai-organization", "openai-project",
                  "cookie", "set-cookie", "anthropic-api-key", "x-goog-api-key")
# Query parameters and JSON body fields that carry a credential (Google's `key=`, Azure's `api-key=`).
SECRET_FIELDS = ("key", "api_key", "api-key", "apikey", "access_token", "token", "secret", "password", "x-api-key")
SCRUBBED = "***"


def _secret_field(name: str) -> bool:
    return name.lower() in SECRET_FIELDS


def scrub_json(value: Any) -> Any:
    """A JSON value with every secret-named field's value replaced, at any depth."""
    if isinstance(value, dict):
        return {k: (SCRUBBED if _secret_field(str(k)) else scrub_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    return value


def scrub_uri(uri: str) -> str:
    """The URL without credentials: user:password@ and secret query parameters (key=, api_key=, ...)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    from simulator.core.errors import redact

    parts = urlsplit(redact(uri))
    query = [(k, SCRUBBED if _secret_field(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _scrub_body(body: Any) -> Any:
    import json

    if not body:
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        data = json.loads(text)
    except ValueError:
        return body
    clean = json.dumps(scrub_json(data))
    if clean == json.dumps(data):
        return body
    return clean.encode() if isinstance(body, bytes) else clean


def scrub_request(request: Any) -> Any:
    """vcrpy `before_record_request`: drops credentials (headers, URL, JSON body) before a request is written."""
    for name in list(request.headers):
        if name.lower() in SECRET_HEADERS:
            del request.headers[name]
    request.uri = scrub_uri(request.uri)
    request.body = _scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy `before_record_response`: drops cookies and keys a server echoes back."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    body = response.get("body")
    if isinstance(body, dict) and body.get("string"):
        body["string"] = _scrub_body(body["string"])
    return response


def recorder(mode: str, body_matcher: Callable[[Any, Any], None], *,
             before_record_request: Callable[[Any], Any] = scrub_request, **kwargs: Any) -> Any:
    """A vcrpy VCR with the one scrubbing policy every cassette gets, matching requests on where
    they go and on `body_matcher` (what the seam sends), so a cassette never holds a credential."""
    import vcr

    rec = vcr.VCR(
        record_mode=mode,
        filter_headers=list(SECRET_HEADERS),
        before_record_request=before_record_request,
        before_record_response=scrub_response,
        match_on=["method", "scheme", "host", "port", "path", "body_matcher"],
        decode_compressed_response=True,
        **kwargs,
    )
    rec.register_matcher("body_matcher", body_matcher)
    return rec
