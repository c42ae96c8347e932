"""The ask verifier: a cross-encoder that reads a candidate's question beside one piece of a
persona's knowledge (what the persona would say) and gives the probability that the question asks
for it.

The intent encoder places a question among the asks it was trained on; the verifier reads the
question and the fact together, so it can tell "what's the p95 of the login service?" (close to
engineering's latency worry in words, asking something else) from "will the model calls slow the
API down?". The comprehension uses it to decide whether a question asks for a hidden constraint.

all-MiniLM-L6-v2 fine-tuned by `python -m training.asks` (`make train-asks`) on the personas' own
`ask_cues` and near misses, int8 ONNX (`simulator/data/asks/asks.onnx`, card beside it), run on
onnxruntime like the judge; no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.models.crossencoder import CrossEncoder, Loaded, read_card

if TYPE_CHECKING:
    import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data" / "asks"
MODEL_PATH = DATA / "asks.onnx"
CARD_PATH = DATA / "card.json"
MAX_TOKENS = 96

# one thread: it reads a question or two at a time (`make bench` dialogue, 320 turns, load 2, before
# the models' threads stopped spinning: p50 23.5-24.8 ms with 2 threads, 19.7-20.6 with 1, 17.6-20.3
# without the verifier)
_get = Loaded(lambda: CrossEncoder(MODEL_PATH, "mockpanel-asks", "reinstall mockpanel or run `make train-asks`", 1, MAX_TOKENS,
                                   intra_threads=1))


def score(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """P(the question asks for the fact) for (question, fact text) pairs."""
    return _get().score(list(pairs))[:, 0]


def available() -> bool:
    return MODEL_PATH.is_file()


def card() -> dict[str, Any]:
    return read_card(CARD_PATH)


def model_id() -> str:
    return f"mockpanel-asks@{card().get('data_sha256', 'unknown')[:12]}"
