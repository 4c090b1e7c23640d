"""`sitrep ask` and `sitrep eval`: exit codes, exact one-line errors, --json shape; the REPL through its input."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest

from sitrep.answer.engine import Engine
from sitrep.cli.main import main
from sitrep.cli.render import as_text
from sitrep.cli.repl import Repl
from sitrep.index.build import update
from sitrep.retrieval.types import Answer, Citation
from tests.conftest import FakeEncoder


@pytest.fixture
def index(seed_corpus: Path, tmp_path: Path) -> str:
    update(seed_corpus, tmp_path / "idx", FakeEncoder())
    return str(tmp_path / "idx")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), make_encoder=lambda _s: FakeEncoder())
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_shape(capsys, index: str) -> None:
    code, out, err = run(capsys, "ask", "Shaheen air exercise Pakistan China", "--index", index, "--json", "--k", "3")
    assert code == 0, err
    obj = json.loads(out)
    assert set(obj) >= {"question", "answer", "abstained", "citations", "hits"}
    assert obj["question"] == "Shaheen air exercise Pakistan China"
    assert len(obj["hits"]) <= 3
    for h in obj["hits"]:
        assert set(h) >= {"article_id", "passage_id", "score", "rank_bm25", "rank_dense"}
    for c in obj["citations"]:
        assert set(c) >= {"n", "article_id", "title", "source", "date", "location", "passage", "quote"}
        assert c["quote"] in c["passage"]
    if not obj["abstained"]:
        assert obj["answer"].endswith("]") and obj["citations"]


def test_ask_text_output(capsys, index: str) -> None:
    code, out, _ = run(capsys, "ask", "Shaheen air exercise Pakistan China", "--index", index)
    assert code == 0
    body, sources = out.split("\nSources\n")
    # the best sentence first: the one naming the exercise
    assert body.startswith("The troops left for Pakistani Air Force's airbase in Bholari") and "[1]" in body
    assert '"Shaheen (Eagle)-IX"' in " ".join(body.split())  # the exercise's name, quoted verbatim
    assert sources.startswith("[1] China and Pakistan have signed an agreement") and "001_d3da3a035377400c.txt" in sources


GOLDEN = Path(__file__).parent / "golden"
KNOWN = "Shaheen air exercise Pakistan China"


def same(got: object, want: object) -> bool:
    """Equal, floats to 1e-5 (FAISS and bm25s may sum in another order on another CPU)."""
    if isinstance(want, float):
        return isinstance(got, int | float) and abs(got - want) <= 1e-5 * max(1.0, abs(want))
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    return got == want


def test_ask_json_exact_for_a_known_question(capsys, index: str) -> None:
    """The whole --json answer for one question on the bundled corpus (fake encoder), field by field.
    After an intended change: regenerate tests/golden/ask_known.json and read the diff."""
    code, out, err = run(capsys, "ask", KNOWN, "--index", index, "--json", "--k", "4", "--as-of", "2021-01-01")
    assert code == 0, err
    assert same(json.loads(out), json.loads((GOLDEN / "ask_known.json").read_text()))


def test_repl_explain_exact_for_a_known_question(index: str) -> None:
    out = io.StringIO()
    repl = Repl(Engine.open(Path(index), FakeEncoder()), out=out)
    for line in (":as-of 2021-01-01", ":k 4", KNOWN):
        repl.handle(line)
    out.seek(0)
    out.truncate()
    repl.handle(":explain")
    assert out.getvalue() == (GOLDEN / "explain_known.txt").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "   "], "sitrep: the question is empty"),
        (["ask", "🙂🙂"], "sitrep: the question has no words to search for"),
        (["ask", "What else?"], "sitrep: 'What else?' continues an answer: ask a question first"),
        (["ask", "India?", "--mode", "fast"], "sitrep: unknown mode 'fast': use one of bm25, dense, hybrid"),
        (["ask", "India?", "--as-of", "soon"], "sitrep: bad date 'soon': use YYYY-MM-DD"),
        (["ask", "India?", "--source", "nowhere"], "sitrep: no article from source 'nowhere'"),
        (["ask", "India?", "--since", "lately"], "sitrep: bad 'since' 'lately': use a span like 30d"),
        (["ask", "India?", "--since", "2024-01-01", "--as-of", "2023-01-01"],
         "sitrep: 'since' 2024-01-01 is after the day asked on 2023-01-01: give an earlier date"),
        (["ask", "India?", "-k", "0"], "sitrep ask: unrecognized arguments: -k 0 (see `sitrep ask --help`)"),
        (["ask", "India?", "--k", "0"], "sitrep ask: argument --k: expected a whole number from 1 up, not '0' "
                                        "(see `sitrep ask --help`)"),
    ],
)
def test_ask_user_errors(capsys, index: str, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv, "--index", index)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_since_keeps_older_articles_out_and_the_refusal_says_so(capsys, index: str) -> None:
    """The Pakistan article is dated 2020-12-11: --since a later day leaves it out, and the refusal
    names the window searched (the corpus may answer outside it); --since an earlier day cites it."""
    code, out, err = run(capsys, "ask", KNOWN, "--index", index, "--json", "--since", "2021-01-01", "--as-of", "2022-01-01")
    assert code == 0, err
    late = json.loads(out)
    assert late["abstained"] and "001_d3da3a035377400c.txt" not in [h["article_id"] for h in late["hits"]]
    assert "only articles from 2021-01-01 to 2022-01-01 were searched" in late["notes"]
    code, out, err = run(capsys, "ask", KNOWN, "--index", index, "--json", "--since", "30d", "--as-of", "2020-12-31")
    assert code == 0, err
    early = json.loads(out)
    assert not early["abstained"] and early["citations"][0]["article_id"] == "001_d3da3a035377400c.txt"
    assert not any("were searched" in n for n in early["notes"])


def test_a_question_dated_by_its_own_words_says_so_when_refused(capsys, index: str) -> None:
    code, out, err = run(capsys, "ask", "Shaheen air exercise Pakistan China in 2021", "--index", index, "--json",
                         "--as-of", "2022-01-01")
    assert code == 0, err
    assert 'the question says "in 2021": only articles from 2021-01-01 to 2021-12-31 were searched' in json.loads(out)["notes"]


def test_a_reader_that_leaves_the_pipe_gets_no_traceback(index: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sitrep ask ... | head -1`: the pipe's reader is gone before the answer is written."""
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w", buffering=1) as closed:
        monkeypatch.setattr(sys, "stdout", closed)
        assert main(["ask", KNOWN, "--index", index], make_encoder=lambda _s: FakeEncoder()) == 0


