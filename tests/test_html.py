"""News pages (.html/.htm) in the corpus: trafilatura's main text and metadata, passages as exact
slices of what it extracted, the same incremental update as for text files.

tests/pages/ holds pages written for this: a UTF-8 page with a cookie banner, navigation, byline,
related links, comments and footer; a windows-1252 page in a div layout (no <article>), declared
by <meta http-equiv>; a section front with no story at all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitrep.answer.answerer import AnswerParams
from sitrep.answer.engine import Engine
from sitrep.corpus.articles import parse, scan_corpus
from sitrep.index.backends.local import store
from sitrep.index.build import update
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder

PAGES = Path(__file__).parent / "pages"

STORY = {
    "assam-floods.html": [
        "Heavy monsoon rains have displaced more than 40,000 people across six districts of Assam, state officials said on Wednesday.",
        "The Brahmaputra river crossed the danger mark at Dibrugarh and Neamatighat",
        '"We have opened 120 relief camps and more are being prepared,"',
        "The India Meteorological Department forecast more rain for the region through the weekend.",
    ],
    "lyon-terraces.htm": [
        "Café and restaurant owners in Lyon have launched a petition against the city’s plan to triple the fee",
        "raise the annual fee from €20 to €60 per square metre",
        "“We survived the pandemic by putting tables on the pavement,” said Théo Martin",
        "The deputy mayor for commerce said the extra revenue would pay for wider pavements",
    ],
}
FURNITURE = ["cookie", "Accept all", "Home", "Sport", "Related", "Monsoon arrives early", "Comments", "Stay safe", "rahul88",
             "All rights reserved", "Privacy", "By Priya Sharma", "Sign in", "Subscribe", "Lire aussi", "Paris bans",
             "commentaires", "Scandaleux", "Share on", "Mentions légales", "Par Amélie Durand"]


@pytest.fixture
def pages() -> dict[str, object]:
    scan = scan_corpus(PAGES, 10**7)
    assert scan.warnings == []
    return {raw.id: parse(raw) for raw in scan.articles}


@pytest.mark.parametrize("name", sorted(STORY))
def test_the_story_is_kept_and_the_furniture_dropped(pages: dict, name: str) -> None:
    article = pages[name]
    body = "\n".join(article.text[a:b] for run in article.blocks for a, b in run)
    for sentence in STORY[name]:
        assert sentence in body
    for junk in FURNITURE:
        assert junk not in article.text, junk


def test_metadata_from_the_page(pages: dict) -> None:
    assam, lyon = pages["assam-floods.html"], pages["lyon-terraces.htm"]
    assert (assam.title, assam.date, assam.source, assam.url) == (
        "Floods displace thousands in Assam", "2024-07-03", "The Daily Ledger",
        "https://ledger.example/world/2024/07/03/assam-floods")
    assert assam.location == assam.url  # citations link the canonical page
    assert (lyon.title, lyon.date, lyon.source, lyon.url) == (
        "Café owners in Lyon fight “terrace tax”", "2023-05-12", "Le Courrier Européen",
        "https://courrier.example/economie/lyon-terrace-tax")


def test_the_headline_is_the_title_not_a_passage(pages: dict) -> None:
    article = pages["assam-floods.html"]
    assert article.text.startswith("Floods displace thousands in Assam\n")  # stored as extracted ...
    assert article.blocks[0][0][0] > 0  # ... but the body starts after it


def test_a_declared_charset_is_honoured(pages: dict) -> None:
    assert "€20" in pages["lyon-terraces.htm"].text and "Théo" in pages["lyon-terraces.htm"].text


def test_a_page_without_a_story_is_reported_and_nothing_else_is_lost(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(PAGES, corpus)
    report = update(corpus, tmp_path / "idx", FakeEncoder())
    assert report.added == 3 and any("world-front.html: no article text found" in w for w in report.warnings)
    data = store.load(tmp_path / "idx")
    assert data.passage_count >= 2 and "world-front.html" not in {data.passage_id(i).split("#")[0]
                                                                  for i in range(data.passage_count)}


def test_html_pages_are_indexed_quoted_verbatim_and_updated_incrementally(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(PAGES, corpus)
    enc = FakeEncoder()
    update(corpus, tmp_path / "idx", enc)
    engine = Engine.open(tmp_path / "idx", enc, answer_params=AnswerParams(threshold=0.0))  # the fake encoder's
    # similarities are not calibrated: always answer
    answer = engine.ask(Query("How many relief camps did Assam open after the floods?"))
    assert not answer.abstained and answer.citations[0].article_id == "assam-floods.html"
    assert answer.sentences[0][0].startswith('"We have opened 120 relief camps')
    c = answer.citations[0]
    assert [c.passage[a:b] for a, b in c.answer_spans] == ["120"]  # "how many": the number is marked
    data = store.load(tmp_path / "idx")
    row = data.articles.id.index("assam-floods.html")
    for c in answer.citations:
        assert c.quote in c.passage and c.passage in data.articles.text[data.articles.id.index(c.article_id)]
    assert data.articles.url[row] == "https://ledger.example/world/2024/07/03/assam-floods"

    before = enc.encoded
    assert update(corpus, tmp_path / "idx", enc).passages_embedded == 0 and enc.encoded == before  # unchanged
    page = corpus / "assam-floods.html"
    page.write_text(page.read_text().replace("more than 40,000 people", "more than 55,000 people"))
    report = update(corpus, tmp_path / "idx", enc)
    assert (report.changed, report.unchanged) == (1, 2) and 0 < report.passages_embedded <= 2
    assert "55,000" in store.load(tmp_path / "idx").articles.text[row]


def test_bad_pages_get_one_line_each(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "binary.html").write_bytes(b"\x00\x01\x02PNG")
    (corpus / "empty.htm").write_text("   ")
    (corpus / "bad-charset.html").write_bytes('<meta charset="no-such-charset"><p>Gr\u00fc\u00dfe</p>'.encode("latin-1"))
    scan = scan_corpus(corpus, 10**7)
    assert sorted(w.split(":")[0] for w in scan.warnings) == ["binary.html", "empty.htm"]
    assert [r.id for r in scan.articles] == ["bad-charset.html"]  # an unknown charset falls back (cp1252), no loss
    assert "Grüße" in scan.articles[0].text
