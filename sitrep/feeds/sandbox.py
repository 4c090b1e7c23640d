"""Reading what strangers publish — feeds, pages, the feed links a page names — in a child process
(`python -m sitrep.feeds.sandbox`), with a deadline, a memory cap and a lower CPU priority.

Why: the fetcher bounds what a server may *send* (size, time), but not what reading it costs. Measured
here, a 5 MB page of 350,000 empty tags held trafilatura for 29 s and a 4.6 MB page of 50,000 linked
paragraphs for 35 s, and a 5 MB feed of 40,000 items held feedparser for 8 s — all of it in the bot's
own process, where one such page stalled the event loop for 1.7 s (questions waited) and a feed of
them could hold the refresh for its whole budget. Here each job must finish within `timeout` seconds
or its child is killed (a fresh one reads the next), may not map more than `memory_mb`, and runs
niced, so questions answered on the same cores come first. The parent reads only JSON lines back
(never a pickle), and only the fields sitrep uses; the child gets no secrets in its environment.

Protocol: the child says {"ready": true} once its imports are done (a job's deadline starts after it: a fresh
child's imports, ~0.4 s here and seconds on a busy machine, are not the page's time); then one job at a time, a
JSON header line {"job", "charset", "size"}, then `size` raw bytes; the child answers one JSON line, {"ok":
result} or {"error": "one line"}.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import sys
import time
import weakref
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from sitrep.feeds.errors import FetchError

# the entry fields sitrep reads (ingest._pull_item hashes the first five, in this order)
ENTRY_FIELDS = ("id", "title", "updated", "published", "summary", "link", "published_parsed", "updated_parsed")
PAGE_FIELDS = ("text", "title", "date", "sitename", "url")
START_S = 30.0  # a fresh child's imports must be done by then


@dataclass(frozen=True)
class Feed:
    """A feed as read: its title and its entries (each a dict of ENTRY_FIELDS; dates parsed as 9-tuples)."""

    title: str | None
    entries: list[dict[str, Any]]
    version: str
    bozo: bool


class Sandbox:
    """One child process at a time, started at the first job and reused; `close` ends it."""

    def __init__(self, timeout: float = 20.0, memory_mb: int = 2048) -> None:
        self.timeout, self.memory_mb = timeout, memory_mb
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False  # the child has said its imports are done
        self._finalizer: weakref.finalize | None = None

    def page(self, body: bytes, charset: str | None = None) -> dict[str, Any]:
        """The story on a news page (trafilatura, as for .html files): PAGE_FIELDS, text "" when none."""
        result: dict[str, Any] = self._run("page", body, charset)
        return result

    def feed(self, body: bytes) -> Feed:
        """An RSS/Atom feed (feedparser); the caller judges whether it is one (version, bozo, entries)."""
        got = self._run("feed", body)
        return Feed(got["title"], got["entries"], got["version"], got["bozo"])

    def feed_links(self, body: bytes, base: str) -> list[str]:
        """The RSS/Atom feeds an HTML page names in its <link rel="alternate"> tags, as absolute URLs."""
        found: list[str] = self._run("links", body, base)
        return found

    def start(self) -> None:
        """Starts the child now, without waiting for it: its imports (~0.4 s) overlap the first fetch."""
        if self._proc is None or self._proc.poll() is not None:
            self._proc, self._ready = self._start(), False

    def close(self) -> None:
        """Ends the child (it keeps nothing worth a goodbye)."""
        self._drop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "sitrep.feeds.sandbox", str(self.memory_mb)], env=child_env(),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._finalizer = weakref.finalize(self, _kill, proc)  # a Sandbox dropped unclosed leaves no child
        return proc

    def _run(self, job: str, body: bytes, arg: str | None = None) -> Any:
        for attempt in (1, 2):
            self.start()
            proc = cast(subprocess.Popen[bytes], self._proc)
            stdin, stdout = cast(BinaryIO, proc.stdin), cast(BinaryIO, proc.stdout)  # both piped in _start
            if not self._ready:  # its imports first, on their own clock
                said = _read_line(stdout, time.monotonic() + max(START_S, self.timeout))
                if not said or not said.startswith(b'{"ready"'):
                    self._drop()
                    raise FetchError("its reader could not be started: skipped")
                self._ready = True
            deadline = time.monotonic() + self.timeout
            try:
                stdin.write(json.dumps({"job": job, "arg": arg, "size": len(body)}).encode() + b"\n" + body)
                stdin.flush()
            except (BrokenPipeError, OSError):  # the child died between jobs: one fresh start
                self._drop()
                if attempt == 2:
                    raise FetchError("its reader could not be started: skipped") from None
                continue
            line = _read_line(stdout, deadline)
            if line is None:
                self._drop()
                raise FetchError(f"reading it took over {self.timeout:g} s (a page built to be slow?): skipped "
                                 "(SITREP_FEED_READ_S)")
            if not line:
                code = self._drop()
                raise FetchError(f"its reader stopped (exit {code}): skipped")
            answer = json.loads(line)
            if "error" in answer:
                raise FetchError(str(answer["error"]))
            return answer["ok"]
        raise FetchError("its reader could not be started: skipped")  # not reached

    def _drop(self) -> int | None:
        proc, self._proc = self._proc, None
        if self._finalizer is not None:
            self._finalizer.detach()
        return None if proc is None else _kill(proc)


_SECRET = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE|AUTH", re.I)


def child_env() -> dict[str, str]:
    """The reading child's environment: the parent's without its secrets (DISCORD_TOKEN, SITREP_MILVUS_TOKEN,
    anything named like a token, key or password). It parses what strangers wrote; were a parser ever made
    to run their code, there would be no token in reach."""
    return {k: v for k, v in os.environ.items() if not _SECRET.search(k)}


def _kill(proc: subprocess.Popen[bytes]) -> int | None:
    with contextlib.suppress(OSError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    for pipe in (proc.stdin, proc.stdout):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()
    return proc.returncode


def _read_line(stream: BinaryIO, deadline: float) -> bytes | None:
    """One line from the child by the deadline: the line, b"" when the child ended, None when time ran out."""
    fd, got = stream.fileno(), bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b""
        got += chunk
        if got.endswith(b"\n"):
            return bytes(got)


# --- the child ---------------------------------------------------------------------------------------

def _read_feed(body: bytes) -> dict[str, Any]:
    import warnings

    import feedparser

    parsed = feedparser.parse(body)
    entries = []
    with warnings.catch_warnings():  # feedparser warns when "updated" falls back to "published"
        warnings.simplefilter("ignore", DeprecationWarning)
        for entry in parsed.entries:
            one = {key: entry.get(key) for key in ENTRY_FIELDS}
            for key in ("published_parsed", "updated_parsed"):
                one[key] = list(one[key][:9]) if one[key] else None
            entries.append({k: (v if v is None or isinstance(v, (str, list)) else str(v)) for k, v in one.items()})
    title = parsed.feed.get("title")
    return {"title": title if isinstance(title, str) else None, "entries": entries,
            "version": parsed.get("version") or "", "bozo": bool(parsed.bozo)}


def _read_page(body: bytes, charset: str | None) -> dict[str, Any]:
    from sitrep.corpus.articles import decode_page, extract_html

    doc = extract_html(decode_page(body, charset))
    return {key: (None if doc.get(key) is None else str(doc[key])) for key in PAGE_FIELDS}


def _read_links(body: bytes, base: str) -> list[str]:
    import warnings
    from html.parser import HTMLParser
    from urllib.parse import urljoin, urlsplit

    from sitrep.corpus.articles import decode_page

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k.lower(): (v or "") for k, v in attrs}
            kinds = ("application/rss+xml", "application/atom+xml")
            if tag == "link" and "alternate" in a.get("rel", "").lower().split() and a.get("type", "").lower() in kinds \
                    and a.get("href"):
                link = urljoin(base, a["href"].strip())
                if urlsplit(link).scheme in ("http", "https") and link not in found:
                    found.append(link)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Links().feed(decode_page(body[:500_000]))  # the head is at the top: half a megabyte is plenty
    return found


def _serve(memory_mb: int) -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what a library prints cannot garble the answers
    with contextlib.suppress(OSError):
        os.nice(10)
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import feedparser  # noqa: F401 - loaded before the first job arrives (the parent is still fetching it)
    import trafilatura  # noqa: F401

    out.write(b'{"ready": true}\n')
    out.flush()

    source = sys.stdin.buffer
    jobs = {"feed": lambda body, arg: _read_feed(body), "page": _read_page, "links": _read_links}
    while header := source.readline():
        ask = json.loads(header)
        body = source.read(ask["size"])
        try:
            answer: dict[str, Any] = {"ok": jobs[ask["job"]](body, ask["arg"])}
        except MemoryError:
            answer = {"error": f"reading it needed more than {memory_mb} MB: skipped (SITREP_FEED_READ_MB)"}
        except Exception as exc:  # noqa: BLE001 - a parser's failure on a stranger's bytes is that input's, one line
            answer = {"error": f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"}
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 2048)
