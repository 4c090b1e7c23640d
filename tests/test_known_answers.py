"""Known answers on the bundled corpus with the real model, on every backend (slow: the model's ONNX
export is made once per machine; the second backend takes its vectors from the embedding cache)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitrep.answer.engine import Engine
from sitrep.answer.speakers import role
from sitrep.index.backends import BackendConfig
from sitrep.index.build import update
from sitrep.retrieval.types import Answer, Query
from tests.conftest import SEEDS, target

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(real_seed_target: BackendConfig, real_encoder: Any) -> Engine:
    return Engine.open(real_seed_target, real_encoder, today=lambda: date(2026, 11, 22))


def test_the_second_backend_embedded_nothing(real_encoder: Any, real_cache: Any, tmp_path: Path) -> None:
    update(SEEDS, target("local", tmp_path), real_encoder, cache=real_cache)  # warm already, or now
    report = update(SEEDS, target("milvus", tmp_path), real_encoder, cache=real_cache)
    assert report.passages_embedded == 0 and report.passages > 20


def ask(engine: Engine, question: str) -> Answer:
    answer = engine.ask(Query(question))
    for c in answer.citations:
        # verbatim, always: the quote sits at quote_start in the cited passage, and the passage is what
        # the backend stores for that passage id, and the quote is word for word in the article's file
        assert c.passage[c.quote_start : c.quote_start + len(c.quote)] == c.quote
        hit = next(h for h in answer.hits if h.passage_id == c.passage_id)
        assert engine.backend.passages(np.array([hit.passage]), text=True).text == [c.passage]
        assert c.quote in (SEEDS / c.article_id).read_text("utf-8")
    return answer


# What China proposed or asked of India, as the article lists it (000_08773b1c9158e159.txt).
PROPOSALS = (
    "China wants to send a delegation of senior armed forces officials to India",
    "China has suggested that the Indian Defence Minister visit China in 2020",
    "In the note verbale to India, China says that there should be a visit to China by Indian border troops",
    "The Chinese have also called for visits by Indian warships",
    "In Doklam, in 2017, the two armies were eyeball-to-eyeball",  # ... "now the Chinese are asking for" hotlines
)


def test_china_proposal_asked_with_recently(engine: Engine) -> None:
    """ "recently" counts ages from the newest article (an archive, asked in 2026), and the article that answers has
    no date: with no recency credit it ranked like a very old report, and the answer quoted the newest article's
    China-Pakistan pact. With the dated candidates' mean credit it is quoted again."""
    a = ask(engine, "What did China recently propose to India?")
    assert not a.abstained and a.citations[0].article_id == "000_08773b1c9158e159.txt"
    assert a.sentences[0][0].startswith(PROPOSALS)


def test_china_proposal(engine: Engine) -> None:
    a = ask(engine, "What did China propose to India?")
    assert not a.abstained
    assert a.citations[0].article_id == "000_08773b1c9158e159.txt"
    for quote, _ in a.sentences:  # every sentence quoted states a proposal; none is padding from another story
        assert quote.startswith(PROPOSALS), quote


@pytest.mark.parametrize("question", ["What did China propose to India, exactly?", "pls what did china propose to india lol",
                                      "tbh what did China actually propose to India?",
                                      "Can you tell me what China proposed to India?"])
def test_words_of_chat_do_not_turn_an_answer_into_a_refusal(engine: Engine, question: str) -> None:
    """The five articles never write "exactly", "pls" or "lol": such a word weighed as a term the corpus
    lacks and the question was refused. Dropped, it is answered as it is without them."""
    plain = ask(engine, "What did China propose to India?")
    a = ask(engine, question)
    assert not a.abstained and a.citations[0].article_id == plain.citations[0].article_id
    assert not a.notes  # nothing was read as another word


@pytest.mark.parametrize("question", ["what China proposed", "I want to know what China proposed",
                                      "What did China propose to India"])
def test_a_question_typed_without_its_question_mark_is_answered_as_with_it(engine: Engine, question: str) -> None:
    """Embedded as typed, "what China proposed" was refused (confidence 0.13 against 0.88 with its "?")."""
    a, marked = ask(engine, question), ask(engine, question + "?")
    assert not a.abstained and a.hits == marked.hits and a.sentences == marked.sentences


