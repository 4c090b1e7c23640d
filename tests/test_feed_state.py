"""What feed pulls remember (sitrep/feeds/state.py): SQLite, one row read a lookup, each write its own
transaction; the JSON file an earlier sitrep kept is read in once; a damaged file is one line."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from sitrep.cli.main import main
from sitrep.feeds import ingest as feeds
from sitrep.feeds.errors import FeedStateError
from sitrep.feeds.sandbox import Sandbox
from sitrep.feeds.state import SCHEMA_VERSION, FeedState, locate
from tests.test_feeds import RFC822, Site, rss, serve_news, site  # noqa: F401 (site: the fixture)


def test_items_stories_and_health_round_trip(tmp_path: Path) -> None:
    with FeedState(tmp_path / "s.sqlite3") as state:
        assert state.entry_hash("https://a.example/1") is None and state.saved_by(["u", "h"]) is None
        state.fetched("https://a.example/1", "e1")
        state.fetched("https://a.example/1", "e2")  # the entry changed: fetched again, the new hash kept
        state.save(["https://a.example/1", "texthash"], "https://a.example/1")
        state.feed_failed("https://f.example/rss", "HTTP 404", "2026-12-01 10:00 UTC")
        state.feed_failed("https://f.example/rss", "HTTP 500", "2026-12-01 11:00 UTC")
    with FeedState(tmp_path / "s.sqlite3") as state:  # what a restart finds
        assert state.entry_hash("https://a.example/1") == "e2"
        assert state.saved_by(["nothing", "texthash"]) == "https://a.example/1"
        assert state.health(["https://f.example/rss", "https://other.example/rss"]) == {"https://f.example/rss": {
            "failing": 2, "error": "HTTP 500", "failed_at": "2026-12-01 11:00 UTC", "failing_since": "2026-12-01 10:00 UTC"}}
        state.feed_read("https://f.example/rss", "2026-12-01 12:00 UTC", 7, "The Ledger", new=True)
        state.feed_read("https://f.example/rss", "2026-12-01 13:00 UTC", 8, "The Ledger", new=False)
        assert state.health() == {"https://f.example/rss": {
            "read_at": "2026-12-01 13:00 UTC", "items": 8, "title": "The Ledger", "new_at": "2026-12-01 12:00 UTC"}}


def test_two_pulls_at_once_both_keep_what_they_wrote(tmp_path: Path) -> None:
    """The bot's scheduled refresh and `sitrep feeds pull` may run together: each write is its own transaction,
    so neither overwrites the other's items (the JSON file, rewritten whole, kept the last writer's only)."""
    a, b = FeedState(tmp_path / "s.sqlite3"), FeedState(tmp_path / "s.sqlite3")
    try:
        for i in range(20):
            a.fetched(f"https://a.example/{i}", "x")
            b.fetched(f"https://b.example/{i}", "y")
        b.feed_read("https://b.example/rss", "t", 20, None, new=True)
        assert a.entry_hash("https://b.example/19") == "y" and b.entry_hash("https://a.example/0") == "x"
        assert list(a.health()) == ["https://b.example/rss"]
    finally:
        a.close()
        b.close()


def test_the_old_json_state_is_read_in_once_and_renamed(tmp_path: Path) -> None:
    old = {"items": {"https://a.example/1": "e1"}, "stories": {"https://a.example/1": "https://a.example/1", "th": "https://a.example/1"},
           "feeds": {"https://f.example/rss": {"read_at": "2026-11-30 09:00 UTC", "items": 3, "title": "F", "new_at": "2026-11-30 09:00 UTC"}}}
    (tmp_path / "feeds-state.json").write_text(json.dumps(old))
    assert locate(tmp_path / "feeds-state.sqlite3") == (tmp_path / "feeds-state.sqlite3", tmp_path / "feeds-state.json")
    with FeedState(tmp_path / "feeds-state.sqlite3") as state:
        assert state.entry_hash("https://a.example/1") == "e1" and state.saved_by(["th"]) == "https://a.example/1"
        assert state.health()["https://f.example/rss"]["title"] == "F"
    assert not (tmp_path / "feeds-state.json").exists() and (tmp_path / "feeds-state.json.imported").is_file()
    (tmp_path / "feeds-state.json").write_text(json.dumps({"items": {"https://a.example/2": "e"}}))  # an old sitrep ran again
    with FeedState(tmp_path / "feeds-state.sqlite3") as state:
        assert state.entry_hash("https://a.example/2") is None  # read in once, never twice


def test_a_json_path_in_the_settings_moves_to_the_database_beside_it(capsys, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """SITREP_FEEDS_STATE=…/state.json, as a .env of an earlier sitrep has it: its health is shown from the database
    that took its place."""
    (tmp_path / "feeds.txt").write_text("https://f.example/rss\n")
    (tmp_path / "state.json").write_text(json.dumps({"feeds": {"https://f.example/rss": {
        "failing": 3, "error": "HTTP 503", "failed_at": "2026-12-01 10:00 UTC", "failing_since": "2026-11-30 10:00 UTC"}}}))
    monkeypatch.setenv("SITREP_FEEDS", str(tmp_path / "feeds.txt"))
    monkeypatch.setenv("SITREP_FEEDS_STATE", str(tmp_path / "state.json"))
    assert main(["feeds", "list"]) == 0
    assert "FAILING: 3 pulls in a row since 2026-11-30 10:00 UTC (HTTP 503)" in capsys.readouterr().out
    assert (tmp_path / "state.sqlite3").is_file() and (tmp_path / "state.json.imported").is_file()


def test_an_unreadable_old_json_state_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "feeds-state.json").write_text("{not json")
    with caplog.at_level(logging.WARNING), FeedState(tmp_path / "feeds-state.sqlite3") as state:
        assert state.health() == {}
    assert "could not be read" in caplog.text and "fetched again once" in caplog.text


def test_listing_feeds_before_any_pull_creates_no_file(tmp_path: Path) -> None:
    (tmp_path / "feeds.txt").write_text("https://f.example/rss\n")
    listed = feeds.FeedList(tmp_path / "feeds.txt", tmp_path / "feeds-state.sqlite3")
    assert listed.health() == [("https://f.example/rss", "not pulled yet")]
    assert not (tmp_path / "feeds-state.sqlite3").exists()


def test_a_removed_feed_added_again_starts_as_new(tmp_path: Path) -> None:
    (tmp_path / "feeds.txt").write_text("https://f.example/rss\nhttps://g.example/rss\n")
    listed = feeds.FeedList(tmp_path / "feeds.txt", tmp_path / "feeds-state.sqlite3")
    with FeedState(tmp_path / "feeds-state.sqlite3") as state:
        state.feed_failed("https://f.example/rss", "HTTP 404", "2026-12-01 09:00 UTC")
        state.feed_read("https://g.example/rss", "2026-12-01 09:00 UTC", 3, "G", new=True)
        state.fetched("https://f.example/story", "e")
    assert dict(listed.health())["https://f.example/rss"].startswith("FAILING")
    assert listed.remove("https://f.example/rss") and listed.add("https://f.example/rss")
    health = dict(listed.health())
    assert health["https://f.example/rss"] == "not pulled yet"  # not the old failures of the feed removed
    assert health["https://g.example/rss"] != "not pulled yet"  # the other feed's record stays
    with FeedState(tmp_path / "feeds-state.sqlite3") as state:
        assert state.entry_hash("https://f.example/story") == "e"  # its items stay until forgotten


def test_a_damaged_state_is_one_line_saying_what_to_do(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "state.sqlite3").write_bytes(b"this is no database, only bytes\n" * 200)
    with pytest.raises(FeedStateError, match="is damaged .*: move it away"):
        FeedState(tmp_path / "state.sqlite3")
    (tmp_path / "feeds.txt").write_text("https://f.example/rss\n")
    monkeypatch.setenv("SITREP_FEEDS", str(tmp_path / "feeds.txt"))
    monkeypatch.setenv("SITREP_FEEDS_STATE", str(tmp_path / "state.sqlite3"))
    assert main(["feeds", "pull", "--corpus", str(tmp_path / "corpus"), "--no-update"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err and "move it away" in err and "Traceback" not in err


def test_a_state_of_a_newer_sitrep_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(FeedStateError, match="newer sitrep .*upgrade sitrep, or point SITREP_FEEDS_STATE elsewhere"):
        FeedState(tmp_path / "s.sqlite3")


def test_a_pull_cut_short_keeps_the_items_it_finished(site: Site, tmp_path: Path) -> None:  # noqa: F811
    """Each item is written as it is fetched: a pull stopped partway (the process killed, here an interrupt in the
    second page's fetch) does not fetch the first item again next time."""
    serve_news(site)
    site.page("/rss.xml", rss(site.base, [{"title": "Floods", "link": f"{site.base}/world/assam-floods", "date": RFC822},
                                          {"title": "Lyon", "link": f"{site.base}/eco/lyon", "date": RFC822}]),
              kind="application/rss+xml")
    reader = Sandbox()

    def fetcher() -> feeds.Fetcher:  # the test server is on 127.0.0.1, allowed as an intranet would be
        return feeds.Fetcher(feeds.FetchSettings(timeout=1.0, host_delay=0.0, allow_private=True), reader=reader)

    f = fetcher()
    real_get = f.get

    def get(url: str, want_html: bool = False) -> tuple[bytes, str | None, str]:
        if url.endswith("/lyon"):
            raise KeyboardInterrupt
        return real_get(url, want_html)

    f.get = get  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            feeds.pull([f"{site.base}/rss.xml"], tmp_path / "corpus", tmp_path / "state.sqlite3", f)
        before = site.requests.count("/world/assam-floods")
        report = feeds.pull([f"{site.base}/rss.xml"], tmp_path / "corpus", tmp_path / "state.sqlite3", fetcher())
    finally:
        reader.close()
    assert report.unchanged == 1 and site.requests.count("/world/assam-floods") == before
    assert len(report.saved) == 1  # the second item, fetched now


def test_what_no_feed_lists_any_more_is_forgotten_and_what_one_lists_is_kept(site: Site, tmp_path: Path) -> None:  # noqa: F811
    """The state stays bounded: an item no feed has listed for forget_days (and a story saved as long ago) is dropped
    at the end of a pull; an unchanged item a feed still lists is seen again, however old its fetch."""
    serve_news(site)
    reader = Sandbox()
    db = tmp_path / "state.sqlite3"

    def fetcher(forget_days: int = 180) -> feeds.Fetcher:
        return feeds.Fetcher(feeds.FetchSettings(timeout=1.0, host_delay=0.0, allow_private=True, forget_days=forget_days),
                             reader=reader)

    try:
        first = feeds.pull([f"{site.base}/rss.xml"], tmp_path / "corpus", db, fetcher())
        assert first.forgotten == 0 and first.saved
        with FeedState(db) as state:  # a year passes, as far as the state can tell; one item no feed lists any more
            year_ago = date.today().toordinal() - 365
            state._db.execute("UPDATE items SET seen_on=?", (year_ago,))
            state._db.execute("UPDATE stories SET saved_on=?", (year_ago,))
            state.fetched("https://gone.example/old-story", "h")
            state._db.execute("UPDATE items SET seen_on=? WHERE link='https://gone.example/old-story'", (year_ago,))
            state._db.execute("DELETE FROM meta WHERE key='forgot_on'")  # and the day has turned
        kept = feeds.pull([f"{site.base}/rss.xml"], tmp_path / "corpus", db, fetcher(forget_days=0))  # 0: keep everything
        assert kept.forgotten == 0
        with FeedState(db) as state:
            assert state.entry_hash("https://gone.example/old-story") == "h"
        again = feeds.pull([f"{site.base}/rss.xml"], tmp_path / "corpus", db, fetcher())
        assert again.unchanged == first.unchanged + len(first.saved) and again.saved == []  # nothing fetched again
        assert again.forgotten == 1  # the item no feed lists
        later = feeds.pull([f"{site.base}/rss.xml"], tmp_path / "corpus", db, fetcher())
        assert later.forgotten == 0  # once a day: the same day's next pull does not scan again
        with FeedState(db) as state:
            assert state.entry_hash("https://gone.example/old-story") is None
            assert state.entry_hash(f"{site.base}/world/assam-floods") is not None  # listed: seen today, kept
            assert state.saved_by([f"{site.base}/world/assam-floods"]) is None  # its story's record, a year old: gone
    finally:
        reader.close()
