"""RSS/Atom feeds -> news pages -> article files in the corpus.

`pull` reads each listed feed (feedparser), fetches every new item's page (httpx: a timeout, a
size cap, redirects bounded, a polite delay per host), extracts the story (trafilatura, as for
.html files; every feed and page is parsed in a child process with a deadline and a memory cap:
sandbox.py) and saves it as a Markdown file with front matter (title, date, source, url) under
<corpus>/feeds/<host>/. What was fetched is remembered in the feed state (state.py, SQLite): an item is
fetched again only when its feed entry changes, and the same story reached from two feeds (same canonical URL or
same text) is saved once. Every failure is one line in the report; one bad feed never stops the
others, and nothing already in the corpus is touched by a failure.

Over 300 lines on purpose: the address checks (SSRF), the fetch limits and the pull loop are read
together when judging what a hostile feed can do; keeping them in one file keeps that review whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from sitrep.corpus import metadata
from sitrep.corpus.errors import CorpusError
from sitrep.feeds.errors import FetchError
from sitrep.feeds.sandbox import Feed, Sandbox
from sitrep.feeds.state import FeedState, locate


@dataclass(frozen=True)
class FetchSettings:
    # seconds for any one request, whole: connecting, headers and body together (a server that trickles a
    # byte at a time is cut off at the deadline, not kept for as long as it likes)
    timeout: float = 10.0
    max_bytes: int = 5_000_000  # a feed or page larger than this is refused (SITREP_MAX_ARTICLE_MB)
    host_delay: float = 1.0  # seconds between two requests to one host
    max_redirects: int = 5
    user_agent: str = "sitrep-feeds/1 (+https://github.com/sitrep)"
    # Feed items link anywhere. Off (the default), no request goes to a private, loopback, link-local,
    # multicast or reserved address (after DNS, on every redirect hop, connecting to the address that was
    # checked), nor to a port other than 80/443. On (SITREP_FEEDS_ALLOW_PRIVATE): a newsroom's intranet.
    allow_private: bool = False
    ports: tuple[int, ...] = (80, 443)  # the ports a fetch may use unless allow_private
    max_items: int = 200  # items read from one feed in one pull: a feed of 100,000 items is not 100,000 fetches
    # Seconds one feed may take in one pull (its pages included): 200 pages that each answer just inside the
    # timeout would hold a refresh, and /reindex behind it, for over half an hour. The rest waits for the
    # next pull (its items were not marked fetched).
    feed_budget: float = 600.0
    # What pulls remember of an item no feed has listed for this many days (and of a story saved as long ago) is
    # forgotten at the end of a pull, so the feed state stays bounded (state.py); 0 keeps everything.
    forget_days: int = 180
    # Reading what came (parsing a feed, extracting a page's story) runs in a child process (sandbox.py): a
    # page built to be slow is cut after this many seconds, and the reading may map at most this much memory.
    read_timeout: float = 20.0
    read_memory_mb: int = 2048


@dataclass
class PullReport:
    feeds: int = 0
    items: int = 0
    saved: list[str] = field(default_factory=list)  # corpus-relative files written (new or changed)
    unchanged: int = 0  # items already fetched, entry unchanged
    duplicates: int = 0  # the same story from another feed or link
    feeds_failed: int = 0  # feeds that could not be read at all
    failures: list[str] = field(default_factory=list)  # one line each: a feed or page that could not be used
    warnings: list[str] = field(default_factory=list)  # saved, but something was missing (a date)
    forgotten: int = 0  # items no feed had listed for FetchSettings.forget_days, dropped from the feed state


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CorpusError(f"{url!r} refused: feeds and pages must be http:// or https:// URLs")
    return url


class FeedList:
    """The feeds to pull: one URL a line in a text file (SITREP_FEEDS); # starts a comment. With the pulls'
    state (state.py), also how each feed fared (`health`)."""

    def __init__(self, path: Path, state_path: Path | None = None) -> None:
        self.path = path
        self.state_path = state_path

    def health(self) -> list[tuple[str, str]]:
        """(url, one line on how its last pulls went) for each listed feed."""
        urls = self.urls()
        seen: dict[str, dict[str, Any]] = {}
        if self.state_path is not None and urls and any(p.is_file() for p in locate(self.state_path)):
            with FeedState(self.state_path) as state:  # only the listed feeds' rows: a few ms at any size
                seen = state.health(urls)
        return [(url, describe_health(seen.get(url))) for url in urls]

    def urls(self) -> list[str]:
        if not self.path.is_file():
            return []
        lines = (line.split("#", 1)[0].strip() for line in self.path.read_text("utf-8").splitlines())
        return [line for line in lines if line]

    def add(self, url: str) -> bool:
        url, urls = check_url(url), self.urls()
        if url in urls:
            return False
        lines = self._lines()
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        self._write([*lines, url + "\n"])
        return True

    def remove(self, url: str) -> bool:
        """Drops the URL's line; every other line (comments, blank lines) is kept as it was. How the feed fared goes
        from the pulls' state first (re-added, it is new), so a state that cannot be written changes nothing."""
        url = url.strip()
        if url not in self.urls():
            return False
        if self.state_path is not None and any(p.is_file() for p in locate(self.state_path)):
            with FeedState(self.state_path) as state:
                state.drop_feed(url)
        self._write([line for line in self._lines() if line.split("#", 1)[0].strip() != url])
        return True

    def _lines(self) -> list[str]:
        return self.path.read_text("utf-8").splitlines(keepends=True) if self.path.is_file() else []

    def _write(self, lines: list[str]) -> None:
        _atomic_write(self.path, "".join(lines))


