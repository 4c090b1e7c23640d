"""Backends behind one interface (base.py): `local` (the default) and `milvus`.

BackendConfig says which one and where; index/ never reads the environment, so the
front-ends build it from their settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sitrep.index.backends.base import Backend, Writer
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.manifest import Manifest

BACKENDS = ("local", "milvus")


def redact(uri: str) -> str:
    """A URI fit to print: "http://user:secret@host:19530" -> "http://***@host:19530"."""
    import re

    return re.sub(r"(?<=://)[^/@\s]*@", "***@", uri)


@dataclass(frozen=True)
class BackendConfig:
    kind: str = "local"
    path: Path = Path("var/index")  # local: the index symlink
    uri: str = "var/milvus.db"  # milvus: a file path (milvus-lite) or http(s)://host:port (server, cluster)
    token: str | None = field(default=None, repr=False)  # milvus: "user:password" or an API key; a secret
    collection: str = "sitrep"  # milvus: the prefix of the collections

    def where(self) -> str:
        """Where the index lives, for messages (never the token, nor a password written into the URI)."""
        return str(self.path) if self.kind == "local" else f"{redact(self.uri)} (collection {self.collection})"

    def open(self) -> Backend:
        if self.kind == "milvus":
            from sitrep.index.backends.milvus import MilvusBackend

            return MilvusBackend(self.uri, self.collection, self.token)
        from sitrep.index.backends.local.backend import open_local

        return open_local(self.path)

    def read_manifest(self) -> Manifest:
        """The manifest alone, without loading the index (for `sitrep index status`)."""
        if self.kind == "milvus":
            from sitrep.index.backends.milvus import read_manifest

            return read_manifest(self.uri, self.collection, self.token)
        from sitrep.index.backends.local.store import read_manifest as read_local

        return read_local(self.path.resolve())

    def writer(self, full: bool = False, dense: DenseSettings = DenseSettings()) -> Writer:
        if self.kind == "milvus":
            from sitrep.index.backends.milvus import MilvusWriter

            return MilvusWriter(self.uri, self.collection, self.token, dense, full=full)
        from sitrep.index.backends.local.writer import LocalWriter

        return LocalWriter(self.path, dense, full=full)
