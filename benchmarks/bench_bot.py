"""Discord latency with the dev index loaded, 20 questions at once.

The real, unmodified discord.py client (our SitrepBot) connects over loopback to the stand-in
for Discord of tests/fake_discord.py. Each round dispatches 20 `/ask` interactions back to back
on the gateway; the stand-in timestamps each dispatch and each request the bot makes, so:

- deferral: interaction dispatched -> the bot's "thinking" callback arrives (Discord's 3 s rule);
- answer:   interaction dispatched -> the follow-up with the cited answer arrives.

Questions run behind the service's model lock (one model, serialised), off the event loop.

    python benchmarks/bench_bot.py [--rounds 10] [--concurrent 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.chat.client import BotConfig, SitrepBot  # noqa: E402
from sitrep.chat.policy import RateLimiter  # noqa: E402
from sitrep.chat.service import QAService  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from tests.fake_discord import FakeDiscord, serving  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


async def run(index: Path, questions: list[str], rounds: int, concurrent: int) -> dict[str, object]:
    engine = Engine.open(index, query_encoder(None, ROOT / "var" / "models"))
    service = QAService(engine, lambda: engine, lambda: None, RateLimiter(limit=10**9))  # type: ignore[arg-type, return-value]
    bot = SitrepBot(service, BotConfig())
    fake = FakeDiscord()
    async with serving(fake):
        return await measure(fake, bot, service, questions, rounds, concurrent)


async def measure(fake: FakeDiscord, bot: SitrepBot, service: QAService, questions: list[str], rounds: int,
                  concurrent: int) -> dict[str, object]:
    task = asyncio.create_task(bot.start("bench-token"))
    deferral: list[float] = []
    answer: list[float] = []
    abstained = 0
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        for q in questions[:5]:  # warm-up: lazy imports, caches
            await service.ask(q)
        qi = 0
        for _ in range(rounds):
            ids = []
            for _ in range(concurrent):
                q = questions[qi % len(questions)]
                qi += 1
                ids.append(await fake.slash("ask", [{"name": "question", "type": 3, "value": q}], user_id=str(1000 + qi)))
            got: dict[str, dict[str, float]] = {i: {} for i in ids}
            while any(len(v) < 2 for v in got.values()):
                call = await asyncio.wait_for(fake.posted.get(), 60)
                if call.path.endswith("/callback"):
                    iid, kind = call.path.split("/")[2], "deferral"
                    assert call.body["type"] == 5, call.body
                else:  # /webhooks/{app}/{token}: the follow-up
                    iid, kind = call.path.split("/")[3].removeprefix("tok-"), "answer"
                    desc = call.body["embeds"][0].get("description", "")
                    abstained += desc.startswith("The corpus does not answer")
                got[iid][kind] = (call.at - fake.sent_at[iid]) * 1000
            deferral += [v["deferral"] for v in got.values()]
            answer += [v["answer"] for v in got.values()]
        # Each /ask answer then gets a thread started from it: let the last ones finish before closing.
        for _ in range(500):
            if sum(c.path.endswith("/threads") for c in fake.calls) >= len(answer):
                break
            await asyncio.sleep(0.01)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
    return {
        "index_passages": service.engine.backend.stats().passages,
        "questions": len(answer),
        "concurrent": concurrent,
        "deferral_ms": {"p50": pct(deferral, 50), "p95": pct(deferral, 95), "max": round(max(deferral), 1)},
        "answer_ms": {"p50": pct(answer, 50), "p95": pct(answer, 95), "max": round(max(answer), 1)},
        "abstained": abstained,
        "serialised": "one model behind a lock, questions off the event loop (asyncio.to_thread)",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--concurrent", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "bot.json")
    args = ap.parse_args()
    if not (args.index / "manifest.json").exists():
        sys.exit(f"no dev index at {args.index}: run `sitrep eval --dataset {args.dataset}` first (it builds one)")
    logging.getLogger("discord").setLevel(logging.ERROR)
    questions = [q.question for q in evaluate.load_queries(args.dataset / "queries.jsonl")]
    t = time.perf_counter()
    result = asyncio.run(run(args.index, questions, args.rounds, args.concurrent))
    result["wall_s"] = round(time.perf_counter() - t, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
