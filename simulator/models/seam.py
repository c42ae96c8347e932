"""The one seam to language models: every model call in the product goes through here.

Over litellm, so any provider it knows works (`openai/...`, `anthropic/...`, `ollama/...`, or
`openai/<name>` with `MOCKPANEL_API_BASE` for an OpenAI-compatible server). The embedded default
(`local/...`) and the test fakes (`fake/...`) are litellm custom providers behind the same calls,
so offline, online and test runs take one path, one retry policy and one ledger.

Failure policy (what a caller can rely on):
- timeouts, 429, 5xx, connection errors and empty replies are retried `MOCKPANEL_MAX_RETRIES`
  times with exponential backoff and full jitter (`backoff()`; the pause is the module-level
  `sleep`/`asleep`, patched in tests so they never wait), or after the server's `Retry-After`;
- `MOCKPANEL_TIMEOUT` is a deadline for the whole call, retries and pauses included: each attempt
  gets what is left (a server that trickles a byte at a time cannot hold it longer), and a
  `Retry-After` past the deadline is reported as such instead of waited for;
- sync and async calls share one retry decision (`_pause_or_raise`), so they fail the same way;
- auth (401/403), bad request (400), not found (404), unknown provider and a reply cut off at the
  token limit are not retried;
- whatever gives up reaches the caller as `simulator.core.errors.ModelError`, naming the model and
  what to do (which env var to set, which server to check).

Import cost: litellm takes seconds to import, so it is imported on the first call
(`litellm_module()`), never when this module is imported.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.core.errors import ModelError
from simulator.models import runtime as _runtime
from simulator.models.ledger import Ledger
from simulator.models.runtime import _lock, _routes  # noqa: F401  (re-exported: the seam's public surface)
from simulator.models.runtime import error as error
from simulator.models.runtime import litellm_module as litellm_module
from simulator.models.runtime import register as register
from simulator.models.runtime import unregister as unregister

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T", bound="BaseModel")
R = TypeVar("R")

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 20.0
KEY_FREE = "no-key-needed"
# Modules whose exceptions wrap a provider failure; NETWORK adds the transport's own.
WRAPPERS = ("litellm", "openai", "httpx")
NETWORK = (*WRAPPERS, "httpcore", "anyio", "h11", "h2", "ssl", "socket", "aiohttp")


# Patchable pauses: tests replace these so retries never really wait.
async def _asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


sleep: Callable[[float], None] = time.sleep
asleep: Callable[[float], Any] = _asyncio_sleep
clock: Callable[[], float] = time.monotonic  # the deadline's clock (tests advance a fake one)


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number `attempt + 1`: exponential, capped, full jitter."""
    seconds: float = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2**attempt)) * random.uniform(0.5, 1.0)
    return seconds


@dataclass
class Reply:
    """What callers get from any provider: the text plus what it cost, so a session can bill itself."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    latency_s: float = 0.0
    finish_reason: str | None = None
    attempts: int = 1


class EmptyReply(ModelError):
    """The provider answered with no text; worth one more try, so it is retried like a 5xx."""


def warm_up() -> threading.Thread:
    """Import litellm and load the token encoding in the background, so the first turn of a
    session does not wait for them (an app calls this at start; the CLI need not)."""

    def load() -> None:
        litellm_module()
        from simulator.models import tokens

        tokens.encoding()

    thread = threading.Thread(target=load, name="mockpanel-warm-up", daemon=True)
    thread.start()
    return thread


# --- one call, prepared ----------------------------------------------------------------------


@dataclass
class Call:
    """One call's resolved settings, fixed before the first attempt so every retry sends the same."""

    model: str
    purpose: str
    params: dict[str, Any]
    ledger: Ledger | None
    max_retries: int
    timeout: float
    api_base: str | None
    allow_truncated: bool = False
    custom: bool = False
    attempts: int = field(default=0)
    deadline: float = field(default=0.0)  # clock() by which the whole call must be done

    def left(self) -> float:
        return self.deadline - clock()

    def start_attempt(self) -> None:
        """Counts the attempt and gives it what is left of the deadline (none left: a timeout)."""
        self.attempts += 1
        left = self.left()
        if left <= 0:
            raise error(self.model, f"no reply within {self.timeout:g}s" + (f" ({self.attempts - 1} attempts)" if self.attempts > 2 else ""),
                        "raise MOCKPANEL_TIMEOUT, or check that the model server is up", "timeout", self.attempts - 1)
        self.params["timeout"] = left


