"""Property: every quote is a verbatim slice of the passage it cites, and every passage a
verbatim slice of its article, over hundreds of questions (slow: the real model)."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from typing import Any

import pytest

from sitrep.answer.engine import Engine
from sitrep.index.build import update
from sitrep.retrieval.types import MODES, Query
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow
DEV_QUERIES = ROOT.parent / "shared" / "eval" / "realtimeqa" / "queries.jsonl"


def questions() -> list[str]:
    """Every dev question's text (read from ../shared when present), plus questions made of
    words from each seed sentence, so answers are found, not just abstained."""
    out: list[str] = []
    if DEV_QUERIES.is_file():
        out += [json.loads(line)["question"] for line in DEV_QUERIES.read_text("utf-8").splitlines() if line.strip()]
    rng = random.Random(7)
    for path in sorted(SEEDS.iterdir()):
        for sentence in re.split(r"(?<=[.!?])\s+", path.read_text("utf-8")):
            words = re.findall(r"[A-Za-z]{3,}", sentence)
            if len(words) >= 5:
                out.append(" ".join(rng.sample(words, 5)) + "?")
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, real_encoder: Any, real_cache: Any) -> Engine:
    tmp = tmp_path_factory.mktemp("prop")
    update(SEEDS, tmp / "idx", real_encoder, cache=real_cache)
    return Engine.open(tmp / "idx", real_encoder, today=lambda: date(2026, 11, 22))


def test_every_quote_is_verbatim(engine: Engine) -> None:
    qs = questions()
    assert len(qs) >= 100
    answered = 0
    for i, q in enumerate(qs):
        answer = engine.ask(Query(q, mode=MODES[i % 3]))
        answered += not answer.abstained
        for c in answer.citations:
            assert c.quote and c.passage[c.quote_start : c.quote_start + len(c.quote)] == c.quote
            article = engine.backend.article_text(c.article_id)  # type: ignore[attr-defined]
            assert c.passage in article
        for sentence, n in answer.sentences:
            assert sentence in answer.citations[n - 1].passage
    assert answered >= 50  # the property is exercised on real answers, not only abstentions
