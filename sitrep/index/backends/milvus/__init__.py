"""The Milvus backend: the same index in Milvus — milvus-lite (a local file), standalone or a cluster.
common.py: the collections' layout, the connection (errors translated to IndexUnavailable) and shared
helpers; reader.py: MilvusBackend (questions); writer.py: MilvusWriter (builds and updates)."""

from sitrep.index.backends.milvus.common import read_manifest
from sitrep.index.backends.milvus.reader import MilvusBackend
from sitrep.index.backends.milvus.writer import MilvusWriter

__all__ = ["MilvusBackend", "MilvusWriter", "read_manifest"]
