"""The embedded voice: `local/scripted`, a litellm custom provider that speaks a director's plan.

It does not chat. The dialogue director decides what each turn says (which persona line, which
fact, which follow-up) and puts that plan into the messages as the last system message,
`<plan>{json}</plan>` (see `plan_message`). This provider finds the plan, hands it to the renderer
registered for `plan["kind"]` and returns the text, so offline and online runs go through the
same seam (simulator.models.seam) and the same ledger. Renderers live with the content logic
(simulator.dialogue.voice registers persona, interviewer, candidate, assistant); this module holds none.

Importing this module is cheap: the litellm class is built on first use (`provider()`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

from simulator.core.errors import ModelError

MODEL = "local/scripted"
NO_PLAN = "local/scripted speaks only a director's plan; set MOCKPANEL_MODEL for free chat"
PLAN_RE = re.compile(r"<plan>(.*?)</plan>", re.DOTALL)

Renderer = Callable[[dict[str, Any]], str]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that turns a plan of this kind into the turn's text."""

    def register(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        return fn

    return register


def render(plan: dict[str, Any]) -> str:
    """The text a registered renderer makes of a plan; a malformed plan is a ModelError, not a crash."""
    if not isinstance(plan, dict) or not isinstance(plan.get("kind"), str):
        raise ModelError(MODEL, "the plan has no 'kind'", "the director must send {'kind': ..., ...} in <plan>")
    kind = plan["kind"]
    fn = RENDERERS.get(kind)
    if fn is None:
        known = ", ".join(sorted(RENDERERS)) or "none"
        raise ModelError(MODEL, f"no renderer for plan kind {kind!r} (known: {known})", "register one with @simulator.models.scripted.renderer(kind)")
    text = fn(plan)
    if not isinstance(text, str):
        raise ModelError(MODEL, f"renderer for {kind!r} returned {type(text).__name__}, not text")
    return text


def plan_message(plan: dict[str, Any]) -> dict[str, str]:
    """The system message that carries a turn's plan; put it last, after the transcript."""
    return {"role": "system", "content": f"<plan>{json.dumps(plan, ensure_ascii=False, sort_keys=True)}</plan>"}


def extract_plan(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The plan in the last system message that holds one, or None."""
    for message in reversed(messages):
        if message.get("role") != "system":
            continue
        content = message.get("content")
        if not isinstance(content, str):
            continue
        found = PLAN_RE.search(content)
        if found is None:
            continue
        try:
            plan = json.loads(found.group(1))
        except json.JSONDecodeError as exc:
            raise ModelError(MODEL, f"the plan is not valid JSON ({exc.msg} at column {exc.colno})", "build it with simulator.models.scripted.plan_message") from None
        if not isinstance(plan, dict):
            raise ModelError(MODEL, "the plan must be a JSON object")
        return plan
    return None


class UsageCounts(TypedDict):
    """Token figures as litellm's Usage takes them (and a stream's last chunk carries them)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


def usage(messages: list[dict[str, Any]], text: str, prompt: int | None = None, completion: int | None = None) -> UsageCounts:
    """Usage figures for an in-process provider: counted with the fallback encoding unless given."""
    from simulator.models import tokens

    p = tokens.count_messages(messages) if prompt is None else prompt
    c = tokens.count(text) if completion is None else completion
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def stream_chunks(text: str, finish_reason: str, usage: UsageCounts) -> Iterator[dict[str, Any]]:
    """litellm's GenericStreamingChunk dicts for a custom provider: word deltas, usage on the last."""
    pieces = list(chunks(text)) or [""]
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        yield {
            "text": piece,
            "is_finished": last,
            "finish_reason": finish_reason if last else None,
            "usage": usage if last else None,
            "index": 0,
            "tool_use": None,
        }


def reply_text(messages: list[dict[str, Any]]) -> str:
    plan = extract_plan(messages)
    if plan is None:
        raise ModelError(MODEL, NO_PLAN, "the embedded default needs the dialogue director; pick a real model for free chat")
    return render(plan)


def chunks(text: str) -> Iterator[str]:
    """Word-sized deltas, so the UI streams the scripted voice like a real one."""
    yield from re.findall(r"\S+\s*|\s+", text)


_provider: Any = None


def provider() -> Any:
    """The litellm CustomLLM instance (built once; litellm imported here, not at module import)."""
    global _provider
    if _provider is None:
        _provider = _build()
    return _provider


def _build() -> Any:
    from litellm.llms.custom_llm import CustomLLM
    from litellm.types.utils import Usage

    class ScriptedLLM(CustomLLM):
        def completion(self, model: str, messages: list[dict[str, Any]], api_base: str, custom_prompt_dict: dict[str, Any], model_response: Any, print_verbose: Any, encoding: Any, api_key: Any, logging_obj: Any, optional_params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            text = reply_text(messages)
            model_response.choices[0].message.content = text
            model_response.choices[0].finish_reason = "stop"
            model_response.model = MODEL
            model_response.created = int(time.time())
            model_response.usage = Usage(**usage(messages, text))
            return model_response

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return self.completion(*args, **kwargs)

        # litellm types the chunks as GenericStreamingChunk (finish_reason: str); ours carry None
        # until the last chunk, so they are plain dicts here.
        def streaming(self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:  # type: ignore[override]
            text = reply_text(messages)
            yield from stream_chunks(text, "stop", usage(messages, text))

        async def astreaming(self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
            for chunk in self.streaming(model, messages, *args, **kwargs):
                yield chunk

    return ScriptedLLM()
