"""Pull + update of 50 new items from a local feed: seconds, and the share spent embedding. Then pages built
to be slow to read, pulled as the bot pulls them. Then what the pulls' memory costs when it holds a year of items.

Serves 50 dev articles (read from ../shared at run time, never stored in the repo) as HTML pages
plus an RSS feed listing them, on 127.0.0.1; pulls them into an empty corpus (host delay 0: the
polite 1 s between two requests to one host is a setting, and would add ~1 s an item here),
then runs the incremental update with the real encoder (ONNX), timing its encode calls.

Hostile pages: a feed of `--hostile` pages of 350,000 empty tags (4.9 MB, under the 5 MB cap) beside as many
ordinary ones, pulled in a worker thread (as the bot's refresh and /add do) while the event loop ticks every
10 ms: the pull's seconds, the loop's worst lag, and what was saved — read in the sandbox's child process
(the default, SITREP_FEED_READ_S) and, for comparison, in the pulling process itself, as before it.

State at scale (`--state-items`, 0 skips it): the feed state (sitrep/feeds/state.py, SQLite) holding that many items
and twice as many story keys, 50 feeds: what /status and `/feeds list` pay to read the listed feeds' health, what
a pull of 200 unchanged items pays to look them up and mark them seen, what forgetting the unlisted costs at the end
of a pull, and what the JSON file of earlier sitreps took to read in.
Beside it, the same content as the JSON file earlier sitreps kept: its size, and `json.loads` / `json.dumps` + an
atomic write of it, which every /status read and every pull wrote whole.

    python benchmarks/bench_feeds.py [--items 50] [--hostile 2] [--state-items 300000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import html
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.feeds import ingest as feeds  # noqa: E402
from sitrep.feeds import sandbox  # noqa: E402
from sitrep.index.build import update  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402


class TimedEncoder:
    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.seconds = inner, 0.0
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        self.count_tokens = inner.count_tokens

    def encode(self, texts, progress=None):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = self.inner.encode(texts, progress)
        self.seconds += time.perf_counter() - t
        return out

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        return self.inner.encode_queries(texts)


class InProcess:
    """The sandbox's readers called in this process, with no deadline: how pulls read pages before it."""

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def page(self, body: bytes, charset: str | None = None) -> dict:  # type: ignore[type-arg]
        return sandbox._read_page(body, charset)

    def feed(self, body: bytes) -> sandbox.Feed:
        return sandbox.Feed(**sandbox._read_feed(body))

    def feed_links(self, body: bytes, base: str) -> list[str]:
        return sandbox._read_links(body, base)


def hostile_pull(routes: dict[str, bytes], base: str, n: int, reader: object | None) -> dict:  # type: ignore[type-arg]
    """n pages built to be slow and n ordinary ones, pulled in a worker thread while the loop ticks."""
    for i in range(n):
        routes[f"/slow/{i}"] = ("<html><head><title>Slow</title></head><body>" + "<span>a</span>" * 350_000
                                + "</body></html>").encode()
    items = "".join(f"<item><title>slow {i}</title><link>{base}/slow/{i}</link></item>"
                    f"<item><title>ok {i}</title><link>{base}/a/{i}</link></item>" for i in range(n))
    routes["/hostile"] = f'<?xml version="1.0"?><rss version="2.0"><channel><title>h</title>{items}</channel></rss>'.encode()

    async def run() -> dict:  # type: ignore[type-arg]
        lags: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - t - 0.01)

        with tempfile.TemporaryDirectory() as tmp:
            fetcher = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, allow_private=True), reader=reader)  # type: ignore[arg-type]
            tick = asyncio.create_task(ticker())
            t = time.perf_counter()
            report = await asyncio.to_thread(feeds.pull, [f"{base}/hostile"], Path(tmp) / "corpus", Path(tmp) / "s.json",
                                             fetcher)
            seconds = time.perf_counter() - t
            done.set()
            await tick
            fetcher.close()
        lags.sort()
        return {"pull_s": round(seconds, 1), "loop_worst_lag_ms": round(lags[-1] * 1000),
                "loop_p99_lag_ms": round(lags[int(len(lags) * 0.99)] * 1000), "saved": len(report.saved),
                "failures": [f.split(": ", 1)[1] for f in report.failures]}

    return asyncio.run(run())


