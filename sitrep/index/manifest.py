"""Manifest: what an index holds and how it was made, read and written in this one place.

Every backend keeps one: the local backend as `manifest.json` in its version folder, the
Milvus backend as a record of its meta collection. Loading a manifest made by another model
or chunk setting is refused with the fix in the message; a newer article parser only asks
`update` to parse every article again (it re-embeds only passages whose text changed).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Protocol

from sitrep.corpus.articles import PARSER_VERSION
from sitrep.index.chunking import ChunkSettings
from sitrep.index.errors import IndexCorrupt, IndexMismatch
from sitrep.index.lexicon import BM25Settings

FORMAT_VERSION = 1  # the keys of format 1 are unchanged; newer optional keys default when absent
_LIBRARIES = ("faiss-cpu", "bm25s", "pymilvus", "milvus-lite", "onnxruntime", "sentence-transformers")


class EncoderInfo(Protocol):
    name: str
    dim: int

    @property
    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class ModelInfo:
    name: str
    fingerprint: str  # of the weights: vectors from two encoders mix only if these agree
    dim: int

    @classmethod
    def of(cls, encoder: EncoderInfo) -> ModelInfo:
        return cls(encoder.name, encoder.fingerprint, encoder.dim)


@dataclass(frozen=True)
class DenseInfo:
    kind: str = "flat"  # local: "flat" (exact) or "hnsw"; milvus: "hnsw"
    ef_search: int = 128


def library_versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class Manifest:
    model: ModelInfo
    chunking: ChunkSettings
    parser_version: int
    bm25: BM25Settings
    dense: DenseInfo = field(default_factory=DenseInfo)
    backend: str = "local"
    article_count: int = 0
    passage_count: int = 0
    newest_article_date: str | None = None
    built_at: str = ""
    articles: dict[str, str] = field(default_factory=dict)  # article id -> content hash (local backend)
    outlets: list[str] = field(default_factory=list)  # distinct outlet names, for "did you mean" messages
    versions: dict[str, str] = field(default_factory=dict)  # libraries that wrote it
    files: dict[str, int] = field(default_factory=dict)  # local backend: each file's size, checked on load

    @classmethod
    def new(cls, encoder: EncoderInfo, chunking: ChunkSettings, bm25: BM25Settings, backend: str) -> Manifest:
        return cls(ModelInfo.of(encoder), chunking, PARSER_VERSION, bm25, backend=backend)

    def stamped(self, **counts: Any) -> Manifest:
        """A copy with the counts given, the build time now, and the library versions of this run."""
        return replace(self, **counts, built_at=datetime.now(UTC).isoformat(timespec="seconds"), versions=library_versions())

    # -- compatibility --------------------------------------------------------------------------
    def check(self, encoder: EncoderInfo, chunking: ChunkSettings, where: str) -> bool:
        """Refuse another model or chunking; True when only the parser is newer (update re-parses)."""
        for part, have, need in (("model", asdict(self.model), asdict(ModelInfo.of(encoder))),
                                 ("chunking", self.chunking.as_dict(), chunking.as_dict())):
            if have != need:
                raise IndexMismatch(
                    f"the index at {where} was built with another {part} setting "
                    f"({have} vs {need}): run `sitrep index build` to rebuild it"
                )
        return self.parser_version != PARSER_VERSION

    # -- (de)serialisation: the JSON keys are format 1's ------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "backend": self.backend,
            "model": asdict(self.model),
            "chunking": {**self.chunking.as_dict(), "parser_version": self.parser_version},
            "bm25": self.bm25.as_dict(),
            "faiss": asdict(self.dense),
            "article_count": self.article_count,
            "passage_count": self.passage_count,
            "newest_article_date": self.newest_article_date,
            "built_at": self.built_at,
            "outlets": self.outlets,
            "versions": self.versions,
            "articles": self.articles,
            "files": self.files,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Manifest:
        if not isinstance(raw, dict) or raw.get("format_version") != FORMAT_VERSION:
            raise IndexCorrupt(f"the index at {where} has another format version: rebuild it with `sitrep index build`")
        try:
            chunking = dict(raw["chunking"])
            parser = int(chunking.pop("parser_version", 0) or 0)
            return cls(
                model=ModelInfo(**raw["model"]),
                chunking=ChunkSettings(**chunking),
                parser_version=parser,
                bm25=BM25Settings(**raw["bm25"]),
                dense=DenseInfo(**raw.get("faiss", {})),
                backend=str(raw.get("backend", "local")),
                article_count=int(raw["article_count"]),
                passage_count=int(raw["passage_count"]),
                newest_article_date=raw.get("newest_article_date"),
                built_at=str(raw.get("built_at", "")),
                articles=dict(raw.get("articles") or {}),
                outlets=list(raw.get("outlets") or []),
                versions=dict(raw.get("versions") or {}),
                files={str(k): int(v) for k, v in (raw.get("files") or {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorrupt(f"the index manifest at {where} is incomplete ({exc}): rebuild it with `sitrep index build`") from None

    @classmethod
    def loads(cls, text: str, where: str) -> Manifest:
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise IndexCorrupt(f"the index manifest at {where} is unreadable ({exc}): rebuild it with `sitrep index build`") from None
        return cls.from_json(raw, where)

    def status(self) -> dict[str, Any]:
        """What `sitrep index status` and the bot's /status show."""
        return {
            "backend": self.backend,
            "articles": self.article_count,
            "passages": self.passage_count,
            "model": self.model.name,
            "newest_article_date": self.newest_article_date,
            "built_at": self.built_at,
            "parser_version": self.parser_version,
        }
