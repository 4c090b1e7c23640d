"""The named steps the update, the reader and the hit list are made of, each on its own (known answers
on inputs small enough to check by hand)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sitrep.answer import reader
from sitrep.answer.candidates import _Read, scored, sentence_spans, subject_shares
from sitrep.corpus.articles import RawArticle
from sitrep.index import lexicon
from sitrep.index.backends.base import UNDATED, text_key
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.build import Job, Slot, plan_update, prepare
from sitrep.index.chunking import ChunkSettings, index_text
from sitrep.retrieval.hybrid import fold_twins, recency
from sitrep.retrieval.types import Hit
from tests.conftest import FakeEncoder


def raw(aid: str, text: str, h: str | None = None) -> RawArticle:
    return RawArticle(aid, h or f"h-{text}", f"corpus/{aid}.txt", text)


# -- the update ------------------------------------------------------------------------------------
def test_plan_sorts_the_corpus_against_the_index() -> None:
    scanned = [raw("new", "a"), raw("same", "b", "hb"), raw("edited", "c", "hc2")]
    plan = plan_update(scanned, {"same": "hb", "edited": "hc1", "gone": "hg"}, reparse=False)
    assert [r.id for r in plan.todo] == ["new", "edited"]
    assert (plan.added, plan.changed, plan.unchanged, plan.reparsed, plan.removed) == (1, 1, 1, 0, ["gone"])


def test_a_newer_parser_rewrites_unchanged_articles_and_counts_them() -> None:
    plan = plan_update([raw("same", "b", "hb")], {"same": "hb"}, reparse=True)
    assert [r.id for r in plan.todo] == ["same"] and (plan.unchanged, plan.reparsed) == (1, 1)


def job(encoder: FakeEncoder, cache: object = None) -> Job:
    return Job(encoder, ChunkSettings(), lexicon.BM25Settings(), DenseSettings(), 5_000_000, None, cache)  # type: ignore[arg-type]


def test_prepare_reuses_old_vectors_and_embeds_each_new_text_once() -> None:
    enc = FakeEncoder()
    body = "India and China agreed to talk again about the border next month."
    kept = "The talks in Moscow lasted two hours and ended without a statement."
    articles = [raw("a", f"Border talks\n\n{body}\n\n{kept}"), raw("b", f"Border talks\n\n{body}")]
    chunking = ChunkSettings(target_tokens=8, max_tokens=32, overlap_sentences=0)  # a passage a paragraph
    j = Job(enc, chunking, lexicon.BM25Settings(), DenseSettings(), 5_000_000, None, None)
    old_vector = np.ones(enc.dim, np.float32)
    old = {text_key(index_text("Border talks", kept, chunking)): old_vector}
    warnings: list[str] = []
    todo, vectors = prepare(articles, old, j, warnings)
    assert [t.article.id for t in todo] == ["a", "b"] and not warnings
    slots_a, slots_b = todo[0].slots, todo[1].slots
    assert slots_a == [Slot(True, 0), Slot(False, 0)]  # the first paragraph is new, the second had a vector
    assert slots_b == [Slot(True, 0)]  # the same text in another article: embedded once, shared
    assert vectors.pending == [index_text("Border talks", body, chunking)] and vectors.reused[0] is old_vector


def test_an_article_without_text_is_a_warning_not_a_passage() -> None:
    todo, vectors = prepare([raw("empty", "   \n")], {}, job(FakeEncoder()), warnings := [])
    assert todo[0].passages == [] and not vectors.pending
    assert warnings == ["corpus/empty.txt: no article text found (nothing to index until it changes)"]


# -- the hit list ----------------------------------------------------------------------------------
def test_recency_halves_the_credit_each_half_life_and_gives_undated_passages_the_dated_ones_mean() -> None:
    today = date(2024, 3, 20)
    d = today.toordinal()
    fused = np.array([1.0, 1.0, 1.0, 2.0])
    out = recency(fused, np.array([d, d - 10, UNDATED, d + 3]), today, 10.0, 0.4)
    # today: all of it; one half-life old: 0.6 + 0.4 x 0.5; "from the future" counts as today; undated: the mean
    # credit of the dated ones (1, 0.5, 1), as if of a typical candidate's age: 0.6 + 0.4 x 5/6
    assert out.tolist() == pytest.approx([1.0, 0.8, 0.6 + 0.4 * 5 / 6, 2.0])
    # without it (RetrievalParams.undated_credit False) an undated passage gets none: ranked as a very old one
    none = recency(fused, np.array([d, d - 10, UNDATED, d + 3]), today, 10.0, 0.4, undated_credit=False)
    assert none.tolist() == pytest.approx([1.0, 0.8, 0.6, 2.0])
    # nothing dated among the candidates (a snippet collection): the same factor for every passage, the order kept
    assert recency(fused, np.full(4, UNDATED), today, 10.0, 0.4).tolist() == pytest.approx([0.6, 0.6, 0.6, 1.2])
    assert recency(np.zeros(0), np.zeros(0, np.int64), today, 10.0, 0.4).tolist() == []


def test_fold_twins_keeps_k_and_folds_near_duplicates_into_the_hit_above() -> None:
    e = np.eye(4, dtype=np.float32)
    vecs = np.stack([e[0], e[0], e[1], e[0], e[2], e[1], e[3]])  # rows 1, 3: twins of 0; row 5 of 2
    articles = ["A", "B", "C", "A", "D", "E", "F"]
    assert fold_twins(vecs, articles, k=3, threshold=0.97) == [(0, ["B"]), (2, ["E"]), (4, [])]
    # k=2: rows 4 and 6 are not kept; row 5 (past the k-th hit) still joins row 2's "also in"
    assert fold_twins(vecs, articles, k=2, threshold=0.97) == [(0, ["B"]), (2, ["E"])]
    assert fold_twins(vecs[:0], [], k=3, threshold=0.97) == []


def _fold_twins_reference(vecs: np.ndarray, articles: list[str], k: int, threshold: float) -> list[tuple[int, list[str]]]:
    """fold_twins as its docstring says it, one row at a time."""
    kept: list[int] = []
    also: dict[int, list[str]] = {}
    pos = 0
    for pos in range(len(articles) + 1):
        if pos == len(articles) or len(kept) == k:
            break
        sims = [float(vecs[pos] @ vecs[j]) for j in kept]
        if sims and max(sims) >= threshold:
            into = kept[sims.index(max(sims))]
            if articles[pos] != articles[into] and articles[pos] not in also[into]:
                also[into].append(articles[pos])
        else:
            kept.append(pos)
            also[pos] = []
    for row in range(pos, len(articles)):  # below the k-th hit: twins still join
        sims = [float(vecs[row] @ vecs[j]) for j in kept]
        if sims and max(sims) >= threshold:
            into = kept[sims.index(max(sims))]
            if articles[row] != articles[into] and articles[row] not in also[into]:
                also[into].append(articles[row])
    return [(p, also[p]) for p in kept]


@pytest.mark.parametrize("seed", range(30))
def test_fold_twins_matches_the_row_by_row_walk(seed: int) -> None:
    rng = np.random.default_rng(seed)
    stories = rng.normal(size=(int(rng.integers(2, 40)), 64))
    n = int(rng.integers(1, 150))
    # passages: a story's vector plus a little noise (twins, cosine ~0.99) or plenty (cosine ~0.5-0.8)
    which = rng.integers(0, len(stories), size=n)
    noise = np.where(rng.random(n) < 0.5, 0.05, 1.0)[:, None] * rng.normal(size=(n, 64)) / 8
    vecs = stories[which] + noise * np.linalg.norm(stories[which], axis=1, keepdims=True) / 8
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    articles = [f"a{int(x)}" for x in rng.integers(0, n // 2 + 1, size=n)]
    for k in (1, 3, 10, 50):
        assert fold_twins(vecs, articles, k, 0.97) == _fold_twins_reference(vecs, articles, k, 0.97)


# -- the reader ------------------------------------------------------------------------------------
def test_sentence_spans_cut_each_passage_by_line_and_sentence() -> None:
    texts = {7: "Talks ended. Both sides left.\nA new line starts here"}
    spans = sentence_spans([Hit(7, "a", "a#0", 1.0)], texts)
    assert [texts[7][a:b] for a, b in spans[7]] == ["Talks ended.", "Both sides left.", "A new line starts here"]


def test_subject_share_is_the_question_weight_an_article_holds() -> None:
    shares = subject_shares({"india": 2.0, "china": 1.0, "border": 1.0}, {"a": {"india", "china"}, "b": {"border", "x"}})
    assert shares == {"a": 0.75, "b": 0.25}


def test_scored_counts_what_other_sentences_repeat() -> None:
    q = reader.QuestionKind.of("How many soldiers were hurt?")
    texts = {1: "Officials said 20 soldiers were hurt in the clash.", 2: "At least 20 soldiers were hurt, officials said."}
    hits = [Hit(1, "a", "a#0", 1.0), Hit(2, "b", "b#0", 0.9)]
    reads = [_Read(r, h, 0, len(texts[h.passage]), 0.5, reader.features(texts[h.passage], q, 0.5, r, 0.0, lede=False, dense_gap=0.0),
                   reader.phrases(texts[h.passage], 0, q), None) for r, h in enumerate(hits)]
    out = scored(reads, texts, q)
    assert [c.hit.article_id for c in out] == ["a", "b"]
    twenty = next(p.key for p in out[0].phrases if "20" in p.key)
    assert out[0].counts[twenty] == 2  # both sentences say it
    assert out[0].features[-1] > 0  # and the repetition feature says so