def _prepare(messages: list[dict[str, Any]], purpose: str, model: str | None, temperature: float | None, ledger: Ledger | None, kwargs: dict[str, Any]) -> Call:
    from simulator.core.settings import get_settings

    settings = get_settings()
    name = model or settings.model_for(purpose)
    allow_truncated = bool(kwargs.pop("allow_truncated", False))
    max_retries = int(kwargs.pop("max_retries", settings.max_retries))
    timeout = float(kwargs.pop("timeout", settings.timeout))
    provider = name.partition("/")[0] if "/" in name else ""
    custom = provider in _routes
    litellm_module()
    if custom:
        _runtime._handler(provider, name.partition("/")[2])  # unknown embedded/fake model: fail now, clearly
    params: dict[str, Any] = {"model": name, "messages": list(messages), "timeout": timeout, "max_retries": 0, "num_retries": 0}
    if temperature is not None:
        params["temperature"] = temperature
    api_base = None
    if not custom:
        api_base = kwargs.pop("api_base", None) or settings.api_base
        api_key = kwargs.pop("api_key", None) or settings.secret()
        if api_base:
            params["api_base"] = api_base
        if api_key:
            params["api_key"] = api_key
        elif "mock_response" not in kwargs:
            missing = _missing_keys(name)
            if missing and api_base:
                params["api_key"] = KEY_FREE  # OpenAI-compatible local servers take any key
            elif missing:
                raise error(name, f"no API key ({' or '.join(missing)} is not set)", f"set {missing[0]} or MOCKPANEL_API_KEY; or unset MOCKPANEL_MODEL to use the embedded default", "missing_key")
    params.update(kwargs)
    return Call(name, purpose, params, ledger, max_retries, timeout, api_base, allow_truncated, custom, deadline=clock() + timeout)


def _missing_keys(model: str) -> list[str]:
    """Key-like env vars litellm says the provider needs and are unset (not base URLs)."""
    try:
        env = litellm_module().validate_environment(model)
    except Exception:
        return []
    return [k for k in env.get("missing_keys") or [] if "KEY" in k or "TOKEN" in k or "SECRET" in k]


def _tokens(call: Call, usage: Any, text: str) -> tuple[int, int]:
    """The provider's own usage figures; counted here only when it reports none."""
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    if not prompt and not completion:
        from simulator.models import tokens

        prompt, completion = tokens.count_messages(call.params["messages"], call.model), tokens.count(text, call.model)
    return prompt, completion


def _finish(call: Call, response: Any, latency: float) -> Reply:
    """Reply from a litellm response; ledger recorded (billed even when the text is unusable)."""
    choice = response.choices[0]
    text = (getattr(choice.message, "content", None) or "") if hasattr(choice, "message") else ""
    prompt, completion = _tokens(call, getattr(response, "usage", None), text)
    reply = Reply(text, call.model, prompt, completion, _cost(call, response), latency, getattr(choice, "finish_reason", None), call.attempts)
    _record(call, reply)
    _check(call, reply)
    return reply


def _record(call: Call, reply: Reply) -> None:
    if call.ledger is not None:
        call.ledger.record(call.purpose, call.model, reply.prompt_tokens, reply.completion_tokens, reply.cost, reply.latency_s)


