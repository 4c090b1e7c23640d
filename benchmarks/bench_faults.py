"""kill -9 at random moments during `index build` and `index update`, on the local backend and on
milvus-lite (issue 21): after every kill the index must load and answer, and after the repair (the
next `update`) it must equal a clean build of the same corpus — the same articles with the same
content hashes, the same passages (the SHA-1 of each passage's indexed text, per article).

The writer runs in a child process (the bundled corpus plus 150 generated reports, a fake encoder
slowed to ~2 ms a passage so that a build lasts a second or two); the kill lands at a uniformly
random moment of a measured writer run. Kills that land after the writer finished count as tries.

    python benchmarks/bench_faults.py [--kills 20] [--seed 1]

Writes var/bench/faults.json. tests/test_faults.py runs the same trial a few times (slow).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.index.backends import BackendConfig  # noqa: E402
from sitrep.index.build import update  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402
from tests.conftest import SEEDS, FakeEncoder, target  # noqa: E402

WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from sitrep.index.backends import BackendConfig
from sitrep.index.build import update
from tests.conftest import FakeEncoder

class Slow(FakeEncoder):
    def encode(self, texts, progress=None):
        time.sleep(0.002 * len(texts))
        return super().encode(texts, progress)

kind, where, corpus, full = sys.argv[1:5]
config = BackendConfig(path=Path(where)) if kind == "local" else BackendConfig(kind="milvus", uri=where, collection="test")
print("started", flush=True)
update(Path(corpus), config, Slow(), full=full == "build")
print("finished", flush=True)
"""


def corpus(folder: Path) -> Path:
    """The bundled corpus and 150 generated reports (enough passages for a writer to be caught mid-way)."""
    out = folder / "corpus"
    shutil.copytree(SEEDS, out)
    (out / "reports.jsonl").write_text("".join(
        json.dumps({"id": f"r{i}", "title": f"Report {i}", "body": f"Report {i} on trade talks between ministers. " * 30}) + "\n"
        for i in range(150)))
    return out


def snapshot(config: BackendConfig) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(article id -> content hash, article id -> sorted passage text keys), through the writer interface."""
    writer = config.writer()
    try:
        hashes = writer.article_hashes()
        passages = {}
        for aid in hashes:
            keys, _ = writer.old_passages([aid])
            passages[aid] = sorted(k.hex() for k in keys)
        return hashes, passages
    finally:
        writer.close()


def answers(config: BackendConfig) -> bool:
    """The index opens and the seed question gets hits (the fake encoder may abstain: hits are what is asked)."""
    engine = Engine.open(config, FakeEncoder())
    try:
        return bool(engine.ask(Query("What did China propose to India?")).hits)
    finally:
        engine.backend.close()


def trial(kind: str, action: str, folder: Path, delay: float, clean: tuple[dict, dict]) -> dict[str, object]:
    """One kill: a fresh index (for `update`, built from the bundled corpus first), the writer killed after
    `delay` seconds, then: loads and answers? repaired by `update` to equal the clean build?"""
    src = corpus(folder)
    config = target(kind, folder)
    if action == "update":
        only_seeds = folder / "seeds"
        shutil.copytree(SEEDS, only_seeds)
        update(only_seeds, config, FakeEncoder())
    where = str(config.path) if kind == "local" else config.uri
    script = folder / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), kind, where, str(src), action], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # "started": imports done, the writer begins now
    time.sleep(delay)
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    loads = True
    try:
        loads = answers(config) if (action == "update" or finished) else True  # a first build killed early: nothing yet
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the row says what broke
        loads = False
        print(f"  {kind} {action} after {delay:.2f}s: does not load: {exc}", flush=True)
    update(src, config, FakeEncoder())  # the repair
    repaired = snapshot(config) == clean and answers(config)
    return {"backend": kind, "action": action, "delay_s": round(delay, 3), "writer_had_finished": finished,
            "loads_after_kill": loads, "equal_to_clean_build_after_repair": repaired}


def measure(kind: str, folder: Path) -> tuple[float, tuple[dict, dict]]:
    """How long an unkilled build runs (the kill window), and the clean build's snapshot."""
    src = corpus(folder)
    config = target(kind, folder)
    script = folder / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)))
    where = str(config.path) if kind == "local" else config.uri
    proc = subprocess.Popen([sys.executable, str(script), kind, where, str(src), "build"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    started = time.perf_counter()
    proc.stdout.readline()
    proc.wait()
    return time.perf_counter() - started, snapshot(config)


def run(kills: int, seed: int, backends: tuple[str, ...] = ("local", "milvus")) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for kind in backends:
        with tempfile.TemporaryDirectory() as tmp:
            window, clean = measure(kind, Path(tmp) / "clean")
        print(f"{kind}: an unkilled build takes {window:.2f} s after start-up", flush=True)
        for i in range(kills):
            action = ("build", "update")[i % 2]
            with tempfile.TemporaryDirectory() as tmp:
                row = trial(kind, action, Path(tmp), rng.uniform(0.0, window), clean)
            rows.append(row)
            print(f"  {kind} {action:<6} killed after {row['delay_s']:.2f} s: loads {row['loads_after_kill']}, "
                  f"repaired = clean build {row['equal_to_clean_build_after_repair']}", flush=True)
    return rows


def main() -> None:
    logging.getLogger("pymilvus").setLevel(logging.ERROR)  # its per-query iterator warnings, hundreds a run
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20, help="per backend, half during build, half during update")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = run(args.kills, args.seed)
    summary = {}
    for kind in ("local", "milvus"):
        mine = [r for r in rows if r["backend"] == kind]
        ok = [r for r in mine if r["loads_after_kill"] and r["equal_to_clean_build_after_repair"]]
        summary[kind] = {"tried": len(mine), "survived": len(ok),
                         "landed_while_writing": sum(not r["writer_had_finished"] for r in mine)}
        print(f"{kind}: {len(ok)} / {len(mine)} kills survived ({summary[kind]['landed_while_writing']} landed while "
              "the writer was still writing)")
    out = ROOT / "var" / "bench" / "faults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "kills": rows}, indent=1))


if __name__ == "__main__":
    main()
