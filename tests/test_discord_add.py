"""/add and /feeds in Discord, end to end: the real discord.py client against tests/fake_discord.py, the App's page
fetcher against news pages served on 127.0.0.1, the fake encoder (so it runs with the fast tests).
Refused to non-admins (nothing fetched); an admin's page is saved, indexed and answered from; the same
page again changes nothing; a page that cannot be used is one line to the admin alone."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitrep.app.compose import App
from sitrep.app.settings import load_settings
from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.policy import RateLimiter
from sitrep.chat.service import QAService
from sitrep.retrieval.types import Query
from tests.conftest import SEEDS, FakeEncoder
from tests.fake_discord import FakeDiscord, serving
from tests.test_discord_e2e import next_post, no_pings
from tests.test_discord_threads import started, stopped
from tests.test_feeds import Site, serve_news, site  # noqa: F401  (the fixture)

MANAGE_GUILD = "32"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = load_settings(corpus_dir=corpus, index_dir=tmp_path / "idx", embed_cache_dir=tmp_path / "emb",
                             feeds_allow_private=True, feed_host_delay_s=0.0, feeds=tmp_path / "feeds.txt",
                             feeds_state=tmp_path / "feeds-state.json")
    yield App(settings, lambda _s: FakeEncoder())


async def test_add_a_page_from_discord(app: App, site: Site) -> None:  # noqa: F811
    serve_news(site)
    target = app.target()
    app.update(target, app.settings.corpus_dir)
    service = QAService(app.engine(target), lambda: app.engine(target), app.updater(target),
                        limiter=RateLimiter(limit=100), add_pages=app.add_pages,
                        remove_article=lambda backend, ref: app.remove_article(backend, ref, target=target))
    before = service.engine.status()["articles"]
    bot = SitrepBot(service, BotConfig())
    fake = FakeDiscord()
    page = [{"name": "url", "type": 3, "value": f"{site.base}/world/assam-floods"}]
    async with serving(fake):
        task = await started(fake, bot)
        try:
            await fake.slash("add", page)  # not an admin: refused, to them alone, nothing fetched
            refused = await next_post(fake)
            assert refused.body["data"]["flags"] == 64
            assert refused.body["data"]["content"] == "Only sitrep admins can add pages to the corpus."
            assert site.requests == []

            await fake.slash("add", page, permissions=MANAGE_GUILD)
            assert (await next_post(fake)).body["type"] == 5  # deferred: fetching and indexing take a while
            done = await next_post(fake)
            no_pings(done.body)
            text = done.body["content"]
            assert done.body["flags"] == 64
            assert text.startswith("Added: Floods displace thousands in Assam — The Daily Ledger — 2024-07-03 (web/")
            assert "passages embedded" in text
            assert service.engine.status()["articles"] == before + 1
            answer, _ = await service.ask(Query("How many people did the floods in Assam displace?"))
            assert not answer.abstained and "40,000 people" in answer.text
            assert answer.citations[answer.sentences[0][1] - 1].article_id.startswith("web/127.0.0.1-")

            await fake.slash("add", page, permissions=MANAGE_GUILD)
            await next_post(fake)
            assert (await next_post(fake)).body["content"].startswith("Already in the corpus, unchanged: Floods displace")

            for value, says in ((f"{site.base}/missing", "/missing: HTTP 404"),
                                ("file:///etc/passwd", "refused: feeds and pages must be http:// or https:// URLs")):
                await fake.slash("add", [{"name": "url", "type": 3, "value": value}], permissions=MANAGE_GUILD)
                await next_post(fake)
                failed = await next_post(fake)
                assert failed.body["flags"] == 64 and says in failed.body["content"]
                assert "\n" not in failed.body["content"] and "Traceback" not in failed.body["content"]
            assert service.engine.status()["articles"] == before + 1 and not service.reindexing

            # /remove: admins only; autocompleted from the index's files; the file kept aside, the index loses it.
            (page_file,) = [a for a in service.article_ids("assam") if a.startswith("web/")]
            await fake.slash("remove", [{"name": "article", "type": 3, "value": page_file}])
            assert (await next_post(fake)).body["data"]["content"] == "Only sitrep admins can remove articles."
            await fake.slash("remove", [{"name": "article", "type": 3, "value": page_file}], permissions=MANAGE_GUILD)
            await next_post(fake)
            gone = (await next_post(fake)).body
            assert gone["flags"] == 64 and gone["content"].startswith("Removed: Floods displace thousands in Assam — The Daily Ledger")
            assert service.engine.status()["articles"] == before
            assert list((app.settings.index_dir.parent / "removed").rglob("*.md"))  # kept aside, not deleted
            await fake.slash("remove", [{"name": "article", "type": 3, "value": page_file}], permissions=MANAGE_GUILD)
            await next_post(fake)
            assert (await next_post(fake)).body["content"].startswith("no article ")
        finally:
            await stopped(bot, task)


async def test_feeds_from_discord(app: App, site: Site) -> None:  # noqa: F811
    """/feeds add reads the feed first (a page that is not one is refused, nothing listed), lists it and pulls
    its stories at once (the refresh: pull, update, swap); /feeds list shows it; /feeds remove stops it."""
    serve_news(site)
    target = app.target()
    app.update(target, app.settings.corpus_dir)
    service = QAService(app.engine(target), lambda: app.engine(target), app.updater(target),
                        limiter=RateLimiter(limit=100), pull_feeds=app.pull_feeds, feed_list=app.feed_list(),
                        probe_feed=app.probe_feed)
    before = service.engine.status()["articles"]
    bot = SitrepBot(service, BotConfig())
    fake = FakeDiscord()

    def feeds(action: str, url: str | None = None) -> list[dict[str, object]]:
        return [{"name": action, "type": 1, "options": [{"name": "url", "type": 3, "value": url}] if url else []}]

    async with serving(fake):
        task = await started(fake, bot)
        try:
            await fake.slash("feeds", feeds("list"))
            assert "No feeds yet" in (await next_post(fake)).body["data"]["content"]
            await fake.slash("feeds", feeds("add", f"{site.base}/rss.xml"))  # not an admin
            assert (await next_post(fake)).body["data"]["content"] == "Only sitrep admins can add feeds."

            await fake.slash("feeds", feeds("add", f"{site.base}/markets"), permissions=MANAGE_GUILD)
            await next_post(fake)
            refused = (await next_post(fake)).body
            assert refused["flags"] & 64 and "not an RSS or Atom feed" in refused["content"] and "\n" not in refused["content"]
            assert app.feed_list().urls() == []

            await fake.slash("feeds", feeds("add", f"{site.base}/rss.xml"), permissions=MANAGE_GUILD)
            await next_post(fake)
            added = (await next_post(fake)).body
            no_pings(added)
            assert added["content"].startswith("Added feed **The Daily Ledger — World** (4 items now)")
            assert "Pulling its stories now" in added["content"] and added["flags"] == 64 | 4  # no link previews
            for _ in range(300):  # the refresh runs in the background
                if service.last_refresh is not None:
                    break
                await asyncio.sleep(0.05)
            assert service.last_refresh is not None and service.last_refresh.get("saved_from_feeds") == 3
            assert service.engine.status()["articles"] == before + 3

            await fake.slash("feeds", feeds("list"))
            listed = (await next_post(fake)).body["data"]["content"]
            assert f"• {site.base}/rss.xml — ok: last read " in listed and ", 4 items; last new story " in listed
            await fake.slash("status")
            fields = {f["name"]: f["value"] for f in (await next_post(fake)).body["data"]["embeds"][0]["fields"]}
            assert fields["Feeds"] == "1 read, all ok or not pulled yet" and "3 saved from feeds" in fields["Last refresh"]
            await fake.slash("feeds", feeds("remove", f"{site.base}/rss.xml"), permissions=MANAGE_GUILD)
            await next_post(fake)
            assert "No longer reading" in (await next_post(fake)).body["content"]
            assert app.feed_list().urls() == [] and service.engine.status()["articles"] == before + 3
        finally:
            await stopped(bot, task)
