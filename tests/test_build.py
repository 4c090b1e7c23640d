"""Build, update = rebuild, atomic saves, and every way an index can be refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sitrep.corpus.errors import CorpusError
from sitrep.index import lexicon, readings
from sitrep.index.backends.local import store
from sitrep.index.build import update
from sitrep.index.chunking import ChunkSettings
from sitrep.index.errors import IndexBusy, IndexCorrupt, IndexMismatch, IndexNotBuilt, IndexNotWritable
from sitrep.index.manifest import ModelInfo
from sitrep.index.readings import sentence_spans
from tests.conftest import ROOT, FakeEncoder

QUERIES = ["China defence cooperation proposal", "BECA satellite data", "Shaheen air exercise", "Russia arms Pakistan"]


def bm25_top(data: store.IndexData, query: str, k: int = 10) -> list[str]:
    tokens = lexicon.tokenize([query], lexicon.BM25Settings())[0]
    scores = data.bm25.get_scores(tokens)
    order = np.argsort(-scores, kind="stable")[:k]
    return [f"{data.passage_id(int(i))}:{scores[i]:.5f}" for i in order if scores[i] > 0]


def snapshot(data: store.IndexData) -> tuple:
    rows = [(data.passage_id(i), data.passage_text(i)) for i in range(data.passage_count)]
    assert data.readings is not None
    readings = [data.readings.get(i) for i in range(data.passage_count)]
    return rows, np.asarray(data.vectors).round(6).tolist(), [bm25_top(data, q) for q in QUERIES], readings


def test_build_then_load(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    report = update(seed_corpus, tmp_path / "idx", fake_encoder)
    assert (report.added, report.articles, report.full) == (5, 5, True)
    assert report.passages == report.passages_embedded > 20
    data = store.load(tmp_path / "idx")
    assert data.passage_count == report.passages
    m = data.manifest
    assert m.model == ModelInfo("fake-encoder", "fake-1", 64)
    assert m.newest_article_date == "2020-12-11"  # 003's masthead date is when it was seen, not published
    assert set(m.articles) == {p.name for p in seed_corpus.iterdir()}
    assert m.chunking.max_tokens == 200 and m.built_at and m.backend == "local"
    assert {"faiss-cpu", "bm25s"} <= set(m.versions)
    assert m.outlets == sorted({s for s in data.articles.source if s})
    assert (tmp_path / "idx").is_symlink()


def test_update_equals_rebuild_after_add_change_delete(seed_corpus: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    enc = FakeEncoder()
    update(seed_corpus, tmp_path / "inc", enc)
    first = enc.encoded
    cut: list[str] = []  # the passages cut into sentences (read) at each commit
    monkeypatch.setattr(readings, "sentence_spans", lambda text: cut.append(text) or sentence_spans(text))
    (seed_corpus / "new.txt").write_text("Floods in Assam\n\nHeavy floods displaced thousands in Assam on Monday. Rescue teams arrived.\n")
    changed = seed_corpus / "002_473cd780df3d0ee7.txt"
    changed.write_text(changed.read_text() + "\nA final added paragraph says talks will resume next week.\n")
    (seed_corpus / "000_08773b1c9158e159.txt").unlink()
    report = update(seed_corpus, tmp_path / "inc", enc)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 3)
    # Only the new article and the changed article's last passage(s) are embedded again.
    assert 1 <= report.passages_embedded <= 3
    assert enc.encoded - first == report.passages_embedded
    # ... and only the new and changed articles' passages are read: the others' readings are the old version's
    data = store.load(tmp_path / "inc")
    new_rows = [i for i in range(data.passage_count) if data.passage_id(i).split("#")[0] in ("new.txt", changed.name)]
    assert sorted(cut) == sorted(data.passage_text(i) for i in new_rows)

    update(seed_corpus, tmp_path / "full", FakeEncoder(), full=True)
    assert snapshot(store.load(tmp_path / "inc")) == snapshot(store.load(tmp_path / "full"))


def test_noop_update_embeds_and_writes_nothing(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    update(seed_corpus, tmp_path / "idx", fake_encoder)
    before = os.readlink(tmp_path / "idx")
    report = update(seed_corpus, tmp_path / "idx", fake_encoder)
    assert (report.unchanged, report.passages_embedded, report.full) == (5, 0, False)
    assert os.readlink(tmp_path / "idx") == before


def test_old_versions_are_pruned(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    for _ in range(4):
        update(seed_corpus, tmp_path / "idx", fake_encoder, full=True)
    versions = [p for p in tmp_path.glob(".idx.*") if p.is_dir()]
    assert len(versions) == 2  # the current one and the one before it


def test_other_model_or_chunking_is_refused(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    update(seed_corpus, tmp_path / "idx", fake_encoder)
    other = FakeEncoder()
    other.fingerprint = "other-weights"  # type: ignore[misc]
    with pytest.raises(IndexMismatch, match="run `sitrep index build`"):
        update(seed_corpus, tmp_path / "idx", other)
    with pytest.raises(IndexMismatch, match="chunking"):
        update(seed_corpus, tmp_path / "idx", fake_encoder, ChunkSettings(max_tokens=150))
    update(seed_corpus, tmp_path / "idx", other, full=True)  # build is the way out


def test_corpus_errors(tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        update(tmp_path / "nope", tmp_path / "idx", fake_encoder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no readable articles"):
        update(tmp_path / "empty", tmp_path / "idx", fake_encoder)
    assert not (tmp_path / "idx").exists()


def test_unwritable_index_folder(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(IndexNotWritable, match="SITREP_INDEX_DIR"):
        update(seed_corpus, tmp_path / "afile" / "idx", fake_encoder)


@pytest.mark.parametrize("damage", ["truncate", "delete", "garble-manifest", "garble-readings"])
def test_damaged_index_is_reported(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder, damage: str) -> None:
    update(seed_corpus, tmp_path / "idx", fake_encoder)
    real = (tmp_path / "idx").resolve()
    if damage == "truncate":
        with (real / "vectors.npy").open("r+b") as fh:
            fh.truncate(100)
    elif damage == "delete":
        (real / "dense.faiss").unlink()
    elif damage == "garble-readings":  # the same size, so only reading it can tell
        f = real / "readings" / "words.npy"
        f.write_bytes(bytes(f.stat().st_size))
    else:
        (real / "manifest.json").write_text("{")
    with pytest.raises(IndexCorrupt, match="rebuild it with `sitrep index build`"):
        store.load(tmp_path / "idx")
    update(seed_corpus, tmp_path / "idx", fake_encoder, full=True)
    assert store.load(tmp_path / "idx").passage_count > 0


def test_an_article_column_left_short_is_reported_at_load(seed_corpus: Path, tmp_path: Path,
                                                          fake_encoder: FakeEncoder) -> None:
    update(seed_corpus, tmp_path / "idx", fake_encoder)
    data = store.load(tmp_path / "idx")
    data.articles.seen = []  # as a writer that did not know the column wrote it
    store.save(tmp_path / "idx", data)
    with pytest.raises(IndexCorrupt, match="seen not one per article.*rebuild it with `sitrep index build`"):
        store.load(tmp_path / "idx")


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuilt, match="run `sitrep index build`"):
        store.load(tmp_path / "idx")


def test_second_writer_is_refused(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    with store.writer_lock(tmp_path / "idx"), pytest.raises(IndexBusy, match="wait for it to finish"):
        update(seed_corpus, tmp_path / "idx", fake_encoder)


KILLER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.conftest import FakeEncoder
from sitrep.index.backends.local import store
from sitrep.index.build import update
corpus, idx, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def stop_here(reached):
    if reached == point:
        print("at", reached, flush=True)
        time.sleep(3600)  # the test kills us here

store.checkpoint = stop_here
update(corpus, idx, FakeEncoder(), full=True)
print("finished without reaching", point, flush=True)
"""


