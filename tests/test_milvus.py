"""What only the Milvus backend has to prove: incremental updates equal a rebuild, a crash mid-update
is repaired by the next update, refusals are one line, and a real server on 127.0.0.1 works the same
as the in-process milvus-lite file. Real milvus-lite throughout, no mock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sitrep.answer.engine import Engine
from sitrep.cli.main import main
from sitrep.index.backends import BackendConfig
from sitrep.index.backends.base import Filter
from sitrep.index.backends.milvus import MilvusWriter
from sitrep.index.backends.milvus.common import _Client, filter_expr
from sitrep.index.build import update
from sitrep.index.errors import IndexBusy, IndexMismatch, IndexNotBuilt, IndexUnavailable
from sitrep.retrieval.types import Query
from tests.conftest import SEEDS, FakeEncoder, target

QUESTIONS = ["China defence cooperation proposal", "BECA satellite data", "Shaheen air exercise", "Russia arms Pakistan",
             "Floods in Assam"]


def snapshot(config: BackendConfig) -> tuple:
    """What a reader can see: counts, each question's hits, term statistics, article records.

    BM25 is compared as the set of passages that match: milvus-lite scores BM25 with each segment's own
    statistics (a TODO in its engine), so scores depend on how updates fell into segments; a Milvus
    server keeps collection-wide statistics. Vector hits are compared in order; their fused scores can
    differ in the last digits, since the article boost counts passages deep in the HNSW list, where an
    index with deletions may return its far neighbours in another order."""
    engine = Engine.open(config, FakeEncoder())
    b = engine.backend
    hits = [sorted(h.passage_id for h in engine.search(Query(q, mode="bm25", k=100)).hits) for q in QUESTIONS]
    hits += [[h.passage_id for h in engine.search(Query(q, mode="dense", k=8)).hits] for q in QUESTIONS]
    terms = b.term_stats(["china", "india", "assam", "flood", "pakistan", "resum"])
    stats = b.stats()
    arts = sorted((a.id, a.title, a.date, a.hash) for a in b.articles([h.article_id for h in
                                                                       engine.search(Query("India China", k=50)).hits]).values())
    b.close()
    return stats.articles, stats.passages, stats.manifest.newest_article_date, hits, terms, arts


def edit(corpus: Path) -> None:
    (corpus / "new.txt").write_text("Floods in Assam\n\nHeavy floods displaced thousands in Assam on Monday. Rescue teams arrived.\n")
    changed = corpus / "002_473cd780df3d0ee7.txt"
    changed.write_text(changed.read_text() + "\nA final added paragraph says talks will resume next week.\n")
    (corpus / "000_08773b1c9158e159.txt").unlink()


def test_update_equals_rebuild_after_add_change_delete(seed_corpus: Path, tmp_path: Path) -> None:
    enc = FakeEncoder()
    inc = target("milvus", tmp_path / "inc")
    update(seed_corpus, inc, enc)
    first = enc.encoded
    edit(seed_corpus)
    report = update(seed_corpus, inc, enc)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 3)
    assert 1 <= report.passages_embedded <= 3 and enc.encoded - first == report.passages_embedded
    assert update(seed_corpus, inc, enc).passages_embedded == 0  # and then nothing
    full = target("milvus", tmp_path / "full")
    update(seed_corpus, full, FakeEncoder(), full=True)
    assert snapshot(inc) == snapshot(full)


def test_a_crash_mid_update_is_repaired_by_the_next_update(seed_corpus: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = target("milvus", tmp_path / "m")
    update(seed_corpus, config, FakeEncoder())
    edit(seed_corpus)
    real_upsert = MilvusWriter.upsert

    def die_after_the_passages(self: MilvusWriter, articles, passages, vectors) -> None:  # type: ignore[no-untyped-def]
        """Passages written, article records not: what a kill between the two leaves behind."""
        original = self._conn.client.upsert

        def refuse(collection: str, rows, **kw):  # type: ignore[no-untyped-def]
            if collection.endswith("_articles"):
                raise KeyboardInterrupt  # the process dies here
            return original(collection, rows, **kw)

        self._conn.client.upsert = refuse  # type: ignore[method-assign]
        real_upsert(self, articles, passages, vectors)

    monkeypatch.setattr(MilvusWriter, "upsert", die_after_the_passages)
    with pytest.raises(KeyboardInterrupt):
        update(seed_corpus, config, FakeEncoder())
    monkeypatch.undo()
    report = update(seed_corpus, config, FakeEncoder())  # the repair: the same command again
    assert report.changed + report.added >= 2
    full = target("milvus", tmp_path / "full")
    update(seed_corpus, full, FakeEncoder(), full=True)
    assert snapshot(config) == snapshot(full)


def _killed_making_collections_then_repaired(seed_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             dies: str, left: bool) -> None:
    """A first build killed as it makes the collection whose name ends with `dies` (`left`: after milvus-lite made its
    folder, before its catalog knew it); the next update, the same command, must equal a clean build."""
    import sitrep.index.backends.milvus.writer as milvus

    config = target("milvus", tmp_path / "m")
    real = milvus.create_collection

    def die(client, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.endswith(dies):
            if left:
                (Path(config.uri) / "collections" / name).mkdir(parents=True)  # what the kill left
            raise KeyboardInterrupt
        return real(client, name, *args, **kwargs)

    monkeypatch.setattr(milvus, "create_collection", die)
    with pytest.raises(KeyboardInterrupt):
        update(seed_corpus, config, FakeEncoder())
    monkeypatch.undo()
    update(seed_corpus, config, FakeEncoder())  # the repair: the same command again
    full = target("milvus", tmp_path / "full")
    update(seed_corpus, full, FakeEncoder(), full=True)
    assert snapshot(config) == snapshot(full)


def test_a_first_build_killed_while_creating_its_collections_is_repaired(seed_corpus: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after the passage collection was made and before the others (a random kill in
    tests/test_faults.py once landed there): the next update starts the build again."""
    _killed_making_collections_then_repaired(seed_corpus, tmp_path, monkeypatch, "_articles", left=False)