@pytest.mark.parametrize("question", ["tell me about BECA", "whats beca", "Do you know what BECA is?"])
def test_how_a_question_is_put_does_not_refuse_it(engine: Engine, question: str) -> None:
    """"tell", "whats" and "know" were weighed as terms the five articles never use, and refused."""
    a = ask(engine, question)
    assert not a.abstained and "Basic Exchange and Cooperation Agreement (BECA)" in a.sentences[0][0]


def test_an_english_word_the_corpus_lacks_is_not_read_as_a_typo(engine: Engine) -> None:
    """"offer" is one key from "offed", a word the articles hold: it was read so, and answered about it."""
    a = ask(engine, "What did China offer India?")
    assert not any(n.startswith("read ") for n in a.notes)
    assert a.question == "What did China offer India?"


def test_two_questions_in_one_message_are_both_answered(engine: Engine) -> None:
    """Asked whole, the reader quoted the proposal only; asked as two, India's response too, one source list."""
    a = ask(engine, "What did China propose and how did India respond?")
    quotes = [s for s, _ in a.sentences]
    assert not a.abstained and quotes[0].startswith(PROPOSALS)
    assert "The Indian side is yet to respond to the Chinese request." in quotes
    assert a.notes == ('asked as two questions: "What did China propose?" and "How did India respond?"',)
    numbers = {c.article_id: c.n for c in a.citations}  # one number an article, across both halves
    assert sorted(numbers.values()) == list(range(1, len(numbers) + 1))
    assert {n for _, n in a.sentences} == {c.n for c in a.citations}
    assert all(a.citation(i) is not None for i in range(len(a.sentences)))
    typed = ask(engine, "What did Chnia propose and how did Inida respond?")  # typos read once, for the message
    assert typed.notes == ('read "Chnia" as "China", "Inida" as "India"', *a.notes)
    assert typed.sentences == a.sentences and typed.question == a.question


def test_a_half_the_corpus_does_not_answer_is_said_and_a_pronoun_of_a_refused_half_is_not_answered(engine: Engine) -> None:
    a = ask(engine, "What is BECA and what is the capital of Peru?")
    assert not a.abstained and "(BECA)" in a.sentences[0][0]
    assert 'nothing in the corpus answers "What is the capital of Peru?"' in a.notes
    b = ask(engine, "Who was Zorblax Quintavius and what is he known for?")  # "he" is Zorblax: nothing on either
    assert b.abstained


def test_two_questions_in_a_conversation_are_two_turns(engine: Engine) -> None:
    from sitrep.retrieval.conversation import Conversation

    talk = Conversation()
    engine.ask(Query("What did China propose and how did India respond?"), talk)
    assert len(talk.turns) == 2 and talk.turns[0].question == "What did China propose?"
    assert talk.turns[1].question.endswith("How did India respond?")  # alone, or with the first half before it
    refused = engine.ask(Query("Who was Zorblax Quintavius and what is he known for?"), talk)
    assert refused.abstained and len(talk.turns) == 3  # asked whole, as one turn: the halves' turns taken back


def test_china_pakistan_mou_date(engine: Engine) -> None:
    a = ask(engine, "When did China and Pakistan sign the defence MoU?")
    assert not a.abstained
    assert a.citations[0].article_id == "001_d3da3a035377400c.txt" and a.citations[0].date == "2020-12-11"


def test_what_is_beca(engine: Engine) -> None:
    a = ask(engine, "What is BECA?")
    assert not a.abstained
    assert "Basic Exchange and Cooperation Agreement" in (a.text or "")


def test_joint_air_exercise_name(engine: Engine) -> None:
    a = ask(engine, "What is the name of the joint air force exercise of China and Pakistan?")
    assert not a.abstained and '"Shaheen (Eagle)-IX"' in a.sentences[0][0]  # the best sentence names it


def test_aero_india_venue(engine: Engine) -> None:
    """A "where" question: the sentence holding the place is quoted, and the place marked."""
    a = ask(engine, "Where will Aero India 2021 be staged?")
    assert not a.abstained and "Yelahanka air base" in a.sentences[0][0]
    c = a.citations[0]
    assert [c.passage[x:y] for x, y in c.answer_spans] == ["Yelahanka air base outside Bengaluru"]


