"""The reading child (sitrep/feeds/sandbox.py): what strangers publish is parsed there, within its limits,
and a page that breaks a limit costs that page only."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import warnings
from pathlib import Path

import feedparser
import pytest

from sitrep.feeds.errors import FetchError
from sitrep.feeds.sandbox import Sandbox

PAGES = Path(__file__).parent / "pages"
# 350,000 empty tags (4.9 MB, under the fetch cap): trafilatura takes ~30 s of CPU and ~550 MB on it
SLOW_PAGE = ("<html><body>" + "<span>a</span>" * 350_000 + "</body></html>").encode()
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title> The Daily Ledger </title>
<item><title>Floods in Assam</title><link>https://ledger.example/assam</link><guid>a-1</guid>
<pubDate>Wed, 03 Jul 2024 08:00:00 GMT</pubDate><description>&lt;p&gt;Waters rose.&lt;/p&gt;</description></item>
<item><title>Markets</title><link>https://ledger.example/markets</link></item></channel></rss>"""


def test_a_page_built_to_be_slow_is_cut_at_the_deadline_and_the_next_page_is_still_read() -> None:
    with Sandbox(timeout=1.0) as reader:
        with pytest.raises(FetchError, match=r"^reading it took over 1 s \(a page built to be slow\?\): skipped"):
            reader.page(SLOW_PAGE)
        doc = reader.page((PAGES / "assam-floods.html").read_bytes())
    assert "40,000 people" in doc["text"] and doc["title"]


def test_reading_that_needs_more_memory_than_its_cap_is_refused_in_one_line_and_the_child_goes_on() -> None:
    with Sandbox(timeout=20.0, memory_mb=256) as reader:
        with pytest.raises(FetchError) as failed:
            reader.page(SLOW_PAGE)
        assert "\n" not in str(failed.value)
        assert re.search(r"needed more than 256 MB|could not be read|its reader stopped", str(failed.value))
        assert "40,000 people" in reader.page((PAGES / "assam-floods.html").read_bytes())["text"]


def test_a_reader_that_dies_mid_page_is_one_line_and_a_fresh_one_reads_the_next() -> None:
    with Sandbox(timeout=20.0) as reader:
        # a first job, so that the child has its imports done and takes the page at once: killed while it still
        # imported, the page's bytes would not be taken, and the page would go to a fresh child (a retry)
        assert reader.feed(FEED).title == "The Daily Ledger"
        pid = reader._proc.pid  # type: ignore[union-attr]
        threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()
        with pytest.raises(FetchError, match=r"^its reader stopped \(exit -9\): skipped$"):
            reader.page(SLOW_PAGE)
        assert reader.feed(FEED).title == "The Daily Ledger"


def test_a_feed_read_in_the_child_gives_the_fields_feedparser_gives_so_pull_state_keeps_its_items() -> None:
    """ingest._pull_item hashes id, title, updated, published, summary: the same values as feedparser's own,
    or every item a pull remembered would be fetched again after an upgrade."""
    with Sandbox() as reader:
        feed = reader.feed(FEED)
    direct = feedparser.parse(FEED)
    assert (feed.title, feed.version, feed.bozo, len(feed.entries)) == ("The Daily Ledger", "rss20", False, 2)
    keys = ("id", "title", "updated", "published", "summary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for mine, theirs in zip(feed.entries, direct.entries, strict=True):
            assert json.dumps([mine.get(k) for k in keys], default=str) == \
                json.dumps([theirs.get(k) for k in keys], default=str)
            assert mine["link"] == theirs["link"]
            assert mine["published_parsed"] == (list(theirs["published_parsed"]) if theirs.get("published_parsed") else None)


def test_feed_links_are_read_from_a_page_in_the_child() -> None:
    page = b"""<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">
    <link rel="alternate" type="application/atom+xml" href="javascript:x()"><link rel="stylesheet" href="/s.css">
    </head><body>Front page</body></html>"""
    with Sandbox() as reader:
        assert reader.feed_links(page, "https://ledger.example/world/") == ["https://ledger.example/rss.xml"]


def test_the_reading_child_gets_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from sitrep.feeds.sandbox import child_env

    for name in ("DISCORD_TOKEN", "SITREP_MILVUS_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY", "DB_PASSWORD"):
        monkeypatch.setenv(name, "s3cret")
    monkeypatch.setenv("SITREP_FEED_READ_S", "20")
    env = child_env()
    assert "s3cret" not in env.values() and env["SITREP_FEED_READ_S"] == "20" and env["PATH"] == os.environ["PATH"]
    with Sandbox() as reader:  # and it still reads
        assert reader.feed(FEED).title == "The Daily Ledger"
