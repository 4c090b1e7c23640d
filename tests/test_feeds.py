"""`sitrep feeds`: real RSS/Atom feeds and news pages served over HTTP on 127.0.0.1 (no network
beyond loopback), pulled into a corpus, then indexed incrementally."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sitrep.cli.main import main
from sitrep.corpus.articles import parse, scan_corpus
from sitrep.corpus.errors import CorpusError
from sitrep.feeds import ingest as feeds
from sitrep.feeds.sandbox import Sandbox
from sitrep.index.backends.local import store
from sitrep.index.build import update
from tests.conftest import FakeEncoder

PAGES = Path(__file__).parent / "pages"


class Site:
    """Routes path -> (status, headers, body); records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []
        self.hosts: list[str] = []  # the Host header of each request
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True  # shutting down never waits for the deliberately slow handler
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.requests.append(self.path)
                site.hosts.append(self.headers.get("Host", ""))
                if self.path == "/slow.xml":
                    time.sleep(1.5)
                if self.path.startswith("/trickle"):  # a byte every 0.2 s for 8 s: each read is inside the timeout
                    self.trickle(headers=self.path == "/trickle-headers")
                    return
                if self.path.startswith("/loop"):
                    self.send_response(302)
                    self.send_header("Location", "/loop")
                    self.end_headers()
                    return
                status, headers, body = site.routes.get(self.path, (404, {"Content-Type": "text/html"}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers and "X-No-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def trickle(self, headers: bool) -> None:
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                body = b"<html><body><p>" + b"slow " * 8 + b"</p></body></html>"
                data = head + (b"X-Pad: " + b"a" * 40 + b"\r\n\r\n" if headers else b"\r\n") + body
                start = 0 if headers else len(head) + 2
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data[:start])
                    self.wfile.flush()
                    for i in range(start, min(len(data), start + 40)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(0.2)
                    self.wfile.write(data[start + 40 :])
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def page(self, path: str, body: bytes | str, kind: str = "text/html; charset=utf-8", status: int = 200,
             **headers: str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": kind, **headers}, data)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    thread = threading.Thread(target=s.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)  # shutdown waits a poll
    thread.start()
    try:
        yield s
    finally:
        s.server.shutdown()
        s.server.server_close()


def rss(base: str, items: list[dict[str, str]], title: str = "The Daily Ledger — World") -> str:
    def item(i: dict[str, str]) -> str:
        date = f"<pubDate>{i['date']}</pubDate>" if "date" in i else ""
        return (f"<item><title>{i['title']}</title><link>{i['link']}</link><guid>{i['link']}</guid>{date}"
                f"<description>{i.get('summary', '')}</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>{base}/</link>'
            f"<description>news</description>{''.join(item(i) for i in items)}</channel></rss>")


def atom(base: str, entries: list[dict[str, str]]) -> str:
    body = "".join(f"<entry><title>{e['title']}</title><link href=\"{e['link']}\"/><id>{e['link']}</id>"
                   f"<updated>{e['updated']}</updated></entry>" for e in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Courrier wire</title>'
            f"<id>{base}/atom</id><updated>2024-07-04T00:00:00Z</updated>{body}</feed>")


NO_DATE_PAGE = """<html><head><meta charset="utf-8"><title>Markets steady as rates hold</title></head><body>
<article><h1>Markets steady as rates hold</h1>
<p>Stock markets across Asia held steady on Thursday after the central bank kept interest rates unchanged for a third month.</p>
<p>Analysts said investors were waiting for next week's inflation figures before making large bets on the currency.</p>
</article></body></html>"""
FRONT_PAGE = (PAGES / "world-front.html").read_bytes()
RFC822 = format_datetime(datetime(2024, 7, 3, 9, 0, tzinfo=UTC))


def serve_news(site: Site) -> None:
    b = site.base
    site.page("/world/assam-floods", (PAGES / "assam-floods.html").read_bytes())
    site.page("/eco/lyon", (PAGES / "lyon-terraces.htm").read_bytes(), kind="text/html")  # charset only in <meta>
    site.page("/markets", NO_DATE_PAGE)
    site.page("/assam-amp", (PAGES / "assam-floods.html").read_bytes())  # the same story at another URL
    site.page("/rss.xml", rss(b, [
        {"title": "Floods displace thousands in Assam", "link": f"{b}/world/assam-floods", "date": RFC822},
        {"title": "Lyon terrace tax", "link": f"{b}/eco/lyon", "date": RFC822},
        {"title": "Markets steady", "link": f"{b}/markets"},  # no date in the feed, none on the page
        {"title": "Click me", "link": "javascript:alert(1)"},
    ]), kind="application/rss+xml")
    site.page("/atom.xml", atom(b, [
        {"title": "Assam floods (AMP)", "link": f"{b}/assam-amp", "updated": "2024-07-03T10:00:00Z"},
    ]), kind="application/atom+xml")


READER = Sandbox()  # one reading child for the module's fetchers (each would start its own, ~0.4 s)


@pytest.fixture(scope="module", autouse=True)
def _reader_closed() -> Iterator[None]:
    yield
    READER.close()


def fetcher(timeout: float = 1.0, max_bytes: int = 5_000_000) -> feeds.Fetcher:
    # the test servers are on 127.0.0.1: allowed as a newsroom's intranet would be
    return feeds.Fetcher(feeds.FetchSettings(timeout=timeout, max_bytes=max_bytes, host_delay=0.0, allow_private=True),
                         reader=READER)


def test_pull_saves_each_story_once_with_its_metadata_and_a_second_pull_adds_nothing(site: Site, tmp_path: Path) -> None:
    serve_news(site)
    corpus, state = tmp_path / "corpus", tmp_path / "state.json"
    f = fetcher()
    report = feeds.pull([f"{site.base}/rss.xml", f"{site.base}/atom.xml"], corpus, state, f)
    assert (report.feeds, report.items, len(report.saved), report.duplicates) == (2, 5, 3, 1)
    assert report.failures == [f"{site.base}/rss.xml: item 'Click me': 'javascript:alert(1)' refused: "
                               "feeds and pages must be http:// or https:// URLs"]
    assert report.warnings == [f"{site.base}/markets: no publication date in the feed or the page; saved undated"]
    articles = {a.title: a for a in (parse(r) for r in scan_corpus(corpus, 10**7).articles)}
    assam = articles["Floods displace thousands in Assam"]
    # the page names https://ledger.example/... as its canonical address, but it was fetched from another
    # site (the test server): it is cited under the address it came from (test_canonical_url_...)
    assert (assam.date, assam.source, assam.url) == ("2024-07-03", "The Daily Ledger", f"{site.base}/world/assam-floods")
    assert "40,000 people" in assam.text and "cookies" not in assam.text
    lyon = articles["Café owners in Lyon fight “terrace tax”"]
    assert (lyon.date, lyon.source) == ("2023-05-12", "Le Courrier Européen") and "€60" in lyon.text
    markets = articles["Markets steady as rates hold"]
    assert markets.date is None and markets.source == "The Daily Ledger — World"  # the feed names the outlet

    fetched = len(site.requests)
    again = feeds.pull([f"{site.base}/rss.xml", f"{site.base}/atom.xml"], corpus, state, f)
    assert (again.saved, again.unchanged) == ([], 4) and len(site.requests) == fetched + 2  # the two feeds only


def test_a_changed_item_is_fetched_again_and_re_embedded(site: Site, tmp_path: Path) -> None:
    serve_news(site)
    corpus, state, enc = tmp_path / "corpus", tmp_path / "state.json", FakeEncoder()
    feeds.pull([f"{site.base}/rss.xml"], corpus, state, fetcher())
    update(corpus, tmp_path / "idx", enc)
    page = (PAGES / "assam-floods.html").read_text().replace("more than 40,000 people", "more than 55,000 people")
    site.page("/world/assam-floods", page)
    site.page("/rss.xml", rss(site.base, [{"title": "Floods displace thousands in Assam (updated)",
                                          "link": f"{site.base}/world/assam-floods", "date": RFC822}]),
              kind="application/rss+xml")
    report = feeds.pull([f"{site.base}/rss.xml"], corpus, state, fetcher())
    assert len(report.saved) == 1
    built = update(corpus, tmp_path / "idx", enc)
    assert (built.changed, built.added, built.unchanged) == (1, 0, 2) and built.passages_embedded >= 1
    data = store.load(tmp_path / "idx")
    assert any("55,000" in t for t in data.articles.text)


@pytest.mark.parametrize(("path", "setup", "reason"), [
    ("/notafeed.html", lambda s: s.page("/notafeed.html", NO_DATE_PAGE), "not an RSS or Atom feed"),
    ("/missing.xml", lambda s: None, "HTTP 404"),
    ("/broken.xml", lambda s: s.page("/broken.xml", "oops", status=500), "HTTP 500"),
    ("/slow.xml", lambda s: s.page("/slow.xml", "<rss/>"), "no answer within 0.5 s"),
    ("/loop", lambda s: None, "more than 5 redirects (a redirect loop?)"),
])
def test_a_failing_feed_is_one_line_and_does_not_stop_the_others(site: Site, tmp_path: Path, path: str, setup, reason: str) -> None:
    serve_news(site)
    setup(site)
    report = feeds.pull([f"{site.base}{path}", f"{site.base}/rss.xml"], tmp_path / "corpus", tmp_path / "s.json",
                        fetcher(timeout=0.5))
    assert report.failures[0].startswith(f"{site.base}{path}: ") and reason in report.failures[0]
    assert "\n" not in report.failures[0] and len(report.saved) == 3  # the good feed still came in


@pytest.mark.parametrize(("setup", "reason"), [
    (lambda s: s.page("/item", b"%PDF-1.4", kind="application/pdf"), "not an HTML page (application/pdf)"),
    (lambda s: s.page("/item", b"<p>" + b"x" * 300_000), "0.3 MB is over the 0 MB limit"),
    (lambda s: s.page("/item", b"<p>" + b"x" * 300_000, **{"X-No-Length": "1"}), "over the 0 MB limit"),
    (lambda s: s.page("/item", FRONT_PAGE), "no article text found on the page"),
])
def test_a_bad_page_is_one_line_and_nothing_is_saved_for_it(site: Site, tmp_path: Path, setup, reason: str) -> None:
    setup(site)
    site.page("/feed.xml", rss(site.base, [{"title": "x", "link": f"{site.base}/item", "date": RFC822}]),
              kind="application/rss+xml")
    report = feeds.pull([f"{site.base}/feed.xml"], tmp_path / "corpus", tmp_path / "s.json", fetcher(max_bytes=200_000))
    assert report.saved == [] and len(report.failures) == 1 and reason in report.failures[0]
    assert not (tmp_path / "corpus").exists() or not any((tmp_path / "corpus").rglob("*.md"))


def test_requests_to_one_host_are_spaced() -> None:
    slept: list[float] = []
    now = [100.0]
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=1.0, allow_private=True), sleep=lambda s: slept.append(s), clock=lambda: now[0])
    with pytest.raises(feeds.FetchError):
        f.get("http://127.0.0.1:9/a")  # nothing listens on the discard port: fails fast
    now[0] += 0.25
    with pytest.raises(feeds.FetchError):
        f.get("http://127.0.0.1:9/b")
    assert slept == [pytest.approx(0.75)]


def test_cli_feeds_add_list_remove_and_refusals(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITREP_FEEDS", str(tmp_path / "feeds.txt"))
    assert main(["feeds", "list"]) == 0 and "no feeds yet" in capsys.readouterr().out
    assert main(["feeds", "add", "https://news.example/rss", "--no-check"]) == 0
    assert main(["feeds", "add", "https://news.example/rss"]) == 0 and "already listed" in capsys.readouterr().out
    assert main(["feeds", "list"]) == 0 and capsys.readouterr().out == "https://news.example/rss\n    not pulled yet\n"
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "news.example/rss"):
        assert main(["feeds", "add", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("sitrep: ") and "refused: feeds and pages must be http:// or https:// URLs" in err
        assert err.count("\n") == 1
    assert main(["feeds", "remove", "https://other.example/rss"]) == 2 and "not in" in capsys.readouterr().err
    assert main(["feeds", "remove", "https://news.example/rss"]) == 0
    assert main(["feeds", "pull"]) == 2 and "no feeds to pull" in capsys.readouterr().err


def test_cli_feeds_add_reads_the_feed_first_and_keeps_the_files_comments(capsys, site: Site, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    serve_news(site)
    monkeypatch.setenv("SITREP_FEEDS", str(tmp_path / "feeds.txt"))
    monkeypatch.setenv("SITREP_FEEDS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("SITREP_FEED_HOST_DELAY_S", "0")
    (tmp_path / "feeds.txt").write_text("# world desk\nhttps://a.example/rss  # wire\n\n# markets\nhttps://b.example/rss")
    assert main(["feeds", "add", f"{site.base}/rss.xml"]) == 0
    assert f"added: {site.base}/rss.xml — The Daily Ledger — World, 4 items now" in capsys.readouterr().out
    for url, reason in ((f"{site.base}/markets", "not an RSS or Atom feed"), (f"{site.base}/gone.xml", "HTTP 404")):
        assert main(["feeds", "add", url]) == 2
        err = capsys.readouterr().err
        assert err == f"sitrep: {url}: {reason}" + err.split(reason, 1)[1] and err.count("\n") == 1
        assert err.endswith("; not added (--no-check adds it unread)\n")
    assert main(["feeds", "remove", "https://a.example/rss"]) == 0
    assert (tmp_path / "feeds.txt").read_text() == f"# world desk\n\n# markets\nhttps://b.example/rss\n{site.base}/rss.xml\n"

    # A site's page given for its feed: the feed it names in <link rel="alternate"> is read and listed.
    def front(href: str) -> str:
        return (f'<html><head><LINK REL="Alternate" type="application/atom+xml" href="{href}"><title>Courrier</title>'
                '</head><body><p>Front page</p></body></html>')
    site.page("/courrier", front("/atom.xml"))
    capsys.readouterr()
    assert main(["feeds", "add", f"{site.base}/courrier"]) == 0
    assert capsys.readouterr().out.startswith(
        f"added: {site.base}/atom.xml (the feed {site.base}/courrier names) — Courrier wire, 1 item now")
    assert main(["feeds", "add", f"{site.base}/courrier"]) == 0
    assert capsys.readouterr().out.startswith(f"already listed: {site.base}/atom.xml, the feed {site.base}/courrier names")
    site.page("/broken-front", front("/nothing-here.xml"))
    assert main(["feeds", "add", f"{site.base}/broken-front"]) == 2
    assert capsys.readouterr().err == (f"sitrep: {site.base}/broken-front: a web page naming the feed {site.base}/nothing-here.xml, "
                                       "which cannot be read (HTTP 404); not added (--no-check adds it unread)\n")


def test_a_feed_that_takes_too_long_stops_at_its_budget_and_the_next_pull_goes_on(site: Site, tmp_path: Path) -> None:
    """Each fetch moves the clock 100 s (as 200 pages answering just inside the timeout would): the feed stops
    at its budget, the other feeds are read, and the items left are fetched by the next pull."""
    b = site.base
    pages = [f"/story-{i}" for i in range(6)]
    for i, path in enumerate(pages):
        site.page(path, NO_DATE_PAGE.replace("Markets steady", f"Markets steady ({i})").replace("third month", f"{i}th time"))
    site.page("/slowfeed.xml", rss(b, [{"title": f"s{i}", "link": b + path} for i, path in enumerate(pages)]),
              kind="application/rss+xml")
    site.page("/other.xml", rss(b, [{"title": "Lyon terrace tax", "link": f"{b}/eco/lyon", "date": RFC822}]),
              kind="application/rss+xml")
    site.page("/eco/lyon", (PAGES / "lyon-terraces.htm").read_bytes(), kind="text/html")
    now = [0.0]

    class Slow(feeds.Fetcher):
        def get(self, url: str, want_html: bool = False) -> tuple[bytes, str | None, str]:
            now[0] += 100.0  # each fetch takes 100 s; an item already fetched takes no time
            return super().get(url, want_html)
    f = Slow(feeds.FetchSettings(host_delay=0.0, allow_private=True, feed_budget=250.0), clock=lambda: now[0])
    try:
        first = feeds.pull([f"{b}/slowfeed.xml", f"{b}/other.xml"], tmp_path / "c", tmp_path / "s.json", f)
        second = feeds.pull([f"{b}/slowfeed.xml"], tmp_path / "c", tmp_path / "s.json", f)
    finally:
        f.close()
    stopped = [w for w in first.warnings if "SITREP_FEED_BUDGET_S" in w]
    assert len(stopped) == 1 and stopped[0].startswith(f"{b}/slowfeed.xml: stopped after 250 s (SITREP_FEED_BUDGET_S) with ")
    left = int(stopped[0].split(" with ")[1].split()[0])
    assert 0 < left < 6 and len(first.saved) == 6 - left + 1  # the other feed was read
    assert len(second.saved) == left and second.unchanged == 6 - left and site.requests.count(pages[0]) == 1


def test_feeds_list_tells_how_each_feed_fared(capsys, site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed that stops answering is named as failing (how many pulls, since when, why) until it answers
    again; a healthy one says when it was read and when it last brought a new story."""
    serve_news(site)
    monkeypatch.setenv("SITREP_FEEDS", str(tmp_path / "feeds.txt"))
    monkeypatch.setenv("SITREP_FEEDS_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("SITREP_FEED_HOST_DELAY_S", "0")
    monkeypatch.setenv("SITREP_FEEDS_ALLOW_PRIVATE", "true")
    (tmp_path / "feeds.txt").write_text(f"{site.base}/rss.xml\n{site.base}/gone.xml\n")
    for _ in range(2):
        main(["feeds", "pull", "--corpus", str(tmp_path / "corpus"), "--no-update"])
    capsys.readouterr()
    assert main(["feeds", "list", "--json"]) == 0
    (ok, ok_line), (gone, gone_line) = ((x["url"], x["health"]) for x in json.loads(capsys.readouterr().out))
    assert ok == f"{site.base}/rss.xml" and re.fullmatch(r"ok: last read \S+ \S+ UTC, 4 items; last new story \S+ \S+ UTC", ok_line)
    assert gone == f"{site.base}/gone.xml"
    assert re.fullmatch(r"FAILING: 2 pulls in a row since \S+ \S+ UTC \(HTTP 404\); never read", gone_line)
    site.page("/gone.xml", rss(site.base, []), kind="application/rss+xml")  # it answers again
    main(["feeds", "pull", "--corpus", str(tmp_path / "corpus"), "--no-update"])
    capsys.readouterr()
    assert main(["feeds", "list"]) == 0
    out = capsys.readouterr().out
    assert "FAILING" not in out and f"{site.base}/gone.xml\n    ok: last read " in out
    assert ", 0 items; no new story saved from it yet" in out


def test_cli_pull_then_update(capsys, site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_news(site)
    monkeypatch.setenv("SITREP_FEEDS", str(tmp_path / "feeds.txt"))
    monkeypatch.setenv("SITREP_FEEDS_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("SITREP_FEED_HOST_DELAY_S", "0")
    monkeypatch.setenv("SITREP_FEEDS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("SITREP_EMBED_CACHE_DIR", str(tmp_path / "emb"))
    (tmp_path / "feeds.txt").write_text(f"{site.base}/rss.xml\n")
    code = main(["feeds", "pull", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "idx")],
                make_encoder=lambda _s: FakeEncoder())
    out, err = capsys.readouterr()
    assert code == 0 and "3 saved" in out and "index: 3 added" in out
    assert "failed: " in err and "javascript:alert(1)" in err
    assert store.load(tmp_path / "idx").manifest.article_count == 3

    (tmp_path / "feeds.txt").write_text(f"{site.base}/missing.xml\n")  # every feed fails: exit 1, one line
    code = main(["feeds", "pull", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "idx")],
                make_encoder=lambda _s: FakeEncoder())
    out, err = capsys.readouterr()
    assert code == 1 and err == f"failed: {site.base}/missing.xml: HTTP 404\n" and "1 failed" in out


# -- server-side request forgery: feed items link anywhere --------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed.xml", "http://localhost/feed.xml", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/", "http://192.168.1.1/admin", "http://[::1]/", "http://2130706433/",  # 127.0.0.1 as a number
    "http://0177.0.0.1/",  # ... in octal
    "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/", "http://0.0.0.0/",
])
def test_private_and_local_addresses_are_refused(url: str) -> None:
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0))
    try:
        with pytest.raises(feeds.FetchError, match="(is|resolves to) a private or local address"):
            f.get(url)
    finally:
        f.close()


def test_a_name_that_resolves_to_a_private_address_and_other_ports_are_refused() -> None:
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0), resolve=lambda host, port: ["10.1.2.3"])
    with pytest.raises(feeds.FetchError, match=r"intranet\.example resolves to a private or local address \(10\.1\.2\.3\)"):
        f.get("http://intranet.example/feed.xml")
    with pytest.raises(feeds.FetchError, match="port 8080 refused"):
        f.get("http://news.example:8080/feed.xml")
    f.close()


def test_every_redirect_hop_is_checked_and_the_checked_address_is_used(site: Site) -> None:
    """news.test resolves (here) to the test server, which a policy treats as public; it redirects to the
    cloud metadata address, which is refused before any connection. The request went to the address that
    was checked, with the name in the Host header: DNS cannot switch it between check and connect."""
    port = int(site.base.rsplit(":", 1)[1])
    site.page("/story", "<html><body><p>Hello.</p></body></html>")
    site.page("/go", "", status=302, Location="http://169.254.169.254/latest/meta-data/")
    lookups: list[str] = []

    def resolve(host: str, p: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if host == "news.test" else feeds._resolve(host, p)

    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, ports=(80, 443, port)), resolve=resolve,
                      address_ok=lambda ip: ip == "127.0.0.1" or feeds.public_address(ip))
    try:
        body, _, final = f.get(f"http://news.test:{port}/story")
        assert b"Hello." in body and final == f"http://news.test:{port}/story"
        assert site.hosts[-1] == f"news.test:{port}"
        with pytest.raises(feeds.FetchError, match=r"169\.254\.169\.254 is a private or local address"):
            f.get(f"http://news.test:{port}/go")
        assert site.requests[-1] == "/go" and lookups[-1] == "169.254.169.254"  # refused at the hop, never fetched
    finally:
        f.close()


def test_pull_names_the_refused_item_and_goes_on(site: Site, tmp_path: Path) -> None:
    port = int(site.base.rsplit(":", 1)[1])
    base = f"http://news.test:{port}"
    site.page("/feed.xml", rss(base, [{"title": "Metadata", "link": "http://169.254.169.254/latest/meta-data/"},
                                     {"title": "Floods", "link": f"{base}/world/assam-floods"}]), kind="application/rss+xml")
    serve_news(site)
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, ports=(80, 443, port)),
                      resolve=lambda h, p: ["127.0.0.1"] if h == "news.test" else feeds._resolve(h, p),
                      address_ok=lambda ip: ip == "127.0.0.1" or feeds.public_address(ip))
    try:
        report = feeds.pull([f"{base}/feed.xml"], tmp_path / "corpus", tmp_path / "state.json", f)
    finally:
        f.close()
    assert any(line.startswith("http://169.254.169.254/latest/meta-data/: ") and "private or local address" in line
               for line in report.failures)
    assert report.saved  # the other item is saved


@pytest.mark.parametrize(("path", "reason"), [("/trickle-headers", "no answer within 1 s"),
                                              ("/trickle-body", "not whole within 1 s")])
def test_a_server_that_trickles_is_cut_at_the_timeout(site: Site, path: str, reason: str) -> None:
    """Every byte comes within the read timeout (1 s), the whole would take 8 s: the request ends at the
    deadline with one line, headers or body. (Left to httpx's per-read timeout it would take all 8 s and
    succeed; 40 bytes stand for a server that goes on for days.)"""
    f = fetcher(timeout=1.0)
    try:
        with pytest.raises(feeds.FetchError, match=f"^{reason}"):
            f.get(site.base + path)
        site.page("/after", NO_DATE_PAGE)  # the fetcher goes on: the next request is fetched whole
        body, _, _ = f.get(site.base + "/after")
    finally:
        f.close()
    assert b"Markets steady" in body


# -- hostile feeds and pages: each bounded, one line, the other feeds go on ------------------------------

def test_hostile_xml_and_pages_are_bounded(site: Site, tmp_path: Path) -> None:
    """Billion laughs (entities not expanded), an external entity (never read), a gzip bomb (refused at the
    size cap while decompressing), a 10 MB single line (refused), a page nested 100,000 tags deep (no
    story, one line), a feed of 20,000 items (only the first max_items read)."""
    import gzip

    b = site.base
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    site.page("/laughs.xml", f'<?xml version="1.0"?><!DOCTYPE r [{lol}]><rss version="2.0"><channel><title>&l9;'
                             f'</title><item><title>x</title><link>{b}/deep</link></item></channel></rss>', kind="application/rss+xml")
    site.page("/xxe.xml", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0">'
                          f'<channel><title>&x;</title><item><title>&x;</title><link>{b}/bomb</link></item></channel></rss>',
              kind="application/rss+xml")
    site.page("/bomb", gzip.compress(b"<html>" + b"a" * 20_000_000 + b"</html>"), **{"Content-Encoding": "gzip"})
    site.page("/line", "<html><body><p>" + "word " * 2_000_000 + "</p></body></html>")
    site.page("/deep", "<html><body>" + "<div>" * 100_000 + "<p>A story nested deep down.</p>" + "</div>" * 100_000 + "</body></html>")
    site.page("/many.xml", rss(b, [{"title": f"t{i}", "link": f"{b}/line"} for i in range(20_000)]), kind="application/rss+xml")
    # each read is bounded by the sandbox's deadline; a loaded machine may need more than the default 20 s for the
    # 20,000 items, and the size and item caps are what this test is about
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, allow_private=True, max_items=3, read_timeout=120.0))
    try:
        report = feeds.pull([f"{b}/laughs.xml", f"{b}/xxe.xml", f"{b}/many.xml"], tmp_path / "c", tmp_path / "s.json", f)
    finally:
        f.close()
    assert not report.saved and report.feeds_failed == 0
    lines = "\n".join(report.failures)
    assert f"{b}/deep: " in lines and f"{b}/bomb: over the" in lines and f"{b}/line: " in lines and "limit" in lines
    assert any("20,000 items; only the first 3 read" in w for w in report.warnings)
    assert "/etc/passwd" not in lines and "root:" not in lines
    assert site.requests.count("/line") == 3  # 3 of the 20,000 items fetched


def test_a_page_slow_to_read_is_cut_at_its_deadline_and_not_fetched_again_the_stories_beside_it_are_saved(
        site: Site, tmp_path: Path) -> None:
    """Under the size cap, 350,000 empty tags hold trafilatura for ~30 s: read in the child, the page is cut
    at SITREP_FEED_READ_S, one line, and its item is not fetched again until its entry changes."""
    b = site.base
    site.page("/slow-to-read", "<html><body>" + "<span>a</span>" * 350_000 + "</body></html>")
    site.page("/world/assam-floods", (PAGES / "assam-floods.html").read_bytes())
    site.page("/rss.xml", rss(b, [{"title": "Slow", "link": f"{b}/slow-to-read", "date": RFC822},
                                  {"title": "Floods displace thousands in Assam", "link": f"{b}/world/assam-floods",
                                   "date": RFC822}]), kind="application/rss+xml")
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, allow_private=True, read_timeout=1.0))
    try:
        first = feeds.pull([f"{b}/rss.xml"], tmp_path / "c", tmp_path / "s.json", f)
        again = feeds.pull([f"{b}/rss.xml"], tmp_path / "c", tmp_path / "s.json", f)
    finally:
        f.close()
    assert first.failures == [f"{b}/slow-to-read: reading it took over 1 s (a page built to be slow?): skipped "
                              "(SITREP_FEED_READ_S)"]
    assert len(first.saved) == 1 and "world-assam-floods" in first.saved[0]
    assert (again.failures, again.saved, again.unchanged) == ([], [], 2)
    assert site.requests.count("/slow-to-read") == 1


# -- one page by its address: `sitrep add URL` --------------------------------------------------------------

@pytest.mark.parametrize(("claimed", "fetched", "cited"), [
    ("https://www.ledger.example/world/a", "https://amp.ledger.example/a", "https://www.ledger.example/world/a"),
    ("/world/a?x=1", "https://ledger.example/amp/a", "https://ledger.example/world/a?x=1"),  # relative: resolved
    ("https://news.bbc.co.uk/x", "https://www.bbc.co.uk/y", "https://news.bbc.co.uk/x"),
    ("https://reuters.example/x", "https://evil.example/y", "https://evil.example/y"),  # another outlet's: refused
    ("https://other.co.uk/x", "https://evil.co.uk/y", "https://evil.co.uk/y"),
    ("javascript:alert(1)", "https://ledger.example/a", "https://ledger.example/a"),
    ("http://127.0.0.2/x", "http://127.0.0.1/y", "http://127.0.0.1/y"),
    (None, "https://ledger.example/a", "https://ledger.example/a"),
])
def test_canonical_url_is_the_pages_own_only_on_its_own_site(claimed, fetched: str, cited: str) -> None:
    assert feeds.canonical_url(claimed, fetched) == cited


def test_add_page_saves_the_story_once_with_its_metadata(site: Site, tmp_path: Path) -> None:
    serve_news(site)
    corpus = tmp_path / "corpus"
    f = fetcher()
    try:
        page = feeds.add_page(f"  {site.base}/world/assam-floods ", corpus, f)
        again = feeds.add_page(f"{site.base}/world/assam-floods", corpus, f)
    finally:
        f.close()
    assert page.saved and not again.saved and again.file == page.file and page.file.startswith("web/127.0.0.1-")
    assert (page.title, page.date, page.source, page.url) == ("Floods displace thousands in Assam", "2024-07-03",
                                                              "The Daily Ledger", f"{site.base}/world/assam-floods")
    assert "already in the corpus" in again.describe() and "The Daily Ledger — 2024-07-03" in page.describe()
    (article,) = [parse(r) for r in scan_corpus(corpus, 10**7).articles]
    assert article.url == page.url and "40,000 people" in article.text and "cookies" not in article.text


def test_add_page_of_a_story_a_feed_saved_writes_the_feeds_file(site: Site, tmp_path: Path) -> None:
    serve_news(site)
    corpus = tmp_path / "corpus"
    f = fetcher()
    try:
        report = feeds.pull([f"{site.base}/rss.xml"], corpus, tmp_path / "s.json", f)
        page = feeds.add_page(f"{site.base}/world/assam-floods", corpus, f)
    finally:
        f.close()
    assert page.file in report.saved and not page.saved  # the same file, already holding the story
    assert not (corpus / "web").exists()


@pytest.mark.parametrize(("path", "reason"), [
    ("/missing", "HTTP 404"),
    ("/front", "no article text found on the page"),
    ("/feed.xml", "not an HTML page (application/rss+xml): a feed? `sitrep feeds add http://127.0.0.1:"),
])
def test_add_page_refusals_are_one_line_and_write_nothing(site: Site, tmp_path: Path, path: str, reason: str) -> None:
    site.page("/front", FRONT_PAGE)
    site.page("/feed.xml", rss(site.base, []), kind="application/rss+xml")
    f = fetcher()
    try:
        with pytest.raises(feeds.FetchError, match=re.escape(reason)):
            feeds.add_page(site.base + path, tmp_path / "corpus", f)
        with pytest.raises(CorpusError, match="must be http:// or https:// URLs"):
            feeds.add_page("file:///etc/passwd", tmp_path / "corpus", f)
    finally:
        f.close()
    assert not (tmp_path / "corpus").exists()


def test_add_page_slow_to_read_is_cut_at_its_deadline_in_one_line_and_writes_nothing(site: Site, tmp_path: Path) -> None:
    site.page("/slow-to-read", "<html><body>" + "<span>a</span>" * 350_000 + "</body></html>")
    site.page("/world/assam-floods", (PAGES / "assam-floods.html").read_bytes())
    f = feeds.Fetcher(feeds.FetchSettings(host_delay=0.0, allow_private=True, read_timeout=1.0))
    try:
        with pytest.raises(feeds.FetchError, match=r"^reading it took over 1 s \(a page built to be slow\?\): skipped"):
            feeds.add_page(f"{site.base}/slow-to-read", tmp_path / "corpus", f)
        page = feeds.add_page(f"{site.base}/world/assam-floods", tmp_path / "corpus", f)  # a fresh reader: read
    finally:
        f.close()
    assert page.saved and [p.name for p in (tmp_path / "corpus" / "web").rglob("*.md")] == [Path(page.file).name]


def test_cli_add_then_update_and_refusals(capsys, site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_news(site)
    for k, v in (("FEED_HOST_DELAY_S", "0"), ("FEEDS_ALLOW_PRIVATE", "true"), ("EMBED_CACHE_DIR", str(tmp_path / "emb"))):
        monkeypatch.setenv(f"SITREP_{k}", v)
    where = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "idx")]
    code = main(["add", f"{site.base}/world/assam-floods", f"{site.base}/markets", f"{site.base}/missing", *where],
                make_encoder=lambda _s: FakeEncoder())
    out, err = capsys.readouterr()
    assert code == 0
    assert "added: Floods displace thousands in Assam — The Daily Ledger — 2024-07-03 (web/127.0.0.1-" in out
    assert "index: 2 added" in out
    assert f"failed: {site.base}/missing: HTTP 404\n" in err and "1 page(s) without a publication date" in err
    assert store.load(tmp_path / "idx").manifest.article_count == 2
    code = main(["ask", "How many people did the floods in Assam displace?", "--index", str(tmp_path / "idx")],
                make_encoder=lambda _s: FakeEncoder())
    out, _ = capsys.readouterr()
    assert code == 0 and "40,000 people" in out and f"\n    {site.base}/world/assam-floods\n" in out  # its address, to open

    code = main(["add", f"{site.base}/world/assam-floods", *where, "--json"], make_encoder=lambda _s: FakeEncoder())
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["pages"][0]["saved"] is False and "update" not in json.loads(out)

    # ... and out again, by its address or its file: the file is kept aside, the index loses it.
    code = main(["remove", f"{site.base}/world/assam-floods", *where], make_encoder=lambda _s: FakeEncoder())
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("removed: Floods displace thousands in Assam — The Daily Ledger — 2024-07-03 (web/")
    assert "index: 1 removed" in out and store.load(tmp_path / "idx").manifest.article_count == 1
    kept = list((tmp_path / "removed").rglob("*.md"))
    assert len(kept) == 1 and "40,000 people" in kept[0].read_text() and not list((tmp_path / "corpus").rglob("assam*"))
    (tmp_path / "corpus" / "wire.jsonl").write_text('{"id": "w1", "body": "A wire story about markets."}\n')
    main(["index", "update", *where], make_encoder=lambda _s: FakeEncoder())
    capsys.readouterr()
    for ref, says in ((f"{site.base}/world/assam-floods", "no article"), ("w1", "not a file of its own")):
        code = main(["remove", ref, *where], make_encoder=lambda _s: FakeEncoder())
        _, err = capsys.readouterr()
        assert code == 2 and err.startswith("sitrep: ") and says in err and err.count("\n") == 1

    code = main(["add", "ftp://x.example/a", *where], make_encoder=lambda _s: FakeEncoder())  # nothing added: exit 2
    _, err = capsys.readouterr()
    assert code == 2 and err == ("sitrep: no page added: ftp://x.example/a: 'ftp://x.example/a' "
                                 "refused: feeds and pages must be http:// or https:// URLs\n")  # one line
