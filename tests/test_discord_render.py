"""Discord rendering: every limit, markdown escaping, mention neutralising, long answers."""

from __future__ import annotations

import discord
import pytest

from sitrep.chat.render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    TITLE_MAX,
    answer_embed,
    clean,
    more_sources_text,
    question_text,
    shorten,
)
from sitrep.index.backends.base import ArticleMeta
from sitrep.retrieval.types import Answer, Citation, Hit


def citation(n: int, quote: str, title: str = "Title", location: str = "corpus/a.txt", url: str | None = None) -> Citation:
    passage = f"Before. {quote} After."
    return Citation(n, f"a{n}", f"a{n}#0", title, "ThePrint", "2020-12-11", location, passage, quote, 8, url=url)


def answer(sentences: list[str], titles: list[str] | None = None, question: str = "What happened?") -> Answer:
    cites = tuple(citation(i + 1, s, (titles or [])[i] if titles else f"Title {i + 1}") for i, s in enumerate(sentences))
    hits = tuple(Hit(i, f"a{i + 1}", f"a{i + 1}#0", 1.0 / (i + 1)) for i in range(len(sentences)))
    return Answer(question, tuple((s, i + 1) for i, s in enumerate(sentences)), cites, hits, False, 0.9)


META = {f"a{i}": ArticleMeta(f"a{i}", f"Title {i}", "ThePrint", "2020-12-11", None, f"corpus/a{i}.txt", "h") for i in range(1, 40)}


def check_limits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= TITLE_MAX
    assert len(embed.description or "") <= DESCRIPTION_MAX
    assert len(embed.fields) <= 25
    for f in embed.fields:
        assert len(f.name or "") <= FIELD_NAME_MAX and len(f.value or "") <= FIELD_VALUE_MAX
    assert len(embed) <= EMBED_TOTAL_MAX


def test_plain_answer() -> None:
    rendered = answer_embed(answer(["China proposed hotlines.", "Beijing suggested visits."]), META)
    e = rendered.embed
    assert e.description == "China proposed hotlines. **[1]** Beijing suggested visits. **[2]**"
    assert [f.name for f in e.fields] == ["[1] Title 1", "[2] Title 2"] and rendered.shown == 2
    assert "ThePrint · 2020-12-11 · `corpus/a.txt`" in (e.fields[0].value or "")
    check_limits(e)


def test_two_sentences_of_one_article_cite_one_source() -> None:
    passage = "China proposed hotlines. Both sides met. Beijing suggested visits."
    one = Citation(1, "a1", "a1#0", "Title", "ThePrint", "2020-12-11", "corpus/a.txt", passage, "China proposed hotlines.", 0)
    two = Citation(1, "a1", "a1#0", "Title", "ThePrint", "2020-12-11", "corpus/a.txt", passage, "Beijing suggested visits.", 41)
    other = citation(2, "India waits.")
    a = Answer("What happened?", (("China proposed hotlines.", 1), ("India waits.", 2), ("Beijing suggested visits.", 1)),
               (one, other, two), (Hit(0, "a1", "a1#0", 1.0), Hit(1, "a2", "a2#0", 0.5)), False, 0.9)
    rendered = answer_embed(a, META)
    e = rendered.embed
    assert e.description == "China proposed hotlines. **[1]** India waits. **[2]** Beijing suggested visits. **[1]**"
    assert [f.name for f in e.fields] == ["[1] Title", "[2] Title"] and rendered.shown == 2  # one field an article ...
    assert (e.fields[0].value or "").endswith(f"\n> {passage}")  # ... the passage around its quotes, shown once
    assert answer_embed(a, META, max_sources=1).shown == 1
    assert more_sources_text(a, META, 1).splitlines()[0].startswith("**[2]** Title")  # the next article, once
    check_limits(e)


def test_a_source_shows_what_surrounds_its_quote_with_the_question_words_in_bold() -> None:
    """The description has the quotes; a source's field has the passage around each, cut to about 300 characters."""
    before, after = "Talks ran late into the night in *Delhi*. " * 8, " Officials from India will answer next week." * 8
    passage = before + "China proposed hotlines." + after
    start = passage.index("China")
    c = Citation(1, "a1", "a1#0", "Title", "ThePrint", "2020-12-11", "corpus/a.txt", passage, "China proposed hotlines.", start,
                 highlights=((start, start + 5), (passage.index("India"), passage.index("India") + 5)))
    a = Answer("What did China propose to India?", (("China proposed hotlines.", 1),), (c,), (Hit(0, "a1", "a1#0", 1.0),), False, 0.9)
    value = answer_embed(a, META).embed.fields[0].value or ""
    shown = value.split("\n> ", 1)[1]
    assert shown.startswith("…") and shown.endswith("…")  # cut on both sides ...
    assert "**China** proposed hotlines. Officials from **India** will" in shown  # ... around the quote, words in bold
    assert "night in \\*Delhi\\*." in shown  # the passage's own markdown escaped
    assert 250 <= len(shown.replace("**", "").replace("\\", "")) <= 310
    many = tuple(Citation(**{**c.__dict__, "passage_id": f"a1#{i}"}) for i in range(5))  # five passages' snippets: past 1,024
    e = answer_embed(Answer(a.question, (("China proposed hotlines.", 1),) * 5, many, a.hits, False, 0.9), META).embed
    value = e.fields[0].value or ""
    assert value.count("**") == 0 and value.count("\n> ") >= 2  # cut as plain text: no bold pair loses its end
    check_limits(e)