def test_a_build_killed_inside_milvus_lite_making_a_collection_is_repaired(seed_corpus: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed inside milvus-lite's create_collection, after it made the collection's folder and before its catalog
    knew it: the next create said "[Errno 17] File exists" and the repair failed (a random kill in
    tests/test_faults.py landed there once). The folder no collection owns is made afresh."""
    _killed_making_collections_then_repaired(seed_corpus, tmp_path, monkeypatch, "_passages", left=True)


def test_refusals(seed_corpus: Path, tmp_path: Path) -> None:
    config = target("milvus", tmp_path)
    with pytest.raises(IndexNotBuilt, match="run `sitrep index update --backend milvus`"):
        config.open()
    update(seed_corpus, config, FakeEncoder())

    class OtherModel(FakeEncoder):
        fingerprint = "another-model"

    with pytest.raises(IndexMismatch, match="another model setting.*sitrep index build"):
        Engine.open(config, OtherModel())
    with pytest.raises(IndexMismatch, match="another model setting"):
        update(seed_corpus, config, OtherModel())
    writer = config.writer()
    try:
        with pytest.raises(IndexBusy, match="wait for it to finish"):
            update(seed_corpus, config, FakeEncoder())  # one writer at a time, as locally
    finally:
        writer.close()
    assert update(seed_corpus, config, FakeEncoder()).passages_embedded == 0  # the lock went with the writer
    with pytest.raises(IndexUnavailable, match="cannot reach Milvus at http://127.0.0.1:1 .*SITREP_MILVUS_URI"):
        BackendConfig(kind="milvus", uri="http://127.0.0.1:1").open()


class _FakeMilvusClient:
    """As pymilvus' MilvusClient behaves with the server away: a call finds the connection refused; once
    closed, a call says only "should create connection first"."""

    def __init__(self, server: dict[str, bool]) -> None:
        if not server["up"]:
            raise ConnectionError("Fail connecting to server on 127.0.0.1:19530, server unavailable")
        self.server, self.closed = server, False

    def query(self, name: str) -> list[str]:
        if self.closed:
            raise RuntimeError("<MilvusException: (code=1, message=should create connection first)>")
        if not self.server["up"]:
            raise ConnectionError("<_InactiveRpcError: StatusCode.UNAVAILABLE, Connection refused>")
        return [name]

    def close(self) -> None:
        self.closed = True


def test_a_client_closed_while_the_server_was_away_is_made_again() -> None:
    """Each call while the server is away says so in one line (IndexUnavailable) — the second too, not the
    closed client's "should create connection first" (a REPL's :brief after a failed question crashed on
    it) — and the first call after it is back answers."""
    server = {"up": True}
    client = _Client(lambda: _FakeMilvusClient(server), "http://127.0.0.1:19530 (collection t)")
    assert client.query("a") == ["a"]
    server["up"] = False
    for _ in range(3):
        with pytest.raises(IndexUnavailable, match="lost the Milvus server"):
            client.query("b")
    server["up"] = True
    assert client.query("c") == ["c"]


def test_two_calls_that_lose_the_same_client_make_one_new_one() -> None:
    """A restarted server: two threads' calls fail on the old connection at once; one new client is made
    and both calls are answered on it (the old one closed once, no client left unclosed)."""
    server = {"up": True}
    made: list[_FakeMilvusClient] = []
    together = threading.Barrier(2)

    class Restarted(_FakeMilvusClient):
        dead = False

        def query(self, name: str) -> list[str]:
            if self.dead:
                together.wait(5)  # both calls are on this client before either fails
                raise ConnectionError("<_InactiveRpcError: StatusCode.UNAVAILABLE, Socket closed>")
            return super().query(name)

    def make() -> _FakeMilvusClient:
        made.append(Restarted(server))
        return made[-1]

    client = _Client(make, "http://127.0.0.1:19530 (collection t)")
    made[0].dead = True
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(client.query, ["a", "b"]))
    assert answers == [["a"], ["b"]] and len(made) == 2 and made[0].closed and not made[1].closed


def test_filter_expressions() -> None:
    assert filter_expr(None) == "" and filter_expr(Filter()) == ""
    assert filter_expr(Filter(day_from=10, day_to=20, source='The "Print"%', outlet="CNN", article_ids=("a", "b"))) == (
        '(day == -1 or day <= 20) and (day == -1 or day >= 10) and source like "%the \\"print\\"%" '
        'and outlet == "CNN" and article_id in ["a", "b"]')


def test_cli_on_milvus(capsys: pytest.CaptureFixture[str], seed_corpus: Path, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITREP_MILVUS_URI", str(tmp_path / "cli.db"))
    monkeypatch.setenv("SITREP_MILVUS_TOKEN", "sekrit-token-value")
    enc = lambda _s: FakeEncoder()  # noqa: E731
    assert main(["index", "update", "--backend", "milvus", "--corpus", str(seed_corpus), "--json"], make_encoder=enc) == 0
    built = json.loads(capsys.readouterr().out)
    assert (built["added"], built["articles"], built["full"]) == (5, 5, True)
    assert main(["index", "status", "--backend", "milvus", "--json"], make_encoder=enc) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["backend"] == "milvus" and status["passages"] == built["passages"]
    assert main(["ask", "What did China propose to India?", "--backend", "milvus", "--mode", "bm25", "--json",
                 "--as-of", "2026-11-22"], make_encoder=enc) == 0
    out = capsys.readouterr().out
    answer = json.loads(out)
    assert answer["hits"][0]["article_id"] == "000_08773b1c9158e159.txt"
    assert "sekrit" not in out
    monkeypatch.setenv("SITREP_MILVUS_URI", "http://127.0.0.1:1")
    assert main(["ask", "What did China propose to India?", "--backend", "milvus"], make_encoder=enc) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach Milvus" in err and "sekrit" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A real Milvus (Lite) gRPC server process on 127.0.0.1, reached over the network like a standalone one."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "server"),
                             "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the milvus-lite server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow  # starts a server process: ~3 s here
def test_a_server_over_the_network_answers_like_the_file(seed_corpus: Path, tmp_path: Path, milvus_server: str) -> None:
    remote = BackendConfig(kind="milvus", uri=milvus_server, collection="net")
    update(seed_corpus, remote, FakeEncoder())
    local_file = target("milvus", tmp_path / "file")
    update(seed_corpus, local_file, FakeEncoder())
    assert snapshot(remote) == snapshot(local_file)
    engine = Engine.open(remote, FakeEncoder())
    ids = np.array([h.passage for h in engine.search(Query("Shaheen air exercise")).hits])
    assert engine.backend.vectors(ids).shape == (len(ids), FakeEncoder.dim)


class RestartableServer:
    """A milvus-lite server process on 127.0.0.1 that a test can kill and start again on the same port and data."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.uri = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(self.folder),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        pytest.fail("the milvus-lite server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.mark.slow  # starts a server process three times