def _check(call: Call, reply: Reply) -> None:
    if reply.finish_reason == "length" and not call.allow_truncated:
        raise error(call.model, f"the reply was cut off at the token limit after {reply.completion_tokens} tokens", "raise max_tokens, shorten the prompt, or pass allow_truncated=True", "truncated", call.attempts)
    if not reply.text.strip():
        raise error(call.model, "the model returned an empty reply", "try again, or pick another model with MOCKPANEL_MODEL", "empty", call.attempts, EmptyReply)


def _cost(call: Call, response: Any) -> float:
    if call.custom:
        return 0.0
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost")
    if cost is None:
        try:
            cost = litellm_module().completion_cost(completion_response=response, model=call.model)
        except Exception:  # not in litellm's price map (local servers): free as far as we know
            cost = 0.0
    return float(cost or 0.0)


# --- failures --------------------------------------------------------------------------------


@dataclass
class Failure:
    """How classify() reads an exception: what to tell the user and whether another try may help."""

    message: str
    hint: str
    retry: bool
    kind: str


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 8:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    text = re.sub(r"^(litellm\.)?\w+(Error|Exception|Timeout)?: ", "", text.splitlines()[0] if text else type(exc).__name__)
    text = re.sub(r"^\w+Exception - ", "", text)
    return text[:240]


def classify(call: Call, exc: BaseException) -> Failure:
    """What a provider exception means for the caller: the message, the hint, retry or not."""
    import asyncio

    import httpx

    litellm = litellm_module()
    model = call.model
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, ModelError):
            return Failure(str(e), e.hint, isinstance(e, EmptyReply), "model")
    text = _first_line(exc)
    status = getattr(exc, "status_code", None)
    base = call.api_base or "the provider"
    connect = any(isinstance(e, (httpx.ConnectError, ConnectionRefusedError, ConnectionError)) for e in chain) or "connection error" in str(exc).lower()

    if isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)) or status in (401, 403) or "missing credentials" in str(exc).lower():
        return Failure(f"the provider refused the API key ({text})", f"check {_key_var(model)} or MOCKPANEL_API_KEY", False, "auth")
    if isinstance(exc, litellm.NotFoundError) or status == 404:
        return Failure(f"unknown model ({text})", "check the model name in MOCKPANEL_MODEL; litellm names look like openai/gpt-4o-mini or ollama/llama3", False, "not_found")
    if isinstance(exc, litellm.ContextWindowExceededError):
        return Failure(f"the prompt is longer than the model's context window ({text})", "use a model with a larger window or set MOCKPANEL_CONTEXT_WINDOW so prompts are trimmed", False, "context")
    if isinstance(exc, litellm.BadRequestError) or status == 400:
        if "provider not provided" in str(exc).lower() or "unknown provider" in str(exc).lower():
            return Failure("unknown model: litellm does not know which provider serves it", "write it as provider/model, e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest, ollama/llama3", False, "unknown_model")
        return Failure(f"the provider rejected the request ({text})", "check the model name and parameters", False, "bad_request")
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return Failure("rate limited", "wait a minute and try again, or lower concurrency", True, "rate_limit")
    if isinstance(exc, (litellm.Timeout, httpx.TimeoutException, TimeoutError, asyncio.TimeoutError)) or status == 408:
        return Failure(f"no reply within {call.timeout:g}s", f"raise MOCKPANEL_TIMEOUT, or check that {base} is up", True, "timeout")
    if call.custom and isinstance(exc, litellm.APIConnectionError):
        inner = next((e for e in chain[1:] if not type(e).__module__.startswith(WRAPPERS)), None)
        if inner is not None:  # litellm wraps whatever a custom provider raised: a bug, not the network
            return Failure(f"the embedded model failed: {type(inner).__name__}: {_first_line(inner)}", "this is a bug in mockpanel; please report it with the command you ran", False, "embedded")
    if not call.custom and (connect or isinstance(exc, litellm.APIConnectionError)):
        inner = next((e for e in chain[1:] if not isinstance(e, OSError) and not type(e).__module__.startswith(NETWORK)), None)
        if inner is not None:  # openai reports anything raised under httpx as "Connection error": name it
            return Failure(f"the request failed before it reached {base}: {type(inner).__name__}: {_first_line(inner)}", "not a network problem; see the log, or pick another model", False, "unexpected")
    if connect or isinstance(exc, litellm.APIConnectionError):
        where = call.api_base or "the provider's API"
        return Failure(f"cannot connect to {where} (server unreachable)", "check MOCKPANEL_API_BASE and that the model server is running" if call.api_base else "check your network connection", True, "unreachable")
    if isinstance(status, int) and status >= 500 or isinstance(exc, (litellm.InternalServerError, litellm.ServiceUnavailableError, litellm.BadGatewayError)):
        return Failure(f"server error {status or ''} ({text})".replace("  ", " "), "the provider is having trouble; try again later", True, "server")
    if isinstance(status, int) and 400 <= status < 500:
        return Failure(f"the provider rejected the request ({status}: {text})", "check the model name and parameters", False, "bad_request")
    return Failure(f"unexpected error {type(exc).__name__}: {text}", "see the log; try again or pick another model", False, "unexpected")


