"""Shared fakes and fixtures: a deterministic encoder and small corpora."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitrep.index.backends import BackendConfig

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus"


class FakeEncoder:
    """Bag of hashed words -> unit vector. Deterministic, instant, and similar texts score high."""

    name = "fake-encoder"
    dim = 64
    fingerprint = "fake-1"

    def __init__(self) -> None:
        self.encoded = 0  # passages embedded so far: lets tests prove nothing was re-embedded

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(re.findall(r"\w+|[^\w\s]", t)) for t in texts]

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = self._vectors(texts)
        self.encoded += len(texts)
        if progress:
            progress(len(texts))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts)

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else np.eye(self.dim, dtype=np.float32)[0]
        return out


BACKENDS = ("local", "milvus")


def target(kind: str, folder: Path) -> BackendConfig:
    """Where a test's index lives on each backend: a folder, or a milvus-lite file (real Milvus, no mock)."""
    if kind == "local":
        return BackendConfig(path=folder / "idx")
    return BackendConfig(kind="milvus", uri=str(folder / "milvus.db"), collection="test")


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session", params=BACKENDS)
def seed_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BackendConfig:
    """The bundled corpus indexed once per backend with the fake encoder (read-only for tests)."""
    from sitrep.index.build import update

    config = target(str(request.param), tmp_path_factory.mktemp(f"seed-{request.param}"))
    update(SEEDS, config, FakeEncoder())
    return config


@pytest.fixture(scope="session")
def real_encoder() -> Any:
    """The packaged model through its ONNX export (exported once per machine into var/models): what
    `sitrep` indexes and asks with. test_real_model holds it equal to sentence-transformers on torch."""
    from sitrep.index.embedding import query_encoder

    return query_encoder(None, ROOT / "var" / "models")


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory: pytest.TempPathFactory, real_encoder: Any) -> Any:
    from sitrep.index.embedcache import EmbeddingCache

    return EmbeddingCache(tmp_path_factory.mktemp("embeddings"), real_encoder.fingerprint, real_encoder.dim)


@pytest.fixture(scope="session", params=BACKENDS)
def real_seed_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, real_encoder: Any,
                     real_cache: Any) -> BackendConfig:
    """The bundled corpus indexed with the real model once per backend and session (the second
    backend takes every vector from the embedding cache)."""
    from sitrep.index.build import update

    config = target(str(request.param), tmp_path_factory.mktemp(f"real-{request.param}"))
    update(SEEDS, config, real_encoder, cache=real_cache)
    return config


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A writable copy of the bundled corpus (the five seed articles)."""
    dest = tmp_path / "corpus"
    shutil.copytree(SEEDS, dest)
    return dest
