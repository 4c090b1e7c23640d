"""Vector search over the saved FAISS index (exact or HNSW), with an optional passage mask."""

from __future__ import annotations

from typing import Any

import numpy as np


class DenseSearcher:
    def __init__(self, index: Any) -> None:
        import faiss

        self._faiss = faiss
        # One question at a time needs one thread: measured on 2 cores with the other core busy,
        # a flat search of the dev index took 13 ms p50 with OpenMP's 2 spinning threads, 2.5 ms with 1.
        faiss.omp_set_num_threads(1)
        self.index = index
        self.hnsw = hasattr(faiss.downcast_index(index), "hnsw")

    def vectors(self) -> np.ndarray:
        """The stored vectors, a zero-copy view of FAISS's own memory (flat or HNSW storage)."""
        flat = self._faiss.downcast_index(self.index.storage if self.hnsw else self.index)
        n, d = self.index.ntotal, self.index.d
        return self._faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)

    def search(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        n = self.index.ntotal
        k = min(k, n)
        if k <= 0:
            return []
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        if mask is None:
            scores, ids = self.index.search(q, k)
        else:
            if not mask.any():
                return []
            bitmap = np.packbits(mask.astype(np.uint8), bitorder="little")
            selector = self._faiss.IDSelectorBitmap(n, self._faiss.swig_ptr(bitmap))
            if self.hnsw:
                ef = max(k, self._faiss.downcast_index(self.index).hnsw.efSearch)
                params: Any = self._faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            else:
                params = self._faiss.SearchParameters(sel=selector)
            scores, ids = self.index.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
