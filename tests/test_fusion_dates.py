"""Fusion as pure functions; time expressions as date windows."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sitrep.index.build import update
from sitrep.retrieval.dates import asks_latest, parse_as_of, window
from sitrep.retrieval.errors import BadOption
from sitrep.retrieval.fusion import convex, ordered, rrf, union
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder, target


def lists(*ranked: list[tuple[int, float]]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """(candidates, each list's positions in them, each list's scores) of (id, score) lists, best first."""
    ids, positions = union([np.array([i for i, _ in r], dtype=np.int64) for r in ranked])
    return ids, positions, [np.array([s for _, s in r], dtype=np.float32) for r in ranked]


def test_union_keeps_the_order_of_first_appearance() -> None:
    ids, positions = union([np.array([5, 2]), np.array([2, 9, 5]), np.array([], dtype=np.int64)])
    assert ids.tolist() == [5, 2, 9]
    assert [p.tolist() for p in positions] == [[0, 1], [1, 2, 0], []]
    ids, positions = union([])
    assert ids.tolist() == [] and positions == []


def test_rrf_known_values() -> None:
    ids, positions, _ = lists([(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)])
    fused = dict(zip(ids.tolist(), rrf(positions, len(ids), k=60).tolist()))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61) and fused[3] == pytest.approx(1 / 62)
    assert [i for i, _ in ordered(ids, rrf(positions, len(ids), k=60))] == [2, 1, 3]


def test_rrf_weights_and_empty_lists() -> None:
    ids, positions, _ = lists([], [(7, 1.0)])
    assert rrf(positions, len(ids), weights=[1.0, 2.0]).tolist() == [pytest.approx(2 / 61)]
    assert rrf([], 0).tolist() == []


def test_convex_normalises_each_list() -> None:
    ids, positions, scores = lists([(1, 10.0), (2, 0.0)], [(2, 0.5), (1, 0.25)])
    fused = dict(zip(ids.tolist(), convex(positions, scores, [0.5, 0.5], len(ids)).tolist()))
    assert fused[1] == pytest.approx(0.5) and fused[2] == pytest.approx(0.5)
    ids, positions, scores = lists([(4, 3.0)])
    assert convex(positions, scores, [1.0], len(ids)).tolist() == [1.0]  # a single item scores as the best


def test_convex_max_keeps_close_scores_close() -> None:
    ids, positions, scores = lists([(1, 0.62), (2, 0.60)], [(2, 10.0), (1, 5.0)])
    fused = dict(zip(ids.tolist(), convex(positions, scores, [0.5, 0.5], len(ids), norm="max").tolist()))
    assert fused[1] == pytest.approx(0.5 + 0.25) and fused[2] == pytest.approx(0.5 * 0.60 / 0.62 + 0.5, rel=1e-6)


def test_ordered_breaks_ties_by_id() -> None:
    assert ordered(np.array([5, 3, 9]), np.array([1.0, 1.0, 2.0])) == [(9, 2.0), (3, 1.0), (5, 1.0)]


AS_OF = date(2022, 6, 16)


@pytest.mark.parametrize(
    ("question", "start", "end", "hint"),
    [
        ("What happened in 2020?", date(2020, 1, 1), date(2020, 12, 31), ""),
        ("Who won in December 2020?", date(2020, 12, 1), date(2020, 12, 31), ""),
        ("Which show was green lit this week?", None, AS_OF, "this week"),
        ("What did he say last week?", None, AS_OF, "last week"),
        ("Who resigned yesterday?", None, AS_OF, "yesterday"),
        ("What changed since 2021?", date(2021, 1, 1), AS_OF, ""),
        ("What did China propose to India?", None, AS_OF, ""),
        ("Which stores plan to merge in 2024?", None, AS_OF, ""),  # a future year is no filter
        # the news is this week's; March 2020 is background, not a filter
        ("Which country dropped this week the rules it set in March 2020?", None, AS_OF, "this week"),
    ],
)
def test_windows(question: str, start: date | None, end: date, hint: str) -> None:
    """Named dates filter (start..end); relative expressions are only a hint (no start) that
    switches the recency prior to its short half-life."""
    w = window(question, AS_OF)
    assert (w.start, w.end) == (start, end)
    assert w.hard == (not hint) and (not hint or w.reason == hint)


def test_relative_expressions_only_hint() -> None:
    assert window("Who resigned this week?", AS_OF).hard is False
    assert window("What happened in 2020?", AS_OF).hard is True


def test_bad_as_of() -> None:
    with pytest.raises(BadOption, match="use YYYY-MM-DD"):
        parse_as_of("next tuesday")
    assert parse_as_of("2020-01-02") == date(2020, 1, 2)
    assert parse_as_of(None, today=AS_OF) == AS_OF


@pytest.mark.parametrize(("question", "latest"), [
    ("Who is the new prime minister of Britain?", True),
    ("Who leads Britain now?", True),
    ("What did China recently propose?", True),
    ("Which show was green lit this week?", True),  # a relative span asks for the latest too
    ("What did China propose to India?", False),
    ("Who renewed the contract?", False),  # a word that holds "new" is not "new"
    ("What did New York's governor sign?", False),  # a name
    ("What is new in New Delhi?", True),
    ("When is the next launch attempt?", True),  # the next one is whatever the newest report says it is
    ("What is the upcoming vote about?", True),
    ("Which chip is in Apple's next-generation iPhone?", False),  # a product's name, not the present state
])
def test_asks_latest(question: str, latest: bool) -> None:
    assert asks_latest(question) is latest


def _archive(tmp_path: Path, kind: str, later: bool = False) -> tuple[HybridRetriever, date]:
    """Two dated reports on one subject seven weeks apart; the older names it more often (it wins on words).
    `later`: and the archive's newest article, on another subject, seven months after both."""
    recs = [
        {"id": "truss", "title": "Britain's new prime minister", "published_at": "2022-09-05",
         "body": "Liz Truss is the new prime minister of Britain. The prime minister of Britain spoke."},
        {"id": "sunak", "title": "Rishi Sunak takes office", "published_at": "2022-10-24",
         "body": "Rishi Sunak is the new prime minister of Britain, replacing Liz Truss."},
        {"id": "other", "title": "Markets", "published_at": "2022-08-01", "body": "Shares rose after the report."},
    ] + ([{"id": "weather", "title": "Heatwave", "published_at": "2023-06-01", "body": "A heatwave hit the coast."}]
         if later else [])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    config = target(kind, tmp_path)
    update(corpus, config, FakeEncoder())
    return HybridRetriever(config.open(), FakeEncoder()), date(2026, 12, 3)