def test_troops_on_the_border(engine: Engine) -> None:
    a = ask(engine, "How many troops has China placed along the Indian border?")
    assert not a.abstained and a.citations[0].article_id == "004_7502e44b28077c3a.txt"
    c = a.citations[0]
    assert [c.passage[x:y] for x, y in c.answer_spans] == ["60,000"]


def test_russia_assurance_on_arms(engine: Engine) -> None:
    a = ask(engine, "What did Russia assure India about arms supplies to Pakistan?")
    assert not a.abstained
    assert a.citations[0].article_id == "002_473cd780df3d0ee7.txt"
    assert "would not supply weapons to Pakistan" in (a.text or "")
    assert "arms supply to Pakistan" in a.sentences[0][0]  # the best sentence first


@pytest.mark.parametrize("question", ["Who won the 2022 FIFA World Cup final?", "What is the best recipe for banana bread?"])
def test_unanswerable_abstains(engine: Engine, question: str) -> None:
    a = ask(engine, question)
    assert a.abstained and a.text is None and a.citations == ()
    assert a.hits  # the nearest articles are still offered


# -- follow-ups (issue 18): a conversation carried by retrieval ------------------------------------

def converse(engine: Engine, *questions: str) -> list[Answer]:
    from sitrep.retrieval.conversation import Conversation

    conversation = Conversation()
    answers = []
    for q in questions:
        answer = engine.ask(Query(q), conversation)
        ask_checks(engine, answer)
        answers.append(answer)
    return answers


def ask_checks(engine: Engine, answer: Answer) -> None:
    for c in answer.citations:
        assert c.passage[c.quote_start : c.quote_start + len(c.quote)] == c.quote
        assert c.quote in (SEEDS / c.article_id).read_text("utf-8")


def test_follow_up_india_response(engine: Engine) -> None:
    """Alone, "And how did India respond?" finds nothing to quote; after the China question it quotes the
    article's answer: "Then, there will be a suitable response"."""
    assert engine.ask(Query("And how did India respond?")).abstained
    first, follow = converse(engine, "What did China propose to India?", "And how did India respond?")
    assert not follow.abstained and follow.asked_as is not None
    assert follow.asked_as.text == "What did China propose to India? And how did India respond?"
    assert follow.asked_as.prior_articles == ("000_08773b1c9158e159.txt",)
    assert follow.citations[0].article_id == "000_08773b1c9158e159.txt"
    assert follow.sentences[0][0] == "Then, there will be a suitable response, sources said."
    assert first.asked_as is not None and not first.asked_as.followup


def test_follow_up_swaps_a_name(engine: Engine) -> None:
    """ "What about Pakistan?" re-asks the China question about Pakistan: the China-Pakistan MoU."""
    _, swap = converse(engine, "What did China propose to India?", "What about Pakistan?")
    assert swap.asked_as is not None and swap.asked_as.swapped == (("India", "Pakistan"),)
    assert swap.asked_as.text == "What did China propose to Pakistan?"
    assert swap.citations[0].article_id == "001_d3da3a035377400c.txt"


def test_a_new_subject_is_not_dragged_back(engine: Engine) -> None:
    """A question on another subject, asked after the China one, is searched and answered as it is alone."""
    _, other = converse(engine, "What did China propose to India?", "What is BECA?")
    alone = engine.ask(Query("What is BECA?"))
    assert other.asked_as is not None and not other.asked_as.followup
    assert [h.passage_id for h in other.hits] == [h.passage_id for h in alone.hits]
    assert other.text == alone.text and "Basic Exchange and Cooperation Agreement" in (other.text or "")


@pytest.mark.parametrize(("words", "as_of", "refused"), [
    ("", "2021-01-15", False),  # no span asked about: an old article may answer
    (" this week", "2020-12-12", False),  # a day old
    (" this week", "2020-12-20", True),  # nine days: not this week's
    (" last week", "2020-12-20", False),  # ... but last week's
    (" last week", "2021-01-15", True),
    (" yesterday", "2020-12-12", False),
    (" yesterday", "2020-12-20", True),
])
def test_a_question_about_a_recent_span_is_not_answered_from_older_articles(engine: Engine, words: str, as_of: str,
                                                                           refused: bool) -> None:
    """The China-Pakistan agreement is dated 2020-12-11: asked about "this week" on 2020-12-20 it is last
    week's news, refused with how old the newest article is (answer/present.py stale_note), the nearest
    articles still listed; undated articles are never judged so (their age is unknown)."""
    a = engine.ask(Query(f"What agreement did China and Pakistan sign{words}?", as_of=date.fromisoformat(as_of)))
    assert a.abstained is refused
    if refused:
        assert a.notes[-1].startswith(f"nothing from {words.strip()} answers this: the newest article that would be "
                                      "quoted is from 2020-12-11 (China and Pakistan have signed an agreement")
        assert a.hits and not a.citations
    else:
        assert a.citations[0].article_id == "001_d3da3a035377400c.txt"