def _key_var(model: str) -> str:
    """The env var to name in an auth error's hint: litellm's, else PROVIDER_API_KEY."""
    keys = _missing_keys(model)
    if keys:
        return keys[0]
    provider = model.partition("/")[0] if "/" in model else "the provider"
    return f"{provider.upper()}_API_KEY"


def _give_up(call: Call, failure: Failure, exc: BaseException) -> ModelError:
    """A ModelError already in the chain is passed on as it is (it names the model and the fix)."""
    for e in _chain(exc):
        if isinstance(e, ModelError):
            return e
    message = failure.message
    if failure.retry and call.attempts > 1:
        message += f", still after {call.attempts} attempts"
    return error(call.model, message, failure.hint, failure.kind, call.attempts)


def retry_after(exc: BaseException) -> float | None:
    """Seconds a server asked us to wait (`Retry-After`: seconds or an HTTP date; `retry-after-ms`)."""
    from email.utils import parsedate_to_datetime

    for e in _chain(exc):
        headers = getattr(getattr(e, "response", None), "headers", None) or getattr(e, "litellm_response_headers", None)
        if not headers:
            continue
        try:
            ms = headers.get("retry-after-ms")
            if ms is not None:
                return max(0.0, float(ms) / 1000)
            value = headers.get("retry-after")
            if value is None:
                continue
            try:
                return max(0.0, float(value))
            except ValueError:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError, AttributeError):
            continue
    return None


def _pause_or_raise(call: Call, exc: Exception) -> float:
    """The one retry decision for sync and async calls: seconds to wait, or the final ModelError.
    The pause is the server's Retry-After when it sent one, else backoff; one that would run past
    the deadline is not waited for."""
    failure = classify(call, exc)
    if not failure.retry or call.attempts > call.max_retries:
        raise _give_up(call, failure, exc) from exc
    asked = retry_after(exc)
    pause = backoff(call.attempts - 1) if asked is None else asked
    if pause >= call.left():
        if asked is not None:
            raise error(call.model, f"{failure.message}; the server asks to retry after {asked:g}s, past the {call.timeout:g}s deadline",
                        "try again later, or raise MOCKPANEL_TIMEOUT", failure.kind, call.attempts) from exc
        raise _give_up(call, failure, exc) from exc
    return pause


def _bounded(call: Call, attempt: Callable[[], R]) -> R:
    """A network attempt held to what is left of the deadline: run in a worker thread, given up on
    when time is up (httpx's timeout bounds each read, not the request). Embedded and fake models
    run inline: they are in-process and bounded by their own code."""
    if call.custom:
        return attempt()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = attempt()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="mockpanel-model-call", daemon=True)
    worker.start()
    worker.join(max(0.0, call.left()))
    if worker.is_alive():
        raise TimeoutError(f"no reply within {call.timeout:g}s")
    if "error" in box:
        raise box["error"]
    value: R = box["value"]
    return value