def test_an_archive_answers_what_is_new_from_its_newest_reports(tmp_path: Path, backend_kind: str) -> None:
    """Asked years after its last article, every report is old and the recency prior weighs them alike; a
    question that asks what is new counts ages from the archive's newest article, as on its last day."""
    r, today = _archive(tmp_path, backend_kind)
    first = lambda q, as_of: r.search(Query(q, as_of=as_of)).hits[0].article_id  # noqa: E731
    assert first("Who is the new prime minister of Britain?", today) == "sunak"
    assert first("Who is the new prime minister of Britain?", date(2022, 10, 25)) == "sunak"  # as on its last day
    assert r.prior_day(today, latest=True) == date(2022, 10, 24) and r.prior_day(today, latest=False) == today
    assert r.prior_day(date(2022, 10, 1), latest=True) == date(2022, 10, 1)  # the as-of date stays the bound
    # without words that ask for the latest, the archive's last weeks are not favoured: words decide
    assert first("Who is the prime minister of Britain?", today) == "truss"
    flat = HybridRetriever(r.backend, FakeEncoder(), replace(RetrievalParams(), recency_weight=0.0, hint_weight=0.0))
    assert flat.search(Query("Who is the new prime minister of Britain?", as_of=today)).hits[0].article_id == "truss"


def test_newest_of_best_is_the_topic_s_own_now() -> None:
    """The newest dated day among the best `depth` candidates, never later than `now`; undated ones do not count."""
    from sitrep.index.backends.base import UNDATED
    from sitrep.retrieval.hybrid import newest_of_best

    day = np.array([date(2022, 9, 5).toordinal(), date(2022, 10, 24).toordinal(), date(2023, 6, 1).toordinal(), UNDATED])
    fused = np.array([0.9, 0.8, 0.1, 0.95])
    assert newest_of_best(fused, day, date(2026, 12, 3), 3) == date(2022, 10, 24)  # the markets story is not in the best 3
    assert newest_of_best(fused, day, date(2026, 12, 3), 4) == date(2023, 6, 1)
    assert newest_of_best(fused, day, date(2022, 10, 1), 3) == date(2022, 10, 1)  # the as-of bound stays
    assert newest_of_best(fused, day, date(2026, 12, 3), 1) == date(2026, 12, 3)  # only undated: no topic date


