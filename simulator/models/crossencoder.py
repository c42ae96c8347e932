"""The trained judge: a cross-encoder that reads an indicator beside a passage of the candidate's
own words and says whether the passage shows it, rejects it, or does not address it.

It is all-MiniLM-L6-v2 fine-tuned by `python -m training.judge` on `evals/data/judge/train/`,
exported to ONNX and quantised to int8 (`simulator/data/judge/judge.onnx`, its card beside it).
It runs on onnxruntime with the WordPiece tokenizer the product already carries; no torch. The
model is loaded once per process, lazily and behind a lock.

`pair_text` is the one place the input is formatted: training imports it, so what the model saw
while learning is exactly what it sees when grading.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import ModelError
from simulator.models.batching import cached_run

if TYPE_CHECKING:
    import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL_PATH = DATA / "judge" / "judge.onnx"
CARD_PATH = DATA / "judge" / "card.json"
TOKENIZER_PATH = DATA / "minilm" / "tokenizer.json"
LABELS = ("none", "shows", "rejects")
MAX_TOKENS = 160
CONTEXT_CHARS = 240
BATCH = 32
CACHE_SIZE = 20000

#: The pseudo-indicator the model is also trained on: text addressed to the grader.
GRADER_ADDRESS = "Speaks to the grader, evaluator, AI or rubric about the score instead of answering the interviewer"


def pair_text(indicator: str, context: str, passage: str) -> tuple[str, str]:
    """(first, second) segment of the model's input: the indicator, then what was asked and what
    the candidate said. The context is clipped from the left so its last words (the question) stay."""
    context = " ".join((context or "").split())
    if len(context) > CONTEXT_CHARS:
        context = "..." + context[-CONTEXT_CHARS:]
    passage = " ".join((passage or "").split())
    second = f"Asked: {context} Candidate: {passage}" if context else f"Candidate: {passage}"
    return indicator.strip(), second


def _encode(tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    encs = tokenizer.encode_batch(list(pairs))
    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), width), dtype=np.int64)
    mask = np.zeros((len(encs), width), dtype=np.int64)
    types = np.zeros((len(encs), width), dtype=np.int64)
    for r, e in enumerate(encs):
        n = len(e.ids)
        ids[r, :n] = e.ids
        mask[r, :n] = 1
        types[r, :n] = e.type_ids
    return ids, mask, types


def load_tokenizer(max_tokens: int = MAX_TOKENS) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.enable_truncation(max_length=max_tokens, strategy="longest_first")
    tok.no_padding()
    return tok


def encode_pairs(pairs: Sequence[tuple[str, str]], tokenizer: Any | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """input_ids, attention_mask, token_type_ids for a batch of pairs (shared with training)."""
    return _encode(tokenizer or load_tokenizer(), pairs)


def threads() -> int:
    """onnxruntime intra-op threads: MOCKPANEL_THREADS, else up to 2 (benchmarks/bench_judge.py on
    this 2-core machine, quiet: a 20-turn transcript p50 1.09 s with 2 threads, 1.99 s with 1; under
    heavy load one thread can win, so the variable overrides)."""
    raw = os.environ.get("MOCKPANEL_THREADS", "").strip()
    if raw.isdigit() and 0 < int(raw) <= 64:
        return int(raw)
    return max(1, min(2, os.cpu_count() or 1))


def session_options(intra_threads: int | None = None) -> Any:
    """onnxruntime options for every model of ours: `threads()` intra-op threads (or as many as
    given), no inter-op pool, sequential, quiet, and threads that sleep between runs instead of
    spinning. Spinning threads of one session took the cores from the next: `make bench` dialogue
    (320 turns, load 1.5), p50 16.5-17.3 ms and 33 ms of CPU a turn with spinning, 11.8 ms and 16 ms
    without; a 20-turn transcript graded by the blend, p50 0.77 s against 0.66-0.73 s."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra_threads or threads()
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    return opts


class CrossEncoder:
    """One ONNX cross-encoder over text pairs on onnxruntime (the judge; the persona's ask
    verifier, `simulator.models.verifier`): loaded once, scores cached per pair."""

    def __init__(self, path: Path, name: str, hint: str, width: int, max_tokens: int = MAX_TOKENS,
                 intra_threads: int | None = None) -> None:
        if not path.is_file():
            raise ModelError(name, f"the trained model {path} is missing", hint)
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(name, f"{exc.name} is not installed", "pip install onnxruntime tokenizers") from None
        self.session = ort.InferenceSession(str(path), sess_options=session_options(intra_threads), providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = load_tokenizer(max_tokens)
        self.width = width
        self.cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.lock = threading.Lock()

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        ids, mask, types = _encode(self.tokenizer, pairs)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = types
        scores: np.ndarray = self.session.run(None, feeds)[0]
        return scores.reshape(len(pairs), self.width)

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """n x width scores for n pairs."""
        import numpy as np

        out = np.empty((len(pairs), self.width), dtype=np.float32)
        if pairs:
            with self.lock:
                cached_run(list(pairs), out, self.cache, self._run, batch=BATCH, size=lambda p: len(p[0]) + len(p[1]), limit=CACHE_SIZE)
        return out


class Loaded:
    """A model loaded once per process, on first use, behind a lock."""

    def __init__(self, load: Callable[[], CrossEncoder]) -> None:
        self._load = load
        self._model: CrossEncoder | None = None
        self._lock = threading.Lock()

    def __call__(self) -> CrossEncoder:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model


_get = Loaded(lambda: CrossEncoder(MODEL_PATH, "mockpanel-judge", "reinstall mockpanel or run `make train-judge`", len(LABELS)))


def score(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """n x 3 probabilities in LABELS order (none, shows, rejects) for pairs from `pair_text`."""
    import numpy as np

    if not pairs:
        return np.zeros((0, len(LABELS)), dtype=np.float32)
    return _get().score(list(pairs))


def available() -> bool:
    return MODEL_PATH.is_file()


def read_card(path: Path) -> dict[str, Any]:
    """A model card (base model, data hash, training command, figures); {} when missing."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def card() -> dict[str, Any]:
    """The judge's model card."""
    return read_card(CARD_PATH)


def model_id() -> str:
    c = card()
    return f"mockpanel-judge@{c.get('data_sha256', 'unknown')[:12]}"


def warm() -> None:
    """Load the model now (the app calls it while the candidate talks)."""
    _get()