def _run(call: Call, attempt: Callable[[], R]) -> R:
    while True:
        call.start_attempt()  # past the deadline: its ModelError goes straight to the caller
        try:
            return _bounded(call, attempt)
        except Exception as exc:
            sleep(_pause_or_raise(call, exc))


_loop_seen: Any = None  # a weak reference to the event loop the last async call ran in


def _clients_for_this_loop() -> None:
    """litellm caches its async HTTP clients under id(event loop); a new loop (each asyncio.run)
    can reuse a closed loop's id and be handed its dead client: the call then hangs or fails with
    'no running event loop'. On a loop other than the last one, the cached clients are dropped."""
    import asyncio
    import weakref

    global _loop_seen
    loop = asyncio.get_running_loop()
    if _loop_seen is not None and _loop_seen() is loop:
        return
    cache = getattr(litellm_module(), "in_memory_llm_clients_cache", None)
    if _loop_seen is not None and cache is not None:
        cache.flush_cache()
    _loop_seen = weakref.ref(loop)


async def _arun(call: Call, attempt: Callable[[], Awaitable[R]]) -> R:
    import asyncio

    if not call.custom:
        _clients_for_this_loop()
    while True:
        call.start_attempt()
        try:
            return await asyncio.wait_for(attempt(), timeout=max(0.0, call.left()))
        except Exception as exc:
            await asleep(_pause_or_raise(call, exc))


# --- the API ---------------------------------------------------------------------------------


def chat(messages: list[dict[str, Any]], *, purpose: str = "persona", model: str | None = None, temperature: float | None = None, ledger: Ledger | None = None, **kwargs: Any) -> Reply:
    """One reply. Extra kwargs go to litellm (max_tokens, seed, mock_response, ...)."""
    call = _prepare(messages, purpose, model, temperature, ledger, kwargs)
    litellm = litellm_module()

    def attempt() -> Reply:
        started = time.perf_counter()
        response = litellm.completion(**call.params)
        return _finish(call, response, time.perf_counter() - started)

    return _run(call, attempt)


async def achat(messages: list[dict[str, Any]], *, purpose: str = "persona", model: str | None = None, temperature: float | None = None, ledger: Ledger | None = None, **kwargs: Any) -> Reply:
    """chat() for concurrent callers (the LLM grader): the same policy, with an awaitable pause."""
    call = _prepare(messages, purpose, model, temperature, ledger, kwargs)
    litellm = litellm_module()

    async def attempt() -> Reply:
        started = time.perf_counter()
        response = await litellm.acompletion(**call.params)
        return _finish(call, response, time.perf_counter() - started)

    return await _arun(call, attempt)


