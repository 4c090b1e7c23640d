"""Follow-up understanding without a model: cues, HQE term choice, name swaps, what a conversation
remembers, and the pieces that carry a conversation through Discord (footer, button id, store)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sitrep.answer import present
from sitrep.answer.engine import Engine
from sitrep.chat.policy import Scope, parse_scopes
from sitrep.chat.render import answer_embed, footer, more_custom_id, turn_from_message
from sitrep.chat.service import ConversationStore
from sitrep.cli.main import main
from sitrep.cli.repl import Repl
from sitrep.index import lexicon
from sitrep.retrieval.conversation import Conversation, ConversationParams, Turn, article_key, cue, names, plan
from sitrep.retrieval.dates import parse_since
from sitrep.retrieval.errors import BadOption
from sitrep.retrieval.types import Answer, AskedAs, Citation
from tests.conftest import FakeEncoder

SETTINGS = lexicon.BM25Settings()


def tokenize(text: str) -> list[str]:
    return lexicon.tokenize([text], SETTINGS)[0]


STRENGTH = {"china": 0.5, "propos": 0.3, "india": 0.15, "respond": 0.4, "border": 0.05, "bankrupt": 0.3, "beca": 0.6,
            "peopl": 0.07, "die": 0.1}


def strength(terms):  # type: ignore[no-untyped-def]
    return {t: STRENGTH.get(t, 0.0) for t in terms}


KINDS = {"pakistan": np.array([1.0, 0.0]), "india": np.array([0.9, 0.1]), "china": np.array([0.6, 0.8]),
         "imran khan": np.array([-0.6, 0.1])}


def similar(name, others):  # type: ignore[no-untyped-def]
    v = KINDS.get(name.lower(), np.array([0.0, 0.0]))
    return np.array([float(KINDS.get(o.lower(), np.array([0.0, 0.0])) @ v) for o in others])


def conversation(*asked: str, cited: tuple[str, ...] = ("a1",)) -> Conversation:
    return Conversation(turns=[Turn(q, q, cited) for q in asked])


def planned(question: str, conv: Conversation | None, force: bool = False) -> AskedAs:
    return plan(question, conv, tokenize, strength, similar, force=force)


@pytest.mark.parametrize(("question", "kind"), [
    ("And how did India respond?", "ellipsis"),
    ("What did they say?", "pronoun"),
    ("Why did that happen?", "pronoun"),
    ("When?", "short"),
    ("Who else?", "ellipsis"),
    ("How did India respond?", "names"),
    ("What about Pakistan?", "swap"),
    ("Pakistan?", "swap"),
    ("Which country is now bankrupt?", ""),
    ("What is BECA?", ""),  # a new name, asked about on its own: a new subject
    ("Why did Elon Musk say he would buy Twitter?", ""),  # "he" is Musk, named before it
    ("What happened this week at the border?", ""),  # "this week" is no pronoun
    ("How will the FDA respond to it?", "pronoun"),  # "it" is not the FDA
    ("Over how many years?", "short"),
])
def test_cues(question: str, kind: str) -> None:
    earlier = {n.lower() for n in names("What did China propose to India?")}
    assert cue(question, tokenize(question), earlier).kind == kind


def test_a_generic_question_follows_the_conversation() -> None:
    asked = planned("How many people died?", conversation("How strong was Hurricane Nicole?"))
    assert asked.reason == "too general to stand alone"
    assert not planned("Which country is now bankrupt?", conversation("What did China propose to India?")).followup


def test_names() -> None:
    assert names("What did China propose to India?") == ["China", "India"]
    assert names("Pakistan?") == ["Pakistan"]
    assert names("What did the Bank of England say?") == ["Bank of England"]


def test_alone_without_a_conversation_or_a_cue() -> None:
    asked = planned("What is BECA?", None)
    assert asked == AskedAs("What is BECA?", ("beca",)) and not asked.followup
    assert not planned("Which country is now bankrupt?", conversation("What did China propose to India?")).followup


def test_hqe_carries_topic_terms_and_the_prior() -> None:
    asked = planned("And how did India respond?", conversation("What did China propose to India?", cited=("a1", "a2")))
    # china 0.5 and propos 0.3 clear the topic bar (0.2); india is the question's own; border never searched
    assert asked.carried == ("china", "propos")
    assert asked.terms == ("india", "respond", "china", "propos")
    assert asked.text == "What did China propose to India? And how did India respond?"
    assert asked.prior_articles == ("a1", "a2") and asked.reason == "'and' continues the earlier question"


def test_subtopic_terms_only_when_ambiguous() -> None:
    earlier = conversation("China border talks India")
    # border (0.05) is below both bars; india (0.15) is a sub-topic term: carried for an ambiguous question only
    assert "india" in planned("Why?", earlier).carried
    assert "india" not in planned("Why did China and India talk?", earlier, force=True).carried


def test_a_swap_reasks_the_earlier_question() -> None:
    asked = planned("What about Pakistan?", conversation("What did China propose to India?"))
    assert asked.swapped == (("India", "Pakistan"),)  # India is more like Pakistan than China is
    assert asked.text == "What did China propose to Pakistan?" and "pakistan" in asked.terms and not asked.prior_articles
    # after a follow-up, the conversation's first question naming the entity is the one re-asked
    chain = Conversation(turns=[Turn("And how did India respond?", "What did China propose to India? And how did India respond?", ())])
    assert planned("What about Pakistan?", chain).text == "What did China propose to Pakistan?"


def test_a_name_like_none_before_is_added_not_swapped() -> None:
    asked = planned("What about Imran Khan?", conversation("What did China propose to India?"))
    assert not asked.swapped and asked.followup and "imran" in asked.terms


def test_force_searches_with_the_conversation_without_a_cue() -> None:
    asked = planned("Which proposals were accepted?", conversation("What did China propose to India?"), force=True)
    assert asked.reason == "found too little alone" and "china" in asked.carried


@pytest.mark.parametrize(("question", "update"), [
    ("Any updates?", True), ("Any news?", True), ("Anything new on this?", True), ("What's new?", True),
    ("Is there any news?", True), ("Latest?", True), ("And any developments since?", True),
    ("Any news about Pakistan?", False),  # its own subject
    ("What did India say?", False), ("What is new in the BECA deal?", False),
])
def test_asking_for_news_reasks_the_last_question_on_what_is_new(question: str, update: bool) -> None:
    """However long ago the last question was asked: one comes back to a thread days later to ask this."""
    old = Conversation(ConversationParams(max_age_s=60), clock=lambda: 1e9,
                       turns=[Turn("What did China propose to India?", "What did China propose to India?", ("a1", "a2"),
                                   at=1e9 - 7 * 86400)])
    asked = planned(question, old)
    if update:
        assert (asked.text, asked.since_at, asked.seen) == ("What did China propose to India?", 1e9 - 7 * 86400, ("a1", "a2"))
        assert asked.reason == "asks what is new since the last answer" and asked.followup
    else:
        assert asked.since_at is None and not asked.seen
    assert planned(question, None).since_at is None  # no conversation: nothing to be new since


def test_turns_are_forgotten_by_count_and_age() -> None:
    now = [1000.0]
    conv = Conversation(ConversationParams(max_turns=2, max_age_s=60), clock=lambda: now[0])
    for q in ("one India", "two India", "three India"):
        conv.add(Turn(q, q, (), at=now[0]))
    assert [t.question for t in conv.recent()] == ["two India", "three India"]
    now[0] += 61
    assert len(conv) == 0 and not planned("Why?", conv).followup


def answer(question: str, asked: AskedAs, cited: tuple[str, ...] = ("000_a.txt",)) -> Answer:
    cites = tuple(Citation(i + 1, a, f"{a}#0", "T", "S", "2020-01-01", a, "Quote here.", "Quote here.", 0)
                  for i, a in enumerate(cited))
    return Answer(question, tuple(("Quote here.", c.n) for c in cites), cites, (), False, 0.9, (), asked)


def test_a_discord_answer_gives_back_its_turn() -> None:
    asked = AskedAs("What did China propose to India? And how did *India* respond?", ("india",), ("china",), (),
                    ("000_a.txt",), "'and' continues the earlier question")
    a = answer("And how did *India* respond?", asked, ("000_a.txt", "001_b.txt"))
    embed = answer_embed(a, {}).embed
    assert embed.footer.text is not None and embed.footer.text.startswith(
        "understood as: What did China propose to India? And how did *India* respond?\n('and' continues")
    custom = more_custom_id(a)
    assert custom == f"sitrep:more:{article_key('000_a.txt')},{article_key('001_b.txt')}" and len(custom) <= 100
    turn = turn_from_message(embed.title, embed.footer.text, ["x", custom], 5.0)
    assert turn == Turn("And how did *India* respond?", asked.text, (article_key("000_a.txt"), article_key("001_b.txt")), 5.0)
    # a question searched as typed shows no "understood as" and gives itself back
    plain = answer("What is BECA?", AskedAs("What is BECA?", ("beca",)))
    assert footer(plain, "tail") == "tail"
    back = turn_from_message(answer_embed(plain, {}).embed.title, "tail", [more_custom_id(plain)], 1.0)
    assert back is not None and back.asked == "What is BECA?"
    assert turn_from_message("A title", "tail", ["not-ours"], 1.0) is None  # not an answer of sitrep's


def test_conversation_store_is_bounded() -> None:
    now = [0.0]
    store = ConversationStore(size=2, idle_s=10, clock=lambda: now[0])
    for key in (1, 2, 3):
        store.put(key, Conversation())
    assert store.get(1) is None and store.get(2) is not None and len(store) == 2  # least recently used went
    store.drop(2)
    assert store.get(2) is None
    now[0] = 11
    assert store.get(3) is None and len(store) == 0  # idle too long


def test_channel_scopes_and_since() -> None:
    assert parse_scopes("1=cnn.com@30d, 2=@2w,3=ThePrint") == {1: Scope("cnn.com", "30d"), 2: Scope(None, "2w"),
                                                              3: Scope("ThePrint")}
    for bad in ("x=cnn", "1=", "1", "1=cnn@soon"):
        with pytest.raises((ValueError, BadOption)):
            parse_scopes(bad)
    today = date(2026, 12, 2)
    assert parse_since("30d", today) == date(2026, 11, 2) and parse_since("2w", today) == date(2026, 11, 18)
    assert parse_since("2020-09-01", today) == date(2020, 9, 1)
    with pytest.raises(BadOption, match="bad 'since'"):
        parse_since("last tuesday", today)


def test_ask_after_and_the_repl_carry_a_conversation(capsys, tmp_path: Path) -> None:
    """From the shell (`ask --after`) and the REPL (:new, :explain), with the fake encoder."""
    from sitrep.index.build import update
    from tests.conftest import SEEDS

    idx = str(tmp_path / "idx")
    update(SEEDS, Path(idx), FakeEncoder())
    argv = ["ask", "And how did India respond?", "--after", "What did China propose to India?", "--index", idx, "--json"]
    assert main(argv, make_encoder=lambda s: FakeEncoder()) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["asked_as"]["text"] == "What did China propose to India? And how did India respond?"
    assert out["asked_as"]["reason"] == "'and' continues the earlier question"
    assert main(argv[:2] + argv[4:], make_encoder=lambda s: FakeEncoder()) == 0  # no --after: one-shot
    assert json.loads(capsys.readouterr().out)["asked_as"]["reason"] == ""
    assert main(["ask", "What else?", *argv[2:]], make_encoder=lambda s: FakeEncoder()) == 0
    asked = json.loads(capsys.readouterr().out)["asked_as"]
    assert asked["more"] is True and asked["text"] == "What did China propose to India?" and asked["not_repeated"] is False

    buf = io.StringIO()
    repl = Repl(Engine.open(Path(idx), FakeEncoder()), out=buf)
    for line in ("What did China propose to India?", "And how did India respond?", ":explain"):
        repl.handle(line)
    text = buf.getvalue()
    assert "understood as: What did China propose to India? And how did India respond?" in text
    assert "terms from earlier turns:" in text
    turns = len(repl.conversation.turns)
    for said in ("thanks!", "ok cool", "👍"):  # no search, no turn, nothing printed
        buf.truncate(0)
        buf.seek(0)
        repl.handle(said)
        assert buf.getvalue() == "" and len(repl.conversation.turns) == turns
    for said in ("hi", "Hello there", "help"):
        buf.truncate(0)
        buf.seek(0)
        repl.handle(said)
        assert buf.getvalue().startswith("Type a question and press Enter") and len(repl.conversation.turns) == turns
    repl.handle(":new")
    buf.truncate(0)
    buf.seek(0)
    repl.handle("And how did India respond?")
    assert "understood as" not in buf.getvalue()
    assert present.understood(repl.last_answer) is None  # type: ignore[arg-type]
