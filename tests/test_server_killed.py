"""The Milvus server killed mid-question (a real milvus-lite server process on 127.0.0.1): every front-end
says so in one line and loses nothing — the CLI exits 2, the REPL goes on and answers once the server is
back, the Discord bot answers /ask and a mention with the line (no traceback, no apology) and keeps
serving. Slow: a server process, started three times."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitrep.answer.engine import Engine
from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.service import QAService
from sitrep.cli.main import main
from sitrep.cli.repl import Repl
from sitrep.index.backends import BackendConfig
from sitrep.index.build import update
from sitrep.index.errors import IndexUnavailable
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder
from tests.fake_discord import BOT_ID, FakeDiscord, serving
from tests.test_milvus import RestartableServer

pytestmark = pytest.mark.slow
LOST = "lost the Milvus server at http://127.0.0.1:"


class KillingEncoder(FakeEncoder):
    """Kills the server as it embeds a question: the search that follows finds it gone, mid-question."""

    def __init__(self, server: RestartableServer) -> None:
        super().__init__()
        self.server = server

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.server.proc is not None and self.server.proc.poll() is None:
            self.server.kill()
        return super().encode_queries(texts)


def back(server: RestartableServer, ask: Callable[[], Any]) -> Any:
    """Start the server again; the same engine answers as soon as it serves (within 30 s)."""
    server.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            return ask()
        except IndexUnavailable:
            assert time.monotonic() < deadline, "no answer 30 s after the server came back"
            time.sleep(0.5)


@pytest.fixture
def server(seed_corpus: Path, tmp_path: Path) -> Any:
    s = RestartableServer(tmp_path / "server")
    s.start()
    update(seed_corpus, BackendConfig(kind="milvus", uri=s.uri, collection="killed"), FakeEncoder())
    yield s
    if s.proc is not None and s.proc.poll() is None:
        s.kill()


def test_the_cli_says_it_in_one_line(server: RestartableServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("SITREP_MILVUS_URI", server.uri)
    monkeypatch.setenv("SITREP_MILVUS_COLLECTION", "killed")
    code = main(["ask", "What did China propose to India?", "--backend", "milvus"],
                make_encoder=lambda _s: KillingEncoder(server))
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"sitrep: {LOST}") and "start it again" in err


def test_the_repl_says_it_and_goes_on(server: RestartableServer) -> None:
    engine = Engine.open(BackendConfig(kind="milvus", uri=server.uri, collection="killed"), FakeEncoder())
    out = io.StringIO()
    repl = Repl(engine, out=out)
    server.kill()
    assert repl.handle("What did China propose to India?")  # the session goes on
    assert repl.handle(":brief India China border")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"error: {LOST}") for line in lines)
    back(server, lambda: engine.search(Query("India China border")))
    out.truncate(0)
    out.seek(0)
    assert repl.handle("What did China propose to India?")
    text = out.getvalue()  # an answer from the index again (with the fake encoder, its nearest articles)
    assert "error" not in text and ".txt" in text


async def test_the_bot_says_it_to_the_asker_and_keeps_serving(server: RestartableServer) -> None:
    config = BackendConfig(kind="milvus", uri=server.uri, collection="killed")
    engine = Engine.open(config, FakeEncoder())
    service = QAService(engine, lambda: engine, lambda: None)  # type: ignore[arg-type, return-value]
    bot = SitrepBot(service, BotConfig(threads=False))
    fake = FakeDiscord()
    async with serving(fake):
        task = asyncio.create_task(bot.start("not-a-real-token"))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            server.kill()
            await fake.slash("ask", [{"name": "question", "type": 3, "value": "What did China propose to India?"}])
            assert (await asyncio.wait_for(fake.posted.get(), 30)).body["type"] == 5  # deferred first
            told = await asyncio.wait_for(fake.posted.get(), 30)
            assert told.body["content"].startswith(LOST) and told.body["flags"] == 64  # only the asker sees it
            await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            replied = await asyncio.wait_for(fake.posted.get(), 30)
            assert replied.body["content"].startswith(LOST)
            await asyncio.to_thread(back, server, lambda: engine.search(Query("India China border")))
            await fake.slash("ask", [{"name": "question", "type": 3, "value": "What did China propose to India?"}])
            await asyncio.wait_for(fake.posted.get(), 30)
            answer = await asyncio.wait_for(fake.posted.get(), 30)
            assert answer.body["embeds"] and "Sorry" not in str(answer.body)
        finally:
            await bot.close()
            task.cancel()
