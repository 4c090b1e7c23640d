"""`sitrep bot` start-up failures: one line each, exit 2, and the token never echoed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitrep.cli.main import main
from sitrep.index.build import update
from tests.conftest import FakeEncoder
from tests.fake_discord import FakeDiscord, serving

TOKEN = "MTIzNDU2Nzg5.secret-token-value"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), make_encoder=lambda _s: FakeEncoder())
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return tmp_path


def test_missing_token(capsys, clean_env: Path) -> None:
    code, out, err = run(capsys, "bot")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "DISCORD_TOKEN is not set" in err and "discord.com/developers" in err


def test_no_index(capsys, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, _, err = run(capsys, "bot", "--index", str(clean_env / "none"))
    assert code == 2 and "sitrep index build" in err and err.count("\n") == 1 and TOKEN not in err


@pytest.fixture
def rejecting_discord() -> Iterator[FakeDiscord]:
    """The stand-in, refusing every token, served from its own thread (the bot runs its own loop)."""
    fake = FakeDiscord(token_ok=False)
    loop = asyncio.new_event_loop()
    ready, stop = threading.Event(), asyncio.Event()

    async def serve() -> None:
        async with serving(fake):
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield fake
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


def test_rejected_token(capsys, clean_env: Path, monkeypatch: pytest.MonkeyPatch, seed_corpus: Path,
                        rejecting_discord: FakeDiscord) -> None:
    update(seed_corpus, clean_env / "idx", FakeEncoder())
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code, out, err = run(capsys, "bot", "--index", str(clean_env / "idx"))
    assert code == 2 and err.count("\n") == 1 and "Discord rejected the token" in err
    assert TOKEN not in out + err
    assert any(c.path == "/users/@me" for c in rejecting_discord.calls)  # it really tried to log in