def test_a_sentence_other_outlets_carry_names_them_under_its_source() -> None:
    a = answer(["China proposed hotlines."])
    wired = Citation(**{**a.citations[0].__dict__, "also_in": ("wire-copy.example", "*bold* <@123>")})
    e = answer_embed(Answer(a.question, a.sentences, (wired,), a.hits, False, 0.9), META).embed
    value = e.fields[0].value or ""
    assert value.splitlines()[1] == "also in: wire-copy.example, \\*bold\\* <@\u200b123>"  # under the source line
    assert "<@123>" not in value  # an outlet's name is text, never a ping
    check_limits(e)


def test_markdown_and_mentions_are_neutralised() -> None:
    nasty = "Hi @everyone and @here, <@123> <@&456> <#789> **bold** _it_ `code` ||spoiler|| > quote"
    e = answer_embed(answer([nasty], titles=["@everyone *title*"], question="@here <@1>?"), META).embed
    for text in (e.title or "", e.description or "", e.fields[0].name or "", e.fields[0].value or ""):
        assert "@everyone" not in text and "@here" not in text
        assert "<@123>" not in text and "<@&456>" not in text
    assert "\\*\\*bold\\*\\*" in (e.description or "")


def test_a_markdown_link_and_role_mentions_in_a_question_are_inert() -> None:
    """A question is shown in the title, the footer ("understood as") and a thread's name: no link, no ping."""
    from sitrep.chat.cogs.ask import thread_name
    from sitrep.retrieval.types import AskedAs

    q = "[Free Nitro](https://evil.example) <@&456> @everyone what now?"
    a = answer(["A sentence."], question=q)
    a = Answer(a.question, a.sentences, a.citations, a.hits, a.abstained, a.confidence, a.notes,
               AskedAs(f"Earlier question? {q}", ("nitro",), (), (), (), "'what' refers to the earlier question"))
    e = answer_embed(a, META).embed
    title = e.title or ""  # a masked link needs an unescaped "[": escaped, it is plain text
    assert "\\[Free Nitro" in title and all(title[i - 1] == "\\" for i, ch in enumerate(title) if ch == "[")
    assert "<@&456>" not in (e.title or "") and "@everyone" not in (e.title or "")
    footer_text = e.footer.text or ""  # footers render no markdown and ping no one: shown as typed
    assert footer_text.startswith("understood as: Earlier question? [Free Nitro](https://evil.example)")
    assert question_text(q) == "[Free Nitro](https://evil.example) what now?"  # mentions gone before anything
    assert "<@&" not in thread_name(question_text(q)) and len(thread_name("x" * 500)) <= 100


def test_huge_answer_fits_and_keeps_markers_with_their_sources() -> None:
    long = ["word " * 600 + "end.", "second " * 500 + "end.", "third " * 400 + "end."]
    rendered = answer_embed(answer(long, titles=["T" * 400] * 3), META)
    e = rendered.embed
    check_limits(e)
    markers = [m for m in ("**[1]**", "**[2]**", "**[3]**") if m in (e.description or "")]
    assert markers  # at least the first sentence, with its marker
    for m in markers:  # every marker in the text has its source among the fields
        n = m.strip("*[]")
        assert any((f.name or "").startswith(f"[{n}]") for f in e.fields)


def test_one_sentence_longer_than_the_description_is_cut_before_its_marker() -> None:
    e = answer_embed(answer(["x" * 9000]), META).embed
    assert (e.description or "").endswith("… **[1]**")
    check_limits(e)


def test_many_citations_fit_total() -> None:
    sentences = [f"Sentence {i} " + "filler " * 60 + "." for i in range(30)]
    e = answer_embed(answer(sentences), META).embed
    check_limits(e)


def test_abstention_shows_nearest_articles() -> None:
    a = Answer("Who won the cup?", (), (), (Hit(0, "a1", "a1#0", 0.1), Hit(1, "a2", "a2#0", 0.05)), True, 0.01)
    e = answer_embed(a, META).embed
    assert e.description == "The corpus does not answer this."
    assert [f.name for f in e.fields] == ["Nearest: Title 1", "Nearest: Title 2"]


def test_more_sources_fits_one_message() -> None:
    a = answer([f"s{i}." for i in range(3)])
    hits = tuple(Hit(i, f"a{i}", f"a{i}#0", 1.0) for i in range(1, 39))
    a = Answer(a.question, a.sentences, a.citations, hits, False, 0.9)
    text = more_sources_text(a, META, skip=1)
    assert text.startswith("**[2]**") and len(text) <= CONTENT_MAX


@pytest.mark.parametrize(("text", "limit"), [("a. b. c. d. e.", 7), ("word " * 100, 50), ("x" * 100, 10)])
def test_shorten(text: str, limit: int) -> None:
    out = shorten(text, limit)
    assert len(out) <= limit and out.endswith("…")