class Stream(Iterator[str]):
    """Text deltas as they arrive; `.reply` holds the whole Reply once the stream is exhausted.

    Retries cover opening the stream and its first chunk; once text has reached the caller a
    failure is final (it cannot be taken back), and raises ModelError like any other.
    """

    def __init__(self, call: Call) -> None:
        self.call = call
        self.reply: Reply | None = None
        self._chunks: Iterator[Any] | None = None
        self._pending: list[Any] = []
        self._parts: list[str] = []
        self._finish: str | None = None
        self._usage: Any = None
        self._started = 0.0
        self._done = False

    def __iter__(self) -> Stream:
        return self

    def _open(self) -> None:
        litellm = litellm_module()
        self._started = time.perf_counter()

        def attempt() -> tuple[Iterator[Any], Any]:
            chunks = iter(litellm.completion(**self.call.params, stream=True, stream_options={"include_usage": True}))
            return chunks, next(chunks, None)

        chunks, first = _run(self.call, attempt)
        self._chunks = chunks
        if first is not None:
            self._pending.append(first)
        else:
            self._chunks = iter(())

    def __next__(self) -> str:
        if self._done:
            raise StopIteration
        if self._chunks is None:
            self._open()
        assert self._chunks is not None  # _open() sets it
        while True:
            if self._pending:
                chunk = self._pending.pop(0)
            else:
                if self.call.left() <= 0:  # the deadline covers the whole reply, not each chunk
                    self._done = True
                    raise error(self.call.model, f"the reply was not finished within {self.call.timeout:g}s",
                                "raise MOCKPANEL_TIMEOUT, or check that the model server is up", "timeout", self.call.attempts)
                try:
                    chunk = next(self._chunks)
                except StopIteration:
                    self._close()
                    raise
                except Exception as exc:
                    self._done = True
                    raise _give_up(self.call, classify(self.call, exc), exc) from exc
            delta = self._absorb(chunk)
            if delta:
                self._parts.append(delta)
                return delta

    def _absorb(self, chunk: Any) -> str:
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        choices = getattr(chunk, "choices", None) or []
        if not choices:
            return ""
        choice = choices[0]
        if getattr(choice, "finish_reason", None):
            self._finish = choice.finish_reason
        delta = getattr(choice, "delta", None)
        return (getattr(delta, "content", None) or "") if delta is not None else ""

    def _close(self) -> None:
        self._done = True
        text = "".join(self._parts)
        prompt, completion = _tokens(self.call, self._usage, text)
        cost = 0.0
        if not self.call.custom:
            try:
                cost = float(litellm_module().completion_cost(model=self.call.model, prompt="", completion="", prompt_tokens=prompt, completion_tokens=completion) or 0.0)
            except Exception:
                cost = _token_cost(self.call.model, prompt, completion)
        self.reply = Reply(text, self.call.model, prompt, completion, cost, time.perf_counter() - self._started, self._finish, self.call.attempts)
        _record(self.call, self.reply)
        _check(self.call, self.reply)


def _token_cost(model: str, prompt: int, completion: int) -> float:
    try:
        p, c = litellm_module().cost_per_token(model=model, prompt_tokens=prompt, completion_tokens=completion)
        return float(p + c)
    except Exception:
        return 0.0


def stream(messages: list[dict[str, Any]], *, purpose: str = "persona", model: str | None = None, ledger: Ledger | None = None, temperature: float | None = None, **kwargs: Any) -> Stream:
    """Text deltas as the model writes them; the ledger is updated when the stream ends."""
    return Stream(_prepare(messages, purpose, model, temperature, ledger, kwargs))


# --- structured output -----------------------------------------------------------------------

JSON_INSTRUCTION = (
    "Reply with one JSON object and nothing else: no prose, no code fences. "
    "It must validate against this JSON Schema:\n{schema}"
)
REPAIR = (
    "Your reply could not be used: {error}\n"
    "Reply again with only the corrected JSON object, valid against the schema."
)


class Invalid(ValueError):
    """A reply that is not the JSON object the schema asks for; the text says why, briefly."""


def parse_json(text: str, schema: type[T]) -> T:
    """Validate a model's reply: tolerant of code fences and chatter around one JSON object."""
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL)
    if fenced:
        body = fenced.group(1).strip()
    if not body.startswith("{"):
        start, end = body.find("{"), body.rfind("}")
        if start == -1 or end <= start:
            raise Invalid("it is not a JSON object")
        body = body[start : end + 1]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise Invalid(f"it is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    from pydantic import ValidationError

    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:6])
        raise Invalid(f"it does not match the schema ({problems})") from None


def supports_schema(model: str) -> bool:
    """Whether structured() sends this model the schema as response_format (json_schema mode)
    instead of as an instruction in the prompt; callers use it to estimate prompt size."""
    return format_mode(model) == "json_schema"


def _litellm_takes_schema(model: str) -> bool:
    """litellm's capability map: does the provider take a JSON-schema response_format?"""
    if model.partition("/")[0] in _routes:
        return False
    try:
        return bool(litellm_module().supports_response_schema(model=model))
    except Exception:
        return False


