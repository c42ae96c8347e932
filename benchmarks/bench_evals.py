"""How fast the eval machinery is: the metrics with their bootstrap, the runner's own overhead, and
the semantic engine per transcript on the dev set (when it exists). Prints figures; asserts nothing.

    .venv/bin/python -m benchmarks.bench_evals
"""

from __future__ import annotations

import random
import time
from types import SimpleNamespace
from typing import Any


def _rows(n: int, seed: int = 0) -> list[Any]:
    from evals.runner import Row

    rng = random.Random(seed)
    ratings = ["below", "meets", "exceeds"]
    out = []
    for i in range(n):
        ind = {f"i{k}": rng.random() < 0.5 for k in range(5)}
        out.append(Row.model_validate({
            "id": f"r{i}", "family": rng.choice([None, "buzzword", "evasive"]), "level": "mid",
            "transcript": {"item": "bench", "turns": [{"speaker": "candidate", "text": f"answer number {i} " * 20}]},
            "gold": {"indicators": ind, "rating": rng.choice(ratings)},
        }))
    return out


def _item() -> Any:
    from simulator.content.rubric import Item

    return Item.model_validate({
        "id": "bench", "kind": "competency", "title": "Bench", "question": "What did you build?", "round": "r", "level": "mid",
        "personas": ["p"],
        "indicators": [{"id": f"i{k}", "text": f"indicator {k}", "polarity": "positive", "source": "authored"} for k in range(5)],
        "anchors": {r: {"text": f"{r} anchor", "source": "authored"} for r in ("exceeds", "meets", "below")},
    })


def bench_metrics() -> None:
    from evals import metrics as M

    rng = random.Random(1)
    labels = ["below", "meets", "exceeds"]
    gold = [rng.choice(labels) for _ in range(200)]
    pred = [g if rng.random() < 0.7 else rng.choice(labels) for g in gold]
    t = time.perf_counter()
    for _ in range(100):
        M.quadratic_kappa(gold, pred)
    per = (time.perf_counter() - t) / 100
    t = time.perf_counter()
    M.bootstrap_ci(M.quadratic_kappa, gold, pred, n=1000, seed=0)
    boot = time.perf_counter() - t
    print(f"metrics: QWK over 200 rows {per * 1e3:.2f} ms; 1000-sample bootstrap {boot:.2f} s")


def bench_runner() -> None:
    from evals.runner import run_grader

    rows = _rows(200)
    items = {"bench": _item()}

    def stub(transcript: Any, item: Any, ledger: Any) -> Any:
        h = hash(transcript.turns[0].text)
        inds = [SimpleNamespace(id=f"i{k}", present=bool((h >> k) & 1), evidence=[transcript.turns[0].text[:15]]) for k in range(5)]
        return SimpleNamespace(rating=["below", "meets", "exceeds"][h % 3], indicators=inds, flags=[])

    for conc in (1, 8):
        t = time.perf_counter()
        run_grader(rows, stub, items=items, concurrency=conc, bootstrap=1000)
        print(f"runner overhead: 200 rows, stub grader, concurrency {conc}: {time.perf_counter() - t:.2f} s (incl. 4 bootstraps)")


def bench_semantic() -> None:
    from evals.runner import DATA_DIR, default_grade_fn, load_rows, run_grader

    path = DATA_DIR / "dev.jsonl"
    if not path.exists():
        print("semantic engine: no evals/data/dev.jsonl yet; skipped")
        return
    rows = load_rows(path)
    t = time.perf_counter()
    res = run_grader(rows, default_grade_fn("semantic"), concurrency=4, bootstrap=200, dataset=str(path), engine="semantic")
    wall = time.perf_counter() - t
    lat = res["metrics"]["latency_s"]
    print(f"semantic engine on dev ({len(rows)} rows): wall {wall:.1f} s; per transcript mean {lat['mean'] * 1e3:.0f} ms, "
          f"p90 {lat['p90'] * 1e3:.0f} ms; macro-F1 {res['metrics']['indicators']['macro_f1']:.3f}, "
          f"QWK {res['metrics']['rating']['qwk']:.3f}")


def main() -> None:
    bench_metrics()
    bench_runner()
    bench_semantic()


if __name__ == "__main__":
    main()
