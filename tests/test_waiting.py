"""Questions left waiting (follows/waiting.py, the waits table): a refused question is asked again when
stories arrive, and answered only by a story that arrived since — known answers on the seed corpus."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sitrep.answer.engine import Engine
from sitrep.follows.errors import FollowError
from sitrep.follows.state import FollowStore
from sitrep.follows.waiting import WAITS_PER_USER, WaitStore
from sitrep.index.build import update
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder

KESTREL = ("---\ntitle: Kestrel Bay desalination plant opens\nsource: Coast Herald\ndate: 2020-12-15\n---\n"
           "The Kestrel Bay desalination plant opened on Tuesday. It supplies 40 million litres of water a day to "
           "the coastal towns, the water board said.\n")
QUESTION = "How much water does the Kestrel Bay desalination plant supply?"


def test_a_waiting_question_is_answered_by_the_story_that_arrives_and_only_then(tmp_path: Path, seed_corpus: Path) -> None:
    idx = tmp_path / "idx"
    update(seed_corpus, idx, FakeEncoder())
    store = FollowStore(tmp_path / "state.sqlite3")
    waits = WaitStore(store)
    engine = Engine.open(idx, FakeEncoder())
    store.sync(engine.backend.article_hashes())
    assert engine.ask(Query(QUESTION)).abstained  # the seeds do not say
    wait = waits.add(7, 700, "u1", QUESTION, QUESTION, None, days=14)
    old = waits.add(7, 701, "u2", "What did China propose to India?", "What did China propose to India?", None, 14)
    assert waits.answered(engine.backend.article_hashes(), engine.ask) == ([], store.newest_seq())  # nothing arrived
    engine.backend.close()

    (seed_corpus / "weather.txt").write_text("---\ntitle: Rain ahead\nsource: Coast Herald\ndate: 2020-12-14\n---\n"
                                             "Heavy rain is expected across the region on Thursday, forecasters said.\n")
    update(seed_corpus, idx, FakeEncoder())
    engine = Engine.open(idx, FakeEncoder())
    found, seq = waits.answered(engine.backend.article_hashes(), engine.ask)
    assert found == []  # a story arrived, but not one that answers: still waiting
    waits.advance(seq)
    assert {w.id: w.last_seq for w in waits.waits()} == {wait.id: seq, old.id: seq}
    engine.backend.close()

    (seed_corpus / "kestrel.txt").write_text(KESTREL)
    update(seed_corpus, idx, FakeEncoder())
    engine = Engine.open(idx, FakeEncoder())
    found, seq = waits.answered(engine.backend.article_hashes(), engine.ask)
    # the Kestrel story answers its question; China's proposal is answered by an article that was there all along:
    # not news to whoever left it waiting (it was answerable then, too), so it keeps waiting
    assert [(f.wait.id, f.new) for f in found] == [(wait.id, ("kestrel.txt",))]
    assert "40 million litres" in (found[0].answer.text or "")
    waits.end(wait.id)
    waits.advance(seq)
    assert [w.id for w in waits.waits()] == [old.id]
    assert waits.answered(engine.backend.article_hashes(), engine.ask) == ([], seq)  # each arrival is tried once
    engine.backend.close()
    store.close()


def test_waits_are_bounded_per_person_once_per_message_and_end_after_their_days(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = FollowStore(path)
    waits = WaitStore(store)
    waits.add(7, 1, "u1", "q", "q", None, 14)
    with pytest.raises(FollowError, match="already wait for this question"):
        waits.add(7, 1, "u1", "q", "q", None, 14)
    waits.add(7, 1, "u2", "q", "q", None, 14)  # someone else may wait for the same answer
    for i in range(2, WAITS_PER_USER + 1):
        waits.add(7, i, "u1", "q", "q", None, 14)
    with pytest.raises(FollowError, match=f"already wait for {WAITS_PER_USER} questions"):
        waits.add(7, 99, "u1", "q", "q", None, 14)
    store.close()
    with sqlite3.connect(path) as db:  # time passes: every wait of u1 is past its days
        db.execute("UPDATE waits SET until='2000-01-01T00:00:00+00:00' WHERE user='u1'")
    db.close()
    store = FollowStore(path)
    waits = WaitStore(store)
    assert [w.user for w in waits.waits()] == ["u2"]
    waits.add(7, 99, "u1", "q", "q", "Dawn", 14)  # room again
    assert [(w.user, w.source) for w in waits.waits()] == [("u2", None), ("u1", "Dawn")]
    store.close()


def test_the_questions_left_waiting_are_listed_as_coverage_gaps_from_the_shell(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sitrep.cli.main import main

    monkeypatch.setenv("SITREP_STATE_PATH", str(tmp_path / "state.sqlite3"))
    assert main(["follow", "waiting"]) == 0
    assert capsys.readouterr().out == ("no refused question is waiting: 🔔 under a refusal in Discord leaves one waiting "
                                       "for a story\n")
    store = FollowStore(tmp_path / "state.sqlite3")
    waits = WaitStore(store)
    waits.add(7, 1, "u1", "Who won?", "Who won?", None, 14)
    waits.add(8, 2, "u2", QUESTION, QUESTION, None, 14)
    waits.add(8, 2, "u3", QUESTION, QUESTION, None, 14)  # two people wait on one refusal
    waits.add(9, 3, "u1", QUESTION, QUESTION, "Coast Herald", 14)
    store.close()
    assert main(["follow", "waiting"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  since ")[0].strip() for line in lines] == ["2 people", "1 person", "1 person"]
    assert lines[0].endswith(QUESTION) and lines[1].endswith("Who won?")
    assert lines[2].endswith(f"{QUESTION}  (from Coast Herald)")
    assert main(["follow", "waiting", "--json"]) == 0
    gaps = json.loads(capsys.readouterr().out)
    assert [(g["question"], g["people"], g["channels"]) for g in gaps] == [
        (QUESTION, 2, [8]), ("Who won?", 1, [7]), (QUESTION, 1, [9])]