def public_address(ip: str) -> bool:
    """An address a fetch may go to: not private, loopback, link-local, multicast, reserved or unspecified
    (an IPv4 address written inside IPv6 is judged as the IPv4 address)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast or addr.is_reserved
                or addr.is_unspecified)


def _resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (a decimal or octal IPv4 such as 2130706433 resolves too)."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


class Fetcher:
    """GETs with every limit applied; waits between two requests to the same host. Redirects are followed
    here, hop by hop, so each hop's address is checked (FetchSettings.allow_private) and then connected to
    as checked: a name that resolves elsewhere a second time (DNS rebinding) cannot switch it."""

    def __init__(self, settings: FetchSettings, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, resolve: Callable[[str, int], list[str]] = _resolve,
                 address_ok: Callable[[str], bool] = public_address, reader: Sandbox | None = None) -> None:
        import httpx

        self.settings, self.sleep, self.clock = settings, sleep, clock
        self.resolve, self.address_ok = resolve, address_ok
        self._httpx = httpx
        # no kept-alive connections: each request connects, so its watchdog sees the socket it may cut
        self._client = httpx.Client(timeout=settings.timeout, follow_redirects=False,
                                    limits=httpx.Limits(max_keepalive_connections=0),
                                    headers={"User-Agent": settings.user_agent})
        self._last: dict[str, float] = {}
        # what is fetched is read in a child process with its own limits (sandbox.py), started with the first
        # fetch; a reader handed in is the caller's to close
        self.reader = reader or Sandbox(settings.read_timeout, settings.read_memory_mb)
        self._owns_reader = reader is None

    def close(self) -> None:
        self._client.close()
        if self._owns_reader:
            self.reader.close()

    def _pinned(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL with its host replaced by the address that was checked, the Host header, and the TLS
        name to verify; FetchError when the address (or port) is not one a fetch may go to."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"bad port in {url!r}") from None
        if not self.settings.allow_private and port not in self.settings.ports:
            raise FetchError(f"port {port} refused (only {', '.join(map(str, self.settings.ports))}; "
                             "SITREP_FEEDS_ALLOW_PRIVATE=true allows others)")
        try:
            addresses = self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"cannot resolve {host} ({exc})") from None
        if not addresses:
            raise FetchError(f"cannot resolve {host}")
        if not self.settings.allow_private:
            bad = [a for a in addresses if not self.address_ok(a)]
            if bad:
                what = "is a private or local address" if bad[0] == host.strip("[]") else f"resolves to a private or local address ({bad[0]})"
                raise FetchError(f"{host} {what}: refused (SITREP_FEEDS_ALLOW_PRIVATE=true allows an intranet)")
        ip = addresses[0]
        netloc = (f"[{ip}]" if ":" in ip else ip) + (f":{parts.port}" if parts.port else "")
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        return pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, ({"sni_hostname": host} if parts.scheme == "https" else {})

    def get(self, url: str, want_html: bool = False) -> tuple[bytes, str | None, str]:
        """(body, declared charset, final URL); FetchError with a one-line reason otherwise."""
        self.reader.start()
        for _ in range(self.settings.max_redirects + 1):
            check_url(url)
            got = self._get_one(url, want_html)
            if isinstance(got, tuple):
                return got
            url = got  # a redirect: the next hop is checked like the first
        raise FetchError(f"more than {self.settings.max_redirects} redirects (a redirect loop?)")

    def _get_one(self, url: str, want_html: bool) -> tuple[bytes, str | None, str] | str:
        """One request: the response, or the URL a redirect points to. Whole within the timeout: httpx's
        timeouts bound each read, so a server sending a byte just inside each one (headers or body) could
        hold a pull for days; a watchdog cuts the connection at the deadline instead."""
        host = urlsplit(url).netloc
        wait = self._last.get(host, -1e9) + self.settings.host_delay - self.clock()
        if wait > 0:
            self.sleep(wait)
        self._last[host] = self.clock()
        pinned, headers, extensions = self._pinned(url)
        httpx = self._httpx
        watchdog = _Watchdog(self.settings.timeout)
        answered = False  # the status line and headers came
        try:
            request = self._client.build_request("GET", pinned, headers=headers, extensions=extensions)
            with self._client.stream(request.method, request.url, headers=request.headers,
                                     extensions={**extensions, "trace": watchdog.trace}) as r:
                answered = True
                if r.is_redirect and r.headers.get("location"):
                    return urljoin(url, r.headers["location"])
                if r.status_code >= 400:
                    raise FetchError(f"HTTP {r.status_code}")
                kind = r.headers.get("content-type", "").split(";")[0].strip().lower()
                if want_html and kind and kind not in ("text/html", "application/xhtml+xml"):
                    raise FetchError(f"not an HTML page ({kind})")
                length = r.headers.get("content-length")
                if length and length.isdigit() and int(length) > self.settings.max_bytes:
                    raise FetchError(f"{int(length) / 1e6:.1f} MB is over the {self.settings.max_bytes / 1e6:.0f} MB limit")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > self.settings.max_bytes:
                        raise FetchError(f"over the {self.settings.max_bytes / 1e6:.0f} MB limit")
                if watchdog.cut:  # the cut can end the body as if the server had finished it
                    raise httpx.ReadError("cut at the deadline")
                return bytes(body), r.charset_encoding, url
        except httpx.HTTPError as exc:
            if watchdog.cut and answered:
                raise FetchError(f"not whole within {self.settings.timeout:g} s (a server sending slowly?)") from None
            if watchdog.cut or isinstance(exc, httpx.TimeoutException):
                raise FetchError(f"no answer within {self.settings.timeout:g} s") from None
            raise FetchError(f"cannot fetch ({type(exc).__name__}: {exc})") from None
        finally:
            watchdog.close()


class _Watchdog:
    """Cuts one request's connection when its time is up. httpx (through httpcore's `trace` extension) says
    when the TCP connection is made; a duplicate of its socket is kept (TLS takes the original over), and
    at the deadline it is shut down, which wakes a read blocked on it with an error."""

    def __init__(self, seconds: float) -> None:
        import threading

        self.cut = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, name: str, info: dict[str, Any]) -> None:
        if name != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock.dup())
            if self.cut:  # connected just after the deadline
                self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.cut = True
            self._shut()

    def _shut(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):  # already closed by the other side
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def pull(feeds: list[str], corpus: Path, state_path: Path, fetcher: Fetcher) -> PullReport:
    """Every feed's new items into the corpus; what was fetched is written to the feed state as it goes (a
    pull cut short keeps what it finished). FeedStateError (one line) when the state cannot be used."""
    report = PullReport(feeds=len(feeds))
    with FeedState(state_path) as state:
        for feed_url in feeds:
            try:
                body, _, _ = fetcher.get(feed_url)
                parsed = _parse_feed(body, fetcher)
            except (FetchError, CorpusError) as exc:
                report.failures.append(f"{feed_url}: {exc}")
                report.feeds_failed += 1
                state.feed_failed(feed_url, str(exc), _now_utc())
                continue
            outlet = (parsed.title or "").strip() or None
            entries = parsed.entries
            if len(entries) > fetcher.settings.max_items:
                report.warnings.append(f"{feed_url}: {len(entries):,} items; only the first {fetcher.settings.max_items} "
                                       "read this time (a feed lists its newest first)")
                entries = entries[: fetcher.settings.max_items]
            saved, listed = len(report.saved), []
            stop = fetcher.clock() + fetcher.settings.feed_budget
            for i, entry in enumerate(entries):
                if fetcher.clock() > stop:
                    report.warnings.append(f"{feed_url}: stopped after {fetcher.settings.feed_budget:g} s "
                                           f"(SITREP_FEED_BUDGET_S) with {len(entries) - i} items left: the next pull goes on")
                    break
                report.items += 1
                listed.append(_pull_item(entry, outlet, feed_url, corpus, fetcher, state, report))
            state.seen([link for link in listed if link])  # unchanged items stay remembered while a feed lists them
            state.feed_read(feed_url, _now_utc(), len(parsed.entries), outlet, new=len(report.saved) > saved)
        if fetcher.settings.forget_days > 0:
            report.forgotten = state.forget(fetcher.settings.forget_days)[0]
    return report


def describe_health(health: dict[str, Any] | None) -> str:
    """One line on a feed's last pulls (its record in the feed state)."""
    if not health:
        return "not pulled yet"
    last = f"last read {health['read_at']}" if health.get("read_at") else "never read"
    if health.get("failing"):
        times = health["failing"]
        return (f"FAILING: {times} pull{'s' if times > 1 else ''} in a row since {health.get('failing_since')} "
                f"({health.get('error')}); {last}")
    new = f"last new story {health['new_at']}" if health.get("new_at") else "no new story saved from it yet"
    return f"ok: {last}, {health.get('items', 0)} items; {new}"