@pytest.mark.parametrize("point", ["vectors", "written", "swap"])
def test_kill_during_save_leaves_a_loadable_index(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder,
                                                   point: str) -> None:
    """A writer SIGKILLed at each point of save() (mid-write, written but not renamed, renamed but
    not swapped in): readers still load the previous version whole, and the next writer cleans up."""
    idx = tmp_path / "idx"
    update(seed_corpus, idx, fake_encoder)
    before = store.load(idx)
    (seed_corpus / "feed.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "body": f"Report {i} on trade talks. " * 40}) + "\n"
                                                  for i in range(150)))
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), str(seed_corpus), str(idx), point], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().decode().strip() == f"at {point}"  # blocks until the writer is there
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    data = store.load(idx)  # the old version, whole: never a mix, never missing
    assert data.path == before.path and data.passage_count == before.passage_count == data.manifest.passage_count
    assert [p for p in tmp_path.glob(".idx.*") if p.resolve() != data.path]  # the dead writer's half-made version
    report = update(seed_corpus, idx, fake_encoder)  # the next writer finishes the job and cleans up
    assert report.added == 150 and store.load(idx).passage_count > before.passage_count + 150
    assert not list(tmp_path.glob(".idx.*.tmp")) and not list(tmp_path.glob(".idx.link-*"))


