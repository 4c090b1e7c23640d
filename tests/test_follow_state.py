"""The follow database and `sitrep brief` / `sitrep follow` from the shell: bad input is one line and
loses nothing; a damaged, locked or newer database is named, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sitrep.cli.main import main
from sitrep.follows.errors import FollowError, StateBusy, StateCorrupt, StateTooNew
from sitrep.follows.state import FollowStore
from sitrep.index.build import update
from tests.conftest import FakeEncoder


def test_follows_survive_a_reopen_and_refuse_bad_topics(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = FollowStore(path)
    store.sync({"a": "h1", "b": "h2"})
    f = store.add(7, "India  China border")
    assert f.last_seq == 2  # what was already indexed is not news
    for bad in ("", "  ", "🙂 !!", "x" * 201):
        with pytest.raises(FollowError):
            store.add(7, bad)
    with pytest.raises(FollowError, match="already follows"):
        store.add(7, "india china BORDER")
    store.close()
    store = FollowStore(path)
    assert [(x.channel_id, x.topic) for x in store.follows()] == [(7, "India China border")]
    assert store.sync({"a": "h1", "b": "h3", "c": "h4"}) == 2  # b changed, c is new
    assert [x.article_id for x in store.arrivals_after(f.last_seq)] == ["b", "c"]
    assert store.remove(7, "INDIA china border") and not store.remove(7, "India China border")
    store.close()


def test_a_follow_may_name_one_outlet(tmp_path: Path) -> None:
    store = FollowStore(tmp_path / "state.sqlite3")
    anywhere = store.add(7, "India China border")
    theprint = store.add(7, "India China border", source=" ThePrint ")
    assert (anywhere.source, anywhere.label) == (None, "India China border")
    assert (theprint.source, theprint.label) == ("ThePrint", "India China border (from ThePrint)")
    with pytest.raises(FollowError, match=r"already follows 'india china BORDER \(from theprint\)'"):
        store.add(7, "india china  BORDER", source="theprint")
    for bad in ("!!", "x" * 101):
        with pytest.raises(FollowError, match="outlet's name or site"):
            store.add(7, "India", source=bad)
    assert [(f.topic, f.source) for f in store.follows(7)] == [("India China border", None), ("India China border", "ThePrint")]
    everything = store.add(7, "  ", source="Dawn")
    assert (everything.topic, everything.label) == ("", "everything from Dawn")
    with pytest.raises(FollowError, match="name a topic, an outlet, or both"):
        store.add(7, "")
    assert store.remove(7, "", "dawn")
    assert store.remove(7, "India China border", "THEPRINT") and [f.source for f in store.follows(7)] == [None]
    store.close()


def test_a_version_1_database_gains_outlets_and_keeps_its_follows(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as db:  # the schema sitrep wrote before follows could name an outlet
        db.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE follows (id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, topic TEXT NOT NULL,
                key TEXT NOT NULL, added_by INTEGER, added_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0,
                UNIQUE (channel_id, key));
            INSERT INTO meta VALUES ('schema_version', '1');
            INSERT INTO follows VALUES (1, 7, 'India China border', 'india china border', NULL, '2026-11-01T00:00:00+00:00', 3);
        """)
    db.close()
    store = FollowStore(path)
    assert [(f.id, f.topic, f.source, f.last_seq) for f in store.follows()] == [(1, "India China border", None, 3)]
    store.add(7, "India China border", source="cnn.com")
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("3",)
    db.close()
    assert [f.label for f in FollowStore(path).follows()] == ["India China border", "India China border (from cnn.com)"]


