"""Fit the blend engine's weights: `python -m evals.fit_blend [--data PATH ...] [--check]`.

Reads labelled transcripts (by default the tuning split `evals/data/tuning/` and the held-out set
`evals/data/heldout.jsonl`: voices unlike the rubric's cues, never the dev set the semantic
thresholds were tuned on, never the blind split; never an item in `heldout_items.txt`), computes the blend's features for every
applicable indicator (`simulator.grading.blend.analyse`), fits boosted trees per polarity (depth 2,
on the log-loss, no other dependency than numpy) and writes
`simulator/data/judge/blend.json` with the data's sha256, the command and leave-one-item-out
figures. Deterministic: the same data gives the same file.

The decision thresholds (one per polarity) are chosen on the same leave-one-item-out predictions,
for the best macro-F1 + QWK. `--check` fits and prints the figures without writing.
"""

from __future__ import annotations

import argparse
import re
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
TREES, DEPTH, RATE, MIN_LEAF, L2, BINS = 200, 2, 0.05, 60, 1.0, 32  # leave-one-item-out: depth 3 (300 trees, rate 0.03, leaves of 40) no better
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


def fit(x: Any, y: Any) -> blend.PolarityModel:
    """Gradient-boosted regression trees on the log-loss (Newton leaves, L2 on the leaf values),
    split points among each feature's quantiles; numpy only and deterministic."""
    import numpy as np

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    edges = [np.unique(np.quantile(col, np.linspace(0, 1, BINS + 1)[1:-1])) for col in x.T]
    bins = np.stack([np.searchsorted(e, col, side="left") for e, col in zip(edges, x.T)], axis=1)  # x <= edges[b]
    prior = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
    bias = float(np.log(prior / (1 - prior)))
    score = np.full(len(y), bias)
    trees: list[blend.Tree] = []
    for _ in range(TREES):
        p = 1.0 / (1.0 + np.exp(-score))
        nodes: list[list[float]] = []  # feature, threshold, left, right, value
        _grow(nodes, np.arange(len(y)), 0, x, bins, edges, p - y, p * (1 - p))
        tree = blend.Tree(feature=[int(n[0]) for n in nodes], threshold=[round(n[1], 8) for n in nodes],
                          left=[int(n[2]) for n in nodes], right=[int(n[3]) for n in nodes],
                          value=[round(n[4], 8) for n in nodes])
        trees.append(tree)
        score += blend.PolarityModel(bias=0.0, trees=[tree]).log_odds(x)
    return blend.PolarityModel(bias=round(bias, 8), trees=trees)


def _grow(nodes: list[list[float]], rows: Any, depth: int, x: Any, bins: Any, edges: list[Any], g: Any, h: Any) -> int:
    """Appends the node for these rows (and its subtree) to `nodes`; returns its index. It splits
    where the gain in the second-order log-loss is largest, both sides keeping MIN_LEAF rows."""
    import numpy as np

    me = len(nodes)
    nodes.append([-1, 0.0, -1, -1, 0.0])
    G, H = g[rows].sum(), h[rows].sum()
    best: tuple[float, int, int] | None = None
    for f in range(x.shape[1]) if depth < DEPTH and len(rows) >= 2 * MIN_LEAF else ():
        k = len(edges[f]) + 1
        gs = np.cumsum(np.bincount(bins[rows, f], weights=g[rows], minlength=k))[:-1]
        hs = np.cumsum(np.bincount(bins[rows, f], weights=h[rows], minlength=k))[:-1]
        ns = np.cumsum(np.bincount(bins[rows, f], minlength=k))[:-1]
        gain = gs**2 / (hs + L2) + (G - gs) ** 2 / (H - hs + L2) - G**2 / (H + L2)
        gain = np.where((ns >= MIN_LEAF) & (len(rows) - ns >= MIN_LEAF), gain, -np.inf)
        b = int(np.argmax(gain)) if len(gain) else 0
        if len(gain) and gain[b] > 1e-12 and (best is None or gain[b] > best[0] + 1e-12):
            best = (float(gain[b]), f, b)
    if best is None:
        nodes[me][4] = float(-RATE * G / (H + L2))
        return me
    _, f, b = best
    threshold = float(edges[f][b])
    go = x[rows, f] <= threshold
    nodes[me][:2] = [f, threshold]
    nodes[me][2] = _grow(nodes, rows[go], depth + 1, x, bins, edges, g, h)
    nodes[me][3] = _grow(nodes, rows[~go], depth + 1, x, bins, edges, g, h)
    return me


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


def dump(model: blend.BlendModel) -> str:
    """The model as indented JSON, each list of numbers (a tree's nodes) on one line."""
    text = model.model_dump_json(indent=2)
    return re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


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
              "trees": {"trees": TREES, "depth": DEPTH, "rate": RATE, "min_leaf": MIN_LEAF, "l2": L2, "bins": BINS}, "thresholds": {"positive": positive, "negative": negative,
                                       "chosen_by": "leave-one-item-out macro-F1 + QWK over " + ", ".join(map(str, GRID))},
              "leave_one_item_out": cv, "leave_one_item_out_at_0.5": at_half, "semantic_on_the_same": semantic_only}
    model = fit_model(recs, fitted)
    model.positive.threshold, model.negative.threshold = positive, negative
    print(f"{len(recs)} transcripts over {fitted['items']} items; thresholds {positive} / {negative}; "
          f"leave-one-item-out {cv} (at 0.5: {at_half}); semantic on the same {semantic_only}")
    if not args.check:
        blend.MODEL_PATH.write_text(dump(model), encoding="utf-8")
        print(f"wrote {blend.MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
