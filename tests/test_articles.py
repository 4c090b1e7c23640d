"""Known answers on the five seed articles, the other formats, and bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sitrep.corpus.articles import parse, scan_corpus
from sitrep.index.chunking import ChunkSettings, chunk
from tests.conftest import SEEDS, FakeEncoder

LIMIT = 5_000_000


def seed(name: str):
    scan = scan_corpus(SEEDS, LIMIT)
    return {a.id[:3]: parse(a) for a in scan.articles}[name]


def body(article) -> str:
    return "\n".join(article.text[a:b] for block in article.blocks for a, b in block)


@pytest.mark.parametrize(
    ("name", "title", "date", "source"),
    [
        ("000", "After blocking a proposal to blacklist JeM chief Masood Azhar China is reaching out to India for closer defence cooperation.", None, None),
        ("001", "China and Pakistan have signed an agreement to deepen defence cooperation between the all-weather allies amid rising tensions with India.", "2020-12-11", None),
        ("003", "India & US agree on deeper cooperation in Indo-Pacific as Rajnath meets Mark Esper", None, "ThePrint"),
        ("004", "US and India ‘set to sign intelligence deal’ amid ongoing border stand-off with China", None, "South China Morning Post"),
    ],
)
def test_seed_metadata(name: str, title: str, date: str | None, source: str | None) -> None:
    article = seed(name)
    assert (article.title, article.date, article.source) == (title, date, source)


def test_masthead_date_above_the_headline_is_when_seen_not_published() -> None:
    """ThePrint's page shows "Tuesday, March 19, 2024" above its breadcrumbs and headline: the day the
    page was saved. The story (the October 2020 2+2 dialogue) was not published then."""
    article = seed("003")
    assert (article.date, article.seen) == (None, "2024-03-19")


def test_bare_date_below_the_headline_is_the_publication_date() -> None:
    from sitrep.corpus.articles import RawArticle

    for text, date, seen in (("Headline of the story here\nMarch 3, 2021\nThe body sentence one is long enough to be a body line.", "2021-03-03", None),
                             ("March 3, 2021\nHeadline of the story here\nThe body sentence one is long enough to be a body line.", None, "2021-03-03"),
                             ("Published: March 3, 2021\nHeadline of the story here\nThe body sentence is long enough to be a body line.", "2021-03-03", None)):
        a = parse(RawArticle("x", "h", "x.txt", text))
        assert (a.date, a.seen) == (date, seen), text


def test_seed_002_title_is_a_clipped_first_sentence_and_date_marker() -> None:
    article = seed("002")
    assert article.date == "2020-09-03"
    assert article.title is not None and article.title.startswith("The Chinese defence minister has sought a meeting")
    assert not body(article).startswith("date")


@pytest.mark.parametrize(
    "junk",
    [
        "scorecardresearch", "Support Our Journalism", "Follow Us", "Text Size", "Subscribe to our channels",
        "Also Read", "LEAVE A REPLY", "Please enter your", "Most Popular", "More Articles from SCMP",
        "Alarm bells ring", "Taiwan coastguard", "Copyright (c)", "originally appeared", "Source Article",
        "a man wearing a suit", "is greeted upon his arrival", "HomeDefence", "Tuesday, March 19, 2024",
        "Global Impact newsletter", "India needs fair, non-hyphenated",
    ],
)
def test_boilerplate_is_gone_from_every_seed(junk: str) -> None:
    for article in (parse(a) for a in scan_corpus(SEEDS, LIMIT).articles):
        assert junk not in body(article), (article.id, junk)


def test_article_text_survives() -> None:
    print_body = body(seed("003"))
    assert "New Delhi: With an increasingly aggressive China flexing its muscles" in print_body
    assert "‘Rajnath invites US to join Make in India’" in print_body
    scmp = body(seed("004"))
    assert "The United States and India are preparing to sign an agreement" in scmp
    assert "this is primarily their problem to solve" in scmp


def test_every_passage_span_maps_back_to_the_original_file() -> None:
    enc = FakeEncoder()
    for raw in scan_corpus(SEEDS, LIMIT).articles:
        article = parse(raw)
        original = (SEEDS / raw.id).read_text("utf-8")
        for p in chunk(article, ChunkSettings(), enc.count_tokens):
            assert original[p.start : p.end] == p.text


def test_markdown_front_matter_wins(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntitle: The Real Title\ndate: 2021-05-04\nsource: Reuters\nurl: https://example.org/a\n---\n"
        "A Short Headline Guess\n\nMonday, June 7, 2021\n\nBody text of the article. It has two sentences.\n"
    )
    article = parse(scan_corpus(tmp_path, LIMIT).articles[0])
    assert (article.title, article.date, article.source, article.url) == ("The Real Title", "2021-05-04", "Reuters", "https://example.org/a")
    assert article.id == "a.md"


def test_dateline_and_url_from_text(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text(
        "Storm hits coast\nWednesday, January 3, 2024\nhttps://news.example.com/storm\n\nA storm hit the coast on Tuesday.\n"
    )
    article = parse(scan_corpus(tmp_path, LIMIT).articles[0])
    assert (article.id, article.title, article.date, article.url) == ("sub/b.txt", "Storm hits coast", "2024-01-03", "https://news.example.com/storm")


def test_jsonl_and_gzip_records(tmp_path: Path) -> None:
    rec = {"id": "x1", "title": "T", "source": "cnn.com", "published_at": "2022-06-12T10:00:00Z", "url": "https://cnn.com/x", "body": "Body one."}
    (tmp_path / "a.jsonl").write_text(json.dumps(rec) + "\n")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({**rec, "id": "x2", "url": None}) + "\n")
    scan = scan_corpus(tmp_path, LIMIT)
    articles = {a.id: parse(a) for a in scan.articles}
    assert set(articles) == {"x1", "x2"}
    assert articles["x1"].date == "2022-06-12" and articles["x1"].location == "https://cnn.com/x"
    assert articles["x2"].location == "b.jsonl.gz:1"


def test_bad_files_are_skipped_with_one_warning_each(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Headline\n\nA real sentence about news.\n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "empty.md").write_text("  \n\n")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 society".encode("latin-1"))
    (tmp_path / "big.txt").write_text("word " * 2_100_000)  # 10.5 MB
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "j1", "body": "Fine."}) + "\n{not json\n" + json.dumps({"id": "j2"}) + "\n" + json.dumps({"id": "j1", "body": "dup"}) + "\n"
    )
    scan = scan_corpus(tmp_path, LIMIT)
    assert sorted(a.id for a in scan.articles) == ["good.txt", "j1"]
    joined = "\n".join(scan.warnings)
    assert "binary.txt: binary file, skipped" in joined
    assert "empty.md: empty, skipped" in joined
    assert "latin1.txt: not UTF-8" in joined and "re-save it as UTF-8" in joined
    assert "big.txt: 10.5 MB is over the 5 MB article limit" in joined and "SITREP_MAX_ARTICLE_MB" in joined
    assert "feed.jsonl line 2: not valid JSON, skipped" in joined
    assert "feed.jsonl line 3: no 'body' text, skipped" in joined
    assert "feed.jsonl line 4: duplicate article id 'j1'" in joined
    assert len(scan.warnings) == 7


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(json.dumps({"id": f"r{i}", "body": f"Body {i} " * 50}).encode() + b"\n" for i in range(200)))
    (tmp_path / "c.jsonl.gz").write_bytes(data[: len(data) // 2])
    scan = scan_corpus(tmp_path, LIMIT)
    assert 0 < len(scan.articles) < 200
    assert any("unreadable after line" in w for w in scan.warnings)


def test_missing_title_skips_the_dateline_and_reads_the_url_slug(tmp_path: Path) -> None:
    lede = "Families are spreading marigold petals for the dead. They light candles."
    recs = [
        {"id": "slug", "title": None, "url": "https://www.cnn.com/2021/11/02/us/day-of-the-dead-dia-de-los-muertos-trnd/index.html",
         "body": f"CNN —\n\n{lede}"},
        {"id": "noslug", "title": None, "url": "https://cnn.com/x", "body": f"Washington CNN Business —\n\n{lede}"},
        {"id": "headline", "title": None, "url": "https://a.example/news/some-other-slug-words", "body": f"Storm hits coast\n\n{lede}"},
    ]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    articles = {a.id: parse(a) for a in scan_corpus(tmp_path, LIMIT).articles}
    assert articles["slug"].title == "Day of the dead dia de los muertos"  # the edition code "trnd" dropped
    assert articles["noslug"].title == lede  # no slug: the lede (a short one whole), not "Washington CNN Business —"
    assert articles["headline"].title == "Storm hits coast"  # a headline line still wins over the slug
    assert lede in body(articles["slug"])  # the lede stays quotable


@pytest.mark.parametrize(
    ("line", "dateline"),
    [("CNN —", True), ("Colombo, Sri Lanka CNN —", True), ("LONDON (Reuters) -", True), ("WASHINGTON (AP) —", True),
     ("Storm hits coast", False), ("China — India defence talks resume", False), ("Adele is returning to Las Vegas.", False)],
)
def test_dateline(line: str, dateline: bool) -> None:
    from sitrep.corpus.metadata import is_dateline

    assert is_dateline(line) is dateline


@pytest.mark.parametrize(
    ("url", "title"),
    [("https://www.cnn.com/2022/07/05/asia/sri-lanka-bankrupt-fuel-crisis-intl-hnk/index.html", "Sri lanka bankrupt fuel crisis"),
     ("https://www.cnn.com/europe/live-news/russia-ukraine-war-news-07-12-22/h_c164ac931cc8414108b8", "Russia ukraine war news"),
     ("https://e.newsletters.cnn.com/click?EYWxleGFuZHJh/CeyJtaW", None), ("https://cnn.com/x", None), (None, None)],
)
def test_title_from_url(url: str | None, title: str | None) -> None:
    from sitrep.corpus.metadata import title_from_url

    assert title_from_url(url) == title


@pytest.mark.parametrize(("title", "source", "url", "shown"), [
    ("Twitter confirms completion of Elon Musk's deal | CNN Business", "cnn.com", "https://www.cnn.com/x",
     "Twitter confirms completion of Elon Musk's deal"),
    ("Is climate change reversible? | The Week UK", "theweek.co.uk", "https://www.theweek.co.uk/x", "Is climate change reversible?"),
    ("Will protests help its cause? | The ...", "theweek.co.uk", None, "Will protests help its cause?"),  # the name cut short
    ("States racing to regulate e-cigarettes - USA TODAY", None, "https://eu.usatoday.com/story/x", "States racing to regulate e-cigarettes"),
    ("Misinformation is trending | CNN Politics", "CNN", None, "Misinformation is trending"),
    # a tail that is not the outlet's stays: another outlet's name, a headline's own dash
    ("Best stocks to buy - 24/7 Wall St.", "usatoday.com", "https://eu.usatoday.com/x", "Best stocks to buy - 24/7 Wall St."),
    ("Ford's EV bet - and CEO Farley has to fix it", "cnn.com", None, "Ford's EV bet - and CEO Farley has to fix it"),
    ("Hurricane Ian - live updates", "cnn.com", None, "Hurricane Ian - live updates"),
    ("CNN", "cnn.com", None, "CNN"), (None, "cnn.com", None, None), ("Plain title", None, None, "Plain title"),
])
def test_a_source_list_shows_the_title_without_the_outlets_name(title: str | None, source: str | None, url: str | None,
                                                               shown: str | None) -> None:
    from sitrep.corpus.metadata import shown_title

    assert shown_title(title, source, url) == shown


def test_answers_and_briefs_cite_the_title_without_the_outlets_name(seed_corpus: Path, tmp_path: Path) -> None:
    import json

    from sitrep.answer.engine import Engine
    from sitrep.index.build import update
    from sitrep.retrieval.types import Query
    from tests.conftest import FakeEncoder

    (seed_corpus / "wire.jsonl").write_text(json.dumps(
        {"id": "w1", "title": "Volcano erupts on Hawaii's Big Island | CNN", "source": "cnn.com", "published_at": "2022-11-28",
         "url": "https://www.cnn.com/2022/11/28/us/mauna-loa/index.html",
         "body": "Mauna Loa, the world's largest active volcano, erupted on Sunday night for the first time since 1984."}) + "\n")
    enc = FakeEncoder()
    update(seed_corpus, tmp_path / "idx", enc)
    engine = Engine.open(tmp_path / "idx", enc)
    answer = engine.ask(Query("Mauna Loa volcano erupted", mode="bm25"))
    assert [c.title for c in answer.citations if c.article_id == "w1"] == ["Volcano erupts on Hawaii's Big Island"]
    brief = engine.brief("Mauna Loa volcano")
    assert [s.sources[0].title for s in brief.stories] == ["Volcano erupts on Hawaii's Big Island"]
    assert engine.meta(["w1"])["w1"].title == "Volcano erupts on Hawaii's Big Island | CNN"  # the index keeps it as given
