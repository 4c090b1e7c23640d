"""Settings every backend reads: how the vector index is shaped. The local backend builds FAISS from them
(exact inner product up to `hnsw_above` passages, HNSW above); Milvus maps them onto its index types."""

from __future__ import annotations

from dataclasses import dataclass

from sitrep.index.manifest import DenseInfo


@dataclass(frozen=True)
class DenseSettings:
    hnsw_above: int = 200_000  # exact inner product up to this many passages, HNSW above
    hnsw_m: int = 32
    ef_construction: int = 200
    ef_search: int = 128

    def info(self, passages: int) -> DenseInfo:
        return DenseInfo("hnsw" if passages > self.hnsw_above else "flat", self.ef_search)