def test_a_brief_with_no_topic_is_the_front_page(capsys, index: str) -> None:
    """The latest days' dated stories, most outlets first; undated articles are never on it."""
    code, out, err = run(capsys, "brief", "--index", index)
    assert code == 0, err
    assert out.startswith("the latest news — 1 story, 2020-12-09 to 2020-12-11\n") and "001_d3da3a035377400c.txt" in out
    code, out, err = run(capsys, "brief", "--index", index, "--since", "2020-09-01", "--until", "2020-12-31", "--json")
    assert code == 0, err
    page = json.loads(out)
    assert page["topic"] == "the latest news" and (page["since"], page["until"]) == ("2020-09-01", "2020-12-31")
    assert [s["key"] for s in page["stories"]] == ["001_d3da3a035377400c.txt", "002_473cd780df3d0ee7.txt"]
    assert page["undated"] == []
    code, same, _ = run(capsys, "brief", "The  latest news", "--index", index, "--since", "2020-09-01", "--until",
                        "2020-12-31", "--json")
    assert json.loads(same)["stories"] == page["stories"]


def test_a_wide_front_page_reads_only_its_newest_articles(capsys, index: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Grouping compares every pair of articles: a year's window of a large corpus is cut to its newest."""
    from sitrep.answer import frontpage

    monkeypatch.setattr(frontpage, "MAX_ARTICLES", 1)
    code, out, err = run(capsys, "brief", "--index", index, "--since", "2020-09-01", "--until", "2020-12-31", "--json")
    assert code == 0, err
    assert [s["key"] for s in json.loads(out)["stories"]] == ["001_d3da3a035377400c.txt"]


def test_ask_without_index(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "ask", "India?", "--index", str(tmp_path / "none"))
    assert code == 2 and err == f"sitrep: no index at {tmp_path / 'none'}: run `sitrep index build` first\n"


def test_long_question_is_truncated_and_said(capsys, index: str) -> None:
    code, out, _ = run(capsys, "ask", "India " * 1000, "--index", index, "--json")
    assert code == 0 and "truncated" in json.loads(out)["notes"][0]


def test_eval_dataset_errors(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "eval", "--dataset", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in err
    (tmp_path / "ds").mkdir()
    code, _, err = run(capsys, "eval", "--dataset", str(tmp_path / "ds"))
    assert code == 2 and "has no corpus.jsonl" in err
    (tmp_path / "ds" / "corpus.jsonl").write_text(json.dumps({"id": "a", "body": "Text."}) + "\n")
    code, _, err = run(capsys, "eval", "--dataset", str(tmp_path / "ds"))
    assert code == 2 and "has no queries.jsonl" in err


def test_eval_small_dataset_twice(capsys, tmp_path: Path, monkeypatch) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    arts = [
        {"id": "a1", "title": "Floods in Assam", "published_at": "2022-06-10", "body": "Heavy floods displaced thousands in Assam this week. Rescue teams arrived by boat."},
        {"id": "a2", "title": "Chess final", "published_at": "2022-06-11", "body": "The chess world final ended in a draw after six hours. Both players shook hands."},
        {"id": "a3", "title": "Old floods", "published_at": "2019-01-01", "body": "Floods in Assam displaced thousands. Boats carried rescue teams."},
    ]
    (ds / "corpus.jsonl").write_text("".join(json.dumps(a) + "\n" for a in arts))
    (ds / "queries.jsonl").write_text(
        json.dumps({"id": "q1", "question": "Where did floods displace thousands this week?", "gold_article_ids": ["a1"], "question_date": "2022-06-16"}) + "\n"
        + json.dumps({"id": "q2", "question": "How did the chess final end?", "gold_article_ids": ["a2"], "question_date": "2022-06-16"}) + "\n"
    )
    monkeypatch.setenv("SITREP_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(capsys, "eval", "--dataset", str(ds), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report["modes"]) == {"bm25", "dense", "hybrid"}
    assert set(report["modes"]["hybrid"]) >= {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "p50_ms", "p95_ms"}
    assert report["modes"]["bm25"]["recall@1"] == 1.0  # the 2019 article is not "this week"
    assert set(report["abstention"]) == {"null_abstained", "answerable_abstained"} and report["queries"] == 2
    update_again = main(["index", "update", "--corpus", str(tmp_path / "cache" / "ds" / "corpus"),
                         "--index", str(tmp_path / "cache" / "ds" / "index"), "--json"], make_encoder=lambda _s: FakeEncoder())
    assert update_again == 0 and json.loads(capsys.readouterr().out)["passages_embedded"] == 0


def seed_repl(seed_corpus: Path, tmp_path: Path) -> tuple[Repl, io.StringIO]:
    """A REPL on the bundled corpus (fake vectors), writing to the returned buffer."""
    enc = FakeEncoder()
    update(seed_corpus, tmp_path / "idx", enc)
    out = io.StringIO()
    return Repl(Engine.open(tmp_path / "idx", enc), out=out), out


def test_repl_driven_through_input(seed_corpus: Path, tmp_path: Path) -> None:
    repl, out = seed_repl(seed_corpus, tmp_path)
    lines = iter([":help", ":mode bm25", ":k 3", ":as-of 2020-12-31", ":source off", ":explain",
                  "Shaheen air exercise", ":explain", ":mode warp", ":as-of later", ":k 0", ":bogus", "   ",
                  ":since soon", ":since 2021-02-01", ":since 2020-12-12", ":new", "Shaheen air exercise", ":since off",
                  ":help"])

    def read(prompt: str) -> str:
        try:
            line = next(lines)
        except StopIteration:
            raise EOFError from None
        if line == "   ":
            raise KeyboardInterrupt  # Ctrl-C cancels the line, the loop goes on
        return line

    repl.run(read)
    text = out.getvalue()
    assert ":mode bm25|dense|hybrid" in text
    assert "mode: bm25" in text and "k: 3" in text and "as of: 2020-12-31" in text and "source: all" in text
    assert "ask a question first" in text
    assert "#1 " in text and "001_d3da3a035377400c.txt#" in text  # :explain shows ranks per hit
    assert "error: unknown mode 'warp'" in text and "error: bad date 'later'" in text
    assert "error: k must be a whole number" in text and "error: unknown command :bogus" in text
    assert "error: bad 'since' 'soon'" in text and "error: 'since' 2021-02-01 is after the day asked on 2020-12-31" in text
    assert "since: 2020-12-12" in text and "note: only articles from 2020-12-12 to 2020-12-31 were searched" in text
    assert "since: off" in text and "(now: off)" in text.rsplit(":since SPAN|off", 1)[1]


def test_repl_takes_a_bare_help_as_its_help(seed_corpus: Path, tmp_path: Path) -> None:
    repl, out = seed_repl(seed_corpus, tmp_path)
    assert repl.handle("Help?") is True
    assert ":mode bm25|dense|hybrid" in out.getvalue() and repl.last_answer is None  # nothing was searched
    assert repl.handle("What's new?") is True and "the latest news — 1 story" in out.getvalue()  # the front page
    assert repl.last_answer is None
    assert repl.handle("What's the latest on China and Pakistan?") is True  # that topic's brief, as :brief gives it
    assert "China and Pakistan — " in out.getvalue() and repl.last_answer is None
    mark = len(out.getvalue())
    assert repl.handle("any news on Pakistan since yesterday?") is True  # a span in words is no :brief option
    assert out.getvalue()[mark:].startswith("Pakistan — ") and "error:" not in out.getvalue()


def test_repl_quit(seed_corpus: Path, tmp_path: Path) -> None:
    repl, _ = seed_repl(seed_corpus, tmp_path)
    assert repl.handle(":quit") is False and repl.handle("") is True
    assert repl.handle("/quit") is False and repl.handle("/Exit") is False  # as Discord's slash commands


def test_repl_takes_discords_slash_commands_as_its_own(seed_corpus: Path, tmp_path: Path) -> None:
    """"/brief India" is :brief India and "/ask …" a question (before: both were asked as questions, slash and all)."""
    repl, out = seed_repl(seed_corpus, tmp_path)
    assert repl.handle("/brief China and Pakistan") is True
    assert out.getvalue().startswith("China and Pakistan — ") and repl.last_answer is None
    assert repl.handle("/ask Shaheen air exercise") is True
    assert repl.last_answer is not None and repl.last_answer.question == "Shaheen air exercise"
    mark = len(out.getvalue())
    assert repl.handle("/ask") is True and out.getvalue()[mark:].startswith("error: ask what?")
    mark = len(out.getvalue())
    assert repl.handle("/mode bm25") is True and out.getvalue()[mark:] == "mode: bm25\n"


def test_eval_reads_the_bots_feedback_as_extra_questions(capsys, index: str, tmp_path: Path) -> None:
    from sitrep.chat.policy import FeedbackLog

    log = FeedbackLog(tmp_path / "feedback.jsonl")
    china = "000_08773b1c9158e159.txt"
    log.record("What did China propose to India?", [china], "up", 42)
    log.record("When was the MoU signed?", ["003_66a95eaf13f0a52c.txt"], "up", 42)
    log.record("When was the MoU signed?", ["003_66a95eaf13f0a52c.txt"], "down", 43)  # the latest vote counts
    code, out, err = run(capsys, "eval", "--feedback", str(log.path), "--index", index, "--mode", "bm25", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["queries"] == 1 and report["feedback"]["up_votes"] == 1 and report["feedback"]["down_votes"] == 1
    assert report["modes"]["bm25"]["recall@10"] == 1.0  # the up-voted article is found again
    assert report["feedback"]["down_still_first"] == 0.0  # 003 was voted down; 001 is cited first now
    log.record("When was the MoU signed?", ["001_d3da3a035377400c.txt"], "down", 44)  # the article still first
    code, out, err = run(capsys, "eval", "--feedback", str(log.path), "--index", index, "--mode", "bm25", "--json")
    assert code == 0, err
    assert json.loads(out)["feedback"]["down_still_first"] == 1.0


def test_eval_feedback_errors(capsys, index: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, "eval")
    assert code == 2 and "nothing to evaluate" in err
    code, _, err = run(capsys, "eval", "--feedback", str(tmp_path / "none.jsonl"), "--index", index)
    assert code == 2 and "does not exist" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "vote": "sideways", "answer_ids": ["a"]}\n')
    code, _, err = run(capsys, "eval", "--feedback", str(bad), "--index", index)
    assert code == 2 and "line 1" in err and err.count("\n") == 1


def test_eval_conversations_small_dataset_and_bad_files(capsys, tmp_path: Path, monkeypatch) -> None:
    """`sitrep eval --conversations`: a follow-up asked alone, with the conversation and as its rewrite;
    bad conversation files are one line, refused before any index work."""
    ds = tmp_path / "ds"
    ds.mkdir()
    arts = [
        {"id": "a1", "title": "Floods in Assam", "published_at": "2022-06-10",
         "body": "Heavy floods displaced thousands in Assam this week. Rescue teams arrived by boat from Guwahati."},
        {"id": "a2", "title": "Chess final", "published_at": "2022-06-11",
         "body": "The chess world final ended in a draw after six hours. Both players shook hands."},
    ]
    (ds / "corpus.jsonl").write_text("".join(json.dumps(a) + "\n" for a in arts))
    (ds / "queries.jsonl").write_text(json.dumps({"id": "q1", "question": "Where did floods displace thousands this week?",
                                                  "gold_article_ids": ["a1"], "question_date": "2022-06-16"}) + "\n")
    convs = tmp_path / "convs.jsonl"
    convs.write_text(json.dumps({"id": "c1", "kind": "followup", "turns": [
        {"ref": "q1"}, {"q": "Where did the rescue teams come from?", "gold": ["a1"],
                        "rewrite": "Where did the Assam flood rescue teams come from?"}]}) + "\n"
        + json.dumps({"id": "c2", "kind": "switch", "turns": [
            {"ref": "q1"}, {"q": "How did the chess final end?", "gold": ["a2"], "as_of": "2022-06-16"}]}) + "\n")
    monkeypatch.setenv("SITREP_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(capsys, "eval", "--dataset", str(ds), "--conversations", str(convs), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["conversations"] == 2 and report["followup"]["turns"] == 1 and report["switch"]["turns"] == 1
    assert set(report["followup"]) >= {"alone", "with_conversation", "rewrite", "share_of_ceiling", "p50_ms"}
    assert report["switch"]["with_conversation"]["recall@10"] == 1.0 and "recall@10_lost" in report["switch"]
    for bad, told in (('{"id": "x", "kind": "followup", "turns": [{"ref": "nope"}, {"q": "x", "gold": []}]}',
                       "unknown dataset question"), ("not json", "not a conversation record"),
                      ('{"id": "x", "kind": "chat", "turns": [{"ref": "q1"}, {"q": "x", "gold": []}]}', "kind must be")):
        (tmp_path / "bad.jsonl").write_text(bad + "\n")
        code, _, err = run(capsys, "eval", "--dataset", str(ds), "--conversations", str(tmp_path / "bad.jsonl"))
        assert code == 2 and told in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "eval", "--conversations", str(convs))
    assert code == 2 and "--conversations needs --dataset" in err


def test_words_need_no_quotes_and_a_topic_leaves_out_its_dash_words(capsys, index: str) -> None:
    """`sitrep ask What is BECA?` and `sitrep brief India China -Pakistan` as typed in a shell: the words are
    joined, and "-Pakistan" is a word to leave out, not an unknown option."""
    quoted = run(capsys, "ask", "What is BECA?", "--index", index, "--json")
    assert run(capsys, "ask", "What", "is", "BECA?", "--index", index, "--json") == quoted
    code, out, err = run(capsys, "brief", "India", "China", "-Pakistan", "--index", index, "--json")
    assert code == 0, err
    brief = json.loads(out)
    assert brief["topic"] == "India China -Pakistan"
    assert brief == json.loads(run(capsys, "brief", "India China -Pakistan", "--index", index, "--json")[1])
    assert json.loads(run(capsys, "brief", "-Pakistan", "India", "China", "--index", index, "--json")[1])["stories"] == brief["stories"]
    code, _, err = run(capsys, "brief", "-Pakistan", "--index", index)
    assert code == 2 and err.startswith("sitrep: the topic is only words to leave out") and err.count("\n") == 1
    code, _, err = run(capsys, "brief", "India", "--bogus", "--index", index)  # an option's two dashes stay an option
    assert code == 2 and "unrecognized arguments: --bogus" in err
    assert run(capsys, "brief", "-h")[0] == 0  # help stays help


def test_words_left_out_only_in_a_topic() -> None:
    from sitrep.cli.parser import words_left_out

    assert words_left_out(["brief", "India", "-Pakistan", "--since", "1y"]) == ["brief", "India", " -Pakistan", "--since", "1y"]
    assert words_left_out(["follow", "add", "--channel", "5", "Musk", "-Twitter"])[-1] == " -Twitter"
    assert words_left_out(["ask", "-Pakistan"]) == ["ask", "-Pakistan"]  # a question has no words to leave out
    assert words_left_out(["brief", "--", "-Pakistan"]) == ["brief", "--", "-Pakistan"]
    assert words_left_out(["brief", "India", "--source", "-cnn"])[-1] == "-cnn"  # an option's value, as argparse reads it


def test_a_brief_after_the_archive_ends_says_where_its_news_ends(capsys, index: str) -> None:
    """The five seeds end on 2020-12-11: a window of the last 30 days holds none of their dated stories."""
    code, out, err = run(capsys, "brief", "Ladakh", "--since", "30d", "--index", index)
    assert code == 0, err
    assert out.startswith("note: the index's newest article is from 2020-12-11, before this window: widen it to reach that far\n")
    code, out, _ = run(capsys, "brief", "Ladakh", "--since", "2020-01-01", "--index", index)
    assert code == 0 and "newest article" not in out


def test_the_sources_list_an_article_once_with_each_of_its_quotes() -> None:
    """Two sentences of one article are both [1]; the source is listed once, with a snippet for each quote unless
    the snippet of the one before already shows it."""
    passage = "China proposed hotlines. " + "Filler words go here. " * 30 + "Beijing suggested visits."
    first = Citation(1, "a.txt", "a.txt#0", "Talks", "ThePrint", "2020-12-11", "corpus/a.txt", passage,
                     "China proposed hotlines.", 0)
    second = Citation(1, "a.txt", "a.txt#0", "Talks", "ThePrint", "2020-12-11", "corpus/a.txt", passage,
                      "Beijing suggested visits.", passage.index("Beijing"))
    close = Citation(1, "a.txt", "a.txt#0", "Talks", "ThePrint", "2020-12-11", "corpus/a.txt", passage,
                     "Filler words go here.", len("China proposed hotlines. "))
    a = Answer("What happened?", (("China proposed hotlines.", 1), ("Filler words go here.", 1),
                                  ("Beijing suggested visits.", 1)), (first, close, second), (), False, 0.9)
    lines = as_text(a).splitlines()
    assert lines[0].endswith("China proposed hotlines. [1] Filler words go here. [1] Beijing suggested visits. [1]")
    assert [x for x in lines if x.startswith("[")] == ["[1] Talks — ThePrint, 2020-12-11"]  # one source
    snippets = [x for x in lines if x.startswith("    ") and not x.startswith("    corpus")]
    assert sum("China proposed" in x for x in snippets) == 1 and sum("Beijing suggested" in x for x in snippets) == 1
    assert answer_parts_ok(a)


def answer_parts_ok(a: Answer) -> bool:
    """Each sentence finds its own citation (its quote under its number), not another of the same article's."""
    return all((c := a.citation(i)) is not None and c.quote == s for i, (s, _) in enumerate(a.sentences))