def test_the_server_killed_under_questions_and_an_update_then_back(seed_corpus: Path, tmp_path: Path) -> None:
    """Killed during questions: one line (IndexUnavailable), and the same engine answers again once the server
    is back, without being reopened. Killed during an update: one line; running the update again repairs it."""
    server = RestartableServer(tmp_path / "server")
    server.start()
    try:
        config = BackendConfig(kind="milvus", uri=server.uri, collection="gone")
        update(seed_corpus, config, FakeEncoder())
        engine = Engine.open(config, FakeEncoder())
        assert engine.search(Query("Shaheen air exercise")).hits
        server.kill()
        with pytest.raises(IndexUnavailable, match=r"lost the Milvus server at http://127\.0\.0\.1:\d+ .*questions resume"):
            engine.search(Query("India China border talks"))
        server.start()
        deadline = time.monotonic() + 30
        while True:  # the same engine, never reopened: answers as soon as the server serves again
            try:
                assert engine.search(Query("India China border talks")).hits
                break
            except IndexUnavailable:
                assert time.monotonic() < deadline, "no answer 30 s after the server came back"
                time.sleep(0.5)

        edit(seed_corpus)
        calls = {"n": 0}
        real_upsert = MilvusWriter.upsert

        def kill_midway(self: MilvusWriter, articles, passages, vectors) -> None:  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 1:  # the server dies as the first changed article is written
                server.kill()
            real_upsert(self, articles, passages, vectors)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(MilvusWriter, "upsert", kill_midway)
            with pytest.raises(IndexUnavailable, match="lost the Milvus server"):
                update(seed_corpus, config, FakeEncoder())
        server.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                update(seed_corpus, config, FakeEncoder())  # the repair: the update run again
                break
            except IndexUnavailable:
                assert time.monotonic() < deadline
                time.sleep(0.5)
        clean = target("milvus", tmp_path / "clean")
        update(seed_corpus, clean, FakeEncoder())
        assert snapshot(config) == snapshot(clean)
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