def _now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class FeedProbe:
    """A feed read once before it is listed."""

    url: str  # the feed's own address (found on the page when a page was given)
    title: str | None
    items: int
    found_on: str | None = None  # the web page that named this feed (<link rel="alternate">), if one was given


def probe_feed(url: str, fetcher: Fetcher) -> FeedProbe:
    """The feed at `url`, read with every limit of a pull — or, when `url` is a web page that names its feed
    (<link rel="alternate" type="application/rss+xml" href=...>, as a site's front page does), that feed.
    FetchError or CorpusError with one line when neither can be read. What `feeds add` checks."""
    url = check_url(url)
    body, _, final = fetcher.get(url)
    try:
        parsed = _parse_feed(body, fetcher)
    except FetchError:
        named = fetcher.reader.feed_links(body, final)
        if not named:
            raise
        try:
            feed_body, _, _ = fetcher.get(named[0])
            parsed = _parse_feed(feed_body, fetcher)
        except (FetchError, CorpusError) as exc:
            raise FetchError(f"a web page naming the feed {named[0]}, which cannot be read ({exc})") from None
        return FeedProbe(named[0], (parsed.title or "").strip() or None, len(parsed.entries), found_on=url)
    return FeedProbe(url, (parsed.title or "").strip() or None, len(parsed.entries))


