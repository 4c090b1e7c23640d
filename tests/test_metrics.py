"""The evaluation metrics on rankings worked out by hand, and the answer-quality counts on known answers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from sitrep.evaluation.evaluate import EvalQuery, article_ranking, evaluate, norm_text, retrieval_metrics
from sitrep.retrieval.types import Answer, Citation, Hit, Query


def test_recall_mrr_ndcg_known_values() -> None:
    rankings = [
        ["a", "g1", "b", "c"],  # gold at rank 2
        ["x", "y"],  # gold never found
        ["h1", "z", "h2"],  # two golds, at ranks 1 and 3
    ]
    golds = [["g1"], ["g2"], ["h1", "h2"]]
    m = retrieval_metrics(rankings, golds)
    assert m["recall@1"] == round((0 + 0 + 0.5) / 3, 4)
    assert m["recall@5"] == m["recall@10"] == m["recall@20"] == round((1 + 0 + 1) / 3, 4)
    assert m["hit@10"] == round(2 / 3, 4)
    assert m["mrr@10"] == round((1 / 2 + 0 + 1) / 3, 4)
    ndcg_1 = (1 / math.log2(3)) / 1.0
    ndcg_3 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m["ndcg@10"] == round((ndcg_1 + 0 + ndcg_3) / 3, 4)


def test_a_gold_past_rank_10_does_not_count() -> None:
    ranking = [f"n{i}" for i in range(10)] + ["g"]
    m = retrieval_metrics([ranking], [["g"]])
    assert (m["recall@10"], m["mrr@10"], m["ndcg@10"], m["recall@20"]) == (0.0, 0.0, 0.0, 1.0)


def test_article_ranking_counts_each_article_once_at_its_best_rank() -> None:
    hits = [Hit(i, aid, f"{aid}#{i}", 1.0 / (i + 1)) for i, aid in enumerate(["a", "b", "a", "c", "b"])]
    assert article_ranking(hits) == ["a", "b", "c"]


def test_article_ranking_shows_the_copies_folded_into_a_hit_right_after_it() -> None:
    # "d" and "e" were near-duplicates of hit "a" ("also in"): the answer shows them with it, so they
    # rank before "b" and count towards recall@10 (a syndicated copy is found, not lost).
    hits = [Hit(0, "a", "a#0", 1.0, also_in=("d", "e")), Hit(1, "b", "b#0", 0.5, also_in=("a",)), Hit(2, "d", "d#1", 0.4)]
    assert article_ranking(hits) == ["a", "d", "e", "b"]
    assert retrieval_metrics([article_ranking(hits)], [["e", "b"]])["mrr@10"] == round(1 / 3, 4)


def test_norm_text_ignores_case_and_quote_marks() -> None:
    assert norm_text("“Squid Game”") == "squid game" and norm_text("Biden's") == "bidens"


def _answer(question: str, quote: str | None, article: str) -> Answer:
    hits = (Hit(0, article, f"{article}#0", 1.0),)
    if quote is None:
        return Answer(question, (), (), hits, True, 0.1)
    passage = f"Lead. {quote} Tail."
    c = Citation(1, article, f"{article}#0", "T", "s", "2022-01-01", "loc", passage, quote, passage.index(quote))
    return Answer(question, ((quote, 1),), (c,), hits, False, 0.9)


def test_answer_quality_counts() -> None:
    canned = {
        "q1": _answer("q1", "Netflix renewed “Squid Game” for a second season.", "gold1"),  # gold, quotes the answer
        "q2": _answer("q2", "Regulators in Europe met on Monday.", "other"),  # quotes the answer, wrong article
        "q3": _answer("q3", "The plan was announced.", "gold3"),  # gold article, answer not quoted
        "q4": _answer("q4", None, "gold4"),  # abstained
        "n1": _answer("n1", None, "x"),  # a probe, abstained
        "n2": _answer("n2", "Something unrelated happened.", "y"),  # a probe, answered
    }

    def ask(q: Query) -> Answer:
        return canned[q.text]

    queries = [EvalQuery("1", "q1", ("gold1",), None, "Squid Game"), EvalQuery("2", "q2", ("gold2",), None, "Europe"),
               EvalQuery("3", "q3", ("gold3",), None, "Mustard"), EvalQuery("4", "q4", ("gold4",), None, "6")]
    nulls = [EvalQuery("n1", "n1", (), None), EvalQuery("n2", "n2", (), None)]
    report = evaluate(ask, queries, nulls, ["hybrid"])
    assert report["abstention"] == {"null_abstained": 0.5, "answerable_abstained": 0.25}
    assert report["answers"] == {"cites_gold_article": round(2 / 3, 4), "quote_contains_answer": round(2 / 3, 4),
                                 "first_quote_contains_answer": round(2 / 3, 4), "quotes_verbatim": True, "words_quoted": 6.0,
                                 "by_type": {"other": {"questions": 3, "quote_contains_answer": round(2 / 3, 4)}}}
    assert report["modes"]["hybrid"]["recall@10"] == pytest.approx(0.75)  # hits: q1, q3, q4 gold; q2 not


def test_the_first_quote_counts_apart() -> None:
    """An answer whose second quote holds the answer text quotes the answer, but not in its first quote."""
    first, second = "The Senate passed the bill on Tuesday.", "It was supported by 12 Republicans."
    a = _answer("q", first, "gold")
    passage = f"{first} {second}"
    cite = replace(a.citations[0], passage=passage, quote=second, quote_start=passage.index(second))
    a = replace(a, sentences=((first, 1), (second, 1)), citations=(a.citations[0], cite))
    report = evaluate(lambda q: a, [EvalQuery("1", "q", ("gold",), None, "12")], [], ["hybrid"])
    assert report["answers"]["quote_contains_answer"] == 1.0 and report["answers"]["first_quote_contains_answer"] == 0.0