def test_clean_escapes_and_folds() -> None:
    assert clean("a\n\n*b*") == "a \\*b\\*"


def test_question_text_drops_mentions() -> None:
    from sitrep.chat.render import question_text

    assert question_text("<@123> What did <@!4> China <@&5> propose in <#6>? @everyone @here") == (
        "What did China propose in ?")
    assert question_text("email me@example.com") == "email me@example.com"


def test_the_answer_phrase_is_bold_and_the_rest_escaped() -> None:
    quote = "More than 2.5 million *homes* lost power."
    c = citation(1, quote)
    start = c.passage.index("2.5 million")
    c = Citation(**{**c.__dict__, "answer_spans": ((start, start + len("2.5 million")),)})
    a = Answer("How many lost power?", ((quote, 1),), (c,), (Hit(0, "a1", "a1#0", 1.0),), False, 0.9)
    description = answer_embed(a, META).embed.description
    assert description == r"More than **2.5 million** \*homes\* lost power. **[1]**"


def test_terminal_bolds_the_answer_phrase_only_in_colour() -> None:
    from sitrep.cli.render import BOLD, RESET, as_json, as_text

    quote = "More than 2.5 million homes lost power."
    c = citation(1, quote)
    start = c.passage.index("2.5 million")
    c = Citation(**{**c.__dict__, "answer_spans": ((start, start + len("2.5 million")),)})
    a = Answer("How many lost power?", ((quote, 1),), (c,), (Hit(0, "a1", "a1#0", 1.0),), False, 0.9)
    assert as_text(a).splitlines()[0] == f"{quote} [1]"  # piped: verbatim
    assert as_text(a, color=True).splitlines()[0] == f"More than {BOLD}2.5 million{RESET} homes lost power. [1]"
    span = as_json(a)["citations"][0]["answer_spans"][0]
    assert c.passage[span[0]:span[1]] == "2.5 million"


def _story(i: int, words: int = 400, outlets: int = 30) -> object:
    from sitrep.answer.brief import Quote, Source, Story

    long = " ".join(["@everyone **bold** <@123>"] + ["word"] * words)
    sources = tuple(Source(f"a{i}-{k}", f"{i} " + "T" * 300, f"Outlet {k} @here", "2022-09-28", None,
                           f"https://example.com/{i}/{k}", f"corpus/{i}-{k}.txt") for k in range(outlets))
    return Story(f"a{i}-0", "2022-09-28", sources, (Quote(long, f"a{i}-0", f"a{i}-0#0"), Quote(long, f"a{i}-0", f"a{i}-0#1")), 0.9)


def test_briefs_posts_and_digests_fit_discord_and_ping_no_one() -> None:
    from datetime import date

    from sitrep.answer.brief import Brief
    from sitrep.chat.render import brief_embed, digest_embed, story_embed

    stories = [_story(i) for i in range(40)]
    b = Brief("x" * 400, date(2022, 9, 1), date(2022, 10, 31), tuple(stories[:30]), tuple(stories[30:]), 5)  # type: ignore[arg-type]
    first = brief_embed(b)
    check_limits(first.embed)
    assert 0 < first.shown < 40 and "more: press More" in (first.embed.footer.text or "")
    second = brief_embed(b, first.shown)
    check_limits(second.embed)
    assert second.embed.fields[0].name != first.embed.fields[0].name
    for embed in (story_embed(stories[0], "y" * 3000), digest_embed("topic", stories)):  # type: ignore[arg-type]
        check_limits(embed)
        text = str(embed.to_dict())
        assert "@everyone" not in text.replace("@\u200beveryone", "") and "<@123>" not in text
    empty = brief_embed(Brief("nothing", None, date(2022, 1, 1), (), (), 0))
    assert empty.shown == 0 and "Nothing in the corpus" in (empty.embed.description or "")


def test_a_source_with_a_web_address_links_to_it_and_its_address_cannot_format_or_ping() -> None:
    plain = "https://theprint.in/defence/china-india-talks/123/?utm=1#top"
    hostile = "https://evil.example/a b`x`**bold**||spoiler||<@123>[x](https://phish.example)"
    cites = (citation(1, "China proposed hotlines.", url=plain), citation(2, "Beijing suggested visits.", url=hostile),
             citation(3, "Delhi said no.", location="web/x.md", url="javascript:alert(1)"))
    a = Answer("What happened?", tuple((c.quote, c.n) for c in cites), cites, (), False, 0.9)
    values = [f.value or "" for f in answer_embed(a, META).embed.fields]
    assert f"ThePrint · 2020-12-11 · {plain}" in values[0]
    assert "https://evil.example/a%20b%60x%60%2A%2Abold%2A%2A%7C%7Cspoiler%7C%7C%3C@123%3E%5Bx%5D(https://phish.example)" in values[1]
    assert "`web/x.md`" in values[2] and "javascript" not in values[2]  # not an address a reader may open: the file
    assert "https://evil.example/a%20b" in more_sources_text(a, META, 1)