def state_at_scale(n: int) -> dict[str, object]:
    """The feed state holding `n` items (see the module's docstring), against the JSON file it replaced."""
    from sitrep.feeds.state import FeedState

    links = [f"https://news{i % 50}.example.com/2026/{i}/a-story-with-a-slug-of-some-length-{i}" for i in range(n)]
    urls = [f"https://news{i}.example.com/rss" for i in range(50)]
    health = {"read_at": "2026-12-04 03:00 UTC", "items": 50, "title": "An Outlet", "new_at": "2026-12-04 03:00 UTC"}
    old = {"items": {link: hashlib.sha1(link.encode()).hexdigest() for link in links},
           "stories": {**{link: link for link in links}, **{hashlib.sha1(link[::-1].encode()).hexdigest(): link for link in links}},
           "feeds": {u: health for u in urls}}
    out: dict[str, object] = {"items": n}
    with tempfile.TemporaryDirectory() as tmp:
        legacy = Path(tmp) / "feeds-state.json"
        t = time.perf_counter()
        feeds._atomic_write(legacy, json.dumps(old, indent=1, sort_keys=True))  # as every pull of earlier sitreps did
        out["json_write_ms"] = round((time.perf_counter() - t) * 1000)
        out["json_mb"] = round(legacy.stat().st_size / 1e6, 1)
        t = time.perf_counter()
        json.loads(legacy.read_text("utf-8"))  # as every /status and /feeds list of earlier sitreps did
        out["json_read_ms"] = round((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        FeedState(Path(tmp) / "feeds-state.sqlite3").close()  # reads the JSON file in, once
        out["import_s"] = round(time.perf_counter() - t, 2)
        out["sqlite_mb"] = round((Path(tmp) / "feeds-state.sqlite3").stat().st_size / 1e6, 1)
        (Path(tmp) / "feeds.txt").write_text("\n".join(urls) + "\n")
        listed = feeds.FeedList(Path(tmp) / "feeds.txt", Path(tmp) / "feeds-state.sqlite3")
        times = []
        for _ in range(20):
            t = time.perf_counter()
            listed.health()
            times.append((time.perf_counter() - t) * 1000)
        out["health_ms_p50"] = round(sorted(times)[len(times) // 2], 2)
        with FeedState(Path(tmp) / "feeds-state.sqlite3") as state:
            wanted = links[-200:]
            t = time.perf_counter()
            for link in wanted:
                state.entry_hash(link)
            out["lookup_200_ms"] = round((time.perf_counter() - t) * 1000, 2)
            t = time.perf_counter()
            for i, link in enumerate(wanted[:50]):
                state.fetched(link, f"changed-{i}")
                state.save([link, f"text-{i}"], link)
            out["write_50_items_ms"] = round((time.perf_counter() - t) * 1000, 1)
            t = time.perf_counter()
            state.seen(links[:200])  # a pull's unchanged items, marked seen in one write
            out["seen_200_ms"] = round((time.perf_counter() - t) * 1000, 2)
            t = time.perf_counter()
            state.forget(180)  # the day's first pull: one scan, nothing this young to forget
            out["forget_scan_ms"] = round((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            state.forget(180)  # every later pull that day: nothing to do
            out["forget_again_ms"] = round((time.perf_counter() - t) * 1000, 2)
            state._db.execute("DELETE FROM meta WHERE key='forgot_on'")
            state._db.execute("UPDATE items SET seen_on=1 WHERE substr(entry_hash, 1, 1) < '8'")  # ~half, unlisted for ages
            t = time.perf_counter()
            out["forgotten"] = state.forget(180)[0]
            out["forget_half_ms"] = round((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--hostile", type=int, default=2, help="pages built to be slow (0: skip that part)")
    ap.add_argument("--state-items", type=int, default=300_000, help="items the feed state holds (0: skip that part)")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "feeds.json")
    args = ap.parse_args()
    with gzip.open(args.dataset / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = [r for r in (json.loads(line) for line in fh) if r.get("title") and r.get("published_at")][: args.items]
    routes: dict[str, bytes] = {}
    for i, r in enumerate(records):
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in r["body"].split("\n") if p.strip())
        routes[f"/a/{i}"] = (f'<html><head><meta charset="utf-8"><title>{html.escape(r["title"])}</title>'
                             f'<meta property="article:published_time" content="{r["published_at"][:10]}">'
                             f'<meta property="og:site_name" content="{html.escape(r["source"])}"></head><body><nav>Home</nav>'
                             f"<article><h1>{html.escape(r['title'])}</h1>{paras}</article><footer>(c)</footer></body></html>"
                             ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = routes.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml" if self.path == "/rss" else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *a: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    items = "".join(f"<item><title>{html.escape(r['title'])}</title><link>{base}/a/{i}</link></item>"
                    for i, r in enumerate(records))
    routes["/rss"] = f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{items}</channel></rss>'.encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    encoder = TimedEncoder(query_encoder(None, ROOT / "var" / "models", batch_size=4))  # as `sitrep` (SITREP_EMBED_BATCH_SIZE)
    encoder.encode(["warm up"])
    encoder.seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        fetcher = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, allow_private=True))  # served on 127.0.0.1
        t = time.perf_counter()
        report = feeds.pull([f"{base}/rss"], corpus, Path(tmp) / "state.sqlite3", fetcher)
        pull_s = time.perf_counter() - t
        fetcher.close()
        t = time.perf_counter()
        built = update(corpus, Path(tmp) / "idx", encoder)
        update_s = time.perf_counter() - t
    hostile = {}
    if args.hostile:
        hostile = {"pages": args.hostile, "child": hostile_pull(routes, base, args.hostile, None),
                   "in_process": hostile_pull(routes, base, args.hostile, InProcess())}
    server.shutdown()
    total = pull_s + update_s
    result = {"state": state_at_scale(args.state_items) if args.state_items else {}, "hostile": hostile, "items": len(records), "saved": len(report.saved), "failures": report.failures, "pull_s": round(pull_s, 2),
              "update_s": round(update_s, 2), "passages_embedded": built.passages_embedded,
              "embedding_s": round(encoder.seconds, 2), "embedding_share": round(encoder.seconds / total, 3),
              "total_s": round(total, 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
