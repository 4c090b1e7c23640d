"""The real packaged model, end to end on the seeds (slow: loads torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import store
from index.build import update
from index.embedding import SentenceTransformerEncoder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def test_real_model_embeds_and_retrieves_the_china_proposal(encoder, seed_corpus: Path, tmp_path: Path) -> None:
    report = update(seed_corpus, tmp_path / "idx", encoder)
    data = store.load(tmp_path / "idx")
    assert data.vectors.shape == (report.passages, 384)
    assert np.allclose(np.linalg.norm(data.vectors, axis=1), 1.0, atol=1e-4)
    q = encoder.encode(["What did China propose to India?"])
    _, ids = data.dense.search(q, 3)
    top_articles = {data.articles.id[int(data.passage_article[i])] for i in ids[0]}
    assert "000_08773b1c9158e159.txt" in top_articles
    assert all(n <= 200 for n in encoder.count_tokens([data.passage_text(i) for i in range(data.passage_count)]))
