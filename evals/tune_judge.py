"""Tune the trained engine's two decision thresholds on the dev set: `python -m evals.tune_judge`.

Reads `evals/data/dev.jsonl` only (never the held-out set, never the blind split), scores every
row once, then searches the P(shows) a positive needs and the P(shows) a negative needs to fire
for the best indicator macro-F1 plus rating QWK. Writes `simulator/data/judge/thresholds.json`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from evals import devset
from evals import metrics as M
from simulator.content.library import load_library
from simulator.grading import trained
from simulator.grading.verdict import IndicatorVerdict, rate

GRID = [round(0.3 + 0.05 * k, 2) for k in range(14)]  # 0.30 .. 0.95


def score_rows(rows: list[Any], lib: Any) -> list[tuple[Any, list[IndicatorVerdict]]]:
    out = []
    for row in rows:
        item = lib.items[row.transcript.item]
        verdicts, _flags = trained.judge(row.transcript, item)
        out.append((row, verdicts))
    return out


def evaluate(scored: list[tuple[Any, list[IndicatorVerdict]]], pos: float, neg: float) -> dict[str, float]:
    pairs = []
    gold_r, pred_r = [], []
    for row, verdicts in scored:
        decided = []
        for v in verdicts:
            present = (v.confidence or 0.0) >= (pos if v.polarity == "positive" else neg)
            decided.append(v.model_copy(update={"present": present}))
            if v.id in row.gold.indicators:
                pairs.append((f"{row.transcript.item}/{v.id}", row.gold.indicators[v.id], present))
        gold_r.append(row.gold.rating)
        pred_r.append(rate(decided)[0])
    f1 = M.macro_f1(M.per_key_prf(pairs))
    qwk = M.quadratic_kappa(gold_r, pred_r)
    return {"macro_f1": f1, "qwk": qwk, "objective": f1 + qwk}


def main() -> int:
    lib = load_library()
    dev, _held = devset.load_all(lib)
    scored = score_rows(dev, lib)
    best: tuple[float, float, dict[str, float]] | None = None
    for pos in GRID:
        for neg in GRID:
            fig = evaluate(scored, pos, neg)
            if best is None or fig["objective"] > best[2]["objective"] + 1e-9:
                best = (pos, neg, fig)
    assert best is not None
    pos, neg, fig = best
    data = {**trained.DEFAULTS, "positive": pos, "negative": neg,
            "_tuned_on": "evals/data/dev.jsonl", "_dev_macro_f1": round(fig["macro_f1"], 4), "_dev_qwk": round(fig["qwk"], 4)}
    trained.THRESHOLDS_PATH.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"positive {pos} negative {neg}: dev macro-F1 {fig['macro_f1']:.3f} QWK {fig['qwk']:.3f} -> {trained.THRESHOLDS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