def test_a_damaged_file_a_newer_schema_and_a_lock_are_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StateCorrupt, match="damaged.*move it away"):
        FollowStore(junk)
    assert junk.read_bytes().startswith(b"this is not")  # nothing overwritten

    newer = tmp_path / "newer.sqlite3"
    FollowStore(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(StateTooNew, match="newer sitrep"):
        FollowStore(newer)

    path = tmp_path / "state.sqlite3"
    store = FollowStore(path, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with pytest.raises(StateBusy, match="locked by another process"):
            store.add(1, "topic")
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.add(1, "topic")  # once the other writer is done, it works
    store.close()


@pytest.fixture
def shell(tmp_path: Path, seed_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    idx = tmp_path / "idx"
    update(seed_corpus, idx, FakeEncoder())
    monkeypatch.setenv("SITREP_STATE_PATH", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("SITREP_INDEX_DIR", str(idx))
    return idx


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), make_encoder=lambda s: FakeEncoder())
    out, err = capsys.readouterr()
    return code, out, err


def test_follow_from_the_shell(capsys: pytest.CaptureFixture[str], shell: Path, tmp_path: Path, seed_corpus: Path) -> None:
    code, out, _ = run(capsys, "follow", "add", "--channel", "5", "China Pakistan defence")
    assert code == 0 and "now follows" in out
    code, _, err = run(capsys, "follow", "add", "--channel", "5", "china pakistan DEFENCE")
    assert code == 2 and err.strip() == "sitrep: this channel already follows 'china pakistan DEFENCE'"
    code, out, _ = run(capsys, "follow", "add", "--channel", "6", "--source", "The Hindu", "China Pakistan defence")
    assert code == 0 and "now follows 'China Pakistan defence (from The Hindu)'" in out
    code, out, _ = run(capsys, "follow", "add", "--channel", "8", "--source", "Dawn")
    assert code == 0 and "now follows 'everything from Dawn'" in out
    code, _, err = run(capsys, "follow", "add", "--channel", "8")
    assert code == 2 and err.strip() == ("sitrep: name a topic, an outlet, or both: e.g. /follow India China border "
                                         "talks, or /follow source: Dawn")
    code, out, _ = run(capsys, "follow", "list", "--json")
    assert [(f["topic"], f["source"]) for f in json.loads(out)] == [("China Pakistan defence", None),
                                                                    ("China Pakistan defence", "The Hindu"), ("", "Dawn")]
    code, out, _ = run(capsys, "follow", "list")
    assert "6  China Pakistan defence (from The Hindu)  (since " in out
    code, out, _ = run(capsys, "follow", "check", "--json")
    assert code == 0 and json.loads(out)["deliveries"] == []  # nothing arrived since the follow

    (seed_corpus / "new.txt").write_text("---\ntitle: Pakistan and China hold joint air force drills\nsource: Dawn\n"
                                         "date: 2020-12-14\n---\nPakistan and China began joint air force drills on "
                                         "Monday to deepen defence cooperation between the two countries.\n")
    update(seed_corpus, shell, FakeEncoder())
    _, text, _ = run(capsys, "follow", "check", "--dry-run")
    assert "#8 “everything from Dawn”: " in text and "#5 “China Pakistan defence”: " in text
    _, dry, _ = run(capsys, "follow", "check", "--dry-run", "--json")
    _, real, _ = run(capsys, "follow", "check", "--json")
    assert json.loads(dry)["deliveries"] == json.loads(real)["deliveries"]  # --dry-run shows exactly what is posted
    assert [(d["channel_id"], d["source"]) for d in json.loads(real)["deliveries"]] == [(5, None), (8, "Dawn")]  # not The Hindu's
    code, out, _ = run(capsys, "follow", "check", "--json")
    assert json.loads(out)["deliveries"] == []  # ... and once marked, never again
    code, out, _ = run(capsys, "follow", "remove", "--channel", "5", "China Pakistan defence")
    assert code == 0
    code, _, err = run(capsys, "follow", "remove", "--channel", "5", "China Pakistan defence")
    assert code == 2 and "does not follow" in err
    code, _, err = run(capsys, "follow", "remove", "--channel", "6", "China Pakistan defence")
    assert code == 2 and "(a follow of one outlet is removed with its --source)" in err
    code, out, _ = run(capsys, "follow", "remove", "--channel", "6", "--source", "the hindu", "China Pakistan defence")
    assert code == 0 and "no longer follows 'China Pakistan defence (from the hindu)'" in out
    code, out, _ = run(capsys, "follow", "remove", "--channel", "8", "--source", "DAWN")
    assert code == 0 and "no longer follows 'everything from DAWN'" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["brief", "--source", "nowhere"], "sitrep: no article from source 'nowhere'"),  # the front page too
    (["brief", "🙂🙂"], "sitrep: the topic has no words to search for"),
    (["brief", "India", "--since", "2099-01-01"], "sitrep: 'since' 2099-01-01 is after the window's end"),
    (["brief", "India", "--since", "soon"], "sitrep: bad 'since' 'soon'"),
    (["brief", "India", "--until", "later"], "sitrep: bad date 'later'"),
    (["brief", "India", "--source", "nowhere"], "sitrep: no article from source 'nowhere'"),
    (["follow", "add", "--channel", "5", "🙂"], "sitrep: the topic has no words"),
])
def test_bad_brief_and_follow_input_is_one_line(capsys: pytest.CaptureFixture[str], shell: Path, argv: list[str],
                                                message: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith(message) and len(err.strip().splitlines()) == 1, err


def test_a_damaged_state_file_is_one_line_from_the_shell(capsys: pytest.CaptureFixture[str], shell: Path,
                                                        tmp_path: Path) -> None:
    (tmp_path / "state.sqlite3").write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "follow", "list")
    assert code == 2 and "is damaged" in err and len(err.strip().splitlines()) == 1


