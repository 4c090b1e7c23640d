"""The model's ONNX graphs, each written once per weights beside the others (var/models): the export
(passages run on it), onnxruntime's fused form of it (questions, when not in int8) and the int8 forms
(quantize.py smooths the questions' one first; quantize_int8 is the whole-index option, ONNX_INT8)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any


def export_onnx(model_dir: Path, out_path: Path) -> Path:
    """Export mean-pooled, normalised MiniLM to ONNX (needs torch; seconds, once per model)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    class Pooled(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any, mask: Any) -> Any:
            hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    # eager attention: its graph is the pattern onnxruntime's BERT optimiser fuses into one Attention op a layer
    # (the default, scaled_dot_product_attention, exports as a graph it leaves unfused)
    model = Pooled(AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval())
    sample = (torch.ones(1, 8, dtype=torch.long), torch.ones(1, 8, dtype=torch.long))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(f".tmp-{os.getpid()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, sample, str(tmp), input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    os.replace(tmp, out_path)
    return out_path


def fuse_onnx(plain: Path, model_dir: Path, out_path: Path) -> Path:
    """The exported graph with onnxruntime's transformer fusions (one Attention, SkipLayerNormalization and
    BiasGelu op where the export has dozens of small ones; EmbedLayerNormalization): the same vectors (cosine to
    the plain graph's >= 0.9999992 on the dev questions, padded batches included); a question embedded
    0.7-1.1 ms faster (docs/numbers.md "The encoder"). Questions run on it, bulk batches on the plain graph
    (OnnxEncoder._bulk_session). Seconds, once."""
    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text())
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)  # its progress lines are not the user's
    model = optimizer.optimize_model(str(plain), model_type="bert", num_heads=int(config["num_attention_heads"]),
                                     hidden_size=int(config["hidden_size"]), opt_level=0)
    if not model.get_fused_operator_statistics().get("Attention"):  # an exporter that changed its graph: keep the plain one
        raise RuntimeError("onnxruntime's optimiser fused no attention")
    tmp = out_path.with_suffix(f".tmp-{os.getpid()}.onnx")
    model.save_model_to_file(str(tmp))
    os.replace(tmp, out_path)
    return out_path


def quantize_int8(fp32: Path, out_path: Path) -> Path:
    """Dynamic int8 quantisation, per channel (weights only; activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = out_path.with_suffix(f".tmp-{os.getpid()}.onnx")
    quantize_dynamic(str(fp32), str(tmp), per_channel=True, weight_type=QuantType.QInt8)
    os.replace(tmp, out_path)
    return out_path
