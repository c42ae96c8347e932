"""mockpanel's public API: a small facade over the layers below it, imported lazily so that
`import simulator` costs nothing (no litellm, onnxruntime, numpy or streamlit).

    import simulator
    lib = simulator.load_library()
    s = simulator.Session.start("ds2-work-sim-ab-test-ai-recs", store=simulator.open_store(":memory:"))
    s.opening(); s.respond("What does productivity mean to you?")
    for part, grade in simulator.grade_session(s.transcript(), lib):
        print(grade.rating)

Layers, lowest first (a module imports only its own layer's package and the ones below):
core -> content -> models -> testing -> dialogue | grading -> storage -> calibration | practice
-> evals (top-level package) -> cli | app.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_library": "simulator.content.library",
    "Library": "simulator.content.library",
    "Item": "simulator.content.rubric",
    "Persona": "simulator.content.persona",
    "Transcript": "simulator.core.transcript",
    "Turn": "simulator.core.transcript",
    "InputError": "simulator.core.errors",
    "UserError": "simulator.core.errors",
    "ModelError": "simulator.core.errors",
    "get_settings": "simulator.core.settings",
    "chat": "simulator.models.seam",
    "Plan": "simulator.dialogue.plan",
    "grade": "simulator.grading.grader",
    "grade_session": "simulator.grading.grader",
    "Grade": "simulator.grading.verdict",
    "engine": "simulator.grading.engine",
    "open_store": "simulator.storage",
    "Session": "simulator.practice.session",
    "assess": "simulator.practice.assessment",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