FULL_DISK = """
import resource, signal, sys
sys.path.insert(0, {root!r})
if sys.argv[1] == "limit":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
from sitrep.cli.main import main
from tests.conftest import FakeEncoder
sys.exit(main(sys.argv[2:], make_encoder=lambda s: FakeEncoder()))
"""


def test_a_full_disk_under_milvus_lite_is_one_line_and_loses_nothing(seed_corpus: Path, tmp_path: Path) -> None:
    """Writers in child processes (milvus-lite holds its file for the process that opened it): a build,
    then an update that meets a full disk: one line, exit 2, every article the index had still there."""
    from tests.conftest import ROOT

    db = tmp_path / "m.db"
    env = {**os.environ, "SITREP_MILVUS_URI": str(db), "SITREP_MILVUS_COLLECTION": "full",
           "SITREP_EMBED_CACHE_DIR": str(tmp_path / "emb")}
    script = tmp_path / "full.py"
    script.write_text(FULL_DISK.format(root=str(ROOT)))

    def cli(limit: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script), limit, "index", "update", "--corpus", str(seed_corpus),
                               "--backend", "milvus"], capture_output=True, text=True, env=env, cwd=tmp_path)

    assert cli("none").returncode == 0
    (seed_corpus / "more.jsonl").write_text("".join(json.dumps({"id": f"m{i}", "body": f"Report {i} on port strikes. " * 40})
                                                    + "\n" for i in range(300)))
    done = cli("limit")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"sitrep: cannot write the index at {db} (collection full) (File too large): free space on the Milvus "
        "server's disk, then run the update again"]
    config = BackendConfig(kind="milvus", uri=str(db), collection="full")
    engine = Engine.open(config, FakeEncoder())
    assert engine.search(Query("Shaheen air exercise")).hits  # the index as it was still answers
    seeds = {a.id for a in engine.backend.articles([f.name for f in SEEDS.iterdir()]).values()}
    engine.backend.close()
    assert seeds == {f.name for f in SEEDS.iterdir()}  # every article it had
