"""Property: every quote is a verbatim slice of the passage it cites, and every passage a
verbatim slice of its article, over hundreds of questions, on both backends (slow: the real model)."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from typing import Any

import pytest

from sitrep.answer.engine import Engine
from sitrep.corpus.articles import parse, scan_corpus
from sitrep.index.backends import BackendConfig
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


@pytest.fixture
def engine(real_seed_target: BackendConfig, real_encoder: Any) -> Any:
    engine = Engine.open(real_seed_target, real_encoder, today=lambda: date(2026, 11, 22))
    yield engine
    engine.backend.close()


def article_texts() -> dict[str, str]:
    """Each bundled article's text as the parser reads it: what a passage must be a slice of."""
    return {raw.id: parse(raw).text for raw in scan_corpus(SEEDS, 5_000_000).articles}


def test_every_quote_is_verbatim(engine: Engine) -> None:
    qs = questions()
    assert len(qs) >= 100
    answered = 0
    articles = article_texts()
    for i, q in enumerate(qs):
        answer = engine.ask(Query(q, mode=MODES[i % 3]))
        answered += not answer.abstained
        for c in answer.citations:
            assert c.quote and c.passage[c.quote_start : c.quote_start + len(c.quote)] == c.quote
            assert c.passage in articles[c.article_id]
        for i, (sentence, n) in enumerate(answer.sentences):  # each sentence is its citation's quote, under its number
            c = answer.citation(i)
            assert c is not None and c.n == n and sentence == c.quote and sentence in c.passage
        numbers = {c.article_id: c.n for c in answer.citations}  # one number an article, 1, 2, ... in order
        assert len(set(numbers.values())) == len(numbers) and sorted(numbers.values()) == list(range(1, len(numbers) + 1))
    assert answered >= 50  # the property is exercised on real answers, not only abstentions