def format_mode(model: str) -> str:
    """json_schema, json_object or prompt: MOCKPANEL_RESPONSE_FORMAT, or litellm's capability map."""
    from simulator.core.settings import get_settings

    mode = get_settings().response_format
    if mode != "auto":
        return mode
    return "json_schema" if _litellm_takes_schema(model) else "prompt"


def with_json_instruction(messages: list[dict[str, Any]], schema: type[BaseModel]) -> list[dict[str, Any]]:
    """The schema instruction joins the first system prompt: stable text stays at the front."""
    instruction = JSON_INSTRUCTION.format(schema=json.dumps(schema.model_json_schema(), sort_keys=True))
    out = [dict(m) for m in messages]
    if out and out[0].get("role") == "system" and isinstance(out[0].get("content"), str):
        out[0]["content"] = f"{out[0]['content']}\n\n{instruction}"
    else:
        out.insert(0, {"role": "system", "content": instruction})
    return out


def _structured_setup(messages: list[dict[str, Any]], schema: type[BaseModel], purpose: str, model: str | None, kwargs: dict[str, Any]) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    from simulator.core.settings import get_settings

    name = model or get_settings().model_for(purpose)
    mode = format_mode(name)
    if mode == "json_schema":
        fmt = {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False}}
        return name, list(messages), {"response_format": fmt, **kwargs}
    if mode == "json_object":
        fmt = {"type": "json_object", "schema": schema.model_json_schema()}
        return name, with_json_instruction(messages, schema), {"response_format": fmt, **kwargs}
    return name, with_json_instruction(messages, schema), dict(kwargs)


def _repair_messages(messages: list[dict[str, Any]], reply: Reply, problem: Invalid) -> list[dict[str, Any]]:
    return [*messages, {"role": "assistant", "content": reply.text}, {"role": "user", "content": REPAIR.format(error=problem)}]


def _parse_repaired(reply: Reply, model: str, schema: type[T]) -> T:
    """The repair was the last chance: still invalid is a ModelError that says how to get structure."""
    try:
        return parse_json(reply.text, schema)
    except Invalid as problem:
        raise error(
            model,
            f"the reply is not a valid {schema.__name__} even after one repair: {problem}",
            "pick a model that supports structured output (MOCKPANEL_GRADER_MODEL), or set MOCKPANEL_RESPONSE_FORMAT=json_schema or json_object if your server takes one",
            "invalid_output",
        ) from None


def structured(messages: list[dict[str, Any]], schema: type[T], *, purpose: str = "grader", model: str | None = None, ledger: Ledger | None = None, **kwargs: Any) -> T:
    """A validated pydantic object; one repair re-ask on malformed or invalid JSON, then ModelError."""
    name, prompt, extra = _structured_setup(messages, schema, purpose, model, kwargs)
    reply = chat(prompt, purpose=purpose, model=name, ledger=ledger, **extra)
    try:
        return parse_json(reply.text, schema)
    except Invalid as problem:
        repaired = chat(_repair_messages(prompt, reply, problem), purpose=purpose, model=name, ledger=ledger, **extra)
        return _parse_repaired(repaired, name, schema)


async def astructured(messages: list[dict[str, Any]], schema: type[T], *, purpose: str = "grader", model: str | None = None, ledger: Ledger | None = None, **kwargs: Any) -> T:
    """structured() for the grader's concurrent indicator groups."""
    name, prompt, extra = _structured_setup(messages, schema, purpose, model, kwargs)
    reply = await achat(prompt, purpose=purpose, model=name, ledger=ledger, **extra)
    try:
        return parse_json(reply.text, schema)
    except Invalid as problem:
        repaired = await achat(_repair_messages(prompt, reply, problem), purpose=purpose, model=name, ledger=ledger, **extra)
        return _parse_repaired(repaired, name, schema)