def _parse_feed(body: bytes, fetcher: Fetcher) -> Feed:
    parsed = fetcher.reader.feed(body)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        raise FetchError("not an RSS or Atom feed (no items could be read): check the URL")
    return parsed


def _pull_item(entry: Any, outlet: str | None, feed_url: str, corpus: Path, fetcher: Fetcher, state: FeedState,
               report: PullReport) -> str | None:
    """One feed item: fetched and saved unless its entry is unchanged. Returns its link when it was unchanged (the
    caller marks those seen in one write), else None."""
    link = (entry.get("link") or "").strip()
    try:
        check_url(link)
    except CorpusError as exc:
        report.failures.append(f"{feed_url}: item {entry.get('title', '?')!r}: {exc}")
        return None
    fields = [entry.get(k) for k in ("id", "title", "updated", "published", "summary")]
    entry_hash = _sha(json.dumps(fields, default=str))
    if state.entry_hash(link) == entry_hash:
        report.unchanged += 1
        return link
    try:
        body, charset, final_url = fetcher.get(link, want_html=True)
    except FetchError as exc:
        report.failures.append(f"{link}: {exc}")
        return None
    state.fetched(link, entry_hash)  # read once: a page that cannot be read is not fetched again until its entry changes
    try:
        doc = fetcher.reader.page(body, charset)
    except FetchError as exc:
        report.failures.append(f"{link}: {exc}")
        return None
    text = doc.get("text") or ""
    if not text:
        report.failures.append(f"{link}: no article text found on the page")
        return None
    canonical = canonical_url(doc.get("url"), final_url)
    first = state.saved_by([canonical, _sha(text)])  # the item link that brought this story first
    if first is not None and first != link:
        report.duplicates += 1  # the same story, already saved from another feed or link
        return None
    date = doc.get("date") or _entry_date(entry)
    if date is None:
        report.warnings.append(f"{link}: no publication date in the feed or the page; saved undated")
    title = doc.get("title") or (entry.get("title") or "").strip() or None
    source = doc.get("sitename") or outlet or urlsplit(canonical).netloc
    name = _file_name(canonical)
    if _write_story(corpus / name, {"title": title, "date": date, "source": source, "url": canonical}, text):
        report.saved.append(name)
    state.save([canonical, _sha(text)], link)
    return None


