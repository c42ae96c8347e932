"""The registry of grading engines (like inspect_ai's scorers): `@engine("name")` registers one.

The shipped engines are imported on first use by name; any installed package can add its own
through the `mockpanel.engines` entry-point group (`name = "package.module"`, the module
registers itself with `@engine`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from simulator.core.errors import InputError
from simulator.grading.verdict import EngineFn

ENGINES: dict[str, EngineFn] = {}
FINGERPRINTS: dict[str, Callable[[], str]] = {}
_ENGINE_MODULES = {
    "semantic": "simulator.grading.semantic",
    "llm": "simulator.grading.llm",
    "trained": "simulator.grading.trained",
    "blend": "simulator.grading.blend",
}
ENTRY_POINT_GROUP = "mockpanel.engines"


def _plugins() -> dict[str, str]:
    """name -> module of engines other packages declare under the entry-point group."""
    from importlib.metadata import entry_points

    try:
        return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    except Exception:  # a broken third-party distribution must not stop grading
        return {}


def known_engines() -> list[str]:
    return sorted(set(ENGINES) | set(_ENGINE_MODULES) | set(_plugins()))


def engine(name: str, fingerprint: Callable[[], str] | None = None) -> Callable[[EngineFn], EngineFn]:
    """Registers a grading engine under `name` (like an inspect_ai scorer). `fingerprint`, cheap
    and without loading a model, says which version of the engine would grade now (its code,
    thresholds, prompt and model): a stored grade with another fingerprint is graded again."""

    def register(fn: EngineFn) -> EngineFn:
        ENGINES[name] = fn
        if fingerprint is not None:
            FINGERPRINTS[name] = fingerprint
        return fn

    return register


def fingerprint(name: str) -> str:
    """The engine's current fingerprint (its name alone for an engine that declares none)."""
    get_engine(name)
    fn = FINGERPRINTS.get(name)
    return f"{name}:{fn()}" if fn else name


def get_engine(name: str) -> EngineFn:
    if name not in ENGINES:
        module = _ENGINE_MODULES.get(name) or _plugins().get(name)
        if module:
            importlib.import_module(module.split(":")[0])
    try:
        return ENGINES[name]
    except KeyError:
        known = known_engines()
        raise InputError("<grader>", None, "engine", f"no grading engine {name!r}; known: {', '.join(known)}") from None


#: The engines that grade offline, on models that ship with the product.
OFFLINE_ENGINES = ("semantic", "trained", "blend")
#: The offline default: whichever wins on the blind split (`mockpanel eval run blind --engine NAME`;
#: README, "How good is the grade").
OFFLINE_DEFAULT = "blend"


def default_engine() -> str:
    """The offline default unless the settings name a real (not embedded) grader model."""
    try:
        from simulator.core.settings import get_settings
    except ImportError:
        return OFFLINE_DEFAULT
    try:
        return OFFLINE_DEFAULT if get_settings().is_embedded("grader") else "llm"
    except Exception:  # settings that cannot be read must not stop an offline grade
        return OFFLINE_DEFAULT
