"""A follow-up's answer says something the conversation has not been told: a sentence an earlier answer
quoted does not lead it again when another is nearly as likely (AnswerParams.repeat_ratio), and is not padding
either. What was quoted travels with the turn: in memory (Turn.of) and read back from a Discord answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitrep.answer import present
from sitrep.answer.engine import Engine
from sitrep.chat.render import answer_embed, more_custom_id, quoted_sentences, turn_from_message
from sitrep.index.build import update
from sitrep.retrieval.conversation import Conversation, Turn, plan, quote_key
from sitrep.retrieval.types import Answer, AskedAs, Citation, Query

WELCOMED = "President Joe Biden welcomed the Atlanta Braves to the White House on Monday, celebrating their World Series win."
JERSEY = "As per tradition, the team gave the President a Braves jersey with BIDEN 46 on the back."
BEAT = "The Braves beat the Houston Astros in six games to win the title last November."


@pytest.fixture(scope="module")
def braves(tmp_path_factory: pytest.TempPathFactory, real_encoder: Any) -> Engine:
    tmp = tmp_path_factory.mktemp("braves")
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / "braves.md").write_text(
        "---\ntitle: Biden welcomes the Braves\nsource: Sports Desk\ndate: 2022-09-26\n---\n"
        f"{WELCOMED}\n\n{BEAT}\n\n{JERSEY}\n\nPlayers, owners and staff were in attendance, the White House said.\n",
        encoding="utf-8")
    (corpus / "dodgers.md").write_text(
        "---\ntitle: Dodgers visit\nsource: Sports Desk\ndate: 2021-07-02\n---\n"
        "Biden welcomed the Los Angeles Dodgers, the 2020 World Series champions, to the White House in July 2021.\n",
        encoding="utf-8")
    update(corpus, tmp / "idx", real_encoder)
    return Engine.open(tmp / "idx", real_encoder)


@pytest.mark.slow
@pytest.mark.parametrize(("ratio", "expected"), [(0.1, [JERSEY]), (1.0, [WELCOMED, JERSEY])])
def test_a_follow_up_does_not_lead_with_what_was_just_quoted(braves: Engine, ratio: float, expected: list[str]) -> None:
    """"What did they give the President?" after the welcome was quoted: the reader still likes the welcome
    best (it names the President), but the asker has read it; the jersey answers. 1.0: the old behaviour."""
    braves.answerer.params = replace(braves.answerer.params, repeat_ratio=ratio)
    try:
        talk = Conversation()
        first = braves.ask(Query("Which team did Biden welcome to the White House on Monday?"), talk)
        assert [s for s, _ in first.sentences] == [WELCOMED]
        assert talk.turns[-1].quoted == (quote_key(WELCOMED),)
        follow = braves.ask(Query("What did they give the President?"), talk)
        assert follow.asked_as is not None and follow.asked_as.shown == (quote_key(WELCOMED),)
        assert [s for s, _ in follow.sentences] == expected
        told = present.why(follow) or ""
        assert follow.not_repeated is (ratio < 1.0) and ("not quoting again what was quoted above" in told) is (ratio < 1.0)
        assert [s for s, _ in braves.ask(Query("Who did they beat?"), talk).sentences] == [BEAT]
    finally:
        braves.answerer.params = replace(braves.answerer.params, repeat_ratio=0.1)


def test_a_follow_up_answered_by_what_was_just_quoted_may_lead_with_it() -> None:
    """"Which university ran that survey?" after "In a new Monmouth University survey …, 60% disapprove" was
    quoted: a new sentence nearly as likely ("Multiple polls … find that majorities disapprove") holds none of the
    follow-up's own words, the one quoted holds "university"; it leads again (conversation set: the first quote
    holds the answer in 53 of 98 answered follow-ups, 47 before). Where the new one holds as many, it leads."""
    from sitrep.answer.candidates import _Candidate, best_untold
    from sitrep.retrieval.types import Hit

    hit = Hit(0, "a", "a#0", 1.0)
    told = _Candidate(0, hit, 0, 10, score=6.4, coverage=0.6, key="monmouth")
    new = _Candidate(0, hit, 11, 20, score=5.6, coverage=0.4, key="polls")
    own = {"monmouth": 0.6, "polls": 0.0}
    assert best_untold([told, new], {"monmouth"}, False, 0.0, 0.1)[0] is new  # no own words known: something new
    assert best_untold([told, new], {"monmouth"}, False, 0.0, 0.1, lambda c: own[c.key])[0] is told
    own["polls"] = 0.6
    assert best_untold([told, new], {"monmouth"}, False, 0.0, 0.1, lambda c: own[c.key])[0] is new


@pytest.mark.slow
def test_a_question_on_its_own_may_be_answered_as_before(braves: Engine) -> None:
    """Asking the same thing again is not a follow-up: the same answer, not a worse one."""
    talk = Conversation()
    q = "Which team did Biden welcome to the White House on Monday?"
    assert [s for s, _ in braves.ask(Query(q), talk).sentences] == [s for s, _ in braves.ask(Query(q), talk).sentences]


def _answer(sentences: list[str]) -> Answer:
    cites = tuple(Citation(i + 1, f"a{i}.txt", f"a{i}.txt#0", "T", "S", "2022-01-01", f"a{i}.txt", s, s, 0)
                  for i, s in enumerate(sentences))
    return Answer("What did they give the President?", tuple((s, c.n) for s, c in zip(sentences, cites)), cites, (),
                  False, 0.9, ("a note: not a quote",), AskedAs("What did they give the President?", ("presid",)))


def test_what_an_answer_quoted_is_read_back_from_its_discord_message() -> None:
    """Markdown, mentions and a long sentence cut to fit come back as the same keys Turn.of records; the notes
    after the last marker are not quotes."""
    sentences = ["The *team* gave @everyone a_jersey with <@123> on it — BIDEN 46.", "Players said: **hi** [sic]."]
    a = _answer(sentences)
    embed = answer_embed(a, {}).embed
    turn = turn_from_message(embed.title, None, [more_custom_id(a)], 1.0, embed.description)
    assert turn is not None and turn.quoted == Turn.of(a).quoted == tuple(quote_key(s) for s in sentences)
    assert quoted_sentences(None) == () and quoted_sentences("no markers at all") == ()


def test_a_follow_up_plan_carries_what_every_remembered_answer_quoted() -> None:
    def tokenize(text: str) -> list[str]:
        return [w.lower() for w in text.split()]

    def strength(terms: Any) -> dict[str, float]:
        return dict.fromkeys(terms, 0.5)

    def similar(name: str, others: Any) -> np.ndarray:
        return np.zeros(len(others))

    talk = Conversation(turns=[Turn("Q one", "Q one", (), quoted=("a b",)), Turn("Q two", "Q two", (), quoted=("c", "a b"))])
    asked = plan("Why?", talk, tokenize, strength, similar)
    assert asked.followup and asked.shown == ("a b", "c")
    assert plan("What did Acme announce on Monday?", talk, tokenize, strength, similar).shown == ()  # stands alone


def test_a_quote_matches_the_sentence_it_was_cut_from() -> None:
    """A quote whose photo credit was cut, or a sentence inside a quoted joined span, counts as said."""
    from sitrep.answer.candidates import _Candidate, said_before
    from sitrep.retrieval.types import Hit

    text = "John Raoux/AP The rocket sat on the pad for a week before launch. It flew on Friday."
    hit = Hit(0, "a", "a#0", 1.0)
    first = _Candidate(0, hit, 0, text.index(" It flew"), 0.0, 1.0, key="first")
    second = _Candidate(0, hit, text.index("It flew"), len(text), 0.0, 1.0, key="second")
    texts = {0: text}
    assert said_before([first, second], texts, [quote_key("The rocket sat on the pad for a week before launch.")]) == {"first"}
    assert said_before([first, second], texts, [quote_key(text)]) == {"first", "second"}
    assert said_before([first, second], texts, []) == set()


PLAYERS = "Players, owners and staff were in attendance, the White House said."


@pytest.mark.slow
def test_what_else_quotes_what_was_not_quoted_then_says_there_is_no_more(braves: Engine) -> None:
    """"What else?" re-asks the last question for the sentences its answers have not quoted; when none is left
    that says enough of the question, it says so — not that the corpus cannot answer — and offers no 🔔. However
    many times it is asked, nothing comes twice (what was quoted is carried past the turns remembered)."""
    from sitrep.answer.present import NOTHING_MORE, refusal
    from sitrep.cli.render import as_text

    talk = Conversation()
    braves.ask(Query("Which team did Biden welcome to the White House on Monday?"), talk)
    said = []
    for ask in ("What else?", "Tell me more about it", "More?", "go on"):
        a = braves.ask(Query(ask), talk)
        assert a.asked_as is not None and a.asked_as.more and a.asked_as.reason == "asks for more on the earlier question"
        said.append([s for s, _ in a.sentences])
    assert said == [[JERSEY], [PLAYERS], [], []] and not a.not_repeated  # "What else?" is about not repeating
    assert a.abstained and NOTHING_MORE in a.notes
    assert refusal(a)[0] == "Nothing more on this than what was already quoted." and NOTHING_MORE not in refusal(a)[1]
    assert "Nothing more on this" in as_text(a) and "does not answer" not in as_text(a)
    embed = answer_embed(a, braves.answer_meta(a)).embed
    assert embed.description is not None and embed.description.startswith("Nothing more on this")


def test_only_a_bare_request_for_more_is_one() -> None:
    def tokenize(text: str) -> list[str]:
        return [w.lower().strip("?") for w in text.split()]

    def strength(terms: Any) -> dict[str, float]:
        return dict.fromkeys(terms, 0.5)

    def similar(name: str, others: Any) -> np.ndarray:
        return np.zeros(len(others))

    talk = Conversation(turns=[Turn("What did China propose?", "What did China propose to India?", ("a1",),
                                    quoted=("china wants talks",))])
    for more in ("What else?", "tell me more", "More details please", "anything else on that?", "Go on…", "ok, more",
                 "can you tell me more?", "Could you elaborate?", "tell us more please"):
        asked = plan(more, talk, tokenize, strength, similar)
        assert asked.more and asked.text == "What did China propose to India?" and asked.shown == ("china wants talks",)
        assert asked.prior_articles == ("a1",), more
    for other in ("What else did China ask for?", "More about Pakistan", "more people died?"):
        assert not plan(other, talk, tokenize, strength, similar).more, other
    assert not plan("What else?", Conversation(), tokenize, strength, similar).more  # nothing to have more of


def test_no_bell_for_nothing_more() -> None:
    """🔔 waits for a story that answers a refusal; "What else?" with nothing left was answered already."""
    from types import SimpleNamespace

    from sitrep.answer.present import NOTHING_MORE
    from sitrep.chat.cogs.waits import waitable

    bot: Any = SimpleNamespace(config=SimpleNamespace(wait_days=7))
    asked = AskedAs("What did China propose to India?", ("china",), ("china",), more=True)
    nothing_more = Answer("What else?", (), (), (), True, 0.9, (NOTHING_MORE,), asked)
    refused = Answer("What did China propose to Mars?", (), (), (), True, 0.1, (), AskedAs("x", ("mar",)))
    assert not waitable(bot, nothing_more, Query("What else?"), False)
    assert waitable(bot, refused, Query("What did China propose to Mars?"), False)


@pytest.mark.slow
def test_a_follow_up_quotes_again_what_was_quoted_rather_than_an_older_report_the_span_rules_out(
        tmp_path: Path, real_encoder: Any) -> None:
    """"What is their new single called?" after a "this week" answer that already quoted "titled “Edging”": the reader
    likes that sentence best, but it was quoted, so a new one would lead — and the new one is from 2018, too old for
    the question's week, so the answer was a refusal ("nothing from this week answers this"; the dev conversation set's
    Blink-182 turn). The sentence quoted before, within the week, is quoted again, without the 2018 one beside it."""
    from datetime import date

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    edging = "They are dropping a new single on Friday, titled “Edging,” and tour tickets will go on sale October 17."
    (corpus / "band.md").write_text(
        "---\ntitle: Blink-182 reunite for a world tour and a new single\nsource: Music Desk\ndate: 2022-10-11\n---\n"
        "Band members Mark Hoppus and Travis Barker will reunite with original member Tom DeLonge for the tour.\n\n"
        f"{edging}\n\nThe band announced the tour in a funny video on Tuesday.\n\nFans call it the comeback of the year.\n",
        encoding="utf-8")
    (corpus / "albums.md").write_text(
        "---\ntitle: The 15 albums we can't wait to hear in 2019\nsource: Music Desk\ndate: 2018-12-21\n---\n"
        "The “Call Me Maybe” singer said her next record would arrive early next year.\n\n"
        "Several bands are expected to return with new records.\n", encoding="utf-8")
    update(corpus, tmp_path / "idx", real_encoder)
    engine = Engine.open(tmp_path / "idx", real_encoder)
    talk, day = Conversation(), date(2022, 10, 13)
    first = engine.ask(Query("Which band announced this week it's dropping a new single and will reunite for a tour?",
                             as_of=day), talk)
    assert edging in [s for s, _ in first.sentences]
    follow = engine.ask(Query("What is their new single called?", as_of=day), talk)
    assert not follow.abstained, follow.notes
    assert [s for s, _ in follow.sentences] == [edging]


def test_what_is_she_called_is_held_by_the_sentence_that_names_her() -> None:
    """"What is she called?" after the Tizi answer: its own word is "called"; "The blogger, who goes by the name Tizi,
    …" names her without the word, and counts as holding it, so the sentence quoted before may lead again (the
    conversation set's f37); a sentence that names nobody does not."""
    from types import SimpleNamespace

    from sitrep.answer.candidates import _Candidate, own_words
    from sitrep.index.lexicon import BM25Settings
    from sitrep.retrieval.types import Hit

    asked = SimpleNamespace(followup=True, swapped=(), carried=("blogger", "fine"), context=("blogger", "fine"),
                            terms=("call", "blogger", "fine"))
    result = SimpleNamespace(all_terms=["call", "blogger", "fine"], asked=asked)
    lexical = SimpleNamespace(term_weight=lambda t: 1.0, settings=BM25Settings())
    texts = {0: "The blogger, who goes by the name Tizi, posted the video.",
             1: "Police began investigating the influencer in August."}
    share = own_words(result, texts, lexical)  # type: ignore[arg-type]
    assert share is not None

    def cand(i: int) -> _Candidate:
        return _Candidate(0, Hit(i, "a", f"a#{i}", 1.0), 0, len(texts[i]), score=1.0, coverage=0.5, key=str(i))

    assert share(cand(0)) == 1.0 and share(cand(1)) == 0.0