@pytest.mark.parametrize(("first_asked", "new"), [("2020-12-01", True), ("2020-12-12", False)])
def test_any_news_reasks_the_last_question_on_what_was_published_since(engine: Engine, first_asked: str,
                                                                      new: bool) -> None:
    """Asked on 2020-12-01, "What agreement did China and Pakistan sign?" has no answer from that week's story
    (dated 2020-12-11); "Any news?" on 2020-12-20 finds it. Asked on 2020-12-12, the story was the answer;
    "Any news?" says there is nothing new — undated articles are not news, nor what was cited."""
    from datetime import UTC, datetime

    from sitrep.retrieval.conversation import Conversation, Turn

    def at(day: str) -> float:
        return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()

    first = engine.ask(Query("What agreement did China and Pakistan sign?", as_of=date.fromisoformat(first_asked)))
    talk = Conversation(clock=lambda: at("2020-12-20"), turns=[Turn(first.question, first.question,
                                                                       tuple(c.article_id for c in first.citations),
                                                                       at(first_asked))])
    a = engine.ask(Query("Any news?", as_of=date(2020, 12, 20)), talk)
    assert a.asked_as is not None and a.asked_as.reason == "asks what is new since the last answer"
    if new:
        assert {c.article_id for c in a.citations} == {"001_d3da3a035377400c.txt"}
        assert "001_d3da3a035377400c.txt" not in {c.article_id for c in first.citations}
    else:
        assert a.abstained and a.notes[-1] == "nothing new on this since 2020-12-12"


def test_a_weak_follow_up_that_the_conversation_cannot_answer_is_asked_alone(engine: Engine) -> None:
    """"What did the defence ministers discuss?" after "What is BECA?" says too little to stand alone (on the
    local index's term statistics; Milvus's unstemmed BM25 finds its words specific enough), so it is searched
    with BECA — which finds nothing. It is then asked as it is, and answered (it was refused before)."""
    from sitrep.retrieval.conversation import Conversation

    talk = Conversation()
    engine.ask(Query("What is BECA?"), talk)
    understood = engine.understand(Query("What did the defence ministers discuss?"), talk)
    if engine.backend.name == "local":
        assert understood.asked is not None and understood.asked.reason == "too general to stand alone"
    a = engine.ask(Query("What did the defence ministers discuss?"), talk)
    alone = engine.ask(Query("What did the defence ministers discuss?"))
    assert not a.abstained and a.asked_as is not None and a.asked_as.reason == ""
    assert a.sentences == alone.sentences


def test_a_follow_up_is_answered_about_the_conversations_subject(engine: Engine) -> None:
    """"Who signed it?" after "What is BECA?": the reader weighs the follow-up's own words most, but BECA (a name
    the conversation searched) still counts enough that the signing quoted is BECA's, not the China-Pakistan MoU's
    — though the sentence was quoted in the answer before (it is the one that answers)."""
    from sitrep.retrieval.conversation import Conversation

    talk = Conversation()
    engine.ask(Query("What is BECA?"), talk)
    a = engine.ask(Query("Who signed it?"), talk)
    assert a.sentences and a.sentences[0][0].startswith("India and the US will sign two pacts Tuesday")


