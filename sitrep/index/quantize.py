"""The question's graph in int8: the fused float graph, smoothed, then dynamically quantised.

A question is ~21 word pieces, and at that size the model's matrix products are the whole of its time:
int8 products (onnxruntime's dynamic quantisation: int8 weights per output channel, each activation
quantised per call) take half as long as float ones here. Quantised as it is, MiniLM's vectors move:
cosine 0.995 on average to the float graph's, 0.990 at worst over the dev questions, because a few of the
hidden state's channels run 10-50x larger than the rest, and one scale per activation then leaves the
rest a handful of levels. SmoothQuant's remedy (Xiao et al., ICML 2023) divides each channel of an
activation by s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) and multiplies the weight's row j by the same
s_j: the product is unchanged, and the outliers move into the weights, which are quantised per channel.
The division is a Mul before each smoothed product (post-norm BERT feeds the same hidden state to the
residual, so it cannot be folded into the layer norm). max|X_j| comes from running CALIBRATION through the
float graph; alpha 0.8, the attention and both feed-forward products smoothed (the attention's output
product has no outliers to move): cosine 0.998 on average, 0.996 at worst (docs/numbers.md "The question's
graph").

Only questions (and topics, names) run on it: passages are embedded by the float graph, so an index's
vectors and its fingerprint do not change, and a question embedded on the float graph finds the same
passages to within what the benchmarks can tell apart (docs/evaluation.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

VERSION = 1  # in the graph's file name: a change to what is below makes a new graph, never reuses an old one
MIN_MEAN, MIN_WORST = 0.997, 0.99  # the int8 graph is used only as close as this to the float one on CALIBRATION
ALPHA = 0.8  # how much of each outlier moves into the weights (0.5-1.0 measured: 0.75-0.85 best)

# What sets each channel's range: sentences of the kinds the graph embeds (questions, topics, news
# prose), written for this purpose. The outlier channels are the model's, not the text's, so any
# such set finds them; these keep the graph the same on every machine.
CALIBRATION = (
    "What did China propose to India?",
    "Who won the election in Brazil this week?",
    "Which company announced layoffs on Tuesday?",
    "How many people were killed in the earthquake?",
    "When will the new rules take effect?",
    "Why did the central bank raise interest rates again?",
    "Where did the hurricane make landfall?",
    "What is the name of the new prime minister?",
    "How much will the average household pay for heating this winter?",
    "Which team won the championship?",
    "Did the senate pass the climate bill?",
    "what happened with the strike at the port",
    "Any news on the ceasefire talks?",
    "What else did the minister say about the budget?",
    "Tell me about the wildfires in the west",
    "vaccine trial results",
    "student loan forgiveness",
    "supply chain shortages at grocery stores",
    "the World Cup final",
    "NASA's new space telescope images",
    "The government said on Monday that it would cut fuel taxes for six months to ease the cost of living.",
    "Police arrested three men after a shooting outside a nightclub early on Sunday, officials said.",
    "The company reported a quarterly loss of $1.2 billion, sending its shares down 14% in early trading.",
    "Scientists found that the drug reduced the risk of hospitalisation by about 30 percent in older adults.",
    "Thousands of people marched through the capital to demand the release of political prisoners.",
    "The storm knocked out power to more than 200,000 homes and forced the closure of several highways.",
    "In a statement, the foreign ministry accused its neighbour of violating the agreement signed in 2019.",
    "The coach, who led the team to two titles, will step down at the end of the season.",
    "Prices for eggs, butter and flour rose faster than any other grocery items over the past year.",
    "The court ruled 6-3 that the state law was unconstitutional, overturning a decision by a lower court.",
    "Officials warned that the drought could force water restrictions across the region by August.",
    "The airline cancelled hundreds of flights after a software failure grounded its fleet for hours.",
    "Beijing has suggested that India's defence minister visit China next year to discuss border tensions.",
    "The actor, best known for his role in the hit series, died at his home in Los Angeles. He was 78.",
    "A spokesperson for the ministry did not respond to a request for comment.",
    "Read more: How the new tax credit works and who qualifies",
    "Sign up for our newsletter to get the day's top stories in your inbox.",
    "LONDON (Reuters) - British inflation hit a 40-year high in October, official figures showed.",
    "Photo: Firefighters battle a blaze in the hills above the city on Friday. (John Smith/AP)",
    "The recall covers about 485,000 vehicles built between 2016 and 2022 because of a risk of engine fire.",
)


@contextlib.contextmanager
def _root_quiet() -> Iterator[None]:
    """onnxruntime's quantisation warns through the root logger ("Please consider to run pre-processing before
    quantization"), which, with no handler there, prints on the first build's output and gives the root logger a
    handler for every later message (bm25s's debug lines among them). Held off while it runs: a handler that drops
    them, where the process has none of its own (the bot's logging is set up; it keeps its handlers)."""
    root = logging.getLogger()
    if root.handlers:
        yield
        return
    drop = logging.NullHandler()
    root.addHandler(drop)
    try:
        yield
    finally:
        root.removeHandler(drop)


def smooth_quantize(fused: Path, model_dir: Path, out_path: Path, alpha: float = ALPHA) -> Path:
    """The fused graph (fuse_onnx's) smoothed with CALIBRATION and quantised to int8, written to `out_path`.
    Raises when the graph has none of the products it expects, and when on this machine its vectors of
    CALIBRATION are further from the float graph's than MIN_MEAN / MIN_WORST (int8 kernels differ by CPU: one
    without VNNI may saturate); then the caller keeps the float graph, and `refused(out_path)` says why."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(fused))
    smoothed = smooth(model, activation_max(model, smoothed_inputs(model), model_dir), alpha)
    tmp = out_path.with_suffix(f".tmp-{os.getpid()}.onnx")
    plain = out_path.with_suffix(f".smooth-{os.getpid()}.onnx")
    try:
        onnx.save(smoothed, str(plain))
        with _root_quiet():
            quantize_dynamic(str(plain), str(tmp), per_channel=True, weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})  # the fused ops carry no types
        mean, worst = agreement(fused, tmp, model_dir)
        if mean < MIN_MEAN or worst < MIN_WORST:
            reason = f"its vectors are too far from the float graph's here (cosine {mean:.4f} mean, {worst:.4f} worst)"
            out_path.with_suffix(".refused").write_text(reason + "\n", "utf-8")  # not tried again on this machine
            raise RuntimeError(reason)
        os.replace(tmp, out_path)
    finally:
        plain.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return out_path


def refused(out_path: Path) -> str | None:
    """Why the int8 graph was refused on this machine (smooth_quantize), or None."""
    note = out_path.with_suffix(".refused")
    return note.read_text("utf-8").strip() if note.is_file() else None


def agreement(fused: Path, quantized: Path, model_dir: Path, texts: tuple[str, ...] = CALIBRATION) -> tuple[float, float]:
    """Mean and worst cosine between the two graphs' vectors of `texts`, each embedded alone."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    a, b = (ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"]) for p in (fused, quantized))
    cosines = []
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        cosines.append(float(a.run(None, feed)[0][0] @ b.run(None, feed)[0][0]))
    return float(np.mean(cosines)), float(np.min(cosines))


def smooth(model: Any, x_max: dict[str, np.ndarray], alpha: float = ALPHA) -> Any:
    """A copy of the graph whose smoothed products (`_smoothed`) see their input divided by s per channel and
    have their weight's rows multiplied by it: the same function, its outliers moved into the weights.
    x_max: each smoothed input's largest magnitude per channel (activation_max). A channel below the median
    counts as the median: only outliers move (a channel the calibration saw small is not magnified)."""
    import onnx
    from onnx import helper, numpy_helper

    out = onnx.ModelProto()
    out.CopyFrom(model)
    weights = {w.name: w for w in out.graph.initializer}
    nodes = [n for n in out.graph.node if _smoothed(n, weights)]
    if not any(n.op_type == "Attention" for n in nodes):
        raise RuntimeError("the fused graph has no Attention op to smooth")
    for n in nodes:
        w = numpy_helper.to_array(weights[n.input[1]]).astype(np.float32)  # (in, out): row j meets channel j
        x = x_max[n.input[0]]
        x = np.maximum(x, np.median(x))
        s = np.maximum(x, 1e-5) ** alpha / np.maximum(np.abs(w).max(axis=1), 1e-5) ** (1 - alpha)
        s = np.maximum(s, 1e-5).astype(np.float32)
        weights[n.input[1]].CopyFrom(numpy_helper.from_array(w * s[:, None], n.input[1]))
        scale, divided = f"{n.name}/smooth_scale", f"{n.name}/smoothed_input"
        out.graph.initializer.append(numpy_helper.from_array((1.0 / s).astype(np.float32), scale))
        out.graph.node.append(helper.make_node("Mul", [n.input[0], scale], [divided], name=f"{n.name}/smooth"))
        n.input[0] = divided
    _sort_topologically(out)
    return out


def smoothed_inputs(model: Any) -> list[str]:
    """The inputs of the products smooth() rewrites."""
    weights = {w.name for w in model.graph.initializer}
    return sorted({n.input[0] for n in model.graph.node if _smoothed(n, weights)})


def _smoothed(node: Any, weights: Any) -> bool:
    """The products whose input has outlier channels: each layer's attention (its input is the hidden state)
    and both feed-forward products (the hidden state; the GELU's output)."""
    if node.op_type == "Attention":
        return node.input[1] in weights
    return node.op_type == "MatMul" and node.input[1] in weights and "attention/output" not in node.name


def activation_max(model: Any, names: list[str], model_dir: Path, texts: tuple[str, ...] = CALIBRATION
                   ) -> dict[str, np.ndarray]:
    """Each named activation's largest magnitude per channel over `texts`, from the float graph."""
    import onnx
    import onnxruntime as ort
    from onnx import helper
    from tokenizers import Tokenizer

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    top: dict[str, np.ndarray] = {}
    for text in texts:  # one at a time: no padding rows in the maxima
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        for name, value in zip(names, session.run(names, {"input_ids": ids, "attention_mask": np.ones_like(ids)})):
            m = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            top[name] = np.maximum(top[name], m) if name in top else m
    return top


def _sort_topologically(model: Any) -> None:
    """The graph's nodes in an order where each runs after its inputs' producers (the Muls were appended)."""
    ready = {i.name for i in model.graph.input} | {w.name for w in model.graph.initializer} | {""}
    pending, ordered = list(model.graph.node), []
    while pending:
        later = []
        for node in pending:
            if all(i in ready for i in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                later.append(node)
        if len(later) == len(pending):
            raise RuntimeError("the smoothed graph has a node whose inputs nothing produces")
        pending = later
    del model.graph.node[:]
    model.graph.node.extend(ordered)
