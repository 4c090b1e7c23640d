"""Pull + update of 50 new items from a local feed: seconds, and the share spent embedding.

Serves 50 dev articles (read from ../shared at run time, never stored in the repo) as HTML pages
plus an RSS feed listing them, on 127.0.0.1; pulls them into an empty corpus (host delay 0: the
polite 1 s between two requests to one host is a setting, and would add ~1 s an item here),
then runs the incremental update with the real encoder (ONNX), timing its encode calls.

    python benchmarks/bench_feeds.py [--items 50]
"""

from __future__ import annotations

import argparse
import gzip
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--items", type=int, default=50)
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
        report = feeds.pull([f"{base}/rss"], corpus, Path(tmp) / "state.json", fetcher)
        pull_s = time.perf_counter() - t
        t = time.perf_counter()
        built = update(corpus, Path(tmp) / "idx", encoder)
        update_s = time.perf_counter() - t
    server.shutdown()
    total = pull_s + update_s
    result = {"items": len(records), "saved": len(report.saved), "failures": report.failures, "pull_s": round(pull_s, 2),
              "update_s": round(update_s, 2), "passages_embedded": built.passages_embedded,
              "embedding_s": round(encoder.seconds, 2), "embedding_share": round(encoder.seconds / total, 3),
              "total_s": round(total, 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
