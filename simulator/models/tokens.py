"""Token counts and the context window, offline.

Encodings: tiktoken reads its BPE files from `TIKTOKEN_CACHE_DIR` before it would download them.
The pinned litellm wheel carries cl100k_base, o200k_base and p50k_base there
(`litellm/litellm_core_utils/tokenizers/`, each file named by the sha1 of its download URL), so we
point tiktoken at that directory and never reach the network. Any other encoding a model would
want (r50k/gpt2, o200k_harmony) is counted with cl100k_base: counts steer trimming, they are not
bills (the ledger takes the provider's own usage figures when it reports them).

Prompt layout (provider prompt caching): every prompt is built stable part first: the system
prompt (persona or rubric text, fixed for the whole session), then the transcript oldest to newest,
then the turn's volatile parts (the current item, the director's plan, retrieved snippets) last.
Providers cache the longest common prefix, so anything that changes per turn must not sit before
anything that does not. `fit()` keeps that true when it trims: it always drops from just after the
first system prompt, and it trims down to `TRIM_TARGET` of the budget rather than to the brim, so
the trimmed prefix stays the same for several turns instead of shifting every turn.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

SHIPPED = ("cl100k_base", "o200k_base", "p50k_base")
FALLBACK = "cl100k_base"
DEFAULT_WINDOW = 8192
TRIM_TARGET = 0.75
PER_MESSAGE = 3  # OpenAI's chat framing: <|start|>role ... <|end|>
PER_REPLY = 3  # the reply is primed with <|start|>assistant<|message|>
NOTE_PREFIX = "[Earlier in this conversation"


def cache_dir() -> Path:
    """litellm's bundled tiktoken files, found without importing litellm."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed; it carries the tiktoken encodings mockpanel counts with")
    return Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"


@cache
def encoding(name: str = FALLBACK) -> Any:
    """A tiktoken Encoding loaded from the bundled files; never downloads."""
    import tiktoken

    if name not in SHIPPED:
        name = FALLBACK
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir())
    return tiktoken.get_encoding(name)


@lru_cache(maxsize=256)
def encoding_name(model: str | None) -> str:
    """The encoding a model's tokenizer is closest to; unknown and local models get cl100k_base."""
    if not model:
        return FALLBACK
    import tiktoken

    name = model.rsplit("/", 1)[-1]
    try:
        enc = tiktoken.encoding_name_for_model(name)
    except KeyError:
        return FALLBACK
    return enc if enc in SHIPPED else FALLBACK


def count(text: str, model: str | None = None) -> int:
    if not text:
        return 0
    return len(encoding(encoding_name(model)).encode(text, disallowed_special=()))


def content_text(content: Any) -> str:
    """The text of a message's content, which is a string or a list of typed parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def count_message(message: dict[str, Any], model: str | None = None) -> int:
    n = PER_MESSAGE + count(str(message.get("role", "")), model) + count(content_text(message.get("content")), model)
    if message.get("name"):
        n += 1 + count(str(message["name"]), model)
    return n


def count_messages(messages: list[dict[str, Any]], model: str | None = None) -> int:
    if not messages:
        return 0
    return sum(count_message(m, model) for m in messages) + PER_REPLY


def context_window(model: str) -> int:
    """Input tokens the model takes: settings override, then litellm's model info, then a safe default."""
    from simulator.core.settings import get_settings, is_embedded

    override = get_settings().context_window
    if override:
        return override
    if is_embedded(model) or model.startswith("fake/"):
        return DEFAULT_WINDOW
    from simulator.models.runtime import litellm_module

    litellm = litellm_module()
    try:
        info = litellm.get_model_info(model)
    except Exception:  # unknown to litellm's map (local servers, new models): stay conservative
        return DEFAULT_WINDOW
    return int(info.get("max_input_tokens") or info.get("max_tokens") or DEFAULT_WINDOW)


def fit(messages: list[dict[str, Any]], model: str, reserve: int) -> list[dict[str, Any]]:
    """The transcript trimmed to fit `context_window(model) - reserve` tokens.

    Never dropped: the first system prompt, the last message (the current turn) and any system
    messages after the last conversational one (the turn's plan or current item). Dropped: the
    oldest turns in between, replaced by one short system note saying what was left out. Raises
    ModelError when the kept parts alone do not fit.
    """
    budget = context_window(model) - max(0, reserve)
    total = count_messages(messages, model)
    if total <= budget:
        return list(messages)

    keep_head = 1 if messages and messages[0].get("role") == "system" else 0
    tail_start = len(messages) - 1
    while tail_start - 1 >= keep_head and messages[tail_start - 1].get("role") == "system":
        tail_start -= 1
    head, middle, tail = messages[:keep_head], list(messages[keep_head:tail_start]), messages[tail_start:]

    fixed = count_messages(head + tail, model)
    if fixed > budget:
        from simulator.core.errors import ModelError

        raise ModelError(
            model,
            f"the system prompt and the current turn alone need {fixed} tokens, over the {budget} the context window leaves",
            "shorten the item or persona text, or use a model with a larger context window (MOCKPANEL_CONTEXT_WINDOW for local servers)",
        )

    target = max(fixed, int(budget * TRIM_TARGET))
    costs = [count_message(m, model) for m in middle]
    dropped: list[dict[str, Any]] = []
    kept_cost = sum(costs)
    while middle and fixed + kept_cost + _note_cost(dropped, model) > target:
        dropped.append(middle.pop(0))
        kept_cost -= costs.pop(0)
    note = _note(dropped, model, room=budget - fixed - kept_cost)
    return head + ([note] if note else []) + middle + tail


def _note(dropped: list[dict[str, Any]], model: str, room: int) -> dict[str, Any] | None:
    """One short system note in place of the dropped turns: how many, and their first words."""
    if not dropped:
        return None
    gist = "; ".join(f"{m.get('role', '?')}: {_first_words(content_text(m.get('content')))}" for m in dropped[-6:])
    note = {"role": "system", "content": f"{_short_note(len(dropped))[:-1]} Last of them: {gist}]"}
    if count_message(note, model) > room:
        note = {"role": "system", "content": _short_note(len(dropped))}
    if count_message(note, model) > room:
        return None
    return note


def _short_note(dropped: int) -> str:
    return f"{NOTE_PREFIX}, {dropped} turn(s) were left out to fit the context window.]"


def _note_cost(dropped: list[dict[str, Any]], model: str) -> int:
    """The short form of the note: what trimming must leave room for."""
    if not dropped:
        return 0
    return count_message({"role": "system", "content": _short_note(len(dropped))}, model)


def _first_words(text: str, n: int = 8) -> str:
    words = text.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")
