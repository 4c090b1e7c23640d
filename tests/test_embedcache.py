"""The embedding cache (index/embedcache.py): a text embedded once is never embedded again, in any later
process or backend."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from sitrep.index.backends.base import text_key
from sitrep.index.backends.local import store
from sitrep.index.build import update
from sitrep.index.chunking import ChunkSettings, index_text
from sitrep.index.embedcache import EmbeddingCache
from tests.conftest import FakeEncoder


def _text_whose_key_ends_in_zero(prefix: str) -> str:
    """A text whose SHA-1 digest ends in a 0 byte (1 text in 256): numpy's fixed-width bytes drop it."""
    return next(t for i in range(100_000) if hashlib.sha1((t := f"{prefix} {i}.").encode()).digest()[-1] == 0)


def test_a_key_ending_in_a_zero_byte_is_found_after_a_reload(tmp_path: Path) -> None:
    keys = [text_key(_text_whose_key_ends_in_zero("Talks ended")), text_key("Talks ended.")]
    assert keys[0].endswith(b"\0")
    vectors = np.eye(2, 4, dtype=np.float32)
    EmbeddingCache(tmp_path, "fp", 4).put(keys, vectors)
    again = EmbeddingCache(tmp_path, "fp", 4)  # a later process: read from its shard
    assert len(again) == 2
    for key, vector in zip(keys, vectors):
        found = again.get(key)
        assert found is not None and found.tolist() == vector.tolist()


def test_a_second_build_of_the_same_corpus_embeds_nothing(tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # a passage whose indexed text ("title\npassage") has a key ending in a 0 byte
    body = next(b for i in range(100_000) if text_key(index_text(
        "Geneva talks", b := f"Officials met in Geneva on Monday, round {i}.", ChunkSettings())).endswith(b"\0"))
    (corpus / "a.md").write_text(f"---\ntitle: Geneva talks\n---\n{body}\n", "utf-8")
    (corpus / "b.md").write_text("---\ntitle: Trade\n---\nShares rose after the report on trade talks.\n", "utf-8")
    first = update(corpus, tmp_path / "one", fake_encoder, cache=EmbeddingCache(tmp_path / "emb", "fp", fake_encoder.dim))
    built = store.load(tmp_path / "one")
    keys = [text_key(index_text(built.articles.title[int(built.passage_article[i])], built.passage_text(i), ChunkSettings()))
            for i in range(built.passage_count)]
    assert first.passages_embedded == len(keys) == 2 and any(k.endswith(b"\0") for k in keys)
    # a later process (a new cache object reads the shards), another index: every vector comes from the cache
    second = update(corpus, tmp_path / "two", fake_encoder, cache=EmbeddingCache(tmp_path / "emb", "fp", fake_encoder.dim))
    assert second.passages_embedded == 0
