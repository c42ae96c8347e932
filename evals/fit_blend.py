"""Fit the blend engine's weights: `python -m evals.fit_blend [--data PATH ...] [--check]`.

Reads labelled transcripts (by default the tuning split `evals/data/tuning/` and the held-out set
`evals/data/heldout.jsonl`: voices unlike the rubric's cues, never the dev set the semantic
thresholds were tuned on, never the blind split; never an item in `heldout_items.txt`), computes the blend's features for every
applicable indicator (`simulator.grading.blend.analyse`), fits one L2-regularised logistic model
per polarity (Newton's method, standardised features, no other dependency than numpy) and writes
`simulator/data/judge/blend.json` with the data's sha256, the command and leave-one-item-out
figures. Deterministic: the same data gives the same file.

The decision thresholds (one per polarity) are chosen on the same leave-one-item-out predictions,
for the best macro-F1 + QWK. `--check` fits and prints the figures without writing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evals import metrics as M
from evals.devset import files_sha256, heldout_items
from evals.runner import load_rows
from simulator.content.library import load_library
from simulator.grading import blend
from simulator.grading.verdict import IndicatorVerdict, rate
from simulator.models import crossencoder

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_DATA = (DATA / "tuning", DATA / "heldout.jsonl")
L2 = 1.0
NEWTON_STEPS = 50
GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)  # P(shown) thresholds tried, per polarity


def files(paths: list[Path]) -> list[Path]:
    """The data files, less those the judge learned from (its card's `transcripts`): the blend
    weighs the judge by how it does on transcripts it never saw."""
    seen = judge_transcripts()
    out: list[Path] = []
    for p in paths:
        out += sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    return [p for p in out if p.resolve() not in seen]


def judge_transcripts() -> set[Path]:
    """The labelled transcripts the shipped judge was trained on (paths from its card)."""
    root = Path(__file__).resolve().parent.parent
    card = crossencoder.card()
    return {(root / f).resolve() for f in card.get("transcripts", [])}


def digest(paths: list[Path]) -> str:
    """The sha256 of the data files (by name and content, in order)."""
    return files_sha256(files(paths))


def analyse(paths: list[Path]) -> tuple[list[dict[str, Any]], str]:
    """One record per labelled transcript: its item, gold, polarities and feature matrix; and the
    data's sha256."""
    lib = load_library()
    held = heldout_items()
    recs: list[dict[str, Any]] = []
    for path in files(paths):
        for row in load_rows(path):
            t = row.transcript
            if t.item in held:
                continue
            a = blend.analyse(t, lib.items[t.item])
            recs.append({"item": t.item, "gold": dict(row.gold.indicators), "rating": row.gold.rating,
                         "indicators": [(i.id, i.polarity) for i in a.indicators], "x": a.features})
    return recs, digest(paths)


def fit(x: Any, y: Any, l2: float = L2) -> blend.PolarityModel:
    import numpy as np

    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = np.c_[(x - mean) / scale, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    reg = l2 * np.diag(np.r_[np.ones(len(w) - 1), 0.0])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) + reg @ w
        hess = (z * (p * (1 - p))[:, None]).T @ z + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return blend.PolarityModel(mean=[round(float(v), 8) for v in mean], scale=[round(float(v), 8) for v in scale],
                               weights=[round(float(v), 8) for v in w[:-1]], bias=round(float(w[-1]), 8))


def fit_model(recs: list[dict[str, Any]], fitted: dict[str, Any] | None = None) -> blend.BlendModel:
    import numpy as np

    parts: dict[bool, tuple[list[Any], list[float]]] = {True: ([], []), False: ([], [])}
    for r in recs:
        for k, (iid, pol) in enumerate(r["indicators"]):
            xs, ys = parts[pol == "positive"]
            xs.append(r["x"][k])
            ys.append(1.0 if r["gold"][iid] else 0.0)
    models = {pol: fit(np.array(xs), np.array(ys)) for pol, (xs, ys) in parts.items()}
    return blend.BlendModel(features=list(blend.FEATURES), positive=models[True], negative=models[False],
                            judge_model=crossencoder.model_id(), judge_top_k=blend.JUDGE_TOP_K, fitted=fitted or {})


def figures(recs: list[dict[str, Any]], decisions: list[list[bool]]) -> dict[str, float]:
    pairs, gold_r, pred_r = [], [], []
    for r, dec in zip(recs, decisions):
        vs = []
        for (iid, pol), d in zip(r["indicators"], dec):
            pairs.append((f"{r['item']}/{iid}", bool(r["gold"][iid]), d))
            vs.append(IndicatorVerdict(id=iid, text=iid, polarity=pol, present=d))
        gold_r.append(r["rating"])
        pred_r.append(rate(vs)[0])
    return {"macro_f1": round(M.macro_f1(M.per_key_prf(pairs)), 4),
            "rating_exact": round(M.exact_agreement(gold_r, pred_r), 4),
            "rating_qwk": round(M.quadratic_kappa(gold_r, pred_r), 4),
            "exceeds_below": round(M.extreme_error_rate(gold_r, pred_r), 4)}


def out_of_fold(recs: list[dict[str, Any]]) -> list[Any]:
    """Leave one item out: each transcript's P(shown) per indicator from weights fitted without its item."""
    import numpy as np

    probs: dict[int, Any] = {}
    for item in sorted({r["item"] for r in recs}):
        model = fit_model([r for r in recs if r["item"] != item])
        for n, r in enumerate(recs):
            if r["item"] == item:
                pos = np.array([pol == "positive" for _, pol in r["indicators"]])
                probs[n] = blend.probabilities(r["x"], pos, model)
    return [probs[n] for n in range(len(recs))]


def decisions(recs: list[dict[str, Any]], probs: list[Any], positive: float, negative: float) -> list[list[bool]]:
    return [[bool(p[k] >= (positive if pol == "positive" else negative)) for k, (_, pol) in enumerate(r["indicators"])]
            for r, p in zip(recs, probs)]


def choose_thresholds(recs: list[dict[str, Any]], probs: list[Any]) -> tuple[float, float, dict[str, float]]:
    """The (positive, negative) thresholds with the best out-of-fold macro-F1 + QWK (ties: nearer 0.5)."""
    best: tuple[float, float, float, dict[str, float]] | None = None
    for pos in GRID:
        for neg in GRID:
            fig = figures(recs, decisions(recs, probs, pos, neg))
            key = fig["macro_f1"] + fig["rating_qwk"] - 1e-3 * (abs(pos - 0.5) + abs(neg - 0.5))
            if best is None or key > best[0] + 1e-12:
                best = (key, pos, neg, fig)
    assert best is not None
    return best[1], best[2], best[3]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.fit_blend", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, nargs="*", default=list(DEFAULT_DATA), help="labelled JSONL files or folders")
    ap.add_argument("--check", action="store_true", help="fit and print the figures; write nothing")
    args = ap.parse_args(argv)
    recs, sha = analyse(args.data)
    semantic_only = figures(recs, [[f[2] == 1.0 for f in r["x"]] for r in recs])
    probs = out_of_fold(recs)
    at_half = figures(recs, decisions(recs, probs, 0.5, 0.5))
    positive, negative, cv = choose_thresholds(recs, probs)
    root = Path(__file__).resolve().parent.parent
    fitted = {"data": [str(p.resolve().relative_to(root)) if p.resolve().is_relative_to(root) else str(p) for p in files(args.data)],
              "data_sha256": sha, "transcripts": len(recs), "items": len({r["item"] for r in recs}),
              "command": "python -m evals.fit_blend" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])),
              "l2": L2, "thresholds": {"positive": positive, "negative": negative,
                                       "chosen_by": "leave-one-item-out macro-F1 + QWK over " + ", ".join(map(str, GRID))},
              "leave_one_item_out": cv, "leave_one_item_out_at_0.5": at_half, "semantic_on_the_same": semantic_only}
    model = fit_model(recs, fitted)
    model.positive.threshold, model.negative.threshold = positive, negative
    print(f"{len(recs)} transcripts over {fitted['items']} items; thresholds {positive} / {negative}; "
          f"leave-one-item-out {cv} (at 0.5: {at_half}); semantic on the same {semantic_only}")
    if not args.check:
        blend.MODEL_PATH.write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote {blend.MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