@dataclass(frozen=True)
class Page:
    """One news page added by its address (`sitrep add`, /add)."""

    url: str  # the story's address (the page's canonical one when it names one on its own site)
    file: str  # corpus-relative
    saved: bool  # False: the corpus already held this text for it
    title: str | None
    date: str | None
    source: str

    def describe(self) -> str:
        what = " — ".join(x for x in (self.title or self.url, self.source, self.date or "undated") if x)
        return f"{what} ({self.file}{'' if self.saved else ', already in the corpus'})"


def add_page(url: str, corpus: Path, fetcher: Fetcher) -> Page:
    """Fetch one news page (every limit and address check of a feed item's page), extract its story and
    save it under <corpus>/web/<host>/ with its title, date, outlet and address; the index is the
    caller's to update. A story already saved from a feed (same address) is written to that same file,
    not twice. FetchError or CorpusError with one line when the page cannot be used."""
    url = check_url(url)
    try:
        body, charset, final_url = fetcher.get(url, want_html=True)
    except FetchError as exc:
        if re.search(r"not an HTML page \(\S*(rss|atom|xml)", str(exc)):
            raise FetchError(f"{exc}: a feed? `sitrep feeds add {url}` follows it") from None
        raise
    doc = fetcher.reader.page(body, charset)
    text = doc.get("text") or ""
    if not text:
        raise FetchError("no article text found on the page (a section front or a page that needs scripts?)")
    canonical = canonical_url(doc.get("url"), final_url)
    name = next((n for n in (_file_name(canonical), _file_name(canonical, "web")) if (corpus / n).is_file()),
                _file_name(canonical, "web"))
    title, date = doc.get("title") or None, doc.get("date") or None
    source = str(doc.get("sitename") or urlsplit(canonical).netloc)
    saved = _write_story(corpus / name, {"title": title, "date": date, "source": source, "url": canonical}, text)
    return Page(canonical, name, saved, title, date, source)


def canonical_url(claimed: Any, final_url: str) -> str:
    """The address a story is saved and cited under: the page's canonical link when it is an http(s)
    address on the same site as the page that was fetched (amp.example.com -> www.example.com), else
    the fetched address. A page cannot make its story cite another outlet's address."""
    if not isinstance(claimed, str) or not claimed.strip():
        return final_url
    url = urljoin(final_url, claimed.strip())
    parts, fetched = urlsplit(url), urlsplit(final_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not fetched.hostname:
        return final_url
    return url if _site(parts.hostname) == _site(fetched.hostname) else final_url


def _site(host: str) -> str:
    """The last two labels of a name (an address as it is): enough to tell one outlet's hosts from
    another's (a .co.uk pair compares its last three labels)."""
    labels = host.lower().rstrip(".").split(".")
    if all(label.isdigit() for label in labels) or ":" in host:
        return host.lower()
    keep = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def _write_story(path: Path, front: dict[str, Any], text: str) -> bool:
    """The story as Markdown with front matter; False when the file already holds exactly that."""
    content = "---\n" + "".join(f"{k}: {_one_line(v)}\n" for k, v in front.items() if v) + "---\n" + text + "\n"
    if path.is_file() and path.read_text("utf-8") == content:
        return False
    _atomic_write(path, content)
    return True


def _entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime(int(value[0]), int(value[1]), int(value[2]), tzinfo=UTC).date().isoformat()  # UTC, feedparser's
    for key in ("published", "updated"):
        if entry.get(key):
            return metadata.parse_date(str(entry[key]))
    return None


def _file_name(url: str, folder: str = "feeds") -> str:
    parts = urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", parts.path).strip("-").lower()[-80:] or "index"
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", parts.netloc.lower()).strip(".") or "host"
    return f"{folder}/{host}/{slug}-{_sha(url)[:8]}.md"


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)
