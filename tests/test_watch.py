"""`sitrep index watch`: a change in the corpus folder, then quiet, then one update."""

from __future__ import annotations

from pathlib import Path

from sitrep.app.watch import snapshot, watch
from sitrep.index.build import update
from tests.conftest import FakeEncoder


def test_a_batch_of_changes_makes_one_update_after_the_quiet_period(seed_corpus: Path, tmp_path: Path) -> None:
    enc = FakeEncoder()
    update(seed_corpus, tmp_path / "idx", enc)
    now = [0.0]
    steps = iter(range(100))
    results: list[object] = []

    def sleep(seconds: float) -> None:  # each poll: time passes; the "user" copies files in at polls 2 and 3
        now[0] += seconds
        i = next(steps)
        if i == 2:
            (seed_corpus / "a.txt").write_text("Floods in Assam\n\nHeavy floods displaced thousands in Assam on Monday.\n")
        if i == 3:
            (seed_corpus / "b.md").write_text("Markets steady\n\nAsian markets held steady on Thursday after rates were kept.\n")

    watch(seed_corpus, lambda: update(seed_corpus, tmp_path / "idx", enc), results.append, interval=1.0, debounce=3.0,
          sleep=sleep, clock=lambda: now[0], should_stop=lambda: now[0] >= 12)
    assert len(results) == 1  # both files, one update, after 3 s without changes
    report = results[0]
    assert (report.added, report.changed, report.unchanged) == (2, 0, 5)  # type: ignore[attr-defined]


def test_a_failed_update_is_reported_and_watching_goes_on(seed_corpus: Path) -> None:
    now = [0.0]
    calls = [0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] in (1.0, 6.0):
            (seed_corpus / f"n{int(now[0])}.txt").write_text("A new story\n\nSomething happened in the city today, officials said.\n")

    def failing() -> None:
        calls[0] += 1
        raise OSError("disk full")

    results: list[object] = []
    watch(seed_corpus, failing, results.append, interval=1.0, debounce=2.0, sleep=sleep, clock=lambda: now[0],
          should_stop=lambda: now[0] >= 12)
    assert calls[0] == 2 and all(isinstance(r, OSError) for r in results)


def test_snapshot_sees_only_what_update_reads(seed_corpus: Path) -> None:
    (seed_corpus / "notes.docx").write_bytes(b"x")
    (seed_corpus / ".hidden").mkdir()
    (seed_corpus / ".hidden" / "x.txt").write_text("x")
    (seed_corpus / "page.html").write_text("<p>x</p>")
    names = set(snapshot(seed_corpus))
    assert "page.html" in names and "notes.docx" not in names and ".hidden/x.txt" not in names and len(names) == 6


def test_cli_watch_needs_a_corpus_folder(capsys, tmp_path: Path) -> None:
    from sitrep.cli.main import main

    code = main(["index", "watch", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "idx")],
                make_encoder=lambda _s: FakeEncoder())
    err = capsys.readouterr().err
    assert code == 2 and err == f"sitrep: corpus folder {tmp_path / 'none'} does not exist: create it or pass --corpus\n"
