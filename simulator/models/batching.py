"""Run an ONNX model over many inputs: each distinct input once, in batches sorted by length (so a
batch's padding, and its cost, stays small), with an LRU cache of results across calls. The
sentence encoder and the trained judge share it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


def cached_run(keys: Sequence[K], out: Any, cache: OrderedDict[K, Any], run: Callable[[list[K]], Any],
               *, batch: int, size: Callable[[K], int], limit: int) -> Any:
    """Fills `out[n]` with the result for `keys[n]`: cached ones from `cache`, the rest computed by
    `run` on batches of at most `batch` distinct keys, shortest first; `cache` keeps `limit` entries."""
    todo: dict[K, list[int]] = {}
    for n, key in enumerate(keys):
        hit = cache.get(key)
        if hit is None:
            todo.setdefault(key, []).append(n)
        else:
            cache.move_to_end(key)
            out[n] = hit
    pending = sorted(todo, key=size)
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        for key, row in zip(chunk, run(chunk)):
            for n in todo[key]:
                out[n] = row
            cache[key] = row
    while len(cache) > limit:
        cache.popitem(last=False)
    return out