def test_brief_json_and_an_absent_topic(capsys: pytest.CaptureFixture[str], shell: Path) -> None:
    """Content is tested with the real model (test_brief.py); here the shapes and the honest empty brief."""
    code, out, _ = run(capsys, "brief", "Pakistan China joint air exercise Shaheen", "--json")
    assert code == 0
    b = json.loads(out)
    assert {"topic", "since", "until", "stories", "undated", "more", "notes"} == b.keys()
    code, out, _ = run(capsys, "brief", "zebra migration across the Serengeti", "--since", "2020-01-01")
    assert code == 0 and out.startswith("Nothing in the corpus is about “zebra migration across the Serengeti” "
                                        "(2020-01-01 to ")


def test_the_daily_digest_waits_for_the_local_hour_across_a_clock_change() -> None:
    from datetime import UTC, datetime

    from sitrep.chat.client import seconds_until

    # London, the night the clocks go forward (2026-03-29 01:00 UTC): 08:00 local is then 07:00 UTC.
    before = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 23:00 GMT on the 28th
    assert seconds_until("08:00", "Europe/London", before) == 8 * 3600  # 23:00 UTC -> 07:00 UTC
    assert seconds_until("08:00", "UTC", datetime(2026, 6, 1, 8, 0, tzinfo=UTC)) == 24 * 3600  # now is past: tomorrow
    assert seconds_until("09:30", "Asia/Kolkata", datetime(2026, 6, 1, 3, 0, tzinfo=UTC)) == 3600  # 08:30 IST


def test_the_days_digest_is_what_arrived_not_what_was_indexed_before(tmp_path: Path, seed_corpus: Path) -> None:
    from sitrep.answer.engine import Engine
    from sitrep.follows.follower import Follower

    idx = tmp_path / "idx"
    update(seed_corpus, idx, FakeEncoder())
    store = FollowStore(tmp_path / "state.sqlite3")
    follower = Follower(store)
    engine = Engine.open(idx, FakeEncoder())
    assert follower.day(engine) == []  # the first sync records the index as it was: not the day's news
    engine.backend.close()
    (seed_corpus / "new.txt").write_text("---\ntitle: Pakistan and China hold joint air force drills\nsource: Dawn\n"
                                         "date: 2020-12-14\n---\nPakistan and China began joint air force drills on "
                                         "Monday to deepen defence cooperation between the two countries.\n")
    update(seed_corpus, idx, FakeEncoder())
    engine = Engine.open(idx, FakeEncoder())
    stories = follower.day(engine)
    assert [s.key for s in stories] == ["new.txt"] and stories[0].quotes
    assert stories[0].quotes[0].text.startswith("Pakistan and China began joint air force drills")
    engine.backend.close()
    store.close()
