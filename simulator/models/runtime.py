"""litellm, loaded once and quietened, with the custom providers (`local/scripted`, test fakes)
registered in its provider map. The one module that imports litellm; everything else asks here.

Importing litellm takes seconds, so nothing here runs until the first call that needs it.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from simulator.core.errors import ModelError

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# vcrpy records and replays httpx, not aiohttp: keep litellm on httpx for sync and async calls.
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")


def error(model: str, message: str, hint: str, kind: str, attempts: int = 1, cls: type[ModelError] = ModelError) -> ModelError:
    """A ModelError that also says what kind of failure it was, for callers that branch on it
    (the UI's advice): auth, missing_key, not_found, unknown_model, bad_request, context,
    rate_limit, timeout, unreachable, server, truncated, empty, invalid_output, embedded."""
    err = cls(model, message, hint)
    err.kind = kind  # type: ignore[attr-defined]
    err.attempts = attempts  # type: ignore[attr-defined]
    return err


# --- litellm, loaded once --------------------------------------------------------------------

_lock = threading.RLock()
_litellm: Any = None
# provider -> model name -> handler (a litellm CustomLLM) or "module:function" returning one
_routes: dict[str, dict[str, Any]] = {"local": {"scripted": "simulator.models.scripted:provider"}}
_routers: dict[str, Any] = {}


def litellm_module() -> Any:
    """litellm, imported and quietened on first use; custom providers registered."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            import litellm

            litellm.suppress_debug_info = True
            litellm.disable_aiohttp_transport = True
            litellm.drop_params = True  # a provider that rejects e.g. temperature still answers
            litellm.turn_off_message_logging = True
            if hasattr(litellm, "telemetry"):
                litellm.telemetry = False
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx"):
                logging.getLogger(name).setLevel(logging.WARNING)
            _litellm = litellm
            _sync_provider_map()
    return _litellm


def register(model: str, handler: Any) -> None:
    """Serve `provider/name` with a litellm CustomLLM (or "module:function" that returns one)."""
    provider, _, name = model.partition("/")
    if not provider or not name:
        raise ValueError(f"custom model names look like provider/name, not {model!r}")
    with _lock:
        _routes.setdefault(provider, {})[name] = handler
        if _litellm is not None:
            _sync_provider_map()


def unregister(model: str) -> None:
    """Tests make fakes per test; a stale one must not answer the next test's calls."""
    provider, _, name = model.partition("/")
    with _lock:
        _routes.get(provider, {}).pop(name, None)


def _sync_provider_map() -> None:
    """One router per custom provider in litellm.custom_provider_map; routers pick by model name."""
    litellm = _litellm
    for provider in _routes:
        if provider not in _routers:
            _routers[provider] = _make_router(provider)
    ours = {item["provider"] for item in litellm.custom_provider_map} & set(_routers)
    for provider, router in _routers.items():
        if provider not in ours:
            litellm.custom_provider_map.append({"provider": provider, "custom_handler": router})


def _handler(provider: str, name: str) -> Any:
    with _lock:
        target = _routes.get(provider, {}).get(name)
        if isinstance(target, str):
            import importlib

            module, _, func = target.partition(":")
            target = getattr(importlib.import_module(module), func)()
            _routes[provider][name] = target
    if target is None:
        known = ", ".join(f"{provider}/{n}" for n in sorted(_routes.get(provider, {}))) or "none"
        raise error(f"{provider}/{name}", "no such embedded model", f"known here: {known}; or set MOCKPANEL_MODEL to a litellm model", "not_found")
    return target


def _make_router(provider: str) -> Any:
    from litellm.llms.custom_llm import CustomLLM

    def pick(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = kwargs.get("model", args[0] if args else "")
        return _handler(provider, str(name))

    class Router(CustomLLM):
        def completion(self, *args: Any, **kwargs: Any) -> Any:
            return pick(args, kwargs).completion(*args, **kwargs)

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return await pick(args, kwargs).acompletion(*args, **kwargs)

        def streaming(self, *args: Any, **kwargs: Any) -> Any:
            return pick(args, kwargs).streaming(*args, **kwargs)

        def astreaming(self, *args: Any, **kwargs: Any) -> Any:
            return pick(args, kwargs).astreaming(*args, **kwargs)

        def embedding(self, *args: Any, **kwargs: Any) -> Any:
            return pick(args, kwargs).embedding(*args, **kwargs)

        async def aembedding(self, *args: Any, **kwargs: Any) -> Any:
            return await pick(args, kwargs).aembedding(*args, **kwargs)

    return Router()
