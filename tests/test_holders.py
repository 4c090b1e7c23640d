"""Who holds a post (answer/holders.py): "Who is India's defence minister?" is answered by a sentence naming the
holder beside the post, not by one naming the post alone, another country's holder or a former one."""

from __future__ import annotations

import pytest

from sitrep.answer import reader
from sitrep.answer.holders import Post, asked_post, holder

INDIA = frozenset({"india", "indian"})


@pytest.mark.parametrize(("question", "words", "whose", "former"), [
    ("Who is India's defence minister?", ("defence", "minister"), INDIA, False),
    ("Who is India’s defence minister now?", ("defence", "minister"), INDIA, False),
    ("Who is the Indian defence minister?", ("defence", "minister"), INDIA, False),
    ("who is the new prime minister of the United Kingdom this week", ("prime", "minister"), {"britain", "uk"}, False),
    ("Who is the CEO of Twitter?", ("ceo",), {"twitter"}, False),
    ("Who was the former prime minister?", ("prime", "minister"), frozenset(), True),
    ("Who is the US secretary of state?", ("secretary", "of", "state"), {"us", "american"}, False),
])
def test_the_post_a_question_asks_the_holder_of(question: str, words: tuple[str, ...], whose: frozenset[str],
                                                former: bool) -> None:
    post = asked_post(question)
    assert post is not None and post.words == words and set(whose) <= post.whose and post.former is former
    assert reader.QuestionKind.of(question).post == post


@pytest.mark.parametrize("question", ["Who is Rajnath Singh?", "Who leads Britain now?", "What is BECA?",
                                      "Who is next in the line of royal succession?", "Who signed it?"])
def test_questions_that_ask_for_no_post(question: str) -> None:
    assert asked_post(question) is None


DEFENCE = asked_post("Who is India's defence minister?")
PM = asked_post("Who is the new prime minister of Britain?")


@pytest.mark.parametrize(("sentence", "post", "expected"), [
    ("The Chinese defence minister has sought a meeting with defence minister Rajnath Singh on the sidelines.", DEFENCE, 1.0),
    ("Beijing has suggested Indian Defence Minister Nirmala Sitharama visit China in 2020.", DEFENCE, 1.0),
    ("China’s Defence Minister Gen Wei Fenghe held talks with Pakistan Army chief Gen Qamar Javed Bajwa.", DEFENCE, -1.0),
    ("Former defence minister AK Antony said so.", DEFENCE, -1.0),
    ("China is reaching out to India for closer defence cooperation.", DEFENCE, 0.0),
    ("The Chinese defence minister has sought a meeting.", DEFENCE, 0.0),  # the post, no holder
    ("Rishi Sunak is the new prime minister of Britain, replacing Liz Truss.", PM, 1.0),
    ("Rishi Sunak, the new prime minister, spoke on Tuesday.", PM, 1.0),
    ("UK Prime Minister Liz Truss resigned on Thursday.", PM, 1.0),
    ("Italian Prime Minister Giorgia Meloni spoke.", PM, -1.0),
    ("Former British Prime Minister Boris Johnson said.", PM, -1.0),
    ("Italian Prime Minister Giorgia Meloni met British Prime Minister Rishi Sunak.", PM, 1.0),  # one that fits
    ("Former British Prime Minister Boris Johnson said.", asked_post("Who was the former prime minister?"), 1.0),
    ("Rishi Sunak is the new prime minister of Britain.", None, 0.0),
    ("Rishi Sunak is the United Kingdom's latest prime minister.", asked_post("Who is the prime minister of Italy?"), -1.0),
    ("Giorgia Meloni is set to become Italy’s first female prime minister.", asked_post("Who is the prime minister of Italy?"), 1.0),
    ("Rishi Sunak is the United Kingdom's latest prime minister.", PM, 1.0),
    ("Former Brazilian President Lula da Silva, who is running for president again, voted.",
     asked_post("Who is the new Brazilian president?"), -1.0),
    ("Musk started his tenure at Twitter by firing CEO Parag Agrawal.", asked_post("Who is the CEO of Twitter?"), -1.0),
    ("India and the US agreed, said Defense Minister Rajnath Singh.", DEFENCE, 1.0),  # the other spelling
    ("The day began when then-President Castillo announced plans.", asked_post("Who is the president of Peru?"), -1.0),
    # China's holder is the one the sentence gives China, unnamed: the named one with no country is another's
    ("The Chinese defence minister has sought a meeting with defence minister Rajnath Singh on the sidelines.",
     asked_post("Who is the Chinese defence minister?"), -1.0),
    ("Chinese Defence Minister Wei Fenghe met defence minister Rajnath Singh.", asked_post("Who is the Chinese defence minister?"), 1.0),
])
def test_whether_a_sentence_names_a_holder_that_fits(sentence: str, post: Post | None, expected: float) -> None:
    assert holder(sentence, post) == expected


def test_the_newest_reports_holder_leads_where_the_holders_differ() -> None:
    """"Who is the prime minister of Britain?" asked on 2022-10-28: Truss's appointment (a September report) led,
    Sunak's (2022-10-24) followed; now Sunak's leads, with a note, and Truss's is not quoted beside it. One holder named
    by reports of two days: as it was."""
    from sitrep.answer.answerer import Answerer, _Evidence
    from sitrep.answer.candidates import _Candidate
    from sitrep.answer.reader import FEATURES, QuestionKind, phrases
    from sitrep.index.backends.base import ArticleMeta
    from sitrep.retrieval.types import Hit

    truss = "The Queen officially appointed Truss as the new prime minister on September 6."
    sunak = "Rishi Sunak is the United Kingdom's latest prime minister, replacing Liz Truss."
    sunak_again = "Rishi Sunak, the new prime minister, spoke on Tuesday."
    texts = {0: truss, 1: sunak, 2: sunak_again}
    day = {"a": "2022-09-07", "b": "2022-10-24", "c": "2022-10-25"}
    meta = {a: ArticleMeta(a, a, "Desk", d, None, f"{a}.md", "h") for a, d in day.items()}
    feats = tuple(1.0 if f == "holder" else 0.0 for f in FEATURES)
    q = QuestionKind.of("Who is the prime minister of Britain?")
    cands = [_Candidate(i, Hit(i, a, f"{a}#0", 1.0), 0, len(texts[i]), 5.0 - i, 0.5, phrases(texts[i], 0, q),
                        features=feats, key=str(i)) for i, a in enumerate(("a", "b", "c"))]
    ev = _Evidence({}, cands, 0.0, texts, {}, meta, meta)
    kind = q
    answerer = Answerer(None, None)  # type: ignore[arg-type]  # (reads neither)
    lead, note = answerer._newest_holder(cands[0], cands[:2], kind, set(), ev)
    assert texts[lead.hit.passage] == sunak
    assert note == "the holders named are of different days: the newest report's (2022-10-24) is quoted first"
    # and the answer quotes no other holder beside it (without the texts to read holders from, it would)
    assert [texts[c.hit.passage] for c in answerer._choose(lead, cands[:2], kind, set(), texts)] == [sunak]
    assert [texts[c.hit.passage] for c in answerer._choose(lead, cands[:2], kind, set())] == [sunak, truss]
    # Sunak on two days: nothing to put in order
    assert answerer._newest_holder(cands[1], cands[1:], kind, set(), ev) == (cands[1], None)
