"""A cache of passage embeddings shared by every backend: never embed the same text twice.

Keyed by the model's weights fingerprint and the SHA-1 of the exact text the encoder read.
Each run that embeds something appends one shard (written to a temp file, then renamed), so
a crash loses at most that run's new vectors and never damages older shards. Building the
same corpus into a second backend (say Milvus after local) embeds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

KEY_BYTES = 20  # a key is the SHA-1 digest of the text (backends.base.text_key)


class EmbeddingCache:
    def __init__(self, folder: Path, fingerprint: str, dim: int) -> None:
        self.folder = folder / fingerprint
        self.dim = dim
        self._rows: dict[bytes, np.ndarray] | None = None

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._rows is None:
            rows: dict[bytes, np.ndarray] = {}
            for shard in sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []:
                try:
                    with np.load(shard) as npz:
                        keys, vecs = npz["keys"], npz["vectors"]
                except (OSError, ValueError, KeyError):
                    continue  # an unreadable shard only costs re-embedding its texts
                if vecs.ndim == 2 and vecs.shape[1] == self.dim:
                    # Keys are stored as fixed-width bytes ("S20"), which numpy reads back without their
                    # trailing NUL bytes: a digest ending in 0 (1 text in 256) is restored to its width.
                    rows.update(zip((bytes(k).ljust(KEY_BYTES, b"\0") for k in keys), vecs))
            self._rows = rows
        return self._rows

    def __len__(self) -> int:
        return len(self._load())

    def get(self, key: bytes) -> np.ndarray | None:
        return self._load().get(key)

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        rows = self._load()
        new = [i for i, k in enumerate(keys) if k not in rows]
        if not new:
            return
        tmp: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            final = self.folder / f"{len(list(self.folder.glob('*.npz'))):06d}-{os.getpid()}.npz"
            tmp = final.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                np.savez(fh, keys=np.array([keys[i] for i in new], dtype=f"S{KEY_BYTES}"),
                         vectors=np.asarray(vectors[new], dtype=np.float32))
            os.replace(tmp, final)
        except OSError:  # a cache that cannot be written (a full disk) is only slower next time
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            return
        rows.update((keys[i], np.asarray(vectors[i], dtype=np.float32)) for i in new)
