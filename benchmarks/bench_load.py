"""The bot under load during a refresh (issue 21): the real discord.py client against the loopback stand-in
for Discord (tests/fake_discord.py), the real model, the bundled corpus in a temporary folder.

50 users ask 500 `/ask` questions spread over 60 s; at 20 s, 100 new articles land in the corpus and the
scheduled refresh runs (the incremental update embeds them, then the engine is swapped). Half the
questions are about the new articles ("the Kestrel Bay desalination plant …"), so each answer tells which
index answered it. Measured: every question answered exactly once (none lost, none twice); answers to
questions dispatched before the swap from the old index, after it from the new; the event loop's worst
lag (a 10 ms ticker's overshoot); p50/p95 from dispatch to answer; peak RSS. Then 20 follow-ups posted
without a mention into 20 of the answers' threads: each answered once, as a follow-up.

    python benchmarks/bench_load.py [--users 50] [--questions 500] [--seconds 60]

Writes var/bench/load.json. The per-user rate limit is raised to 10 a minute for this run (the default
is 5): 500 questions from 50 users in a minute is 10 each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.app.compose import update_in_child  # noqa: E402
from sitrep.chat.client import BotConfig, SitrepBot  # noqa: E402
from sitrep.chat.policy import RateLimiter  # noqa: E402
from sitrep.chat.service import QAService  # noqa: E402
from sitrep.index.build import update  # noqa: E402
from sitrep.index.embedcache import EmbeddingCache  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from tests.conftest import SEEDS  # noqa: E402
from tests.fake_discord import FakeDiscord, serving  # noqa: E402

NEW = "Kestrel Bay"
OLD_QUESTIONS = ["What did China propose to India?", "What is BECA?", "Where will Aero India 2021 be staged?",
                 "How many troops has China placed along the Indian border?",
                 "What is the name of the joint air force exercise of China and Pakistan?"]


def new_articles(folder: Path, n: int = 100) -> None:
    rows = []
    for i in range(n):
        rows.append({"id": f"kestrel-{i}", "title": f"{NEW} desalination plant, report {i}", "source": "Harbour Herald",
                     "published_at": "2026-11-20",
                     "body": f"The {NEW} desalination plant will supply {1000 + i} homes from March, the regional water "
                             f"board said on Thursday. Engineers tested the {NEW} intake pipes for {i + 3} weeks. "
                             "Residents asked how the brine would be handled; the board said it is piped offshore."})
    (folder / "kestrel.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


async def run(users: int, questions: int, seconds: float, folder: Path) -> dict[str, object]:
    corpus = folder / "corpus"
    shutil.copytree(SEEDS, corpus)
    idx = folder / "idx"
    encoder = query_encoder(None, ROOT / "var" / "models")
    cache = EmbeddingCache(folder / "emb", encoder.fingerprint, encoder.dim)
    update(corpus, idx, encoder, cache=cache)
    engine = Engine.open(idx, encoder)
    swapped_at: list[float] = []

    def open_engine() -> Engine:
        e = Engine.open(idx, encoder)
        swapped_at.append(time.perf_counter())
        return e

    # The refresh's update runs as the bot runs it: in a child process (sitrep/app/compose.py update_in_child).
    child_env = {"SITREP_EMBED_CACHE_DIR": str(folder / "emb"), "SITREP_MODEL_CACHE_DIR": str(ROOT / "var" / "models")}
    service = QAService(engine, open_engine,
                        lambda: update_in_child(["--corpus", str(corpus), "--index", str(idx)], env=child_env),
                        limiter=RateLimiter(limit=10, window=60.0))
    bot = SitrepBot(service, BotConfig())
    fake = FakeDiscord()
    rng = random.Random(0)
    lag: list[float] = []
    lag_at: list[float] = []

    async def ticker() -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lag.append((time.perf_counter() - t - 0.01) * 1000)
            lag_at.append(time.perf_counter())

    async with serving(fake):
        task = asyncio.create_task(bot.start("load-token"))
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        tick = asyncio.create_task(ticker())
        sent: dict[str, tuple[float, bool]] = {}  # interaction id -> (dispatched at, asks about the new articles)
        answers: dict[str, list[tuple[float, str]]] = {}
        started = time.perf_counter()
        refreshed = asyncio.Event()

        async def refresh_at(delay: float) -> None:
            await asyncio.sleep(delay)
            new_articles(corpus)
            await service.refresh()
            refreshed.set()

        async def collect() -> None:
            while True:
                call = await fake.posted.get()
                if call.path.startswith("/webhooks/"):
                    token = call.path.split("/")[3]
                    iid = token.removeprefix("tok-")
                    sources = json.dumps([f for e in (call.body or {}).get("embeds", []) for f in e.get("fields", [])])
                    answers.setdefault(iid, []).append((call.at, sources))

        refresher = asyncio.create_task(refresh_at(seconds / 3))
        collector = asyncio.create_task(collect())
        for n in range(questions):
            await asyncio.sleep(max(0.0, started + n * seconds / questions - time.perf_counter()))
            about_new = n % 2 == 1
            q = f"How many homes will the {NEW} desalination plant supply?" if about_new else rng.choice(OLD_QUESTIONS)
            iid = await fake.slash("ask", [{"name": "question", "type": 3, "value": q}], user_id=str(1000 + n % users))
            sent[iid] = (fake.sent_at[iid], about_new)
        deadline = time.perf_counter() + 120
        while (len(answers) < len(sent) or not refreshed.is_set()) and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)

        # 20 follow-ups, without a mention, in 20 of the answers' threads.
        threads = list(fake.threads)[:20]
        before = {t: len(fake.messages_to(t)) for t in threads}
        for i, t in enumerate(threads):  # 20 users (one user's 20 would meet the rate limit)
            await fake.message("When will it start?", author_id=str(2000 + i), mentions_bot=False, channel=t)
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and any(len(fake.messages_to(t)) == before[t] for t in threads):
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # anything answered twice would have arrived by now
        followed = [fake.messages_to(t)[before[t]:] for t in threads]
        tick.cancel()
        collector.cancel()
        refresher.cancel()
        await bot.close()
        await asyncio.wait_for(task, 10)

    swap = swapped_at[0] if swapped_at else float("inf")
    lost = [i for i in sent if i not in answers]
    twice = [i for i, a in answers.items() if len(a) > 1]
    wrong_index = 0
    for iid, (at, about_new) in sent.items():
        if not about_new or iid not in answers:
            continue
        cites_new = "Harbour Herald" in answers[iid][0][1]  # a source (or a nearest article) from the new ones
        if at > swap and not cites_new:  # asked after the swap: the new index must answer
            wrong_index += 1
        if answers[iid][0][0] < swap and cites_new:  # answered before the swap: the old index cannot know it
            wrong_index += 1
    times = [(answers[i][0][0] - at) * 1000 for i, (at, _) in sent.items() if i in answers]
    return {
        "users": users, "questions": len(sent), "seconds": seconds, "refresh_added": 100,
        "answered": len(answers), "lost": len(lost), "answered_twice": len(twice),
        "answered_by_the_wrong_index": wrong_index,
        "swap_s_after_start": round(swap - started, 2) if swapped_at else None,
        "answer_ms": {"p50": round(float(np.percentile(times, 50)), 1), "p95": round(float(np.percentile(times, 95)), 1),
                      "max": round(max(times), 1)},
        "event_loop_lag_ms": {"p50": round(float(np.percentile(lag, 50)), 2), "p99": round(float(np.percentile(lag, 99)), 1),
                              "max": round(max(lag), 1),
                              "max_at_s_after_start": round(lag_at[int(np.argmax(lag))] - started, 2),
                              "over_50ms_at_s": [round(t - started, 1) for t, v in zip(lag_at, lag) if v > 50]},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "follow_ups": {"asked": len(threads), "answered_once": sum(len(f) == 1 for f in followed),
                       "understood_as_follow_ups": sum(
                           bool(f) and "understood as:" in json.dumps(f[0].get("embeds", [])) for f in followed)},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    logging.getLogger("discord").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.users, args.questions, args.seconds, Path(tmp)))
    out = ROOT / "var" / "bench" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