def test_a_question_for_the_present_counts_from_its_topic_s_newest_report(tmp_path: Path, backend_kind: str) -> None:
    """An archive whose newest article is on another subject, months after the topic's last report: "the new
    prime minister" counts ages from the topic's newest report (RetrievalParams.current_depth), so the later
    report of the two wins, as it did on the day it was published."""
    r, today = _archive(tmp_path, backend_kind, later=True)
    assert r.prior_day(today, latest=True) == date(2023, 6, 1)  # the archive's newest: the weather
    deep = HybridRetriever(r.backend, FakeEncoder(), replace(RetrievalParams(), current_depth=2))
    result = deep.search(Query("Who is the new prime minister of Britain?", as_of=today))
    assert result.hits[0].article_id == "sunak" and result.recency_from == date(2022, 10, 24)
    off = HybridRetriever(r.backend, FakeEncoder(), replace(RetrievalParams(), current_depth=0))
    result = off.search(Query("Who is the new prime minister of Britain?", as_of=today))
    # counted from the weather story, both reports are months old and weigh alike; in a corpus this small the
    # weather story itself leads
    assert result.hits[0].article_id != "sunak" and result.recency_from == date(2023, 6, 1)
    # a question that does not ask for the present keeps the as-of date
    assert deep.search(Query("Who is the prime minister of Britain?", as_of=today)).recency_from in (None, today)


def test_where_few_articles_are_dated_no_mode_counts_from_the_newest_of_them(tmp_path: Path, backend_kind: str) -> None:
    """A collection of undated snippets with one dated article: that article's day is not the collection's "now",
    in BM25 and vector modes as in hybrid (they counted from it, and it outranked the rest: the snippet shapes'
    single-mode rows moved)."""
    recs = [{"id": f"u{i}", "title": f"Story {i}", "body": f"The new prime minister of Britain met leader {i} today."}
            for i in range(6)] + [{"id": "dated", "title": "Old", "published_at": "2020-01-01",
                                   "body": "A prime minister spoke."}]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    config = target(backend_kind, tmp_path)
    update(corpus, config, FakeEncoder())
    r = HybridRetriever(config.open(), FakeEncoder())
    assert r.prior_day(date(2026, 12, 3), latest=True) == date(2020, 1, 1)  # the index's newest dated article
    for mode in ("bm25", "dense", "hybrid"):
        result = r.search(Query("Who is the new prime minister of Britain?", mode=mode, as_of=date(2026, 12, 3)))
        assert result.recency_from is None, mode
        assert result.hits[0].article_id != "dated", mode


def test_an_answer_about_what_is_current_from_old_reports_says_how_old(tmp_path: Path, backend_kind: str) -> None:
    """Asked what is new, an archive answers from its newest reports and says how old they are; asked on its
    last day, or without such words, it says nothing of the kind."""
    from sitrep.answer.engine import Engine

    r, today = _archive(tmp_path, backend_kind)
    engine = Engine(r.backend, FakeEncoder(), today=lambda: today)
    note = "the newest report quoted is from 2022-10-24, 4 years before 2026-12-03: it may have changed since"
    answer = engine.ask(Query("Who is the new prime minister of Britain?"))
    assert not answer.abstained and answer.citations[0].article_id == "sunak" and note in answer.notes
    fresh = engine.ask(Query("Who is the new prime minister of Britain?", as_of=date(2022, 10, 25)))
    assert not fresh.abstained and not any("newest report quoted is from" in n for n in fresh.notes)
    plain = engine.ask(Query("Who is the prime minister of Britain?"))
    assert not any("newest report quoted is from" in n for n in plain.notes)
    # (that one says which holder is newest, Truss's and Sunak's reports both quoted: docs/asking.md "Who holds a post")
    assert plain.citations[0].article_id == "sunak"


@pytest.mark.parametrize(("question", "as_of", "dates", "said"), [
    ("Who is the new prime minister?", date(2022, 12, 1), ["2022-10-24"], "2022-10-24, 38 days before 2022-12-01"),
    ("Who leads Britain now?", date(2023, 10, 24), ["2022-10-24", "2022-09-05"], "2022-10-24, 12 months before"),
    ("Who is the new prime minister?", date(2022, 11, 20), ["2022-10-24"], None),  # 27 days: recent enough
    ("Who is the new prime minister?", date(2026, 1, 1), ["2022-10-24", None], None),  # one undated: age unknown
    ("Who was named this week?", date(2026, 1, 1), ["2022-10-24"], None),  # a span: stale_note's to judge
    ("Who is prime minister?", date(2026, 1, 1), ["2022-10-24"], None),
])
def test_dated_note(question: str, as_of: date, dates: list[str | None], said: str | None) -> None:
    from sitrep.answer.present import dated_note
    from sitrep.index.backends.base import ArticleMeta

    cited = [ArticleMeta(id=f"a{i}", title="t", source="s", date=d, url=None, location="f", hash="h") for i, d in enumerate(dates)]
    note = dated_note(question, window(question, as_of), as_of, cited)
    assert (note is None) if said is None else (note is not None and said in note)