def test_a_newer_parser_reparses_but_reembeds_only_changed_text(seed_corpus: Path, tmp_path: Path, fake_encoder: FakeEncoder,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import sitrep.index.build as build
    import sitrep.index.manifest as manifest

    (seed_corpus / "dateline.jsonl").write_text(json.dumps(
        {"id": "d1", "title": None, "url": "https://cnn.com/2022/07/20/business/baby-formula-farmworkers/index.html",
         "body": "New York CNN Business —\n\nFor one group of workers the formula shortage hit hard. They waited."}) + "\n")
    real_parse = build.parse

    def old_parse(raw):  # type: ignore[no-untyped-def]  # parser 1 took the dateline for the title
        article = real_parse(raw)
        return dataclasses.replace(article, title="New York CNN Business —") if raw.id == "d1" else article

    monkeypatch.setattr(manifest, "PARSER_VERSION", 1)
    monkeypatch.setattr(build, "parse", old_parse)
    update(seed_corpus, tmp_path / "idx", fake_encoder)
    monkeypatch.setattr(manifest, "PARSER_VERSION", 2)
    monkeypatch.setattr(build, "parse", real_parse)
    before = fake_encoder.encoded
    report = update(seed_corpus, tmp_path / "idx", fake_encoder)
    assert (report.reparsed, report.unchanged, report.changed, report.added) == (6, 6, 0, 0)
    assert report.passages_embedded == fake_encoder.encoded - before == 1  # only d1's one passage: its title changed
    data = store.load(tmp_path / "idx")
    assert data.manifest.parser_version == 2
    assert data.articles.title[data.articles.id.index("d1")] == "Baby formula farmworkers"
    assert update(seed_corpus, tmp_path / "idx", fake_encoder).reparsed == 0  # once is enough


DISK_FULL = """
import resource, signal, sys
sys.path.insert(0, {root!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
from sitrep.cli.main import main
from tests.conftest import FakeEncoder
sys.exit(main(sys.argv[1:], make_encoder=lambda s: FakeEncoder()))
"""


def test_a_full_disk_during_an_update_is_one_line_and_loses_nothing(seed_corpus: Path, tmp_path: Path,
                                                                      fake_encoder: FakeEncoder) -> None:
    """The writer cannot write its new version (a file-size limit stands in for a full disk): one line,
    exit 2, the old version still answers, and no part of the new one is left behind."""
    idx = tmp_path / "idx"
    update(seed_corpus, idx, fake_encoder)
    before = store.load(idx)
    (seed_corpus / "feed.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "body": f"Report {i} on trade talks. " * 40}) + "\n"
                                                  for i in range(300)))
    script = tmp_path / "full.py"
    script.write_text(DISK_FULL.format(root=str(ROOT)))
    done = subprocess.run([sys.executable, str(script), "index", "update", "--corpus", str(seed_corpus), "--index", str(idx)],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "SITREP_EMBED_CACHE_DIR": str(tmp_path / "emb")})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"sitrep: cannot write the index at {idx} (File too large): "
                                                 "free space or fix permissions"]
    after = store.load(idx)
    assert after.path == before.path and after.passage_count == before.passage_count  # the old version, whole
    assert not list(tmp_path.glob(".idx.*.tmp")) and [p.name for p in tmp_path.glob(".idx.*") if p.is_dir()] == [before.path.name]
    assert not list((tmp_path / "emb").glob("**/*.tmp"))  # nor a half-written cache file