@pytest.mark.parametrize(("question", "first"), [
    # India's words, not China's note verbale *to* India (which "says" and names India)
    ("What did India say?", "On Sunday Singh said India wanted to resolve the conflict with China peacefully"),
    ("What did Esper say?", "Earlier this month, at an event held by the Washington-based think tank Atlantic Council, "
                            "Esper said India"),
    ("What did China say?", "In the note verbale to India, China says"),
    # "about India" ranks other stories' passages first, none with Esper's words: the reader reads further (before:
    # the intelligence deal's lede, then the 2+2 dialogue, then China's note verbale)
    ("What did Esper say about India?", "Earlier this month, at an event held by the Washington-based think tank "
                                        "Atlantic Council, Esper said India"),
    # two words, "say" covered by "told": too short for the vector similarity, but the sentence gives his words
    # (before: "The corpus does not answer this.")
    ("What did Pompeo say?", "Last month Pompeo told a Quad meeting in Tokyo that China had placed 60,000 troops"),
])
def test_what_someone_said_quotes_their_words(engine: Engine, question: str, first: str) -> None:
    a = ask(engine, question)
    assert not a.abstained and a.sentences[0][0].startswith(first)
    if question != "What did China say?":
        assert not any(s.startswith("In the note verbale to India") for s, _ in a.sentences)


def test_an_answer_without_the_speakers_words_says_so(engine: Engine) -> None:
    """ "What did Modi say?": the corpus names Modi but never quotes him; the nearest sentences are given with a note
    that none is his (before: Li Li's words on "easy diplomatic wins for both Modi and Donald Trump", unremarked)."""
    a = ask(engine, "What did Modi say?")
    assert not a.abstained
    assert "no sentence found gives Modi's own words: these are the nearest" in a.notes
    assert not any("no sentence found" in n for n in ask(engine, "What did Esper say?").notes)


def test_what_he_said_in_a_follow_up_is_the_earlier_speakers(engine: Engine) -> None:
    """ "What did he say about China?" after "What did Esper say about India?": he is Esper, so Esper's words
    lead (before: the Indo-Pacific's definition, then China's claims in the South China Sea) — though the first
    answer quoted them already, since no other sentence of the corpus gives his words."""
    _, follow = converse(engine, "What did Esper say about India?", "What did he say about China?")
    assert not follow.abstained
    assert follow.sentences[0][0].startswith("Earlier this month, at an event held by the Washington-based think tank "
                                             "Atlantic Council, Esper said India")


def test_who_holds_a_post_quotes_a_sentence_naming_the_holder(engine: Engine) -> None:
    """ "Who is India's defence minister?" leads with a sentence that names him beside the post (before: a lede
    on China reaching out to India, which names no minister), and is not padded with sentences that name no
    holder (before: General Bipin Rawat's seminar, then that lede)."""
    a = ask(engine, "Who is India's defence minister?")
    assert not a.abstained and "Defence Minister Rajnath Singh" in a.sentences[0][0]
    assert all("defence minister" in s.lower() for s, _ in a.sentences)
    # "now" is the recency prior's to read, not a word the answer must hold (it refused this); and the undated
    # articles' mean credit keeps the newest article's six passages from filling the reader's places
    now = ask(engine, "Who is India's defence minister now?")
    assert not now.abstained and "Defence Minister Rajnath Singh" in now.sentences[0][0]


def test_a_sentence_naming_the_holder_leads_one_naming_another_countrys(engine: Engine) -> None:
    """ "Who is the Chinese defence minister?": the Moscow story's lede names "The Chinese defence minister" unnamed and
    "defence minister Rajnath Singh" (India's); the Pakistan story, ranked lower, names "China's Defence Minister Gen
    Wei Fenghe" (before: that lede, which reads as if Singh were China's)."""
    a = ask(engine, "Who is the Chinese defence minister?")
    assert not a.abstained and "Wei Fenghe" in a.sentences[0][0]


def test_he_in_a_follow_up_is_the_person_the_last_answer_named(engine: Engine) -> None:
    """ "What did he say?" after "Who is India's defence minister?": no question named him, the answer did
    (Rajnath Singh), so he is read as Rajnath Singh and his words lead (before: the US–India intelligence deal)."""
    _, follow = converse(engine, "Who is India's defence minister?", "What did he say?")
    assert not follow.abstained and follow.asked_as is not None
    assert follow.asked_as.rewrite == "What did Rajnath Singh say?"
    assert "Singh said" in follow.sentences[0][0]  # (locally "On Sunday Singh said India wanted to resolve …")
    # and no padding with what he did not say (before: the intelligence deal's lede, then "The Indian side is
    # yet to respond to the Chinese request.")
    assert all(role(s, ("rajnath", "singh")) > 0 for s, _ in follow.sentences)
